"""Verses of a poem or song: a segment holding the two halves (صدر and عجز) of one line.

A verse is stored in the segment's own text, the halves joined by one tab, so export and
search need nothing new: the words of both halves are in the text exactly once, and a plain
text export written with tabs reads back as the same verses.  The last verse of a stanza ends
with one line break.  Unmarked segments are left exactly as they are.  The transcript writers
and readers (archive.catalogue.transcript_formats) keep both, so an export of a poem reads
back as the same verses and stanzas.
"""

from __future__ import annotations

import re
from dataclasses import replace

from archive.catalogue.transcript_formats import STANZA_END, ParsedSegment, is_verse
from archive.catalogue.transcript_formats import VERSE_SEPARATOR as SEPARATOR

VERSE_TYPES = ("poem", "song")

# Between the halves, as people type them: a tab, "..." or "…", or " * ".
_HALVES = re.compile(r"\t+|\s*(?:\.{3,}|…+)\s*|\s+\*\s+")


def halves(text: str) -> tuple[str, str] | None:
    """The two halves of a stored verse, or None when the segment is not a verse.

    >>> halves("أراك عصي الدمع\\tشيمتك الصبر")
    ('أراك عصي الدمع', 'شيمتك الصبر')
    """
    body = _without_stanza_end(text)
    if not is_verse(body):
        return None
    first, second = body.split(SEPARATOR)
    return first, second


def ends_stanza(text: str) -> bool:
    """Whether a stored verse is the last of its stanza."""
    return halves(text) is not None and text.endswith(STANZA_END)


def _without_stanza_end(text: str) -> str:
    """A verse's text without its stanza end (a browser's form sends it as CR LF)."""
    return text.removesuffix("\r\n") if text.endswith("\r\n") else text.removesuffix("\n")


def join(first: str, second: str, *, stanza_end: bool = False) -> str:
    """The stored text of a verse."""
    return first + SEPARATOR + second + (STANZA_END if stanza_end else "")


def read_line(line: str) -> tuple[str, str] | None:
    """The halves of a line written with a plain-text convention, or None when it has none.

    >>> read_line("بلى أنا مشتاق ... وعندي لوعة")
    ('بلى أنا مشتاق', 'وعندي لوعة')
    """
    found = _HALVES.split(line.strip())
    if len(found) != 2 or not found[0].strip() or not found[1].strip():
        return None
    return found[0].strip(), found[1].strip()


def mark(text: str, at: int) -> str:
    """A segment's text made a verse split at character ``at`` (the archivist's split point)."""
    body = unmark(text)
    first, second = body[:at].strip(), body[at:].strip()
    if not first or not second:
        raise ValueError("A verse needs words on both sides of the split.")
    return join(first, second)


def unmark(text: str) -> str:
    """A verse's text as one line again, its halves joined by a space."""
    parts = halves(text)
    return text if parts is None else f"{parts[0]} {parts[1]}"


def read_verses(segments: list[ParsedSegment]) -> list[ParsedSegment]:
    """Segments read from a poem's plain text, with its verses marked.

    Only when every line of the text has a separator between two halves, and there are at
    least two lines: each paragraph (a stanza) becomes one verse per line, the last of each
    stanza ending it.  Anything else is kept exactly as it was, so an ellipsis in a sentence
    of prose never breaks it.
    """
    stanzas = [[line for line in s.text.split("\n") if line.strip()] for s in segments]
    found = [[read_line(line) for line in lines] for lines in stanzas]
    every = [parts for lines in found for parts in lines]
    if len(every) < 2 or any(parts is None for parts in every) or not all(stanzas):
        return segments
    out: list[ParsedSegment] = []
    for number, (segment, lines) in enumerate(zip(segments, found, strict=True)):
        last = number == len(segments) - 1
        for index, (first, second) in enumerate(lines):
            closing = index == len(lines) - 1
            out.append(
                replace(
                    segment,
                    start=segment.start if index == 0 else None,
                    end=segment.end if closing else None,
                    text=join(first, second, stanza_end=closing and not last),
                    speaker=segment.speaker if index == 0 else "",
                )
            )
    return out
