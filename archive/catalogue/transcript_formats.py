"""Read and write transcripts: WebVTT, SRT, plain text and OHMS XML.

Pure functions over text, no Flask and no database. A transcript is a list of segments, each
with a start and end in seconds (None when untimed), its text and an optional speaker.

Arabic text is kept exactly as given: harakat, tatweel, ZWNJ, bidi marks and inner whitespace
are never touched. Only the ends of a cue or paragraph are trimmed (ASCII whitespace, so a
no-break space or a bidi mark at an end stays), and line breaks inside it become "\\n".

Bytes are read as UTF-8, or as UTF-16 or UTF-32 when a byte-order mark says so (or, without
one, when the first four bytes show an ASCII character spread over two or four bytes, as in
the XML specification's appendix F). Exactly one byte-order mark is dropped: a second one is
text, so a WebVTT file with two is refused, as the spec's signature check demands. NUL
characters become U+FFFD and CR LF or lone CR line endings become LF, in every format. Every
error is a TranscriptFormatError whose message names the line ("line 7: ...") when there is
one and says what is wrong in it.

WebVTT (https://www.w3.org/TR/webvtt1/, "WebVTT file parsing" and "cue text parsing rules")
    Read by the spec's algorithm: the signature ("WEBVTT" alone or followed by a space or tab),
    the header up to the first empty line or timing line, then blocks separated by empty lines
    (a line holding only spaces is not empty there: it belongs to the cue text). A block with a
    "-->" on its first line (or its second, after an identifier) is a cue; a later line with
    "-->" ends the cue and starts the next block. Timings follow "collect a WebVTT timestamp":
    [hh:]mm:ss.ttt, hours of any length, minutes and seconds of two digits up to 59, exactly
    three digits of milliseconds; spaces, tabs and form feeds around them are whitespace;
    whatever follows the end time (cue settings) is ignored. Cue text is read by the spec's
    tokenizer and tree builder: the text is what the spec's "chapter title" rule extracts
    (every text node, <rt> ruby annotations and their contents left out), character references
    such as &amp; &lrm; &not become characters, tags the spec does not know (<br>, <span>)
    are ignored as a browser ignores them, and the first voice span's annotation (<v Name>,
    <v.class Name>) is the speaker.
    Stricter than a browser, where the spec silently drops content an archive should not lose:
    a block that is not a cue, NOTE, STYLE or REGION ("text outside any cue"), a timing the
    spec cannot read (the message says why: seconds past 59, a comma for the full stop, a
    missing arrow...) and a cue that ends before it starts are refused, naming the line.
SRT (SubRip; no formal spec: what players accept)
    Cues ``00:00:01,000 --> 00:00:04,000``; '.' is accepted for ',', the hours and the
    milliseconds may be left out (the fraction is decimal: ",5" is half a second), and the
    sequence number may be missing or odd (the line directly above a timing is its number).
    Cues that follow one another without a blank line are split; a blank line inside a cue's
    text is kept when what follows is not a new cue. Spaces, tabs and form feeds around the
    arrow are whitespace; text after the end time (coordinates) is ignored. <i>, <b>, <u>, <s>
    and <font> tags and {\\an8}-style codes are dropped and character references such as
    &amp; and &nbsp; become characters; nothing else is interpreted (a leading "SPEAKER: " or
    "- " stays in the text). Refused, naming the line: text before the first cue, a number
    followed by something that is not a timing, a timing that cannot be read (seconds past 59,
    a missing arrow, a form feed inside a time...) and a cue that ends before it starts.
Plain text
    One segment per paragraph (paragraphs are separated by lines that are empty or hold only
    spaces or tabs). A paragraph may begin with a time ``[hh:mm:ss]`` (also ``[mm:ss]`` and
    ``[hh:mm:ss.ttt]``), which becomes its start; after such a time and on the same line, a
    label of up to four words followed by ": " names the speaker. That is what to_text writes,
    so a text export reads back with its times (to the second) and speakers. Untimed paragraphs
    never have a speaker, and prose with a colon after a time ("قال لي المحقق: اعترف") keeps it
    when it starts on the next line.
OHMS XML (Oral History Metadata Synchronizer, University of Kentucky)
    <ROOT><record>...</record></ROOT>, with or without the OHMS namespace; the first record is
    read. The words of a full transcript come before the index, because an index point's
    <partial_transcript> holds only the first words of its passage:
    1. <vtt_transcript> (OHMS 2025 and later) is read as WebVTT (its header may be missing; a
       cue ending before it starts, as OHMS writes the last one, is given no end; <br> is a
       line break, as OHMS writes paragraphs);
    2. else <transcript> with a <sync> such as "1:|13(3)|19(14)" ("1:" minutes between marks,
       then mark k at line(word), 1-based, so line 13 is where minute 1 falls) is cut at the
       start of each marked line, each chunk starting at the earliest mark on its first line
       (line 1 too: text before any mark starts at 0); marks that cannot be read are ignored;
    3. else <transcript> without a usable sync gives one untimed segment per paragraph;
    4. else each <index><point> gives a segment starting at its <time> (seconds) and ending
       at the next point's time: its <partial_transcript>, or else its <title> and
       <synopsis> joined by a newline. Keywords, subjects, GPS and links are not read.
    The placeholder OHMS writes for a record without one, "No transcript.", is no transcript.
    With ``alternate=True`` the same steps read the translation OHMS keeps beside the
    transcript (<vtt_transcript_alt>, <transcript_alt> with <sync_alt>, the points' "_alt"
    fields). [[footnote]] markup and speaker labels in a <transcript> ("BROCK: ...") are left
    as they are. A DOCTYPE or ENTITY declaration is refused outright (entities
    can hide or multiply content).
Writers
    to_webvtt writes timed segments only and refuses a transcript with no times at all; a
    missing end becomes the next cue's start, or five seconds later. Text is escaped (& < >)
    so "<script>" stays text, and a blank line inside a text is written as "<c></c>" so it
    does not end the cue. to_text writes one paragraph per segment; a blank line inside a
    segment's text will read back as two paragraphs. Verses of poems keep their tab between
    the two halves everywhere; the last verse of a stanza (its text ends with a line break)
    is a cue ending with an empty line in WebVTT, read back as that line break, and with
    ``to_text(..., verses=True)`` an untimed poem is written one verse a line, a blank line
    between stanzas, as archive.catalogue.verses reads a poem. An OHMS record is written by
    archive.exchange.ohms, which reads back through parse_ohms.
"""

from __future__ import annotations

import codecs
import html
import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

FORMATS = ("vtt", "srt", "txt", "ohms")
DEFAULT_CUE_SECONDS = 5.0
NO_TIMES = "This transcript has no times, so it cannot be WebVTT; export it as text."

_EXTENSIONS = {"vtt": "vtt", "srt": "srt", "txt": "txt", "xml": "ohms"}
_TRIM = " \t\n\r\f\v"
_DIGITS = "0123456789"
_VTT_SPACE = " \t\f"  # ASCII whitespace left on a line once line endings are LF
_VTT_EXAMPLE = "00:00:01.000 --> 00:00:04.000"
_SRT_EXAMPLE = "00:00:01,000 --> 00:00:04,000"

_LOOKS_LIKE_TIMING = re.compile(r"[ \t\f]*\d+:\d+[:,.]?\d*.*\d:\d")
_VTT_NOTE = re.compile(r"NOTE(?:[ \t]|\Z)")
_VTT_SKIPPED = re.compile(r"(?:STYLE|REGION)[ \t\f]*\Z")
_START_TAG = re.compile(r"([^\t\n\f .]*)((?:\.[^\t\n\f .]*)*)(?:[\t\n\f ](.*))?", re.DOTALL)
_ASCII_SPACES = re.compile(r"[\t\n\f\r ]+")
_CHAR_REF = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")

_SRT_TIME = re.compile(r"(\d+):(\d+)(?::(\d+))?(?:[,.](\d+))?")
_SRT_MARKUP = re.compile(r"</?(?:i|b|u|s|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.IGNORECASE)
_NUMBER = re.compile(r"[ \t]*\d+[ \t]*")
_CHARACTER_NAMES = {"\t": "a tab", "\f": "a form feed", "\v": "a vertical tab"}

_TEXT_TIME = re.compile(r"\[(?:(\d+):)?([0-5]?\d):([0-5]\d)(?:[.,](\d{1,3}))?\][ \t]*")
_SPEAKER_LABEL = re.compile(r"([^\s:]+(?:[ \t]+[^\s:]+){0,3}):(?:[ \t]+|(?=\n)|\Z)")

_DECLARATION = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SYNC_HEADER = re.compile(r"\s*(\d+)\s*:(.*)", re.DOTALL)
_SYNC_MARK = re.compile(r"\s*(\d+)(?:\(\d*\))?\s*")
_NO_TRANSCRIPT = re.compile(r"no transcript\.?", re.IGNORECASE)

# Byte-order marks, longest first (a UTF-32 LE mark begins like a UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
# Without a mark: an ASCII character's bytes, with 1 for non-zero and 0 for zero (XML appendix F).
_UNMARKED = {
    "0001": ("utf-32-be", "UTF-32"),
    "1000": ("utf-32-le", "UTF-32"),
    "0101": ("utf-16-be", "UTF-16"),
    "1010": ("utf-16-le", "UTF-16"),
}


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


# Reading: choosing the format and decoding


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
    if re.match(r"\s*\d+[ \t]*(?:\r\n|\r|\n)[ \t]*(?:\d+:)?\d+:\d+(?:[,.]\d+)?[ \t]*-->", head):
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
    """The text of a transcript file, its byte-order mark (if any) kept as U+FEFF."""
    for bom, encoding, name in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, encoding, name)
    pattern = "".join("1" if byte else "0" for byte in data[:4])
    encoding, name = _UNMARKED.get(pattern, ("utf-8", "UTF-8"))
    return _decode_as(data, encoding, name)


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
    """Drop one byte-order mark, turn NUL into U+FFFD and CRLF and CR line endings into LF."""
    text = text.removeprefix("\ufeff").replace("\0", "\ufffd")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _lines(text: str) -> list[str]:
    """The lines of a text, whatever its line endings."""
    return _normalise(text).split("\n")


def _is_blank(line: str) -> bool:
    """Whether a line separates SRT cues or paragraphs: empty or only spaces and tabs."""
    return not line.strip(_TRIM)


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, lines) for each run of non-blank lines."""
    block: list[str] = []
    number = 0
    for number_here, line in enumerate(lines, start=1):
        if _is_blank(line):
            if block:
                yield number, block
            block = []
            continue
        if not block:
            number = number_here
        block.append(line)
    if block:
        yield number, block


def _describe(char: str) -> str:
    """A character named so that an archivist can find it: "a form feed (U+000C)"."""
    if char in _CHARACTER_NAMES:
        name = _CHARACTER_NAMES[char]
    elif char.isprintable():
        name = repr(char)
    else:
        name = "a " + unicodedata.name(char, "control character").lower()
    return f"{name} (U+{ord(char):04X})"


def _found(line: str, at: int) -> str:
    """What stands at a position of a line, for an error message."""
    return "the end of the line" if at >= len(line) else _describe(line[at])


# Reading: WebVTT


def parse_webvtt(text: str) -> list[ParsedSegment]:
    """The segments of a WebVTT file; the first voice span of a cue gives its speaker."""
    text = _normalise(text)
    _check_signature(text)
    lines = text.split("\n")
    return _webvtt_cues(lines, _header_end(lines))


def _check_signature(text: str) -> None:
    """Refuse a file that does not begin with the WebVTT signature, saying what is wrong."""
    if text.startswith("WEBVTT"):
        if len(text) > 6 and text[6] not in " \t\n":
            raise TranscriptFormatError(
                "'WEBVTT' must be followed by a space, a tab or the end of the line, "
                f"not {_describe(text[6])}",
                1,
            )
        return
    if not text:
        raise TranscriptFormatError("the file is empty; a WebVTT file begins with 'WEBVTT'", 1)
    if text.startswith("\ufeff"):
        raise TranscriptFormatError(
            "a second byte-order mark (U+FEFF) stands before 'WEBVTT'; "
            "a WebVTT file begins with one at most",
            1,
        )
    raise TranscriptFormatError("a WebVTT file must begin with the line 'WEBVTT'", 1)


def _header_end(lines: list[str], top: int = 0) -> int:
    """The index of the first line after the header that begins at index ``top``: the header
    ends at an empty line, or just before a line holding a cue's arrow."""
    index = top + 1
    while index < len(lines) and lines[index] and "-->" not in lines[index]:
        index += 1
    return index


@dataclass
class _Block:
    """The lines of one WebVTT block, as the spec's "collect a WebVTT block" gathers them."""

    number: int  # line number (1-based) of its first line
    lines: list[str] = field(default_factory=list)
    timing: int | None = None  # index in ``lines`` of the cue's timing line


def _webvtt_blocks(lines: list[str], first: int) -> Iterator[_Block]:
    """The blocks from index ``first`` on: empty lines end a block, and a line with an arrow
    ends it too unless it is the block's first line, or its second after an identifier."""
    index = first
    while index < len(lines):
        if not lines[index]:
            index += 1
            continue
        block = _Block(index + 1)
        while index < len(lines) and lines[index]:
            line = lines[index]
            if "-->" in line:
                if block.timing is not None or len(block.lines) > 1:
                    break  # the next cue begins here
                block.timing = len(block.lines)
            block.lines.append(line)
            index += 1
        yield block


def _webvtt_cues(
    lines: list[str], first: int, *, tolerate_bad_end: bool = False, line_breaks: bool = False
) -> list[ParsedSegment]:
    """The segments of the WebVTT blocks from index ``first`` on."""
    segments = []
    for block in _webvtt_blocks(lines, first):
        if block.timing is None:
            _check_skippable(block)
            continue
        number = block.number + block.timing
        start, end = _cue_timings(block.lines[block.timing], number)
        if end < start and not tolerate_bad_end:
            raise TranscriptFormatError("the cue ends before it starts", number)
        speaker, text = _cue_text("\n".join(block.lines[block.timing + 1 :]), line_breaks)
        segments.append(ParsedSegment(start, end if end >= start else None, text, speaker))
    return segments


def _check_skippable(block: _Block) -> None:
    """Let a NOTE, STYLE or REGION block pass; refuse any other block that is not a cue."""
    head = block.lines[0]
    if _VTT_NOTE.match(head) or _VTT_SKIPPED.match(head):
        return
    for offset, line in enumerate(block.lines[:2]):
        if _LOOKS_LIKE_TIMING.match(line):
            raise TranscriptFormatError(
                f"malformed cue timing; expected {_VTT_EXAMPLE!r}, but there is no arrow '-->'"
                " between the start and end times",
                block.number + offset,
            )
    if len(block.lines) > 1 and head.strip().isdigit():
        message = f"expected a cue timing such as {_VTT_EXAMPLE!r}"
        raise TranscriptFormatError(message, block.number + 1)
    raise TranscriptFormatError(
        f"text outside any cue; each cue starts with a timing such as {_VTT_EXAMPLE!r}"
        " and an empty line ends it",
        block.number,
    )


class _TimingError(ValueError):
    """Why a WebVTT or SRT timing line cannot be read."""


def _cue_timings(line: str, number: int) -> tuple[float, float]:
    """The start and end of a WebVTT timing line ("collect WebVTT cue timings and settings")."""
    try:
        at = _skip_space(line, 0)
        start, at = _timestamp(line, at, "start")
        at = _arrow(line, at)
        end, _settings_at = _timestamp(line, _skip_space(line, at), "end")
    except _TimingError as error:
        message = f"malformed cue timing; expected {_VTT_EXAMPLE!r}, but {error}"
        raise TranscriptFormatError(message, number) from None
    return start, end


def _arrow(line: str, at: int) -> int:
    """The position after the arrow that follows the start time ending at ``at``."""
    arrow = _skip_space(line, at)
    if not line.startswith("-->", arrow):
        culprit = at if line[at : at + 1] not in (" ", "\t") else arrow
        found = _found(line, culprit)
        raise _TimingError(f"the start time is followed by {found}, not the arrow '-->'")
    return arrow + 3


def _skip_space(line: str, at: int) -> int:
    while at < len(line) and line[at] in _VTT_SPACE:
        at += 1
    return at


def _digits(line: str, at: int) -> tuple[str, int]:
    end = at
    while end < len(line) and line[end] in _DIGITS:
        end += 1
    return line[at:end], end


def _timestamp(line: str, at: int, which: str) -> tuple[float, int]:
    """A WebVTT timestamp at ``at`` and the position after it ("collect a WebVTT timestamp")."""
    first, at = _digits(line, at)
    if not first:
        raise _TimingError(f"the {which} time is missing: the line has {_found(line, at)} there")
    hours_given = len(first) != 2 or int(first) > 59
    if not line.startswith(":", at):
        raise _TimingError(f"the {which} time has {_found(line, at)} where ':' belongs")
    second, at = _digits(line, at + 1)
    if len(second) != 2:
        raise _TimingError(f"the {which} time needs two digits after ':', not {second or 'none'}")
    if hours_given or line.startswith(":", at):
        if not line.startswith(":", at):
            raise _TimingError(f"the {which} time gives hours ({first}) but no seconds")
        third, at = _digits(line, at + 1)
        if len(third) != 2:
            raise _TimingError(
                f"the {which} time needs two digits of seconds, not {third or 'none'}"
            )
        hours, minutes, seconds = int(first), int(second), int(third)
    else:
        hours, minutes, seconds = 0, int(first), int(second)
    if not line.startswith(".", at):
        found = (
            "a comma (WebVTT writes a full stop)" if line.startswith(",", at) else _found(line, at)
        )
        raise _TimingError(f"the {which} time has {found} where '.' and milliseconds belong")
    millis, at = _digits(line, at + 1)
    if len(millis) != 3:
        raise _TimingError(
            f"the {which} time needs exactly three digits of milliseconds, not {millis or 'none'}"
        )
    if minutes > 59:
        raise _TimingError(f"the minutes of the {which} time are past 59 ({minutes:02d})")
    if seconds > 59:
        raise _TimingError(f"the seconds of the {which} time are past 59 ({seconds:02d})")
    return _exact(hours, minutes, seconds, int(millis)), at


def _exact(hours: int, minutes: int, seconds: int, millis: int) -> float:
    """Seconds from the parts of a time, the float nearest to the decimal written."""
    return (((hours * 60 + minutes) * 60 + seconds) * 1000 + millis) / 1000


def _cue_text(raw: str, line_breaks: bool = False) -> tuple[str, str]:
    """The speaker and the text of WebVTT cue text, by the spec's tokenizer and tree rules.

    The text is every text node outside ruby annotations (<rt>); the speaker is the first
    voice span's annotation. With ``line_breaks`` (OHMS), a <br> tag is a line break.
    """
    stack: list[str] = []  # the open objects, innermost last (the spec's "current" node)
    speaker: str | None = None
    parts: list[str] = []
    for kind, name, annotation in _cue_tokens(raw):
        if kind == "text":
            if "rt" not in stack:
                parts.append(name)
        elif kind == "start":
            if name in ("c", "i", "b", "u", "ruby", "v", "lang") or (
                name == "rt" and stack[-1:] == ["ruby"]
            ):
                stack.append(name)
                if name == "v" and speaker is None:
                    speaker = annotation
            elif name == "br" and line_breaks and "rt" not in stack:
                parts.append("\n")
        elif kind == "end" and stack:
            if name == stack[-1]:
                stack.pop()
            elif name == "ruby" and stack[-1] == "rt":
                del stack[-2:]
    joined = "".join(parts)
    text = joined.strip(_TRIM)
    if is_verse(text) and "\n" in joined[len(joined.rstrip(_TRIM)) :]:
        text += STANZA_END  # the last verse of a stanza, as to_webvtt writes it
    return (speaker or "").strip(_TRIM), text


# Verses of poems (archive.catalogue.verses): the two halves of a verse joined by one tab, and
# one line break after the last verse of a stanza. The writers keep both, so that an export
# reads back as the same verses and stanzas.

VERSE_SEPARATOR = "\t"
STANZA_END = "\n"


def is_verse(text: str) -> bool:
    """Whether ``text`` (without its stanza end) is a verse: two halves, one tab between.

    >>> is_verse("أراك عصي الدمع\\tشيمتك الصبر"), is_verse("سطر من النثر")
    (True, False)
    """
    if text.count(VERSE_SEPARATOR) != 1 or "\n" in text or "\r" in text:
        return False
    first, second = text.split(VERSE_SEPARATOR)
    return bool(first.strip() and second.strip())


def _verse_body(text: str) -> str | None:
    """A segment's text without its stanza end when it is a verse, else None."""
    body = _normalise(text or "")
    body = body.removesuffix(STANZA_END)
    return body if is_verse(body) else None


def _cue_tokens(raw: str) -> Iterator[tuple[str, str, str]]:
    """The spec's cue text tokens as (kind, value or tag name, annotation); kind is text,
    start, end or timestamp. Character references are decoded as HTML does in text."""
    at = 0
    while at < len(raw):
        if raw[at] != "<":
            end = raw.find("<", at)
            end = len(raw) if end < 0 else end
            yield "text", html.unescape(raw[at:end]), ""
            at = end
            continue
        close = raw.find(">", at + 1)
        close = len(raw) if close < 0 else close
        body, at = raw[at + 1 : close], close + 1
        if body.startswith("/"):
            yield "end", body[1:], ""
        elif body[:1] in tuple(_DIGITS):
            yield "timestamp", body, ""
        else:
            name, _classes, annotation = _START_TAG.fullmatch(body).groups()
            annotation = _ASCII_SPACES.sub(" ", html.unescape(annotation or "")).strip(" ")
            yield "start", name, annotation


# Reading: SRT


@dataclass
class _Subtitle:
    """One SRT cue as read so far: its times and the lines of its text."""

    start: float
    end: float
    lines: list[str]


def parse_srt(text: str) -> list[ParsedSegment]:
    """The segments of a SubRip file; formatting tags dropped, the text otherwise as is."""
    subtitles: list[_Subtitle] = []
    blocks = list(_blocks(_lines(text)))
    for position, (number, block) in enumerate(blocks):
        following = blocks[position + 1][1] if position + 1 < len(blocks) else []
        _read_srt_block(number, block, subtitles, following)
    return [_srt_segment(subtitle) for subtitle in subtitles]


def _is_srt_timing(line: str) -> bool:
    """Whether a line is meant as a timing: it begins with a digit and holds an arrow."""
    return "-->" in line and line.lstrip(" \t\f")[:1] in tuple(_DIGITS)


def _is_number(line: str) -> bool:
    return bool(_NUMBER.fullmatch(line))


def _read_srt_block(
    number: int, block: list[str], subtitles: list[_Subtitle], following: list[str]
) -> None:
    """Add the cues of one run of non-blank lines, or join it to the cue it continues."""
    timings = [index for index, line in enumerate(block) if _is_srt_timing(line)]
    if not timings:
        _read_loose_srt_block(number, block, subtitles, following)
        return
    if timings[0] > 1:  # text above the cue's number: it continues the previous cue
        _continue_subtitle(number, block[: timings[0] - 1], subtitles)
    for place, index in enumerate(timings):
        stop = timings[place + 1] if place + 1 < len(timings) else len(block)
        if stop < len(block) and stop - 1 > index and _is_number(block[stop - 1]):
            stop -= 1  # the next cue's number
        start, end = _srt_timings(block[index], number + index)
        subtitles.append(_Subtitle(start, end, block[index + 1 : stop]))


def _read_loose_srt_block(
    number: int, block: list[str], subtitles: list[_Subtitle], following: list[str]
) -> None:
    """A run of lines without a timing: a cue's number before a stray blank line, more text
    of the cue above (a blank line inside its text), or something that cannot be read."""
    for offset, line in enumerate(block[:2]):
        if _LOOKS_LIKE_TIMING.match(line) and (offset == 0 or _is_number(block[0])):
            raise TranscriptFormatError(
                f"malformed subtitle timing; expected {_SRT_EXAMPLE!r}, but there is no arrow"
                " '-->' between the start and end times",
                number + offset,
            )
    if _is_number(block[0]) and len(block) > 1:
        message = f"expected a subtitle timing such as {_SRT_EXAMPLE!r} after its number"
        raise TranscriptFormatError(message, number + 1)
    if len(block) == 1 and _is_number(block[0]) and following and _is_srt_timing(following[0]):
        return  # a cue's number, a stray blank line, then its timing
    _continue_subtitle(number, block, subtitles)


def _continue_subtitle(number: int, lines: list[str], subtitles: list[_Subtitle]) -> None:
    """Join lines that follow a blank line to the text of the cue above, blank line kept."""
    if not subtitles:
        raise TranscriptFormatError(
            f"text before the first subtitle; each subtitle starts with a timing such as"
            f" {_SRT_EXAMPLE!r}",
            number,
        )
    subtitles[-1].lines += ["", *lines]


def _srt_timings(line: str, number: int) -> tuple[float, float]:
    """The start and end of an SRT timing line; what follows the end time is ignored."""
    try:
        start, at = _srt_time(line, _skip_space(line, 0), "start")
        at = _arrow(line, at)
        end, at = _srt_time(line, _skip_space(line, at), "end")
        if at < len(line) and line[at] in _DIGITS + ":,.":
            raise _TimingError(f"the end time goes on with {_found(line, at)}")
    except _TimingError as error:
        message = f"malformed subtitle timing; expected {_SRT_EXAMPLE!r}, but {error}"
        raise TranscriptFormatError(message, number) from None
    if end < start:
        raise TranscriptFormatError("the subtitle ends before it starts", number)
    return start, end


def _srt_time(line: str, at: int, which: str) -> tuple[float, int]:
    """An SRT time at ``at`` ([hh:]mm:ss[,fraction]) and the position after it."""
    match = _SRT_TIME.match(line, at)
    if not match:
        raise _TimingError(f"the {which} time is missing: the line has {_found(line, at)} there")
    first, second, third, fraction = match.groups()
    hours, minutes, seconds = (first, second, third) if third is not None else ("0", first, second)
    if int(minutes) > 59:
        raise _TimingError(f"the minutes of the {which} time are past 59 ({minutes})")
    if int(seconds) > 59:
        raise _TimingError(f"the seconds of the {which} time are past 59 ({seconds})")
    millis = round(int(fraction) * 1000 / 10 ** len(fraction)) if fraction else 0
    return _exact(int(hours), int(minutes), int(seconds), millis), match.end()


def _srt_segment(subtitle: _Subtitle) -> ParsedSegment:
    """A cue's text without formatting tags, its character references decoded."""
    text = _SRT_MARKUP.sub("", "\n".join(subtitle.lines))
    return ParsedSegment(subtitle.start, subtitle.end, _unescape(text).strip(_TRIM))


def _unescape(text: str) -> str:
    """Decode character references such as &amp; and &rlm; (only those ending in ';')."""
    return _CHAR_REF.sub(lambda match: html.unescape(match.group()), text)


# Reading: plain text


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str | None) -> float:
    """Seconds from the parts of a [hh:mm:ss.ttt] time, exact to the millisecond."""
    millis = int((fraction or "").ljust(3, "0"))
    return _exact(int(hours or 0), int(minutes), int(seconds), millis)


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


def parse_ohms(text: str, *, alternate: bool = False) -> list[ParsedSegment]:
    """The segments of an OHMS export: its WebVTT or synced transcript, else its index; with
    ``alternate``, those of its translation (the same fields with "_alt" after their names)."""
    alt = "_alt" if alternate else ""
    record = _ohms_record(_parse_xml(_normalise(text)))
    vtt = _field(record, f"vtt_transcript{alt}")
    if vtt.strip(_TRIM):
        return _ohms_webvtt(vtt)
    transcript = _field(record, f"transcript{alt}")
    if transcript.strip(_TRIM) and not _NO_TRANSCRIPT.fullmatch(transcript.strip(_TRIM)):
        synced = _synced_chunks(transcript, _field(record, f"sync{alt}"))
        return synced or [ParsedSegment(None, None, p) for p in _paragraphs(_lines(transcript))]
    return _index_segments(record, alt)


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
        return _webvtt_cues(lines, first, tolerate_bad_end=True, line_breaks=True)
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
    marks.setdefault(1, 0.0)  # the words before the first mark begin the recording
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


def _index_segments(record: ET.Element, alt: str = "") -> list[ParsedSegment]:
    """One segment per OHMS index point, in order of time."""
    index = _child(record, "index")
    if index is None:
        return []
    points = [el for el in index if _local(el.tag) == "point"]
    segments = [_index_point(n, point, alt) for n, point in enumerate(points, start=1)]
    return _ending_at_next_start(sorted(segments, key=lambda segment: segment.start))


def _index_point(number: int, point: ET.Element, alt: str = "") -> ParsedSegment:
    """An OHMS index point as a segment: its partial transcript, or its title and synopsis."""
    time = _field(point, "time").strip(_TRIM)
    try:
        start = float(time)
    except ValueError:
        message = f"index point {number} has no <time> in seconds (found {time!r})"
        raise TranscriptFormatError(message) from None
    if not math.isfinite(start) or start < 0:
        raise TranscriptFormatError(f"index point {number} has an impossible <time> {time!r}")
    partial = _field(point, f"partial_transcript{alt}").strip(_TRIM)
    summary = (_field(point, name + alt).strip(_TRIM) for name in ("title", "synopsis"))
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


def to_text(segments: Iterable[Any], *, verses: bool = False) -> str:
    """Plain text, one paragraph per segment, with '[hh:mm:ss] Speaker: ' before timed ones.

    With ``verses`` (a poem or a song), a transcript that is all untimed verses is written as
    a poem is typed: one verse a line, its halves split by a tab, a blank line between
    stanzas; archive.catalogue.verses.read_verses reads it back to the same verses.
    """
    segments = list(segments)
    if verses and segments and all(_untimed_verse(segment) for segment in segments):
        return _stanzas(segments)
    paragraphs = [_text_paragraph(segment) for segment in segments]
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""


def _untimed_verse(segment: Any) -> bool:
    return (
        segment.start is None and not _one_line(segment.speaker) and bool(_verse_body(segment.text))
    )


def _stanzas(segments: list[Any]) -> str:
    """Untimed verses as lines, a blank line after each stanza's last verse."""
    out = []
    for segment in segments:
        out.append(_verse_body(segment.text) + "\n")
        if _normalise(segment.text).endswith(STANZA_END) and segment is not segments[-1]:
            out.append("\n")
    return "".join(out)


def _text_paragraph(segment: Any) -> str:
    """A segment as a paragraph of plain text, its time to the second."""
    time = f"[{_clock(segment.start)}] " if segment.start is not None else ""
    speaker = _one_line(segment.speaker)
    label = f"{speaker}: " if speaker else ""
    return (time + label + _normalise(segment.text or "")).strip(_TRIM)


def _clock(seconds: float) -> str:
    """A time to the whole second, rounded down: 65.9 -> '00:01:05'."""
    return format_timestamp(math.floor(seconds)).rsplit(".", 1)[0]
