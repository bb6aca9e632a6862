"""Long commands show their progress on stderr: a line now and then naming the counts when
not on a terminal (cron, CI, a log), a bar on a terminal (forced here with ARCHIVE_PROGRESS=bar);
and ``archive uploads`` lists and expires the resumable uploads left unfinished."""

from __future__ import annotations

import io
import re
import time

import pytest

from archive.cli.instance import backup, fixity, reindex, restore
from archive.cli.lifecycle import derivatives
from archive.cli.progress import Stages
from archive.cli.records import export, ingest
from archive.cli.uploads import uploads
from archive.holdings import resumable
from tests.databases import ON_POSTGRESQL
from tests.test_derivatives import catalogue  # noqa: F401  (a fixture: two transcoded items)
from tests.test_tus import OCTETS, archivist, create  # noqa: F401  (archivist is a fixture)
from tests.test_upload import make_tone

ANSI = re.compile(r"\x1b\[")


def lines_of(result) -> list[str]:
    assert result.exit_code == 0, (result.output, result.exception)
    assert not ANSI.search(result.stderr)  # not a bar: plain lines
    return result.stderr.splitlines()


def finished(lines: list[str], start: str) -> str:
    """The line saying the stage that ``start`` names ended (there is exactly one)."""
    ends = [line for line in lines if line.startswith(start) and ", done in " in line]
    assert len(ends) == 1, lines
    return ends[0]


def test_export_writes_a_line_with_the_counts(app, catalogue, tmp_path):  # noqa: F811
    result = app.test_cli_runner().invoke(export, [str(tmp_path / "all.csv")])
    lines = lines_of(result)
    assert finished(lines, "all.csv: exporting: ").startswith("all.csv: exporting: 2/2 items")
    assert len(lines) <= 2  # where it started, where it ended
    assert result.stdout.strip() == f"Exported 2 item(s) to {tmp_path / 'all.csv'}."


def test_reindex_and_fixity_count_items_and_originals(app, catalogue):  # noqa: F811
    runner = app.test_cli_runner()
    lines = lines_of(runner.invoke(reindex, []))
    assert finished(lines, "reindex: indexing: ").startswith("reindex: indexing: 2/2 items")
    checked = runner.invoke(fixity, [])
    lines = lines_of(checked)
    assert finished(lines, "fixity: checking originals: ").startswith(
        "fixity: checking originals: 2/2 files"
    )
    assert "2 intact, 0 changed, 0 missing" in checked.stdout


def test_regenerating_derivatives_counts_the_recordings(app, catalogue):  # noqa: F811
    result = app.test_cli_runner().invoke(derivatives, ["regenerate", "--all", "--wait"])
    lines = lines_of(result)
    end = finished(lines, "derivatives: making access copies: ")
    assert end.startswith("derivatives: making access copies: 2/2 recordings")
    assert len(lines) < 10
    assert "Made the derivatives of 2 recording(s)" in result.stdout


def test_ingest_of_many_files_counts_them(app, tmp_path):
    tones = [make_tone(tmp_path / f"t{hz}.wav", seconds=1, freq=hz) for hz in (440, 550, 660)]
    result = app.test_cli_runner().invoke(ingest, [*map(str, tones), "--wait"])
    lines = lines_of(result)
    assert lines[0].startswith("ingest: ingesting: 0/3 files")
    assert finished(lines, "ingest: ingesting: ").startswith("ingest: ingesting: 3/3 files")
    assert len(result.stdout.splitlines()) == 3  # one line per file, on stdout
    assert len(lines) < 10

    one = make_tone(tmp_path / "one.wav", seconds=1, freq=770)  # one file, queued: no progress
    alone = app.test_cli_runner().invoke(ingest, [str(one)])
    assert alone.exit_code == 0 and alone.stderr == "", alone.output


@pytest.mark.skipif(ON_POSTGRESQL, reason="archive backup copies SQLite catalogues")
def test_backup_then_restore_count_files_and_items(app, catalogue, another_app, tmp_path):  # noqa: F811
    saved = tmp_path / "saved"
    result = app.test_cli_runner().invoke(backup, [str(saved)])
    lines = lines_of(result)
    copied = finished(lines, "saved: copying: ")
    files = int(re.search(r"copying: (\d+)/\1 files", copied).group(1))
    assert f"Backed up the catalogue and {files} file(s)" in result.stdout

    other = another_app("restored")
    result = other.test_cli_runner().invoke(restore, [str(saved)])
    lines = lines_of(result)
    assert finished(lines, "saved: verifying the backup: ").startswith(
        f"saved: verifying the backup: {files + 1}/{files + 1} files"  # the database too
    )
    assert finished(lines, "saved: restoring: ").startswith(
        f"saved: restoring: {files + 1}/{files + 1} files"
    )
    assert finished(lines, "saved: indexing: ").startswith("saved: indexing: 2/2 items")
    assert "Restored 2 item(s)" in result.stdout


def test_a_bar_when_asked_for(app, catalogue, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ARCHIVE_PROGRESS", "bar")
    result = app.test_cli_runner().invoke(export, [str(tmp_path / "all.csv")])
    assert result.exit_code == 0, result.output
    assert ANSI.search(result.stderr)  # drawn in place, with colours
    assert "exporting" in result.stderr and "2/2 items" in result.stderr
    assert "━" in result.stderr  # the bar itself
    assert "Exported 2 item(s)" in result.stdout  # the result is unchanged


def test_no_progress_when_turned_off_and_a_bad_setting_said(app, catalogue, tmp_path, monkeypatch):  # noqa: F811
    runner = app.test_cli_runner()
    monkeypatch.setenv("ARCHIVE_PROGRESS", "off")
    quiet = runner.invoke(export, [str(tmp_path / "all.csv")])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    monkeypatch.setenv("ARCHIVE_PROGRESS", "sometimes")
    refused = runner.invoke(export, [str(tmp_path / "again.csv")])
    assert refused.exit_code == 1
    assert "ARCHIVE_PROGRESS is 'sometimes': use one of bar, lines, off." in refused.stderr


def test_a_stage_reported_often_writes_few_lines():
    screen = io.StringIO()  # not a terminal
    with Stages("big.csv", stream=screen, every=3600) as progress:
        for done in range(10_001):
            progress("writing", done, 10_000)
    lines = screen.getvalue().splitlines()
    assert lines[0] == "big.csv: writing: 0/10,000 items, 0%"
    assert lines[-1].startswith("big.csv: writing: 10,000/10,000 items, done in ")
    assert len(lines) == 2


def test_uploads_expire_removes_the_expired_and_keeps_the_fresh(app, client, archivist):  # noqa: F811
    old = create(client, archivist, 100, filename="قديم.wav").headers["Location"]
    client.patch(old, data=b"a" * 10, headers=archivist | OCTETS | {"Upload-Offset": "0"})
    fresh = create(client, archivist, 200, filename="جديد.wav").headers["Location"]
    client.patch(fresh, data=b"b" * 50, headers=archivist | OCTETS | {"Upload-Offset": "0"})
    old_id, fresh_id = old.rsplit("/", 1)[1], fresh.rsplit("/", 1)[1]
    with app.app_context():  # the old one was started three days ago
        upload = resumable.find(old_id)
        upload.created -= 73 * 3600
        upload.expires = time.time() - 3600
        upload.save()

    runner = app.test_cli_runner()
    listed = runner.invoke(uploads, ["list"])
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[:-1]}
    assert "جديد.wav" in rows[fresh_id] and "50/200 bytes (25%)" in rows[fresh_id]
    assert "archivist@example.org" in rows[fresh_id]
    assert re.search(r"started 0 min ago, expires in (3 d|2 d 23 h)$", rows[fresh_id])
    assert "10/100 bytes (10%)" in rows[old_id] and "started 3 d 1 h ago, expired" in rows[old_id]
    assert listed.stdout.splitlines()[-1] == "2 unfinished upload(s), 60 bytes received."

    expired = runner.invoke(uploads, ["expire"])
    assert expired.exit_code == 0, expired.output
    said = expired.stdout.splitlines()
    assert said[0].startswith(f"removed {old_id}  قديم.wav  archivist@example.org  10/100 bytes")
    assert said[-1] == "Removed 1 expired upload(s), 10 bytes freed."
    with app.app_context():
        assert {u.id for u in resumable.all_uploads()} == {fresh_id}
        assert resumable.find(fresh_id).offset == 50
    assert client.head(old, headers=archivist).status_code == 404
    assert client.head(fresh, headers=archivist).headers["Upload-Offset"] == "50"

    again = runner.invoke(uploads, ["expire"])
    assert again.stdout.strip() == "Removed 0 expired upload(s), 0 bytes freed."
