"""The CSV import at scale: read as a stream, progress shown, all or nothing, idempotent.

The figures (segments a second, peak memory of 200,000 segments) are benchmarks/bulk_import.py's;
these tests check the behaviour on files of a few thousand segments, in seconds.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.cli.progress import Stages
from archive.cli.records import import_
from archive.db import db
from archive.discovery.search import search
from archive.exchange.csv_io import ImportError_, import_csv, import_csv_stream
from archive.models import AuditEvent, IndexOutbox, Item, Segment, User
from indexer.index import VOCAB_PER_ITEM
from tests.test_csv import dump, files_under

ROWS = 1000
PARAGRAPHS = 4  # 4,000 segments
NOTES = 500  # characters of staff notes a row: a file of about 1 MB
SENTENCES = [
    "دخلتُ سجن نفحة في صيف ١٩٨٠ وكان الإضراب عن الطعام قد بدأ",
    "كانت الزيارة مرة كل أسبوعين، نصف ساعة من خلف الزجاج",
    "تعلمنا في السجن ونظمنا الجلسات والدروس في الغرف",
    "أمهات الأسرى كن يعتصمن كل يوم اثنين أمام الصليب الأحمر",
]


def write_big_csv(folder: Path, *, rows: int = ROWS, change: dict | None = None) -> Path:
    """``rows`` items with a transcript file each beside the CSV; ``change`` {index: cells}."""
    (folder / "big.transcripts").mkdir(parents=True, exist_ok=True)
    path = folder / "big.csv"
    header = ["identifier", "title", "date", "notes", "tags", "narrators", "transcript", "media"]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for i in range(rows):
            name = f"big.transcripts/S-{i:05d}.ar.txt"
            paragraphs = [f"{SENTENCES[(i + k) % 4]} ({i}-{k})." for k in range(PARAGRAPHS)]
            (folder / name).write_text("\n\n".join(paragraphs), encoding="utf-8")
            cells = {
                "identifier": f"S-{i:05d}",
                "title": f"شهادة {i}",
                "date": "1988-04",
                "notes": ("ملاحظة " * NOTES)[:NOTES],
                "tags": f"وسم {i % 7}",
                "narrators": f"راوٍ {i % 50}",
                "transcript": name,
                "media": "",
                **(change or {}).get(i, {}),
            }
            writer.writerow([cells[column] for column in header])
    return path


def segments() -> int:
    return db.session.scalar(select(func.count()).select_from(Segment))


@pytest.mark.slow  # seconds: a thousand items written and indexed
def test_a_big_file_is_read_as_a_stream_and_indexed(app, tmp_path):
    path = write_big_csv(tmp_path)
    size = path.stat().st_size
    read_at: dict[str, int] = {}  # stage -> how far into the file its first report was

    with app.app_context(), open(path, "rb") as source:

        def watch(stage: str, done: int, total: int) -> None:
            read_at.setdefault(stage, source.raw.tell())  # bytes the system has handed over

        report = import_csv_stream(source, filename="big.csv", base_dir=tmp_path, progress=watch)
        assert (report.created, report.transcripts) == (ROWS, ROWS)
        assert segments() == ROWS * PARAGRAPHS
        # Each pass had read a batch of rows, not the file, when that batch was checked or
        # written: the first pass, and the second from the start again.
        assert 0 < read_at["checking"] < size / 5, (read_at, size)
        assert 0 < read_at["writing"] < size / 5, (read_at, size)
        assert read_at["indexing"] == size
        assert db.session.scalar(select(func.count()).select_from(IndexOutbox)) == 0
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        assert search("الزيارة", user=admin)["total"] == ROWS  # every transcript says it


def test_progress_lines_when_not_on_a_terminal(app, tmp_path):
    path = write_big_csv(tmp_path, rows=300)
    result = app.test_cli_runner().invoke(import_, [str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "big.csv: 300 created, 0 updated, 0 unchanged, 0 recording(s) ingested, "
        "300 transcript(s) attached."
    )
    lines = result.stderr.splitlines()
    assert lines[0].startswith("big.csv: checking the file: ")
    assert any(line.startswith("big.csv: writing: 100/300 items, 33%") for line in lines)
    for stage in ("checking the file", "writing", "indexing"):
        ends = [line for line in lines if line.startswith(f"big.csv: {stage}: ")]
        assert ends[-1].split(", ")[-1].startswith("done in "), lines
    assert len(lines) < 20  # a line now and then, never one a row


def test_a_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    with Stages("big.csv", stream=screen) as progress:
        progress("writing", 40, 300)
        progress("writing", 300, 300)
    shown = screen.getvalue()
    assert "writing" in shown and "300/300 items" in shown
    assert "\x1b[" in shown  # drawn (and redrawn) in place, not a line per update


def test_a_bad_row_late_in_a_big_file_leaves_nothing(app, tmp_path):
    late = ROWS - 10
    path = write_big_csv(tmp_path, change={late: {"date": "1988-02-30"}})
    with app.app_context():
        before = dump()
        with pytest.raises(ImportError_) as refused:
            import_csv(path)
        message = str(refused.value)
        assert message == f"line {late + 2}: Date '1988-02-30' does not exist."
        assert dump() == before


@pytest.mark.slow  # seconds: a thousand items written and indexed
def test_a_file_failing_while_written_late_leaves_nothing(app, tmp_path):
    """Rows flushed in earlier batches go too: the whole file is one transaction."""
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    (media_dir / "broken.wav").write_bytes(b"this is not audio at all\n" * 100)
    late = ROWS - 10
    path = write_big_csv(tmp_path, change={late: {"media": "broken.wav"}})
    originals = Path(app.config["MEDIA"]["ROOT"]) / "originals"
    with app.app_context():
        before = dump()
        with pytest.raises(ImportError_) as refused:
            import_csv(path, media_dir=media_dir)
        message = str(refused.value)
        assert message.startswith(f"line {late + 2}: broken.wav: ")
        assert dump() == before
        assert db.session.scalar(select(func.count()).select_from(Item)) == 0
    assert files_under(originals) == []


def test_not_utf8_late_in_a_big_file_names_its_line(app, tmp_path):
    path = write_big_csv(tmp_path, rows=400)
    with open(path, "ab") as out:
        out.write(b"S-99999," + "شهادة".encode("cp1256") + b",,,,,,\r\n")
    with app.app_context():
        with pytest.raises(ImportError_) as refused:
            import_csv(path)
        message = str(refused.value)
        assert message == "line 402: the file is not UTF-8 text."
        assert db.session.scalar(select(func.count()).select_from(Item)) == 0


@pytest.mark.slow  # seconds: a thousand items written and indexed
def test_importing_a_big_file_again_changes_nothing(app, tmp_path):
    path = write_big_csv(tmp_path, rows=500)
    with app.app_context():
        import_csv(path)
        before = dump()
        again = import_csv(path)
        assert (again.created, again.updated, again.unchanged, again.transcripts) == (
            0, 0, 500, 0,
        )  # fmt: skip
        after = dump()
        earlier = before.pop("audit_events")
        new_events = [e for e in after.pop("audit_events") if e not in earlier]
        assert [e[3] for e in new_events] == ["import"]
        assert after == before
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > 500


def test_the_words_of_a_big_import_are_suggested_to_whom_may_see_them(app, tmp_path):
    """Past VOCAB_PER_ITEM items, an update keeps the words "did you mean" offers by kind of
    access rather than by item (indexer/index.py): they are still offered to staff, who may
    see the drafts, and never to the public, who may not."""
    rows = VOCAB_PER_ITEM + 50
    path = write_big_csv(tmp_path, rows=rows)
    with app.app_context():
        assert import_csv(path).created == rows
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        typo = search("الزبارة", user=admin)  # one letter from «الزيارة», said by every item
        assert (typo["total"], typo["suggestion"]) == (0, "الزياره")
        assert search(typo["suggestion"], user=admin)["total"] == rows
        assert search("الزبارة", user=None)["suggestion"] is None  # drafts, all of them
