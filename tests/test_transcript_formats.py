"""Reading and writing transcripts: WebVTT, SRT, plain text and OHMS XML, Arabic kept exact."""

from __future__ import annotations

import codecs
from pathlib import Path
from types import SimpleNamespace

import pytest

from archive.catalogue.transcript_formats import (
    FORMATS,
    ParsedSegment,
    TranscriptFormatError,
    detect_format,
    format_timestamp,
    parse,
    parse_ohms,
    parse_srt,
    parse_text,
    parse_webvtt,
    to_text,
    to_webvtt,
)

DATA = Path(__file__).parent / "data" / "transcripts"

ARREST = "اعتُقِلتُ في الخامسةِ فجراً"
NEGEV = "كنا في سجن النقب Ketziot عام ١٩٨٨"
STRIKE = "الإضرابُ عن الطعام استمرَّ أربعين يوماً"
STEADFAST = "صـــبرٌ & صمود\nالحريـــةُ قادمةٌ"

TESTIMONY = [
    ParsedSegment(1.0, 4.5, ARREST, "أبو علي"),
    ParsedSegment(5.0, 9.25, NEGEV),
    ParsedSegment(10.0, 14.0, STRIKE),
    ParsedSegment(15.0, 20.0, STEADFAST + "\u200f"),
    ParsedSegment(65.25, 70.0, "اعترف! لن أعترف.", "المحقق"),
    ParsedSegment(71.0, 75.0, "نُقلنا إلى سجن عسقلان ثم Ketziot"),
    ParsedSegment(3600.0, 3603.0, "«أنصار ٣»\u00a0هو سجن\u200cالنقب"),
]


def read(name: str) -> bytes:
    """The bytes of a fixture transcript."""
    return (DATA / name).read_bytes()


def error_of(name: str) -> TranscriptFormatError:
    """The error parsing a malformed fixture raises."""
    with pytest.raises(TranscriptFormatError) as caught:
        parse(read(name), filename=name)
    return caught.value


# WebVTT


def test_webvtt_fixture_keeps_arabic_exactly():
    assert parse(read("testimony.ar.vtt"), filename="testimony.ar.vtt") == TESTIMONY


def test_webvtt_voice_gives_speaker_and_markup_is_dropped():
    text = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<v.loud أبو علي><b>صبرٌ</b> <c.x>و</c><i>صمود</i></v>\n"
    )
    assert parse_webvtt(text) == [ParsedSegment(1.0, 2.0, "صبرٌ وصمود", "أبو علي")]


def test_webvtt_character_references_become_characters():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n&lt;script&gt; &amp; &lrm;a&rlm; b&nbsp;c &#1548;\n"
    assert parse_webvtt(text)[0].text == "<script> & \u200ea\u200f b\u00a0c ،"


def test_webvtt_keeps_line_breaks_and_inner_spaces():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n  سطرٌ   أول  \n\tسطرٌ ثانٍ  \n"
    assert parse_webvtt(text)[0].text == "سطرٌ   أول  \n\tسطرٌ ثانٍ"


def test_webvtt_cue_without_text_is_kept_empty():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n00:00:03.000 --> 00:00:04.000\nنص\n"
    assert parse_webvtt(text) == [ParsedSegment(1.0, 2.0, ""), ParsedSegment(3.0, 4.0, "نص")]


def test_webvtt_timing_after_text_starts_the_next_cue():
    text = "WEBVTT\n00:00:01.000 --> 00:00:02.000\nأول\n00:00:03.000 --> 00:00:04.000\nثانٍ"
    assert parse_webvtt(text) == [ParsedSegment(1.0, 2.0, "أول"), ParsedSegment(3.0, 4.0, "ثانٍ")]


def test_webvtt_without_header_names_line_1():
    error = error_of("no_header.vtt")
    assert error.line == 1
    assert str(error).startswith("line 1: ")


def test_webvtt_malformed_timing_names_its_line():
    error = error_of("bad_timing.vtt")
    assert error.line == 7
    assert "line 7: malformed cue timing" in str(error)


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("00:00:05.000 --> 00:00:04.000\nنص", 3, "ends before it starts"),
        ("00:00:01.000 --> 00:00:02.000\nأول\n\nنص تائه بعد سطر فارغ", 6, "outside any cue"),
        ("1\n00:00:01.000 --> 00:00:61.000\nنص", 4, "malformed cue timing"),
    ],
)
def test_webvtt_errors_name_the_line(body, line, words):
    with pytest.raises(TranscriptFormatError, match=f"^line {line}: .*{words}"):
        parse_webvtt("WEBVTT\n\n" + body)


# SRT


def test_srt_fixture_with_crlf_and_tags():
    assert b"\r\n" in read("testimony.ar.srt")
    assert parse(read("testimony.ar.srt"), filename="testimony.ar.srt") == [
        ParsedSegment(1.0, 4.5, ARREST),
        ParsedSegment(5.0, 9.25, NEGEV),
        ParsedSegment(10.0, 14.0, STRIKE),
        ParsedSegment(15.0, 20.0, STEADFAST),
        ParsedSegment(65.25, 70.0, "المحقق: اعترف!\n- لن أعترف."),
    ]


def test_srt_tolerates_dots_and_odd_or_missing_numbers():
    text = "00:00:01.5 --> 00:00:02.000\nأول\n\nسابع\n00:00:03,000 --> 00:00:04,250\nثانٍ\n"
    assert parse_srt(text) == [ParsedSegment(1.5, 2.0, "أول"), ParsedSegment(3.0, 4.25, "ثانٍ")]


def test_srt_cues_without_blank_lines_between_are_split():
    text = "1\n00:00:01,000 --> 00:00:02,000\nأول\n2\n00:00:03,000 --> 00:00:04,000\nثانٍ\n"
    assert parse_srt(text) == [ParsedSegment(1.0, 2.0, "أول"), ParsedSegment(3.0, 4.0, "ثانٍ")]


def test_srt_malformed_timing_names_its_line():
    assert error_of("bad.srt").line == 10


def test_srt_missing_timing_names_the_line_after_the_number():
    with pytest.raises(TranscriptFormatError, match="^line 6: "):
        parse_srt("1\r\n00:00:01,000 --> 00:00:02,000\r\nأول\r\n\r\n2\r\nنص بلا توقيت\r\n")


# Plain text


def test_poem_paragraphs_keep_harakat_and_tabs():
    assert parse(read("poem.ar.txt"), filename="poem.ar.txt") == [
        ParsedSegment(
            None,
            None,
            "أراك عصيَّ الدمع\nأبو فراس الحمداني، من رومياته التي كتبها أسيراً عند الروم",
        ),
        ParsedSegment(
            None,
            None,
            "أَراكَ عَصِيَّ الدَمعِ شيمَتُكَ الصَبرُ\tأَما لِلهَوى نَهيٌ عَلَيكَ وَلا أَمرُ\n"
            "بَلى أَنا مُشتاقٌ وَعِنديَ لَوعَةٌ\tوَلَكِنَّ مِثلي لا يُذاعُ لَهُ سِرُّ",
        ),
        ParsedSegment(
            None,
            None,
            "إِذا اللَيلُ أَضواني بَسَطتُ يَدَ الهَوى\tوَأَذلَلتُ دَمعاً مِن خَلائِقِهِ الكِبرُ\n"
            "تَكادُ تُضيءُ النارُ بَينَ جَوانِحي\tإِذا هِيَ أَذكَتها الصَبابَةُ وَالفِكرُ\n"
            "مُعَلِّلَتي بِالوَصلِ وَالمَوتُ دونَهُ\tإِذا مِتُّ ظَمآناً فَلا نَزَلَ القَطرُ",
        ),
        ParsedSegment(
            None,
            None,
            "سَيَذكُرُني قَومي إِذا جَدَّ جِدُّهُم\tوَفي اللَيلَةِ الظَلماءِ يُفتَقَدُ البَدرُ\n"
            "وَنَحنُ أُناسٌ لا تَوَسُّطَ عِندَنا\tلَنا الصَدرُ دونَ العالَمينَ أَوِ القَبرُ",
        ),
    ]


def test_text_reads_times_and_speakers_after_them():
    text = "[00:01:05] أبو علي: لن أعترف.\n\n[02:03.5]\nقال لي المحقق: اعترف\n\nالمحاور: سؤال"
    assert parse_text(text) == [
        ParsedSegment(65.0, None, "لن أعترف.", "أبو علي"),
        ParsedSegment(123.5, None, "قال لي المحقق: اعترف"),
        ParsedSegment(None, None, "المحاور: سؤال"),
    ]


@pytest.mark.parametrize("text", ["", "\n\n", " \t\n"])
def test_empty_text_has_no_segments(text):
    assert parse_text(text) == []
    assert parse(text.encode(), filename="empty.txt") == []


# OHMS XML


def test_ohms_index_points_become_segments():
    assert parse(read("testimony.ohms.xml"), filename="testimony.ohms.xml") == [
        ParsedSegment(0.0, 312.0, "اعتُقِلتُ في الخامسةِ فجراً، وكان الجنودُ قد طوّقوا البيت"),
        ParsedSegment(312.0, 1475.5, "كنا في سجن النقب Ketziot عام ١٩٨٨ & الخيامُ في الصحراء"),
        ParsedSegment(
            1475.5, None, "الإضراب عن الطعام\nالإضراب المفتوح عن الطعام & صمود الأسرى أربعين يوماً."
        ),
    ]


def ohms(record: str) -> str:
    """An OHMS export, in the OHMS namespace, around the inside of one record."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ROOT xmlns="https://www.weareavp.com/nunncenter/ohms">'
        f"<record id='1'>{record}</record></ROOT>"
    )


def test_ohms_synced_transcript_is_cut_at_minute_marks():
    transcript = "سطر ١\nسطر ٢\n\nسطر ٤\nسطر ٥\nسطر ٦"
    segments = parse_ohms(
        ohms(f"<sync>1:|4(2)|4(5)||6(1)</sync><transcript>{transcript}</transcript><index/>")
    )
    assert segments == [
        ParsedSegment(0.0, 60.0, "سطر ١\nسطر ٢"),
        ParsedSegment(60.0, 240.0, "سطر ٤\nسطر ٥"),
        ParsedSegment(240.0, None, "سطر ٦"),
    ]


def test_ohms_transcript_wins_over_index_and_without_sync_is_untimed():
    record = "<transcript>فقرة أولى\n\nفقرة ثانية</transcript><index><point><time>5</time></point></index>"
    assert parse_ohms(ohms(record)) == [
        ParsedSegment(None, None, "فقرة أولى"),
        ParsedSegment(None, None, "فقرة ثانية"),
    ]


def test_ohms_vtt_transcript_is_read_as_webvtt():
    vtt = (
        "\nNOTE\nTRANSCRIPTION BEGIN\n\n"
        "00:00:03.000 --> 00:00:18.000\n<v أبو علي>  أولى<br><br>ثانية\n\n"
        "00:00:18.000 --> 00:00:00.000\n<v ريم>سؤال"
    )
    assert parse_ohms(ohms(f"<vtt_transcript><![CDATA[{vtt}]]></vtt_transcript>")) == [
        ParsedSegment(3.0, 18.0, "أولى\n\nثانية", "أبو علي"),
        ParsedSegment(18.0, None, "سؤال", "ريم"),
    ]


def test_ohms_malformed_xml_names_the_line():
    error = error_of("bad.xml")
    assert error.line == 7
    assert "mismatched tag" in str(error)


def test_ohms_refuses_entity_declarations():
    error = error_of("doctype.xml")
    assert error.line == 2
    assert "DOCTYPE" in str(error)


@pytest.mark.parametrize(
    ("xml", "words"),
    [
        ("<ROOT><other/></ROOT>", "no <record>"),
        (ohms("<vtt_transcript>00:00:01.000 -> 00:00:02.000\nنص</vtt_transcript>"), "line 1: mal"),
        (ohms("<index><point><time>soon</time></point></index>"), "index point 1"),
    ],
)
def test_ohms_errors(xml, words):
    with pytest.raises(TranscriptFormatError, match=words):
        parse_ohms(xml)


# Bytes, encodings and line endings


def test_bytes_with_bom_crlf_and_cr_endings():
    vtt = read("testimony.ar.vtt")
    assert parse(codecs.BOM_UTF8 + vtt.replace(b"\n", b"\r\n")) == TESTIMONY
    assert parse(vtt.replace(b"\n", b"\r"), format="vtt") == TESTIMONY


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_bom(encoding):
    text = read("testimony.ar.srt").decode("utf-8")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    assert parse(data, filename="testimony.srt") == parse_srt(text)


def test_invalid_utf8_names_the_line():
    error = error_of("invalid_utf8.txt")
    assert error.line == 3
    assert "UTF-8" in str(error)


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        ("Testimony.VTT", "", "vtt"),
        ("C:\\transcripts\\a.srt", "", "srt"),
        ("poem.ar.txt", "WEBVTT", "txt"),
        ("export.xml", "", "ohms"),
        (None, "\ufeffWEBVTT - شهادة\n\n", "vtt"),
        ("upload.bin", "WEBVTT", "vtt"),
        (None, "WEBVTTX", "txt"),
        (None, "1\r\n00:00:01,000 --> 00:00:02,000\r\nنص", "srt"),
        (None, '<?xml version="1.0"?>\n<ROOT xmlns="x"><record/></ROOT>', "ohms"),
        (None, "<record><index/></record>", "ohms"),
        (None, "أراك عصيَّ الدمع", "txt"),
        ("notes", "", "txt"),
    ],
)
def test_detect_format(filename, text, expected):
    assert detect_format(filename, text) == expected
    assert expected in FORMATS


def test_explicit_format_wins_and_unknown_format_is_refused():
    assert parse("[00:00:01] نص", format="TXT", filename="a.vtt") == [
        ParsedSegment(1.0, None, "نص")
    ]
    with pytest.raises(TranscriptFormatError, match="unknown transcript format"):
        parse("نص", format="docx")


# Writing


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "00:00:00.000"),
        (65.25, "00:01:05.250"),
        (3.0005, "00:00:03.000"),
        (3600 * 125 + 0.9999, "125:00:01.000"),
    ],
)
def test_format_timestamp(seconds, expected):
    assert format_timestamp(seconds) == expected


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_format_timestamp_refuses_impossible_times(seconds):
    with pytest.raises(ValueError):
        format_timestamp(seconds)


def test_to_webvtt_writes_voices_escapes_text_and_fills_missing_ends():
    rows = [
        SimpleNamespace(
            start=1.0, end=None, text="<script>alert(1)</script> & نص", speaker="أبو علي"
        ),
        SimpleNamespace(start=None, end=None, text="بلا وقت", speaker=""),
        SimpleNamespace(start=2.5, end=None, text="أول\n\nثالث", speaker="<b>"),
    ]
    assert to_webvtt(rows) == (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:02.500\n"
        "<v أبو علي>&lt;script&gt;alert(1)&lt;/script&gt; &amp; نص\n\n"
        "00:00:02.500 --> 00:00:07.500\n"
        "<v &lt;b&gt;>أول\n<c></c>\nثالث\n"
    )


def test_webvtt_round_trip_keeps_times_speakers_and_reserved_characters():
    segments = [
        *TESTIMONY,
        ParsedSegment(80.001, 81.999, "a < b && c > d --> e\n\n\tسطر بعد فراغ", "A & B"),
        ParsedSegment(90.0, 90.0, ""),
    ]
    assert parse_webvtt(to_webvtt(segments)) == segments


def test_untimed_transcript_cannot_be_webvtt():
    with pytest.raises(TranscriptFormatError, match="no times"):
        to_webvtt(parse(read("poem.ar.txt")))
    assert to_webvtt([]) == "WEBVTT\n"


def test_to_text_writes_times_and_speakers():
    segments = [
        ParsedSegment(65.9, 70.0, "لن أعترف.", "أبو علي"),
        ParsedSegment(None, None, "<script>نص</script>"),
        ParsedSegment(3600.0, None, "نص"),
    ]
    assert to_text(segments) == (
        "[00:01:05] أبو علي: لن أعترف.\n\n<script>نص</script>\n\n[01:00:00] نص\n"
    )
    assert to_text([]) == ""


def test_text_round_trip_keeps_times_to_the_second():
    exported = parse_text(to_text(TESTIMONY))
    assert exported == [
        ParsedSegment(float(int(s.start)), None, s.text, s.speaker) for s in TESTIMONY
    ]
    poem = parse(read("poem.ar.txt"))
    assert parse_text(to_text(poem)) == poem


# What the specs and real files hold (see also tests/test_conformance.py)


def vtt_cue(text: str) -> ParsedSegment:
    """The one segment of a WebVTT file holding one cue with this text."""
    [segment] = parse_webvtt(f"WEBVTT\n\n00:01.000 --> 00:02.000\n{text}")
    return segment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<ruby>نص<rt>تشكيل</rt></ruby> بعد", "نص بعد"),
        ("<ruby>نص<rt>تشكيل</ruby>بعد", "نصبعد"),  # </ruby> closes an open <rt> too
        ("<ruby>a<rt><b>b</rt></ruby>c", "a"),  # </rt> cannot close <b>: c is ruby text
        ("&amp &not &lt;b&gt; &notit; &#1548;&#x61f;", "& ¬ <b> ¬it; ،؟"),
        ("AT&T &xyz; &", "AT&T &xyz; &"),
        ("a<00:00:01.500>b<1>c<", "abc"),
        ("<span>a</span><br>b", "ab"),  # unknown tags are ignored, as a browser does
    ],
)
def test_webvtt_cue_text_follows_the_spec_tokenizer(text, expected):
    assert vtt_cue(text).text == expected


def test_webvtt_voice_annotation_is_decoded_and_collapsed():
    segment = vtt_cue("<v.loud  أبو\t&amp; علي >نص</v><v ريم>ثانٍ")
    assert (segment.speaker, segment.text) == ("أبو & علي", "نصثانٍ")


def test_webvtt_a_line_of_spaces_is_cue_text_not_a_blank_line():
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\nأول\n   \nثانٍ\n\n00:03.000 --> 00:04.000\nثالث"
    assert parse_webvtt(text) == [
        ParsedSegment(1.0, 2.0, "أول\n   \nثانٍ"),
        ParsedSegment(3.0, 4.0, "ثالث"),
    ]


def test_webvtt_nul_becomes_replacement_character():
    data = b"WEBVTT\n\x00\n\n00:01.000 --> 00:02.000 align:end\x00\n\xd9\x86\x00\xd8\xb5\n"
    assert parse(data, filename="nul.vtt") == [ParsedSegment(1.0, 2.0, "ن\ufffdص")]


def test_webvtt_form_feeds_around_timings_are_whitespace():
    text = "WEBVTT\n\n\f00:01.000\f-->\f00:02.000\f\nنص\n"
    assert parse_webvtt(text) == [ParsedSegment(1.0, 2.0, "نص")]


def test_webvtt_settings_need_no_space_after_the_end_time():
    assert parse_webvtt("WEBVTT\n\n00:01.000 --> 00:02.000\ufffdalign:end\nنص")[0].end == 2.0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"WEBVTT\x0c\n", "not a form feed \\(U\\+000C\\)"),
        ("WEBVTT\u00a0شهادة\n".encode(), "not a no-break space"),
        (codecs.BOM_UTF8 * 2 + b"WEBVTT\n", "second byte-order mark"),
        (b"", "empty"),
        (b"webvtt\n", "must begin with the line 'WEBVTT'"),
    ],
)
def test_webvtt_signature_refusals_say_what_is_wrong(data, words):
    with pytest.raises(TranscriptFormatError, match=f"^line 1: .*{words}"):
        parse(data, filename="a.vtt")


def test_one_byte_order_mark_is_dropped_and_only_one():
    assert parse(codecs.BOM_UTF8 + b"WEBVTT\n\n00:01.000 --> 00:02.000\nx\n", format="vtt")
    assert parse("\ufeffWEBVTT\n", format="vtt") == []
    with pytest.raises(TranscriptFormatError, match="second byte-order mark"):
        parse("\ufeff\ufeffWEBVTT\n", format="vtt")


@pytest.mark.parametrize(
    ("timing", "words"),
    [
        ("00:00:01.000 --> 00:00:60.000", "seconds of the end time are past 59 \\(60\\)"),
        ("00:60:01.000 --> 01:00:02.000", "minutes of the start time are past 59"),
        ("00:00:01,000 --> 00:00:02,000", "a comma \\(WebVTT writes a full stop\\)"),
        ("00:00:01.000 -> 00:00:02.000", "no arrow '-->'"),
        ("00:01.000 --> 00:02.00", "exactly three digits of milliseconds, not 00"),
        ("00:01.000 -->", "the end time is missing: the line has the end of the line there"),
        ("00:01.000\v--> 00:02.000", "followed by a vertical tab \\(U\\+000B\\), not the arrow"),
    ],
)
def test_webvtt_timing_errors_say_what_is_wrong(timing, words):
    with pytest.raises(TranscriptFormatError, match=f"^line 3: malformed cue timing; .*{words}"):
        parse_webvtt(f"WEBVTT\n\n{timing}\nنص\n")


def test_webvtt_hours_may_be_long_or_short():
    text = "WEBVTT\n\n0:00:01.000 --> 100:00:00.000\nأ\n\n60:00:00.000 --> 60:00:01.000\nب"
    assert [(s.start, s.end) for s in parse_webvtt(text)] == [(1.0, 360000.0), (216000.0, 216001.0)]


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-be", "utf-32-le", "utf-16-le"])
def test_utf32_and_unmarked_utf16_are_recognised(encoding):
    text = read("testimony.ar.vtt").decode("utf-8")
    data = text.encode(encoding)  # "utf-32" writes a byte-order mark, the others do not
    if encoding == "utf-32-be":
        data = codecs.BOM_UTF32_BE + data
    assert parse(data, filename="testimony.vtt") == TESTIMONY


def test_broken_utf32_is_refused_naming_the_encoding():
    data = codecs.BOM_UTF32_LE + "WEBVTT\n".encode("utf-32-le")[:-1]
    with pytest.raises(TranscriptFormatError, match="not valid UTF-32"):
        parse(data, filename="a.vtt")


def test_srt_accepts_what_players_accept():
    text = (
        "\ufeff00:01:39 --> 00:01:41,04\r\n(صوت)\r\n\r\n"  # no number, no milliseconds
        "7\r\n\r\n00:02:04.08 --> 00:02:07,12 X1:40 X2:600\r\nالمحقق:\r\nاعترف!\r\n\r\n\r\n"
        "- لن أعترف.\r\n\r\n"  # a stray blank line inside the text
        "8\r\n00:02:12,5 --> 00:02:15\r\n&lt;صمود&gt; &amp; <i>حرية</i>&nbsp;\r\n"
    )
    assert parse(text.encode(), filename="a.srt") == [
        ParsedSegment(99.0, 101.04, "(صوت)"),
        ParsedSegment(124.08, 127.12, "المحقق:\nاعترف!\n\n- لن أعترف."),
        ParsedSegment(132.5, 135.0, "<صمود> & حرية\u00a0"),
    ]


def test_srt_form_feeds_around_timings_are_whitespace():
    assert parse_srt("1\n\f00:00:01,000\f-->\f00:00:02,000\f\nنص")[0].end == 2.0


def test_srt_nul_becomes_replacement_character():
    assert parse_srt("1\n00:00:01,000 --> 00:00:02,000\nأ\x00ب\n")[0].text == "أ\ufffdب"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("1\n00:00:01,000 --> 00:00:61,000\nنص", 2, "seconds of the end time are past 59"),
        ("1\n00:00:01,000 - 00:00:02,000\nنص", 2, "no arrow '-->'"),
        ("00:00:01,000 00:00:02,000\nنص", 1, "no arrow '-->'"),
        ("1\n00:00:01,000 -->\nنص", 2, "the end time is missing"),
        ("1\n00:00\f:01,000 --> 00:00:02,000\nنص", 2, "by a form feed \\(U\\+000C\\)"),
        ("مقدمة\n\n1\n00:00:01,000 --> 00:00:02,000\nنص", 1, "text before the first subtitle"),
        ("1\n00:00:03,000 --> 00:00:02,000\nنص", 2, "ends before it starts"),
    ],
)
def test_srt_refuses_only_what_cannot_be_read_saying_why(text, line, words):
    with pytest.raises(TranscriptFormatError, match=f"^line {line}: .*{words}"):
        parse_srt(text)


def test_ohms_no_transcript_placeholder_is_no_transcript():
    index = "<index><point><time>3</time><title>البداية</title></point></index>"
    assert parse_ohms(ohms(f"<transcript>No transcript.</transcript>{index}")) == [
        ParsedSegment(3.0, None, "البداية")
    ]
    assert parse_ohms(ohms("<transcript>\nNo transcript.\n</transcript><index/>")) == []


def test_ohms_sync_mark_on_line_1_keeps_its_time():
    record = "<sync>1:|1(1)|3(2)</sync><transcript>سطر ١\nسطر ٢\nسطر ٣</transcript>"
    assert parse_ohms(ohms(record)) == [
        ParsedSegment(60.0, 120.0, "سطر ١\nسطر ٢"),
        ParsedSegment(120.0, None, "سطر ٣"),
    ]


def test_ohms_nul_does_not_break_the_xml():
    data = ohms("<transcript>نص\x00آخر</transcript>").encode()
    assert parse(data, filename="a.xml") == [ParsedSegment(None, None, "نص\ufffdآخر")]
