"""Poems shown as poems: verses read from plain text, stored in the segment text, exported
and searched as before, marked in the editor and set as two halves on the listening page."""

import pytest
from sqlalchemy import select

import indexer
from archive.catalogue import items, transcripts, verses
from archive.catalogue.transcript_formats import (
    ParsedSegment,
    parse_ohms,
    parse_text,
    parse_webvtt,
    to_text,
    to_webvtt,
)
from archive.db import db
from archive.models import Item

POEM = (
    "أَراكَ عَصِيَّ الدَّمعِ شيمَتُكَ الصَبرُ\tأَما لِلهَوى نَهيٌ عَلَيكَ وَلا أَمرُ\n"
    "بَلى أَنا مُشتاقٌ وَعِندِيَ لَوعَةٌ ... وَلَكِنَّ مِثلي لا يُذاعُ لَهُ سِرُّ\n"
    "\n"
    "إِذا اللَيلُ أَضواني بَسَطتُ يَدَ الهَوى … وَأَذلَلتُ دَمعاً مِن خَلائِقِهِ الكِبرُ\n"
    "تَكادُ تُضيءُ النارُ بَينَ جَوانِحي * إِذا هِيَ أَذكَتها الصَبابَةُ وَالفِكرُ\n"
)
PROSE = "قال لي الحارس: انتظر... ثم أغلق الباب.\n\nوفي الصباح نقلونا إلى النقب.\n"


@pytest.mark.parametrize(
    "line",
    [
        "صدر البيت\tعجز البيت",
        "صدر البيت ... عجز البيت",
        "صدر البيت…عجز البيت",
        "صدر البيت * عجز البيت",
    ],
)
def test_each_plain_text_convention_gives_the_two_halves(line):
    assert verses.read_line(line) == ("صدر البيت", "عجز البيت")


def test_a_line_without_a_separator_is_not_a_verse():
    assert verses.read_line("سطر من النثر") is None
    assert verses.halves("سطر من النثر") is None
    assert verses.halves("a\tb\tc") is None


def test_stanzas_become_verses_with_diacritics_intact():
    read = verses.read_verses(parse_text(POEM))
    assert len(read) == 4
    assert [verses.ends_stanza(s.text) for s in read] == [False, True, False, False]
    assert verses.halves(read[0].text) == (
        "أَراكَ عَصِيَّ الدَّمعِ شيمَتُكَ الصَبرُ",
        "أَما لِلهَوى نَهيٌ عَلَيكَ وَلا أَمرُ",
    )


def test_prose_with_an_ellipsis_is_not_broken():
    segments = parse_text(PROSE)
    assert verses.read_verses(segments) == segments


def test_mark_and_unmark():
    text = "بلى أنا مشتاق وعندي لوعة"
    marked = verses.mark(text, len("بلى أنا مشتاق"))
    assert verses.halves(marked) == ("بلى أنا مشتاق", "وعندي لوعة")
    assert verses.unmark(marked) == text
    with pytest.raises(ValueError):
        verses.mark(text, 0)


def test_search_sees_the_words_of_both_halves_once():
    read = verses.read_verses(parse_text(POEM))
    for segment in read:
        first, second = verses.halves(segment.text)
        assert indexer.terms(segment.text) == indexer.terms(f"{first} {second}")


def test_exports_of_plain_transcripts_are_unchanged_and_verses_read_back():
    timed = [ParsedSegment(0.0, 2.5, "كانت الزيارة... نصف ساعة"), ParsedSegment(3.0, 5.0, "ثم")]
    assert verses.read_verses(timed) == timed  # one line with an ellipsis: prose, kept
    assert to_webvtt(verses.read_verses(timed)) == to_webvtt(timed)
    assert to_text(verses.read_verses(parse_text(PROSE))) == to_text(parse_text(PROSE))
    written = to_text(verses.read_verses(parse_text(POEM)))
    again = verses.read_verses(parse_text(written))
    assert [verses.halves(s.text) for s in again] == [
        verses.halves(s.text) for s in verses.read_verses(parse_text(POEM))
    ]


def _item(app, identifier, type):
    with app.app_context():
        item = items.create(identifier=identifier, title="قصيدة", type=type, user=None)
        public = {"access": "public", "release_reference": "form 1", "release_access": "public"}
        items.describe(item, {**public, "release_date": "2026"}, user=None)
        items.publish(item, user=None)
        db.session.remove()


def _attach(app, identifier, text):
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == identifier))
        transcripts.attach(item, parse_text(text), language="ar", source_format="txt", user=None)
        stored = [s.text for s in item.transcripts[0].segments]
        db.session.remove()
        return stored


def test_attaching_marks_verses_of_poems_only(app):
    _item(app, "POEM-1", "poem")
    _item(app, "PROSE-1", "testimony")
    stored = _attach(app, "POEM-1", POEM)
    assert len(stored) == 4 and all(verses.halves(t) for t in stored)
    assert _attach(app, "PROSE-1", PROSE) == [s.text for s in parse_text(PROSE)]
    assert _attach(app, "PROSE-1", POEM) == [s.text for s in parse_text(POEM)]  # not asked


def test_listening_page_sets_verses_and_search_finds_them_once(app, client):
    _item(app, "POEM-2", "poem")
    _attach(app, "POEM-2", POEM)
    page = client.get("/items/POEM-2").get_data(as_text=True)
    assert page.count('class="words verse"') == 4
    assert page.count("stanza-end") == 1
    assert '<span class="hemistich">أَراكَ عَصِيَّ الدَّمعِ شيمَتُكَ الصَبرُ</span>' in page
    found = client.get("/api/search", query_string={"q": "جوانحي"}).get_json()
    assert [r["identifier"] for r in found["results"]] == ["POEM-2"]
    assert len(found["results"][0]["hits"]) == 1  # one verse, its words once


def test_editor_round_trip_marks_a_verse_and_a_stanza_end(app, client, auth):
    _item(app, "POEM-3", "poem")
    _attach(app, "POEM-3", "بلى أنا مشتاق وعندي لوعة\n\nولكن مثلي لا يذاع له سر\n")
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == "POEM-3"))
        transcript = item.transcripts[0]
        ids = [str(s.id) for s in transcript.segments]
        url = f"/manage/items/POEM-3/transcripts/{transcript.id}"
    auth.login("archivist@example.org")
    editor = client.get(url).get_data(as_text=True)
    assert 'class="verse"' in editor and 'class="stanza"' in editor
    form = {
        "csrf_token": auth.csrf(url),
        "id": [*ids, ""],
        "start": ["", "", ""],
        "end": ["", "", ""],
        "speaker": ["", "", ""],
        # what the editor's buttons write; a browser sends the stanza end as CR LF
        "text": ["بلى أنا مشتاق\tوعندي لوعة\r\n", "ولكن مثلي لا يذاع له سر", ""],
    }
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == "POEM-3"))
        first, second = item.transcripts[0].segments[:2]
        assert verses.halves(first.text) == ("بلى أنا مشتاق", "وعندي لوعة")
        assert verses.ends_stanza(first.text)
        assert verses.halves(second.text) is None
    assert "\t" in client.get(url).get_data(as_text=True)  # the editor shows it again


# Export and import keep verses and stanzas exactly


def _stored_poem(timed: bool) -> list[ParsedSegment]:
    """The four verses of POEM as stored (the second ends its stanza), timed or not."""
    read = verses.read_verses(parse_text(POEM))
    if not timed:
        return read
    return [
        ParsedSegment(4.0 * n, 4.0 * n + 3.5, segment.text, "") for n, segment in enumerate(read)
    ]


def _texts(segments) -> list[str]:
    return [segment.text for segment in segments]


def test_webvtt_keeps_the_halves_and_the_stanza_ends():
    poem = _stored_poem(timed=True)
    assert verses.ends_stanza(poem[1].text) and not verses.ends_stanza(poem[0].text)
    again = parse_webvtt(to_webvtt(poem))
    assert _texts(again) == _texts(poem)
    assert [(s.start, s.end) for s in again] == [(s.start, s.end) for s in poem]
    # A cue of prose that ends with an empty line is trimmed as before: only verses keep it.
    assert _texts(parse_webvtt("WEBVTT\n\n00:00.000 --> 00:01.000\nنثر\n<c></c>\n")) == ["نثر"]


def test_plain_text_of_a_poem_is_typed_as_a_poem_and_reads_back():
    poem = _stored_poem(timed=False)
    written = to_text(poem, verses=True)
    lines = written.split("\n")
    assert lines[0] == poem[0].text and lines[2] == "" and lines[3] == poem[2].text
    assert _texts(verses.read_verses(parse_text(written))) == _texts(poem)
    # Without verses= (or with prose in it) a transcript is written one paragraph a segment.
    assert to_text(poem) == "\n\n".join(s.text.rstrip("\n") for s in poem) + "\n"
    mixed = [ParsedSegment(None, None, "مقدمة نثرية"), *poem]
    assert to_text(mixed, verses=True) == to_text(mixed)


def test_ohms_keeps_the_halves_and_the_stanza_ends():
    from archive.exchange.ohms import OhmsRecord, OhmsTranscript, to_ohms

    poem = _stored_poem(timed=True)
    record = OhmsRecord(id="POEM-9", dt="2026-01-01", title="قصيدة",
                        transcript=OhmsTranscript("ar", poem))  # fmt: skip
    assert _texts(parse_ohms(to_ohms(record))) == _texts(poem)


@pytest.mark.parametrize("timed", [False, True], ids=["untimed", "timed"])
def test_csv_export_and_import_keep_verses_and_stanzas(app, tmp_path, timed):
    from archive.exchange.csv_io import export_csv, import_csv

    identifier = f"POEM-CSV-{int(timed)}"
    _item(app, identifier, "poem")
    poem = _stored_poem(timed)
    with app.app_context():
        item = items.find_item(identifier)
        transcripts.attach(item, poem, language="ar", source_format="vtt", user=None)
        assert _texts(item.transcripts[0].segments) == _texts(poem)
        export_csv(tmp_path / "out.csv")
        written = next((tmp_path / "out.transcripts").glob(f"{identifier}.ar.*"))
        assert written.suffix == (".vtt" if timed else ".txt")
        # Spoil the stored poem, then import the export: the verses and stanzas come back.
        transcripts.attach(item, parse_text("نثر فقط"), language="ar", source_format="txt",
                           user=None, verses=False)  # fmt: skip
        db.session.remove()
    with app.app_context():
        report = import_csv(tmp_path / "out.csv")
        assert report.transcripts >= 1
        stored = items.find_item(identifier).transcripts[0].segments
        assert _texts(stored) == _texts(poem)
        assert [verses.ends_stanza(s.text) for s in stored] == [False, True, False, False]
        if timed:
            assert [(s.start, s.end) for s in stored] == [(s.start, s.end) for s in poem]
        db.session.remove()


def test_the_text_download_of_a_poem_prints_it_as_a_poem(app, client):
    _item(app, "POEM-TXT", "poem")
    _attach(app, "POEM-TXT", POEM)
    with app.app_context():
        transcript_id = items.find_item("POEM-TXT").transcripts[0].id
        db.session.remove()
    text = client.get(f"/items/POEM-TXT/transcripts/{transcript_id}.txt").get_data(as_text=True)
    assert text.split("\n\n")[0].count("\t") == 2  # the first stanza: two verses, two lines
    assert _texts(verses.read_verses(parse_text(text))) == _texts(_stored_poem(timed=False))
