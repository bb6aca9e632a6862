"""Read and write transcripts: WebVTT, SRT, plain text and OHMS XML.

Pure functions over text, no Flask and no database. A transcript is a list of segments, each
with a start and end in seconds (None when untimed), its text and an optional speaker.

Arabic text is kept exactly as given: harakat, tatweel, ZWNJ, bidi marks and inner whitespace
are never touched. Only the ends of a cue or paragraph are trimmed (ASCII whitespace, so a
no-break space or a bidi mark at an end stays), and line breaks inside it become "\\n".

Files may be UTF-8 (with or without a BOM) or UTF-16 with a BOM, with LF, CRLF or CR line
endings. A line holding only spaces or tabs counts as blank in every format. Every error is a
TranscriptFormatError whose message names the line ("line 7: ...") when there is one.

WebVTT (https://www.w3.org/TR/webvtt1/)
    "WEBVTT" alone or followed by a space or tab and text, then header lines up to a blank line.
    NOTE, STYLE and REGION blocks are skipped. A cue is an optional identifier line, a timing
    line ``[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt`` (settings after the end time are ignored) and its
    text. As in the spec, a timing line that follows a cue's text without a blank line starts
    the next cue. The first voice span ``<v Name>`` (or ``<v.class Name>``) gives the speaker;
    all other tags (<b>, <i>, <u>, <c.x>, <lang ar>, <ruby>, timestamps) are dropped, <br> is
    read as a line break, and <rt> ruby annotations are dropped with their text, since they
    annotate the base text rather than add to it. Character references (&amp; &lt; &gt; &lrm;
    &rlm; &nbsp; &#1548; ...) become the characters they name. A cue with a timing but no text
    is kept, with empty text. Refused, naming the line: a missing header, a malformed timing,
    a cue that ends before it starts, and text outside any cue (a browser would silently drop
    it; an archive should not).
SRT
    Numbered cues ``00:00:01,000 --> 00:00:04,000``; '.' is accepted for ',', hours may be
    left out, and a missing or odd number is tolerated when the timing line is valid. Cues
    that follow one another without a blank line are split. <i>, <b>, <u>, <s> and <font>
    tags and {\\an8}-style positioning codes are dropped; nothing else is interpreted (a
    leading "SPEAKER: " or "- " stays in the text).
Plain text
    One segment per paragraph (paragraphs are separated by blank lines). A paragraph may begin
    with a time ``[hh:mm:ss]`` (also ``[mm:ss]`` and ``[hh:mm:ss.ttt]``), which becomes its
    start; after such a time and on the same line, a label of up to four words followed by
    ": " names the speaker. That is what to_text writes, so a text export reads back with its
    times (to the second) and speakers. Untimed paragraphs never have a speaker, and prose
    with a colon after a time ("قال لي المحقق: اعترف") keeps it when it starts on the next line.
OHMS XML (Oral History Metadata Synchronizer, University of Kentucky)
    <ROOT><record>...</record></ROOT>, with or without the OHMS namespace; the first record is
    read. The words of a full transcript come before the index, because an index point's
    <partial_transcript> holds only the first words of its passage:
    1. <vtt_transcript> (OHMS 2025 and later) is read as WebVTT (its header may be missing; a
       cue ending before it starts, as OHMS writes the last one, is given no end);
    2. else <transcript> with a <sync> such as "1:|13(3)|19(14)" ("1:" minutes between marks,
       then mark k at line(word), 1-based, so line 13 is where minute 1 falls) is cut at the
       start of each marked line, each chunk starting at the earliest mark on its first line;
       marks that cannot be read are ignored;
    3. else <transcript> without a usable sync gives one untimed segment per paragraph;
    4. else each <index><point> gives a segment starting at its <time> (seconds) and ending
       at the next point's time: its <partial_transcript>, or else its <title> and
       <synopsis> joined by a newline. Keywords, subjects, GPS and links are not read.
    [[footnote]] markup and alternate-language fields are left as they are. A DOCTYPE or
    ENTITY declaration is refused outright (entities can hide or multiply content).
Writers
    to_webvtt writes timed segments only and refuses a transcript with no times at all; a
    missing end becomes the next cue's start, or five seconds later. Text is escaped (& < >)
    so "<script>" stays text, and a blank line inside a text is written as "<c></c>" so it
    does not end the cue. to_text writes one paragraph per segment; a blank line inside a
    segment's text will read back as two paragraphs.
"""

from __future__ import annotations

import codecs
import html
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

FORMATS = ("vtt", "srt", "txt", "ohms")
DEFAULT_CUE_SECONDS = 5.0
NO_TIMES = "This transcript has no times, so it cannot be WebVTT; export it as text."

_EXTENSIONS = {"vtt": "vtt", "srt": "srt", "txt": "txt", "xml": "ohms"}
_TRIM = " \t\n\r\f\v"
_VTT_EXAMPLE = "00:00:01.000 --> 00:00:04.000"
_SRT_EXAMPLE = "00:00:01,000 --> 00:00:04,000"

_VTT_TIME = r"(?:(\d+):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_VTT_TIMING = re.compile(rf"[ \t]*{_VTT_TIME}[ \t]*-->[ \t]*{_VTT_TIME}(?:[ \t].*)?")
_SRT_TIME = r"(?:(\d+):)?([0-5]?\d):([0-5]?\d)[,.](\d{1,3})"
_SRT_TIMING = re.compile(rf"[ \t]*{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}(?:[ \t].*)?")
_LOOKS_LIKE_TIME = re.compile(r"\d:\d\d")
_VTT_SKIPPED_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|\Z)")

_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_RUBY_TEXT = re.compile(r"<rt(?:[.\s][^>]*)?>.*?</rt>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_CHAR_REF = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_SRT_MARKUP = re.compile(r"</?(?:i|b|u|s|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.IGNORECASE)

_TEXT_TIME = re.compile(r"\[(?:(\d+):)?([0-5]?\d):([0-5]\d)(?:[.,](\d{1,3}))?\][ \t]*")
_SPEAKER_LABEL = re.compile(r"([^\s:]+(?:[ \t]+[^\s:]+){0,3}):(?:[ \t]+|(?=\n)|\Z)")

_DECLARATION = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SYNC_HEADER = re.compile(r"\s*(\d+)\s*:(.*)", re.DOTALL)
_SYNC_MARK = re.compile(r"\s*(\d+)(?:\(\d*\))?\s*")


@dataclass
class ParsedSegment:
    """One passage read from a transcript file; times in seconds, None when untimed."""

    start: float | None
    end: float | None
    text: str
    speaker: str = ""


class TranscriptFormatError(ValueError):
    """A malformed transcript; the message names the line: 'line 12: ...'."""

    line: int | None

    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


# Reading: choosing the format


def detect_format(filename: str | None, text: str) -> str:
    """The format of a transcript file, by its extension or else by its content."""
    return _format_by_extension(filename) or _format_by_content(text)


def _format_by_extension(filename: str | None) -> str | None:
    """The format a file name's extension names, if any."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return _EXTENSIONS.get(name.rsplit(".", 1)[-1].lower())


def _format_by_content(text: str) -> str:
    """The format a transcript's opening suggests; plain text when nothing else fits."""
    head = text.removeprefix("\ufeff")[:4096]
    if re.match(r"WEBVTT(?:[ \t\r\n]|\Z)", head):
        return "vtt"
    if head.lstrip().startswith("<") and re.search(r"<(?:\w+:)?(?:ROOT|record)\b", head):
        return "ohms"
    if re.match(r"\s*\d+[ \t]*(?:\r\n|\r|\n)[ \t]*(?:\d+:)?\d+:\d+[,.]\d+[ \t]*-->", head):
        return "srt"
    return "txt"


def parse(
    data: bytes | str, *, format: str | None = None, filename: str | None = None
) -> list[ParsedSegment]:
    """The segments of a transcript file, in the given format or the one detected."""
    text = _decode(bytes(data)) if not isinstance(data, str) else data
    chosen = (format or detect_format(filename, text)).lower()
    if chosen not in _PARSERS:
        raise TranscriptFormatError(
            f"unknown transcript format {chosen!r}; expected one of {', '.join(FORMATS)}"
        )
    return _PARSERS[chosen](text)


def _decode(data: bytes) -> str:
    """The text of a transcript file: UTF-8 (BOM or not) or UTF-16 with a BOM."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return _decode_as(data[2:], "utf-16-le", "UTF-16")
    if data.startswith(codecs.BOM_UTF16_BE):
        return _decode_as(data[2:], "utf-16-be", "UTF-16")
    return _decode_as(data.removeprefix(codecs.BOM_UTF8), "utf-8", "UTF-8")


def _decode_as(data: bytes, encoding: str, name: str) -> str:
    """Decode, naming the line of the first byte that is not valid in the encoding."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        before = data[: error.start].decode(encoding, errors="replace")
        line = _normalise(before).count("\n") + 1
        bad = data[error.start]
        message = f"the file is not valid {name} (byte 0x{bad:02x}); save it as UTF-8"
        raise TranscriptFormatError(message, line) from error


def _normalise(text: str) -> str:
    """Drop a byte-order mark and turn CRLF and CR line endings into LF."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _lines(text: str) -> list[str]:
    """The lines of a text, whatever its line endings."""
    return _normalise(text).split("\n")


def _is_blank(line: str) -> bool:
    """Whether a line separates blocks: empty or only spaces and tabs."""
    return not line.strip(_TRIM)


def _blocks(
    lines: list[str], first: int = 0, splits: Callable[[list[str], str], bool] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, lines) for each run of non-blank lines from index `first`."""
    block: list[str] = []
    number = 0
    for number_here, line in enumerate(lines[first:], start=first + 1):
        if block and (_is_blank(line) or (splits and splits(block, line))):
            yield number, block
            block = []
        if _is_blank(line):
            continue
        if not block:
            number = number_here
        block.append(line)
    if block:
        yield number, block


# Reading: cues shared by WebVTT and SRT


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str | None) -> float:
    """Seconds from the parts of a timestamp, exact to the millisecond."""
    whole = (int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)
    return (whole * 1000 + int((fraction or "").ljust(3, "0"))) / 1000


def _cue_times(
    match: re.Match, line: int, *, tolerate_bad_end: bool = False
) -> tuple[float, float | None]:
    """The start and end of a timing line, refusing a cue that ends before it starts."""
    start, end = _seconds(*match.group(1, 2, 3, 4)), _seconds(*match.group(5, 6, 7, 8))
    if end < start and not tolerate_bad_end:
        raise TranscriptFormatError("the cue ends before it starts", line)
    return start, (end if end >= start else None)


def _timing_index(block: list[str]) -> int | None:
    """Where a cue's timing line is: first, or second after an identifier."""
    return next((i for i, line in enumerate(block[:2]) if "-->" in line), None)


def _missing_timing(number: int, block: list[str], example: str) -> TranscriptFormatError:
    """The error for a block without a timing line, naming the line that should hold it."""
    for offset, line in enumerate(block[:2]):
        if _LOOKS_LIKE_TIME.search(line):
            return TranscriptFormatError(
                f"malformed cue timing; expected {example!r}", number + offset
            )
    if len(block) > 1 and block[0].strip().isdigit():
        return TranscriptFormatError(f"expected a cue timing such as {example!r}", number + 1)
    return TranscriptFormatError(
        f"text outside any cue; each cue starts with a timing such as {example!r}"
        " and a blank line ends it",
        number,
    )


def _unescape(text: str) -> str:
    """Decode character references such as &amp; and &rlm; (only those ending in ';')."""
    return _CHAR_REF.sub(lambda match: html.unescape(match.group()), text)


# Reading: WebVTT


def parse_webvtt(text: str) -> list[ParsedSegment]:
    """The segments of a WebVTT file; the first voice span of a cue gives its speaker."""
    lines = _lines(text)
    first = lines[0]
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise TranscriptFormatError("a WebVTT file must begin with the line 'WEBVTT'", 1)
    return _webvtt_cues(lines, _header_end(lines))


def _header_end(lines: list[str], top: int = 0) -> int:
    """The index of the first line after the WebVTT header that begins at index `top`."""
    index = top + 1
    while index < len(lines) and not _is_blank(lines[index]) and "-->" not in lines[index]:
        index += 1
    return index


def _webvtt_cues(
    lines: list[str], first: int, *, tolerate_bad_end: bool = False
) -> list[ParsedSegment]:
    """The segments of the WebVTT blocks from index `first` on."""
    segments = []
    for number, block in _blocks(lines, first, _starts_next_cue):
        segment = _webvtt_cue(number, block, tolerate_bad_end)
        if segment is not None:
            segments.append(segment)
    return segments


def _starts_next_cue(block: list[str], line: str) -> bool:
    """As the spec says: a timing line after a cue's identifier and timing begins a new cue."""
    return "-->" in line and (len(block) > 1 or "-->" in block[0])


def _webvtt_cue(number: int, block: list[str], tolerate_bad_end: bool) -> ParsedSegment | None:
    """The segment of one WebVTT block, or None for a NOTE, STYLE or REGION block."""
    at = _timing_index(block)
    if at is None:
        if _VTT_SKIPPED_BLOCK.match(block[0]):
            return None
        raise _missing_timing(number, block, _VTT_EXAMPLE)
    match = _VTT_TIMING.fullmatch(block[at])
    if not match:
        message = f"malformed cue timing; expected {_VTT_EXAMPLE!r}"
        raise TranscriptFormatError(message, number + at)
    start, end = _cue_times(match, number + at, tolerate_bad_end=tolerate_bad_end)
    speaker, text = _webvtt_cue_text("\n".join(block[at + 1 :]))
    return ParsedSegment(start, end, text, speaker)


def _webvtt_cue_text(raw: str) -> tuple[str, str]:
    """The speaker of the first voice span, and the cue text without markup."""
    voice = _VOICE.search(raw)
    speaker = _unescape(voice.group(1)).strip(_TRIM) if voice else ""
    text = _TAG.sub("", _RUBY_TEXT.sub("", _BREAK.sub("\n", raw)))
    return speaker, _unescape(text).strip(_TRIM)


# Reading: SRT


def parse_srt(text: str) -> list[ParsedSegment]:
    """The segments of a SubRip file; formatting tags dropped, the text otherwise as is."""
    segments = []
    for number, block in _blocks(_lines(text)):
        segments.extend(_srt_cue(n, cue) for n, cue in _split_srt_block(number, block))
    return segments


def _split_srt_block(number: int, block: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Split a block where cues follow one another without a blank line."""
    timings = [i for i, line in enumerate(block) if i > 1 and _SRT_TIMING.fullmatch(line)]
    starts = [i - 1 if block[i - 1].strip().isdigit() else i for i in timings]
    bounds = [0, *starts, len(block)]
    for begin, end in zip(bounds, bounds[1:], strict=False):
        yield number + begin, block[begin:end]


def _srt_cue(number: int, block: list[str]) -> ParsedSegment:
    """The segment of one SRT cue: number (or not), timing line, text."""
    at = _timing_index(block)
    if at is None:
        raise _missing_timing(number, block, _SRT_EXAMPLE)
    match = _SRT_TIMING.fullmatch(block[at])
    if not match:
        message = f"malformed subtitle timing; expected {_SRT_EXAMPLE!r}"
        raise TranscriptFormatError(message, number + at)
    start, end = _cue_times(match, number + at)
    text = _SRT_MARKUP.sub("", "\n".join(block[at + 1 :]))
    return ParsedSegment(start, end, text.strip(_TRIM))


# Reading: plain text


def parse_text(text: str) -> list[ParsedSegment]:
    """One segment per paragraph; a leading [hh:mm:ss] gives its start, then 'Name: ' its speaker."""
    return [_text_segment(paragraph) for paragraph in _paragraphs(_lines(text))]


def _paragraphs(lines: list[str]) -> Iterator[str]:
    """The paragraphs of a text, trimmed at their ends, inner line breaks kept."""
    for _, block in _blocks(lines):
        yield "\n".join(block).strip(_TRIM)


def _text_segment(paragraph: str) -> ParsedSegment:
    """A paragraph as a segment, reading the time and speaker to_text writes before it."""
    time = _TEXT_TIME.match(paragraph)
    if not time:
        return ParsedSegment(None, None, paragraph)
    rest = paragraph[time.end() :]
    label = _SPEAKER_LABEL.match(rest)
    speaker, rest = (label.group(1), rest[label.end() :]) if label else ("", rest)
    return ParsedSegment(_seconds(*time.groups()), None, rest.strip(_TRIM), speaker)


# Reading: OHMS XML


def parse_ohms(text: str) -> list[ParsedSegment]:
    """The segments of an OHMS export: its WebVTT or synced transcript, else its index."""
    record = _ohms_record(_parse_xml(_normalise(text)))
    vtt = _field(record, "vtt_transcript")
    if vtt.strip(_TRIM):
        return _ohms_webvtt(vtt)
    transcript = _field(record, "transcript")
    if transcript.strip(_TRIM):
        synced = _synced_chunks(transcript, _field(record, "sync"))
        return synced or [ParsedSegment(None, None, p) for p in _paragraphs(_lines(transcript))]
    return _index_segments(record)


def _parse_xml(text: str) -> ET.Element:
    """The root element, refusing declarations and naming the line of malformed XML."""
    declaration = _DECLARATION.search(text)
    if declaration:
        line = text.count("\n", 0, declaration.start()) + 1
        message = "DOCTYPE and ENTITY declarations are not accepted in OHMS XML"
        raise TranscriptFormatError(message, line)
    try:
        return ET.fromstring(text)
    except ET.ParseError as error:
        line, _column = error.position
        message = f"malformed XML ({expat.ErrorString(error.code)})"
        raise TranscriptFormatError(message, line) from error


def _local(tag: Any) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: ET.Element, name: str) -> ET.Element | None:
    """The first child element with this name, in any namespace."""
    return next((child for child in element if _local(child.tag) == name), None)


def _field(element: ET.Element, name: str) -> str:
    """All the text of a child element, or '' when there is none."""
    child = _child(element, name)
    return "".join(child.itertext()) if child is not None else ""


def _ohms_record(root: ET.Element) -> ET.Element:
    """The first <record> of an OHMS export."""
    record = root if _local(root.tag) == "record" else _child(root, "record")
    if record is None:
        raise TranscriptFormatError("this XML is not an OHMS export: it has no <record>")
    return record


def _ohms_webvtt(vtt: str) -> list[ParsedSegment]:
    """The segments of an OHMS <vtt_transcript>, whose WEBVTT header may be missing."""
    lines = _lines(vtt)
    top = next(index for index, line in enumerate(lines) if not _is_blank(line))
    first = _header_end(lines, top) if lines[top].startswith("WEBVTT") else top
    try:
        return _webvtt_cues(lines, first, tolerate_bad_end=True)
    except TranscriptFormatError as error:
        raise TranscriptFormatError(f"in <vtt_transcript>, {error}") from error


def _sync_marks(sync: str) -> dict[int, float]:
    """The earliest time (seconds) marked on each line (1-based) by an OHMS sync string."""
    header = _SYNC_HEADER.fullmatch(sync)
    minutes, entries = (int(header.group(1)) or 1, header.group(2)) if header else (1, sync)
    marks: dict[int, float] = {}
    for k, entry in enumerate(entries.split("|")):
        mark = _SYNC_MARK.fullmatch(entry)
        if mark:
            line = max(int(mark.group(1)), 1)
            marks[line] = min(marks.get(line, math.inf), k * minutes * 60.0)
    return marks


def _synced_chunks(transcript: str, sync: str) -> list[ParsedSegment]:
    """The transcript cut at the start of each line a sync mark falls on; [] without marks."""
    marks = _sync_marks(sync)
    if not marks:
        return []
    marks[1] = 0.0
    lines = _lines(transcript)
    starts = sorted(line for line in marks if line <= len(lines))
    chunks = []
    for begin, end in zip(starts, [*starts[1:], len(lines) + 1], strict=True):
        text = "\n".join(lines[begin - 1 : end - 1]).strip(_TRIM)
        if text:
            chunks.append(ParsedSegment(marks[begin], None, text))
    return _ending_at_next_start(chunks)


def _ending_at_next_start(segments: list[ParsedSegment]) -> list[ParsedSegment]:
    """Give each segment the next one's start as its end, when that comes after its own."""
    for segment, following in zip(segments, segments[1:], strict=False):
        if following.start > segment.start:
            segment.end = following.start
    return segments


def _index_segments(record: ET.Element) -> list[ParsedSegment]:
    """One segment per OHMS index point, in order of time."""
    index = _child(record, "index")
    if index is None:
        return []
    points = [el for el in index if _local(el.tag) == "point"]
    segments = [_index_point(number, point) for number, point in enumerate(points, start=1)]
    return _ending_at_next_start(sorted(segments, key=lambda segment: segment.start))


def _index_point(number: int, point: ET.Element) -> ParsedSegment:
    """An OHMS index point as a segment: its partial transcript, or its title and synopsis."""
    time = _field(point, "time").strip(_TRIM)
    try:
        start = float(time)
    except ValueError:
        message = f"index point {number} has no <time> in seconds (found {time!r})"
        raise TranscriptFormatError(message) from None
    if not math.isfinite(start) or start < 0:
        raise TranscriptFormatError(f"index point {number} has an impossible <time> {time!r}")
    partial = _field(point, "partial_transcript").strip(_TRIM)
    summary = (_field(point, name).strip(_TRIM) for name in ("title", "synopsis"))
    return ParsedSegment(start, None, partial or "\n".join(part for part in summary if part))


_PARSERS: dict[str, Callable[[str], list[ParsedSegment]]] = {
    "vtt": parse_webvtt,
    "srt": parse_srt,
    "txt": parse_text,
    "ohms": parse_ohms,
}


# Writing


def format_timestamp(seconds: float) -> str:
    """A WebVTT timestamp with hours always present: 65.25 -> '00:01:05.250'."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not a time within a recording: {seconds!r}")
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    whole, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}.{millis:03d}"


def to_webvtt(segments: Iterable[Any]) -> str:
    """A WebVTT file of the timed segments (anything with .start .end .text .speaker)."""
    segments = list(segments)
    timed = [segment for segment in segments if segment.start is not None]
    if segments and not timed:
        raise TranscriptFormatError(NO_TIMES)
    following = [*timed[1:], None]
    ends = [_cue_end(segment, after) for segment, after in zip(timed, following, strict=False)]
    cues = [_webvtt_cue_block(segment, end) for segment, end in zip(timed, ends, strict=True)]
    return "WEBVTT\n" + "".join(f"\n{cue}\n" for cue in cues)


def _cue_end(segment: Any, following: Any | None) -> float:
    """A cue's end: its own, else the next cue's start, else a few seconds after its start."""
    if segment.end is not None:
        return max(segment.end, segment.start)  # a cue ending before it starts is unreadable
    if following is not None and following.start > segment.start:
        return following.start
    return segment.start + DEFAULT_CUE_SECONDS


def _webvtt_cue_block(segment: Any, end: float) -> str:
    """One cue: timing line, then the text with its speaker as a voice span."""
    timing = f"{format_timestamp(segment.start)} --> {format_timestamp(end)}"
    speaker = _one_line(segment.speaker)
    voice = f"<v {_escape(speaker)}>" if speaker else ""
    text = _normalise(segment.text or "")
    lines = [_webvtt_line(line) for line in text.split("\n")] if text else []
    return f"{timing}\n{voice}" + "\n".join(lines)


def _webvtt_line(line: str) -> str:
    """A line of cue text, escaped; a blank one gets an empty span so it does not end the cue."""
    escaped = _escape(line)
    return escaped if not _is_blank(escaped) else f"<c></c>{escaped}"


def _escape(text: str) -> str:
    """Escape the three characters WebVTT cue text reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _one_line(speaker: str | None) -> str:
    """A speaker's name on one line, trimmed."""
    return " ".join(_lines(speaker or "")).strip(_TRIM)


def to_text(segments: Iterable[Any]) -> str:
    """Plain text, one paragraph per segment, with '[hh:mm:ss] Speaker: ' before timed ones."""
    paragraphs = [_text_paragraph(segment) for segment in segments]
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""


def _text_paragraph(segment: Any) -> str:
    """A segment as a paragraph of plain text, its time to the second."""
    time = f"[{_clock(segment.start)}] " if segment.start is not None else ""
    speaker = _one_line(segment.speaker)
    label = f"{speaker}: " if speaker else ""
    return (time + label + _normalise(segment.text or "")).strip(_TRIM)


def _clock(seconds: float) -> str:
    """A time to the whole second, rounded down: 65.9 -> '00:01:05'."""
    return format_timestamp(math.floor(seconds)).rsplit(".", 1)[0]
