"""Bulk CSV import and export: the format of docs/csv.md, on a real database and real media."""

from __future__ import annotations

import csv
import io
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from archive import create_app, migrate
from archive.catalogue import authority
from archive.db import db
from archive.exchange.csv_io import COLUMNS, ImportError_, export_csv, import_csv, import_csv_stream
from archive.models import (
    AuditEvent,
    Item,
    Job,
    MediaFile,
    Person,
    Place,
    Recording,
    Segment,
    Tag,
    Transcript,
    User,
)
from tests.test_upload import make_tone

DATA = Path(__file__).parent / "data" / "csv"
DOCS = Path(__file__).parent.parent / "docs"
VOCALIZED = "شَهَادَةُ الأَسِيرِ المُحَرَّرِ ـــ في سجن نفحة"  # harakat and tatweel
NAME = "رأفت حمدونة"
VARIANT = "رافت حمدونه"


def write_csv(path: Path, rows: list[dict], *, header=None, bom: bool = False) -> Path:
    header = list(header or rows[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])
    return path


def dump() -> dict:
    """Every row of every table: the catalogue, to compare before and after."""
    db.session.expire_all()
    return {
        table.name: sorted((tuple(r) for r in db.session.execute(table.select())), key=repr)
        for table in db.metadata.sorted_tables
    }


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def item(identifier: str) -> Item:
    return db.session.scalar(select(Item).where(Item.identifier == identifier))


def archivist() -> User:
    return db.session.scalar(select(User).where(User.email == "archivist@example.org"))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def refused(path: Path, **kwargs) -> str:
    with pytest.raises(ImportError_) as caught:
        import_csv(path, **kwargs)
    return str(caught.value)


FULL = {
    "identifier": "PMA-0001",
    "type": "testimony",
    "title": f"  {VOCALIZED}  ",
    "title_en": "Testimony of a freed prisoner",
    "description": "نصٌّ\nبأسطرٍ ـــ عدة",
    "description_en": "Text\non lines",
    "language": "ar|en",
    "date": "1988-02",
    "place": "غزة",
    "prisons": "نفحة | النقب",
    "narrators": f"{VARIANT}|Jane Doe",
    "interviewers": "سميرة",
    "tags": "الإضراب عن الطعام|الرسائل",
    "collections": "شهادات الأسرى",
    "access": "researchers",
    "status": "published",
    "rights": "CC-BY-NC-4.0",
    "download": "yes",
    "notes": "ملاحظة",
}


# --- importing -------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False])
def test_sample_import_matches_people_and_tags_and_keeps_text_exactly(app, tmp_path, bom):
    with app.app_context():
        person = authority.person_for(NAME)
        authority.update_person(person, {}, [VARIANT], user=None)
        authority.tag_for("الإضراب عن الطعام")
        db.session.commit()
        order = ["tags", "narrators", "title", "identifier", *(c for c in FULL if c not in (
            "tags", "narrators", "title", "identifier"))]  # fmt: skip
        minimal = {"identifier": "PMA-0002", "title_en": "Only an English title"}
        path = write_csv(tmp_path / "in.csv", [FULL, minimal], header=order, bom=bom)

        report = import_csv(path, user=archivist())

        assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
        first = item("PMA-0001")
        assert first.title == VOCALIZED  # trimmed at the ends only
        assert first.description == "نصٌّ\nبأسطرٍ ـــ عدة"
        assert (first.type, first.access, first.status) == ("testimony", "researchers", "published")
        assert first.published_at is not None
        assert (first.languages, first.date, first.rights, first.download) == (
            "ar|en", "1988-02", "CC-BY-NC-4.0", True,
        )  # fmt: skip
        assert [p.name for p in first.people_in("narrator")] == [NAME, "Jane Doe"]
        assert first.people_in("narrator")[0].id == person.id
        assert count(Person) == 3  # حمدونة (by a variant), Jane Doe, سميرة
        assert sorted(t.label for t in first.tags) == ["الإضراب عن الطعام", "الرسائل"]
        assert count(Tag) == 2
        assert sorted(p.name for p in first.prisons) == ["النقب", "نفحة"]
        assert [c.title for c in first.collections] == ["شهادات الأسرى"]

        second = item("PMA-0002")  # empty cells: defaults, or empty where a field may be
        assert (second.type, second.access, second.status, second.languages) == (
            "testimony", "staff", "draft", "",
        )  # fmt: skip
        assert (second.title, second.title_en, second.download) == (
            "",
            "Only an English title",
            False,
        )

        import_csv(write_csv(tmp_path / "few.csv", [{**minimal, "identifier": "PMA-0003"}]))
        third = item("PMA-0003")  # columns left out: every default
        assert (third.type, third.access, third.status, third.languages, third.date) == (
            "testimony", "staff", "draft", "ar", "",
        )  # fmt: skip

        actions = [(e.action, e.item_id, e.user_id) for e in db.session.scalars(select(AuditEvent))]
        user_id = archivist().id
        assert ("create", first.id, user_id) in actions
        assert ("describe", first.id, user_id) in actions
        assert ("publish", first.id, user_id) in actions
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
        assert event_.user_id == user_id
        assert event_.details == {
            "file": "in.csv", "created": 2, "updated": 0, "unchanged": 0,
            "media_ingested": 0, "transcripts": 0,
        }  # fmt: skip
        again = import_csv(path, user=archivist())  # a variant names the same person: no change
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_absent_column_leaves_a_field_and_an_empty_cell_clears_it(app, tmp_path):
    with app.app_context():
        import_csv(write_csv(tmp_path / "full.csv", [FULL]))
        path = write_csv(
            tmp_path / "some.csv",
            [{"identifier": "PMA-0001", "description": "", "tags": "", "date": "", "rights": ""}],
        )
        report = import_csv(path)
        assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
        changed = item("PMA-0001")
        assert (changed.description, changed.tags, changed.date, changed.rights) == ("", [], "", "")
        assert changed.title == VOCALIZED and changed.description_en == "Text\non lines"
        assert [p.name for p in changed.people_in("narrator")] == [VARIANT, "Jane Doe"]
        assert count(Tag) == 2  # the tags themselves stay in the vocabulary

        kept = write_csv(tmp_path / "kept.csv", [{"identifier": "PMA-0001", "type": "", "access": "",
                                                  "status": ""}])  # fmt: skip
        assert import_csv(kept).unchanged == 1  # these are never empty: an empty cell keeps them
        assert (changed.type, changed.access, changed.status) == (
            "testimony",
            "researchers",
            "published",
        )
        path = write_csv(
            tmp_path / "new.csv",
            [{"identifier": "PMA-0009", "title": "جديد", "type": "", "access": "", "status": ""}],
        )
        import_csv(path)
        new = item("PMA-0009")
        assert (new.type, new.access, new.status) == ("testimony", "staff", "draft")


def test_docs_sample_imports(app, tmp_path):
    with app.app_context():
        report = import_csv(DOCS / "sample-import.csv")
        assert (report.created, report.transcripts) == (3, 2)
        lecture = item("SAMPLE-0003")
        assert lecture.status == "published" and lecture.title_en.startswith("Education")
        timed = item("SAMPLE-0001").transcripts[0]
        assert timed.source_format == "vtt" and timed.segments[0].start == 0.0


def test_transcripts_timed_file_and_inline_text(app, tmp_path):
    shutil.copytree(DATA / "transcripts", tmp_path / "transcripts")
    rows = [
        {**FULL, "transcript": "transcripts/PMA-T-001.ar.vtt", "transcript_language": ""},
        {
            "identifier": "PMA-0002",
            "title": "قصيدة",
            "language": "en|ar",
            "transcript": "السطر الأول\nالسطر الثاني\r\n\r\n  \t\nالمقطع الثاني ـــ",
        },
    ]
    with app.app_context():
        report = import_csv(write_csv(tmp_path / "in.csv", rows, header=[*FULL, "transcript"]))
        assert report.transcripts == 2
        timed = item("PMA-0001").transcripts
        assert [(t.language, t.source_format) for t in timed] == [("ar", "vtt")]
        assert [(s.start, s.end, s.speaker) for s in timed[0].segments] == [
            (0.0, 4.5, NAME), (4.5, 9.25, NAME),
        ]  # fmt: skip
        assert timed[0].segments[0].text == "دخلتُ سجن نفحة في صيف ١٩٨٠."
        inline = item("PMA-0002").transcripts
        assert inline[0].language == "en"  # the item's first language
        assert [(s.start, s.text) for s in inline[0].segments] == [
            (None, "السطر الأول\nالسطر الثاني"), (None, "المقطع الثاني ـــ"),
        ]  # fmt: skip

        # An empty transcript cell leaves the transcript alone.
        import_csv(
            write_csv(tmp_path / "empty.csv", [{"identifier": "PMA-0002", "transcript": ""}])
        )
        assert len(item("PMA-0002").transcripts[0].segments) == 2


def test_round_trip_export_import_export_is_identical(app, tmp_path):
    shutil.copytree(DATA / "transcripts", tmp_path / "in" / "transcripts")
    rows = [
        {**FULL, "transcript": "transcripts/PMA-T-001.ar.vtt", "transcript_language": "ar"},
        {"identifier": "PMA-0002", "type": "poem", "title": "قصيدة", "transcript": "بيت\n\nبيت ثان",
         "status": "published", "download": "no"},
        {"identifier": "PMA-0003", "title_en": "Only English", "language": "", "notes": "a, \"quoted\"\nnote"},
    ]  # fmt: skip
    header = [*FULL, "transcript", "transcript_language"]
    first, second = tmp_path / "a" / "export.csv", tmp_path / "b" / "export.csv"
    with app.app_context():
        import_csv(write_csv(tmp_path / "in" / "in.csv", rows, header=header))
        assert export_csv(first) == 3
        report = import_csv(first)
        assert (report.created, report.updated, report.unchanged, report.transcripts) == (
            0,
            0,
            3,
            0,
        )
        assert export_csv(second) == 3
    assert first.read_bytes() == second.read_bytes()
    assert_same_files(first.parent, second.parent)
    text = first.read_text(encoding="utf-8")
    assert text.startswith("identifier,type,") and not text.startswith("\ufeff")
    exported = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["identifier"] for r in exported] == ["PMA-0001", "PMA-0002", "PMA-0003"]
    assert exported[0]["transcript"] == "export.transcripts/PMA-0001.ar.vtt"
    assert exported[1]["transcript"] == "export.transcripts/PMA-0002.ar.txt"
    assert exported[0]["download"] == "yes" and exported[1]["download"] == "no"
    assert tuple(exported[0]) == COLUMNS

    # And into an empty archive: the same file comes out again.
    fresh = create_app(
        {"INSTANCE_PATH": str(tmp_path / "fresh"), "TESTING": True, "SECRET_KEY": "test",
         "QUEUE": {"IMMEDIATE": True}}
    )  # fmt: skip
    with fresh.app_context():
        migrate.upgrade()
        assert import_csv(first).created == 3
        export_csv(tmp_path / "c" / "export.csv")
        db.session.remove()
        db.engine.dispose()
    assert (tmp_path / "c" / "export.csv").read_bytes() == first.read_bytes()
    assert_same_files(first.parent, tmp_path / "c")


def assert_same_files(one: Path, other: Path) -> None:
    names = [p.relative_to(one) for p in files_under(one)]
    assert names == [p.relative_to(other) for p in files_under(other)]
    for name in names:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name


def test_importing_the_same_file_twice_changes_nothing(app, tmp_path):
    shutil.copytree(DATA / "transcripts", tmp_path / "transcripts")
    (tmp_path / "media").mkdir()
    make_tone(tmp_path / "media" / "tone.wav", seconds=1)
    rows = [
        {**FULL, "transcript": "transcripts/PMA-T-001.ar.vtt", "media": "tone.wav"},
        {"identifier": "PMA-0002", "title": "قصيدة", "narrators": VARIANT, "transcript": "نص"},
    ]
    path = write_csv(tmp_path / "in.csv", rows, header=[*FULL, "transcript", "media"])
    with app.app_context():
        first = import_csv(path, media_dir=tmp_path / "media")
        assert (first.created, first.media_ingested, first.transcripts) == (2, 1, 2)
        before = dump()
        again = import_csv(path, media_dir=tmp_path / "media")
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
        assert (again.media_ingested, again.transcripts) == (0, 0)
        after = dump()
        earlier = before.pop("audit_events")
        new_events = [e for e in after.pop("audit_events") if e not in earlier]
        assert [e[3] for e in new_events] == ["import"]  # (id, at, user_id, action, ...)
        assert after == before
        assert (count(Person), count(Tag), count(Recording), count(Transcript)) == (3, 2, 1, 2)


def test_media_column_ingests_and_runs_the_job(app, tmp_path):
    media_dir = tmp_path / "media"
    (media_dir / "tapes").mkdir(parents=True)
    make_tone(media_dir / "tapes" / "شهادة.wav", seconds=1)
    rows = [
        {
            "identifier": "PMA-0001",
            "title": "شهادة",
            "media": "tapes/شهادة.wav",
            "transcript": "نص",
        },
        {"identifier": "PMA-0002", "title": "بلا تسجيل", "media": ""},
    ]
    with app.app_context():
        report = import_csv(write_csv(tmp_path / "in.csv", rows), media_dir=media_dir)
        assert (report.created, report.media_ingested) == (2, 1)
        recording = item("PMA-0001").recordings[0]
        assert recording.original_filename == "شهادة.wav"
        assert recording.latest_job.state == "done"  # QUEUE IMMEDIATE: run inline
        assert {f.role for f in recording.files} == {"original", "access", "peaks", "small"}
        assert item("PMA-0001").transcripts[0].recording_id == recording.id
        assert item("PMA-0002").recordings == []
        actions = {e.action for e in db.session.scalars(select(AuditEvent))}
        assert {"ingest", "transcoded"} <= actions

        # Exported, then imported without the media folder: the recording is already there.
        export_csv(tmp_path / "out" / "export.csv")
        report = import_csv(tmp_path / "out" / "export.csv")
        assert (report.unchanged, report.media_ingested) == (2, 0)

        # The same bytes for another item, or a file under a name that is not there.
        path = write_csv(
            tmp_path / "other.csv", [{"identifier": "PMA-0002", "media": "tapes/شهادة.wav"}]
        )
        assert refused(path, media_dir=media_dir) == (
            "line 2: media tapes/شهادة.wav: the same file is already in the archive, "
            "in item PMA-0001."
        )
        path = write_csv(tmp_path / "none.csv", [{"identifier": "PMA-0002", "media": "x.wav"}])
        assert refused(path) == "line 2: media x.wav: no media folder was given (--media-dir)."
        assert refused(path, media_dir=media_dir) == (
            "line 2: media x.wav: no such file in the media folder."
        )
        assert count(Recording) == 1 and count(Job) == 1


def test_a_file_refused_while_writing_leaves_no_original_behind(app, tmp_path):
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    make_tone(media_dir / "good.wav", seconds=1)
    (media_dir / "broken.wav").write_bytes(b"this is not audio at all\n" * 100)
    rows = [
        {"identifier": "PMA-0001", "title": "جيد", "media": "good.wav"},
        {"identifier": "PMA-0002", "title": "معطوب", "media": "broken.wav"},
    ]
    originals = Path(app.config["MEDIA"]["ROOT"]) / "originals"
    with app.app_context():
        before = dump()
        message = refused(write_csv(tmp_path / "in.csv", rows), media_dir=media_dir)
        assert message.startswith("line 3: broken.wav: ")
        assert dump() == before
    assert files_under(originals) == []


BASE = [
    {"identifier": "OK-1", "title": "أولى", "description": "سطر\nسطر\nسطر"},  # lines 2-4
    {"identifier": "OK-2", "title": "ثانية", "date": "circa 1990"},  # line 5
]
BAD_ROWS = {
    "unknown type": ({"type": "speech"}, "Unknown type 'speech': use one of testimony, poem"),
    "impossible date": ({"date": "1988-02-30"}, "Date '1988-02-30' does not exist."),
    "date format": ({"date": "88"}, "Date '88' is not YYYY, YYYY-MM, YYYY-MM-DD or 'circa YYYY'."),
    "unknown access": ({"access": "secret"}, "Unknown access level 'secret'"),
    "unknown rights": ({"rights": "ALL-MINE"}, "Unknown rights statement 'ALL-MINE'."),
    "bad download": ({"download": "maybe"}, "download must be yes or no, not 'maybe'."),
    "bad language": ({"language": "Arabic"}, "'Arabic' is not a language code"),
    "withdrawn": ({"status": "withdrawn"}, "an item cannot be withdrawn from a CSV file"),
    "unknown status": ({"status": "done"}, "Unknown status 'done': use draft or published."),
    "no title": ({"title": ""}, "a new item needs a title (title or title_en)."),
    "bad identifier": ({"identifier": "-bad"}, "'-bad' is not a valid identifier"),
    "empty identifier": ({"identifier": " "}, "the identifier is empty."),
    "duplicate identifier": ({"identifier": "OK-1"}, "identifier OK-1 is already on line 2."),
    "missing media": ({"media": "gone.wav"}, "media gone.wav: no such file in the media folder."),
    "media outside": ({"media": "../in.csv"}, "media ../in.csv: the path leaves its folder."),
    "missing transcript": ({"transcript": "nope.vtt"}, "transcript nope.vtt: no such file"),
    "transcript outside": ({"transcript": "../x.txt"}, "transcript ../x.txt: the path leaves"),
    "malformed transcript": (
        {"transcript": "transcripts/broken.vtt"},
        "transcripts/broken.vtt: line 6: malformed cue timing; expected '00:00:01.000 --> ",
    ),
    "bad transcript language": (
        {"transcript": "نص", "transcript_language": "arabic"},
        "transcript_language 'arabic' is not a language code",
    ),
}


@pytest.fixture
def catalogued(app, tmp_path):
    """An archive with an item in it, and a media folder with a tone to ingest."""
    (tmp_path / "media").mkdir()
    make_tone(tmp_path / "media" / "two.wav", seconds=1, freq=500)
    shutil.copytree(DATA / "transcripts", tmp_path / "transcripts")
    with app.app_context():
        import_csv(write_csv(tmp_path / "base.csv", [{"identifier": "OLD-1", "title": "قديم"}]))
    return tmp_path


@pytest.mark.parametrize("case", BAD_ROWS)
def test_a_bad_row_refuses_the_whole_file(app, catalogued, case):
    change, reason = BAD_ROWS[case]
    rows = [*BASE, {"identifier": "OK-3", "title": "ثالثة", "media": "two.wav"},
            {"identifier": "NEW-1", "title": "جديدة", **change}]  # fmt: skip
    header = ["identifier", "title", "description", "date", "media", *change]
    path = write_csv(catalogued / "in.csv", rows, header=list(dict.fromkeys(header)))
    media_root = Path(app.config["MEDIA"]["ROOT"])
    with app.app_context():
        before, files = dump(), files_under(media_root)
        message = refused(path, media_dir=catalogued / "media")
        assert message.startswith(f"line 7: {reason}"), message
        assert "\n" not in message
        assert dump() == before
    assert files_under(media_root) == files


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("identifier,title,colour\nA,b,c\n", "line 1: unknown column(s) 'colour'"),
        ("title,type\nb,poem\n", "line 1: the identifier column is missing."),
        ("identifier,title,title\nA,b,c\n", "line 1: column(s) given twice: title."),
        ("identifier,title,\nA,b,\n", "line 1: a column has no name."),
        ("", "line 1: the file is empty"),
        ('identifier,title\nA,"b\nc"\nB,c,d\n', "line 4: 3 cells, but the header names 2 columns."),
        ('identifier,title\nA,"never closed\n', "line 2: a quoted cell starting on this row is"),
        ('identifier,title\nA,b\nB,"c"d\n', "line 3: ',' expected after '\"'"),
    ],
)
def test_a_malformed_file_is_refused(app, tmp_path, content, reason):
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    with app.app_context():
        assert refused(path).startswith(reason)
        assert count(Item) == 0


def test_not_utf8_names_the_line(app, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"identifier,title\nA,b\nB," + "شهادة".encode("cp1256") + b"\n")
    with app.app_context():
        assert refused(path) == "line 3: the file is not UTF-8 text."


def test_every_bad_row_is_reported_up_to_twenty(app, tmp_path):
    rows = [{"identifier": f"A-{i}", "title": "t", "date": "1988-13"} for i in range(25)]
    with app.app_context():
        message = refused(write_csv(tmp_path / "in.csv", rows))
    lines = message.split("\n")
    assert len(lines) == 21 and lines[-1] == "... and 5 more."
    assert lines[0] == "line 2: Date '1988-13' does not exist."
    assert lines[19].startswith("line 21: ")


def test_people_change_on_an_existing_item(app, tmp_path):
    with app.app_context():
        first = [{"identifier": "P-1", "title": "t", "narrators": "أ|ب"}]
        import_csv(write_csv(tmp_path / "a.csv", first))
        then = [{"identifier": "P-1", "narrators": "ب|أ|ج"}]
        assert import_csv(write_csv(tmp_path / "b.csv", then)).updated == 1
        assert [p.name for p in item("P-1").people_in("narrator")] == ["ب", "أ", "ج"]


def test_status_changes_follow_publish_and_unpublish(app, tmp_path):
    with app.app_context():
        import_csv(
            write_csv(
                tmp_path / "a.csv", [{"identifier": "A-1", "title": "t", "status": "published"}]
            )
        )
        published_at = item("A-1").published_at
        assert published_at is not None
        import_csv(write_csv(tmp_path / "b.csv", [{"identifier": "A-1", "status": "draft"}]))
        assert item("A-1").status == "draft" and item("A-1").published_at == published_at
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions.count("publish") == 1 and actions.count("unpublish") == 1

        item("A-1").status = "withdrawn"  # no withdraw operation yet
        db.session.commit()
        same = write_csv(tmp_path / "c.csv", [{"identifier": "A-1", "status": "withdrawn"}])
        assert import_csv(same).unchanged == 1  # an exported withdrawn item imports unchanged
        back = write_csv(tmp_path / "d.csv", [{"identifier": "A-1", "status": "published"}])
        assert (
            refused(back) == "line 2: A-1 was withdrawn: its status cannot change from a CSV file."
        )


def test_web_upload_takes_inline_transcripts_only(app, tmp_path):
    data = "identifier,title,transcript\nW-1,ويب,سطر\nW-2,ويب,t.vtt\n".encode()
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            import_csv_stream(
                io.BytesIO(data), filename="up.csv", base_dir=None, media_dir=None, user=None
            )
        assert str(caught.value).startswith("line 3: transcript t.vtt: files cannot be read")
        report = import_csv_stream(data.split(b"W-2")[0], filename="up.csv", user=archivist())
        assert report.created == 1 and item("W-1").transcripts[0].segments[0].text == "سطر"


def test_cells_of_200000_characters(app, tmp_path):
    long_text = ("كانت الزيارة مرة كل أسبوعين، نصف ساعة من خلف الزجاج. " * 4000)[:200_000]
    rows = [
        {"identifier": "L-1", "title": "طويل", "description": long_text, "transcript": long_text}
    ]
    with app.app_context():
        import_csv(write_csv(tmp_path / "in.csv", rows))
        assert item("L-1").description == long_text
        assert item("L-1").transcripts[0].segments[0].text == long_text.strip()


@pytest.mark.slow  # 2,000 rows, imported twice
def test_two_thousand_rows_in_one_transaction(app, tmp_path):
    rows = [
        {
            "identifier": f"BULK-{i:05d}",
            "title": f"شهادة رقم {i}",
            "narrators": f"راوٍ {i % 300}",
            "tags": f"وسم {i % 40}|وسم {(i + 1) % 40}",
            "collections": f"مجموعة {i % 10}",
            "prisons": "نفحة",
            "date": "1988-04",
            "transcript": f"نص {i}\n\nفقرة ثانية",
        }
        for i in range(2000)
    ]
    with app.app_context():
        rows[1499]["date"] = "1988-02-30"
        before = dump()
        assert refused(write_csv(tmp_path / "bad.csv", rows)) == (
            "line 4499: Date '1988-02-30' does not exist."  # three lines a row
        )
        assert dump() == before

        rows[1499]["date"] = "1988-02-28"
        items_at_commit = []

        def counted(session):
            if session.in_nested_transaction():  # a savepoint (a tag made once), not a commit
                return
            items_at_commit.append(session.scalar(select(func.count()).select_from(Item)))

        event.listen(db.session, "before_commit", counted)
        try:
            started = time.perf_counter()
            report = import_csv(write_csv(tmp_path / "good.csv", rows), user=archivist())
            elapsed = time.perf_counter() - started
        finally:
            event.remove(db.session, "before_commit", counted)
        print(f"2,000 rows imported in {elapsed:.1f} s")
        assert report.created == 2000 and report.transcripts == 2000
        # Every commit during the import saw all 2,000 items: they came in one transaction
        # (the later commits are the search index catching up).
        assert items_at_commit and set(items_at_commit) == {2000}
        assert count(Segment) == 4000 and count(Person) == 300 and count(Place) == 1
        assert count(MediaFile) == 0
