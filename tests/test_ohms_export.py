"""OHMS XML out: /items/<identifier>/ohms.xml and ``archive export --ohms DIR``.

Our own importer (parse_ohms) reads every export back to the same segments, speakers and times,
in both of its transcripts; the route shows only what an anonymous visitor may see.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment, parse, parse_ohms
from archive.cli.records import export
from archive.db import db
from archive.exchange.ohms import NAMESPACE, OhmsRecord, OhmsTranscript, to_ohms
from archive.holdings.ingest import ingest
from archive.holdings.storage import local
from archive.models import Item
from tests.test_upload import make_tone

NS = {"o": NAMESPACE}

ARABIC = [
    ParsedSegment(0.0, 2.5, "اعتُقِلتُ في الخامسةِ فجراً، وكان الجنودُ قد طوّقوا البيت", "أبو علي"),
    ParsedSegment(2.5, 4.0, "متى نُقِلتَ إلى النقب؟", "ريم"),
    ParsedSegment(4.0, 6.0, "سنة ١٩٨٨ — «أنصار ٣»\u00a0هو سجن\u200cالنقب", "أبو علي"),
]
WITHHELD = ParsedSegment(6.0, 7.0, "SECRETPASSAGE كلام محجوب", "أبو علي")
ENGLISH = [
    ParsedSegment(0.0, 2.5, "I was arrested at five in the morning.", "Abu Ali"),
    ParsedSegment(2.5, 6.0, "When were you moved to the Negev? <script>&", "Reem"),
]
FRENCH = [ParsedSegment(0.0, 6.0, "SECRETTRANSCRIPT J'ai été arrêté à l'aube.", "Abou Ali")]
POEM = [
    ParsedSegment(None, None, "أَراكَ عَصِيَّ الدَمعِ شيمَتُكَ الصَبرُ\nأَما لِلهَوى نَهيٌ عَلَيكَ"),
    ParsedSegment(None, None, "بَلى أَنا مُشتاقٌ وَعِنديَ لَوعَةٌ"),
]


# The writer and our importer, without the catalogue


def record(main, alt=None, **fields) -> OhmsRecord:
    translation = OhmsTranscript(alt[0], alt[1]) if alt else None
    return OhmsRecord(
        id="OH-1",
        dt="2024-05-01",
        title="شهادة",
        transcript=OhmsTranscript(main[0], main[1]),
        translation=translation,
        **fields,
    )


@pytest.mark.parametrize(
    "segments",
    [
        ARABIC,
        ENGLISH,
        [
            ParsedSegment(65.25, 70.001, "a < b && c > d --> e\n\n\tسطر بعد فراغ", "A & B"),
            ParsedSegment(3600.0, 3601.5, "Ça a duré قرابة ساعة", "المحقق"),
            ParsedSegment(3602.0, 3602.0, ""),
        ],
    ],
)
def test_round_trip_keeps_segments_speakers_and_times(segments):
    xml = to_ohms(record(("ar", segments), ("en", ENGLISH)))
    assert parse_ohms(xml) == segments
    assert parse_ohms(xml, alternate=True) == ENGLISH
    assert parse(xml.encode(), filename="export.xml") == segments


def test_a_missing_end_reads_back_as_the_next_start():
    segments = [ParsedSegment(1.0, None, "أول", "أ"), ParsedSegment(4.0, None, "ثانٍ", "ب")]
    assert parse_ohms(to_ohms(record(("ar", segments)))) == [
        ParsedSegment(1.0, 4.0, "أول", "أ"),
        ParsedSegment(4.0, 9.0, "ثانٍ", "ب"),  # five seconds, as to_webvtt gives a last cue
    ]


def test_untimed_transcript_is_paragraphs_without_webvtt():
    xml = to_ohms(record(("ar", POEM)))
    assert parse_ohms(xml) == POEM
    found = ET.fromstring(xml).find("o:record", NS)
    assert found.findtext("o:vtt_transcript", namespaces=NS) == ""
    assert found.findtext("o:sync", namespaces=NS) == ""


def test_sync_marks_where_each_minute_falls_for_old_viewers():
    segments = [
        ParsedSegment(0.0, 60.0, "one two three four", "أبو علي"),
        ParsedSegment(60.0, 120.0, "five six"),
        ParsedSegment(120.0, 180.0, "seven eight nine"),
    ]
    xml = to_ohms(record(("ar", segments)))
    found = ET.fromstring(xml).find("o:record", NS)
    assert found.findtext("o:sync", namespaces=NS) == "1:|3(1)|5(1)|5(3)"
    assert found.findtext("o:transcript", namespaces=NS) == (
        "أبو علي: one two three four\n\nfive six\n\nseven eight nine"
    )
    # Without its WebVTT, the record reads back by its minute marks: the same starts.
    found.remove(found.find("o:vtt_transcript", NS))
    legacy = ET.tostring(found, encoding="unicode")
    assert [(s.start, s.text) for s in parse_ohms(legacy)] == [
        (0.0, "أبو علي: one two three four"),
        (60.0, "five six"),
        (120.0, "seven eight nine"),
    ]


def test_sync_spreads_a_passages_words_over_its_time():
    segments = [
        ParsedSegment(30.0, 90.0, "w1 w2 w3 w4 w5 w6\nw7 w8 w9 w10"),  # minute 1 at word 6
        ParsedSegment(150.0, 170.0, "after a silence"),  # minute 2 falls in the silence before
    ]
    found = ET.fromstring(to_ohms(record(("ar", segments)))).find("o:record", NS)
    assert found.findtext("o:sync", namespaces=NS) == "1:|1(6)|4(1)"


def test_characters_xml_cannot_hold_become_replacement_characters():
    segments = [ParsedSegment(0.0, 1.0, "form\x0cfeed\x01")]
    assert parse_ohms(to_ohms(record(("ar", segments))))[0].text == "form\ufffdfeed\ufffd"


# The catalogue: the route and the command


@pytest.fixture
def catalogue(app, catalogues, tmp_path):
    """A public testimony with media, an Arabic transcript with one withheld passage, an English
    translation and a restricted French one; a public poem without media; a draft."""

    def build():
        with app.app_context():
            done = ingest(
                local(make_tone(tmp_path / "testimony.wav", seconds=7)),
                user=None,
                identifier="OH-0001",
                title="شهادةُ أبي علي",
                type="testimony",
            )
            assert done.job.state == "done", done.job.error
            item = done.item
            items.describe(item, {
                "title_en": "Abu Ali's testimony", "description": "عن الاعتقال والنقب",
                "date": "1988-04-13", "narrators": ["أبو علي"], "interviewers": ["ريم"],
                "tags": ["الاعتقال"], "collections": ["شهادات الأسرى"], "prisons": ["النقب"],
                "languages": "ar|en", "rights": "CC-BY-4.0", "access": "public",
            }, user=None)  # fmt: skip
            arabic = transcripts.attach(item, [*ARABIC, WITHHELD], language="ar", user=None)
            transcripts.restrict_segment(arabic.segments[-1], True, user=None)
            transcripts.attach(item, ENGLISH, language="en", user=None)
            french = transcripts.attach(item, FRENCH, language="fr", user=None)
            transcripts.restrict_transcript(french, True, user=None)
            items.publish(item, user=None)

            poem = items.create(identifier="OH-0002", title="أراك عصيَّ الدمع", type="poem",
                                user=None)  # fmt: skip
            items.describe(poem, {"access": "public"}, user=None)
            transcripts.attach(poem, POEM, language="ar", user=None)
            items.publish(poem, user=None)

            draft = items.create(identifier="OH-0003", title="SECRETDRAFT", type="lecture",
                                 user=None)  # fmt: skip
            transcripts.attach(draft, ENGLISH, language="en", user=None)
        return {}

    return catalogues.get("ohms-export", app, build)


def fields(xml: str) -> ET.Element:
    return ET.fromstring(xml).find("o:record", NS)


def test_route_gives_the_public_record(app, client, catalogue):
    response = client.get("/items/OH-0001/ohms.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="OH-0001.ohms.xml"'
    body = response.get_data(as_text=True)
    assert parse_ohms(body) == ARABIC  # the withheld passage left out
    assert parse_ohms(body, alternate=True) == ENGLISH
    assert "SECRETPASSAGE" not in body and "SECRETTRANSCRIPT" not in body

    found = fields(body)
    text = {name: found.findtext(f"o:{name}", namespaces=NS) for name in (
        "title", "accession", "duration", "interviewee", "interviewer", "collection_name",
        "language", "transcript_alt_lang", "translate", "fmt", "rights", "type", "description",
    )}  # fmt: skip
    assert text == {
        "title": "شهادةُ أبي علي", "accession": "OH-0001", "duration": "0:00:07",
        "interviewee": "أبو علي", "interviewer": "ريم", "collection_name": "شهادات الأسرى",
        "language": "Arabic; English", "transcript_alt_lang": "English", "translate": "1",
        "fmt": "audio", "type": "testimony", "description": "عن الاعتقال والنقب",
        "rights": "Creative Commons Attribution 4.0 (https://creativecommons.org/licenses/by/4.0/)",
    }  # fmt: skip
    assert found.find("o:date", NS).get("value") == "1988-04-13"
    assert [s.text for s in found.findall("o:subject", NS)] == ["الاعتقال", "النقب"]
    assert found.findtext("o:file_name", namespaces=NS) == ""  # the original's name is staff's

    media = urlsplit(found.findtext("o:media_url", namespaces=NS))
    assert media.path.endswith("/access") and media.path.startswith("/media/")
    played = client.get(media.path)
    played.get_data()
    played.close()  # the file it streamed
    assert played.status_code == 200 and played.mimetype.startswith("audio/")
    assert urlsplit(found.findtext("o:xmllocation", namespaces=NS)).path == (
        "/items/OH-0001/ohms.xml"
    )


def test_route_is_the_same_for_staff_as_for_anyone(app, client, auth, catalogue):
    anonymous = client.get("/items/OH-0001/ohms.xml").get_data()
    auth.login("archivist@example.org")
    assert client.get("/items/OH-0001/ohms.xml").get_data() == anonymous
    assert client.get("/items/OH-0003/ohms.xml").status_code == 404  # a draft, even for staff


def test_written_text_without_media(app, client, catalogue):
    body = client.get("/items/OH-0002/ohms.xml").get_data(as_text=True)
    assert parse_ohms(body) == POEM
    found = fields(body)
    assert found.findtext("o:media_url", namespaces=NS) == ""
    assert [f.text for f in found.findall("o:format", NS)] == ["text"]


@pytest.mark.parametrize(
    "url",
    [
        "/items/OH-0003/ohms.xml",  # a draft
        "/items/OH-9999/ohms.xml",  # nothing
        "/items/OH-0001/ohms.xml?part=2",  # one recording only
        "/items/OH-0001/ohms.xml?part=0",
        "/items/OH-0001/ohms.xml?part=x",
    ],
)
def test_what_an_anonymous_visitor_may_not_see_is_not_found(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 404
    assert b"SECRETDRAFT" not in response.get_data()


def test_cli_writes_the_public_records(app, runner, catalogue, tmp_path):
    folder = tmp_path / "ohms"
    result = runner.invoke(export, ["--ohms", str(folder)])
    assert result.exit_code == 0, result.output
    assert "2 item(s)" in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["OH-0001.ohms.xml", "OH-0002.ohms.xml"]
    with app.test_client() as client:
        served = client.get("/items/OH-0001/ohms.xml").get_data(as_text=True)
    assert (folder / "OH-0001.ohms.xml").read_text("utf-8") == served
    assert parse((folder / "OH-0002.ohms.xml").read_bytes(), filename="a.xml") == POEM


def test_cli_all_writes_everything_for_staff(app, runner, catalogue, tmp_path):
    folder = tmp_path / "all"
    result = runner.invoke(export, ["--ohms", str(folder), "--all"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["OH-0001.ohms.xml", "OH-0002.ohms.xml", "OH-0003.ohms.xml"]
    testimony = (folder / "OH-0001.ohms.xml").read_text("utf-8")
    assert parse_ohms(testimony) == [*ARABIC, WITHHELD]
    assert fields(testimony).findtext("o:file_name", namespaces=NS) == "testimony.wav"
    assert parse_ohms((folder / "OH-0003.ohms.xml").read_text("utf-8")) == ENGLISH


def test_cli_keeps_the_csv_export_and_refuses_nothing_to_do(app, runner, catalogue, tmp_path):
    csv_file = tmp_path / "export.csv"
    result = runner.invoke(export, [str(csv_file)])
    assert (
        result.exit_code == 0 and result.stdout == f"Exported 3 item(s) to {csv_file}.\n"
    )  # progress: stderr
    nothing = runner.invoke(export, [])
    assert nothing.exit_code != 0 and "--ohms DIR" in nothing.output
    stray = runner.invoke(export, [str(csv_file), "--all"])
    assert stray.exit_code != 0 and "add --ohms DIR" in stray.output


def test_an_item_with_two_recordings_has_a_record_each(app, client, catalogue, tmp_path):
    with app.app_context():
        item = db.session.query(Item).filter_by(identifier="OH-0001").one()
        second = ingest(local(make_tone(tmp_path / "part2.wav", seconds=2, freq=660)),
                        user=None, item=item)  # fmt: skip
        assert second.job.state == "done", second.job.error
        transcripts.attach(item, ENGLISH[:1], language="en", recording=second.recording,
                           user=None)  # fmt: skip
    first = client.get("/items/OH-0001/ohms.xml").get_data(as_text=True)
    response = client.get("/items/OH-0001/ohms.xml?part=2")
    assert response.status_code == 200
    assert 'filename="OH-0001-2.ohms.xml"' in response.headers["Content-Disposition"]
    assert parse_ohms(first) == ARABIC
    assert parse_ohms(response.get_data(as_text=True)) == ENGLISH[:1]
    assert fields(response.get_data(as_text=True)).get("id") == "OH-0001-2"
