"""`archive backup` then `archive restore` into an empty instance: everything comes back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.databases import ON_POSTGRESQL
from tests.test_cli import archive, env, query  # noqa: F401  (env is a fixture)
from tests.test_upload import make_tone

# backup and restore through real `archive` processes, of the SQLite catalogue they copy
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        ON_POSTGRESQL, reason="archive backup copies SQLite catalogues (PostgreSQL: pg_dump)"
    ),
]

DATA = Path(__file__).parent / "data" / "transcripts"


def originals(environ) -> dict[str, str]:
    root = Path(environ["ARCHIVE_INSTANCE"]) / "media"
    rows = query(environ, "select relpath, sha256 from media_files where role='original'")
    return {
        relpath: hashlib.sha256((root / relpath).read_bytes()).hexdigest() for relpath, _ in rows
    }


def test_backup_and_restore_bring_back_every_item_transcript_and_original(env, tmp_path):  # noqa: F811
    env["ARCHIVE_ADMIN_PASSWORD"] = "a long admin password"
    archive(env, "init")
    tone = make_tone(tmp_path / "t.wav", seconds=2)
    made = archive(env, "ingest", str(tone), "--identifier", "BK-1", "--title", "شهادة",
                   "--transcript", str(DATA / "testimony.ar.vtt"), "--wait")  # fmt: skip
    assert made.returncode == 0, made.stderr
    song = make_tone(tmp_path / "s.wav", seconds=1, freq=600)
    assert archive(env, "ingest", str(song), "--identifier", "BK-2", "--wait").returncode == 0

    saved = tmp_path / "backup"
    result = archive(env, "backup", str(saved))
    assert result.returncode == 0, result.stderr
    manifest = (saved / "manifest-sha256.txt").read_text().splitlines()
    assert any(line.endswith("  archive.db") for line in manifest)
    assert sum("media/originals/" in line for line in manifest) == 2
    assert archive(env, "backup", str(saved)).returncode != 0  # never over an existing backup

    other = dict(env, ARCHIVE_INSTANCE=str(tmp_path / "restored"))
    restored = archive(other, "restore", str(saved))
    assert restored.returncode == 0, restored.stderr
    for sql in (
        "select identifier, title, status from items order by identifier",
        "select language, source_format, count(*) from transcripts join segments "
        "on segments.transcript_id = transcripts.id group by transcripts.id",
        "select text from segments order by id",
        "select role, relpath, sha256, size from media_files order by id",
    ):
        assert query(other, sql) == query(env, sql), sql
    assert originals(other) == originals(env)  # every original intact, byte for byte
    found = archive(other, "search", "النقب", "--json", "--as", "admin@localhost")
    assert json.loads(found.stdout)["results"][0]["identifier"] == "BK-1"
    assert archive(other, "restore", str(saved)).returncode != 0  # not over a catalogue


def test_restore_refuses_a_damaged_backup(env, tmp_path):  # noqa: F811
    archive(env, "init")
    tone = make_tone(tmp_path / "t.wav", seconds=1)
    archive(env, "ingest", str(tone), "--wait")
    saved = tmp_path / "backup"
    assert archive(env, "backup", str(saved)).returncode == 0
    original = next(p for p in (saved / "media" / "originals").rglob("*") if p.is_file())
    data = bytearray(original.read_bytes())
    data[100] ^= 0xFF
    original.write_bytes(bytes(data))
    other = dict(env, ARCHIVE_INSTANCE=str(tmp_path / "restored"))
    refused = archive(other, "restore", str(saved))
    assert refused.returncode != 0 and "damaged" in refused.stderr
    assert not (tmp_path / "restored" / "archive.db").exists() or query(
        other, "select count(*) from sqlite_master where name='items'"
    ) == [(0,)]
