"""Operations on transcripts: attach one from a file, correct its segments, export it.

Text is stored exactly as given (diacritics, tatweel and all); normalisation
belongs to the search index alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from archive import audit
from archive.catalogue import verses
from archive.catalogue.transcript_formats import ParsedSegment, TranscriptFormatError, parse
from archive.db import db
from archive.errors import ArchiveError, NotFound
from archive.holdings import redaction
from archive.models import Item, Recording, Segment, Transcript, User
from archive.uow import operation

LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
TIME_RE = re.compile(r"(?:(\d+):)?(?:(\d+):)?(\d+(?:[.,]\d+)?)")


def read_file(path: Path | str, *, data: bytes | None = None, filename: str | None = None):
    """Parse a transcript file (WebVTT, SRT, text, OHMS XML) into segments, or ArchiveError."""
    name = filename or Path(path).name
    try:
        raw = data if data is not None else Path(path).read_bytes()
    except OSError as exc:
        raise ArchiveError(f"{name}: cannot read the transcript ({exc.strerror}).") from None
    try:
        return parse(raw, filename=name), _format_of(name)
    except TranscriptFormatError as exc:
        raise ArchiveError(f"{name}: {exc}") from None


def _format_of(filename: str) -> str:
    suffix = Path(filename).suffix.lower().lstrip(".")
    return {"xml": "ohms"}.get(suffix, suffix or "txt")


@operation
def attach(
    item: Item,
    segments: list[ParsedSegment],
    *,
    language: str,
    recording: Recording | None = None,
    source_format: str = "",
    user: User | None,
    verses: bool | None = None,
) -> Transcript:
    """Give ``item`` this transcript in ``language``, replacing one it had for the same recording;
    ``verses`` reads a plain-text poem's verses (default: for poem and song items)."""
    attachment = Attachment(item, segments, language, source_format, recording, verses)
    return attach_many([attachment], user=user)[0]


@dataclass
class Attachment:
    """One transcript to attach: what :func:`attach` is given."""

    item: Item
    segments: list[ParsedSegment]
    language: str
    source_format: str = ""
    recording: Recording | None = None  # None: the item's current recording, if it has one
    verses: bool | None = None  # read verses from plain text; None: for poems and songs only

    def __post_init__(self):
        wanted = self.item.type in verses.VERSE_TYPES if self.verses is None else self.verses
        if wanted and self.source_format == "txt":
            self.segments = verses.read_verses(self.segments)


@operation
def attach_many(attachments: list[Attachment], *, user: User | None) -> list[Transcript]:
    """:func:`attach` each of ``attachments``, as one step: the batch of items of a CSV
    import gets its transcripts in two flushes and its segments in one insert, instead of
    two flushes and an insert for each item."""
    for attachment in attachments:
        if not LANGUAGE_RE.fullmatch(attachment.language or ""):
            raise ArchiveError(
                f"'{attachment.language}' is not a language code (such as ar, en, fr)."
            )
    db.session.flush()  # a recording ingested in this transaction needs its id
    made = []  # (transcript, replacing, recording)
    for attachment in attachments:
        item, recording, language = attachment.item, attachment.recording, attachment.language
        if recording is not None and recording.item_id != item.id:
            raise ArchiveError("That recording belongs to another item.")
        if recording is None and item.current_recordings:
            recording = item.current_recordings[0]
        existing = next(
            (
                t
                for t in item.transcripts
                if t.language == language
                and t.recording_id == (recording.id if recording else None)
            ),
            None,
        )
        replacing = existing is not None
        if existing is None:
            existing = Transcript(item=item, recording=recording, language=language)
            db.session.add(existing)
        existing.source_format = attachment.source_format
        made.append((existing, replacing, recording))
    pairs = list(zip(made, attachments, strict=True))
    _replace_segments([(t, a.segments, replacing) for (t, replacing, _), a in pairs])
    for (_, _, recording), attachment in pairs:
        audit.record(
            user,
            "transcript",
            attachment.item,
            language=attachment.language,
            recording=recording.id if recording else None,
            segments=len(attachment.segments),
            format=attachment.source_format,
        )
        redaction.follow(recording)  # the passages it replaced may have been withheld
    return [transcript for transcript, _, _ in made]


def _replace_segments(replacements: list[tuple[Transcript, list[ParsedSegment], bool]]) -> None:
    """Replace each transcript's segments (``replacing``: it had some) with rows inserted in
    one statement: a long transcript (or the thousands of a CSV import) never becomes objects
    in the session. ``transcript.segments`` is read again from the database when next used."""
    db.session.flush()  # the transcripts' ids
    # The session forgets the old segments it holds (their ids may come back).
    replaced = [transcript.id for transcript, _, replacing in replacements if replacing]
    if replaced:
        db.session.execute(delete(Segment).where(Segment.transcript_id.in_(replaced)))
    rows = [
        (transcript.id, i, s.start, s.end, s.text, s.speaker or "", False)
        for transcript, segments, _ in replacements
        for i, s in enumerate(segments)
    ]
    if rows:
        insert_segments(rows)
    for transcript, _, _ in replacements:
        db.session.expire(transcript, ["segments"])


SEGMENT_COLUMNS = ("transcript_id", "position", "start", "end", "text", "speaker", "restricted")
COPY_FROM = 50  # rows from which PostgreSQL is sent them by COPY rather than INSERT


def insert_segments(rows: list[tuple]) -> None:
    """Insert segment rows (values in ``SEGMENT_COLUMNS`` order) in the session's transaction:
    by COPY on PostgreSQL, the quickest way in for the hundreds of thousands of an import (a
    third of the time of a batched INSERT); else one executemany."""
    connection = db.session.connection()
    if len(rows) >= COPY_FROM and connection.dialect.driver == "psycopg":
        columns = ", ".join(f'"{name}"' for name in SEGMENT_COLUMNS)
        statement = f"COPY {Segment.__tablename__} ({columns}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    connection.execute(
        insert(Segment.__table__), [dict(zip(SEGMENT_COLUMNS, row, strict=True)) for row in rows]
    )


def get(item: Item, transcript_id: int) -> Transcript:
    transcript = db.session.get(Transcript, transcript_id)
    if transcript is None or transcript.item_id != item.id:
        raise NotFound(f"No transcript {transcript_id} in {item.identifier}.")
    return transcript


def parse_time(value: Any) -> float | None:
    """Seconds from '65.5', '1:05.5' or '00:01:05.500'; None for an empty value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip()
        if not TIME_RE.fullmatch(text):
            raise ArchiveError(f"'{text}' is not a time (seconds, mm:ss or hh:mm:ss).")
        seconds = 0.0
        for part in text.replace(",", ".").split(":"):
            seconds = seconds * 60 + float(part)
    if seconds < 0:
        raise ArchiveError("A time cannot be negative.")
    return round(seconds, 3)


@operation
def correct(transcript: Transcript, rows: list[dict], *, user: User | None) -> Transcript:
    """Replace the segments' text, speaker and times with corrected ``rows`` (in order).

    Each row has ``id`` (an existing segment, or None for a new one), ``start``,
    ``end``, ``text`` and ``speaker``; a segment whose id is missing from the
    rows is deleted.  Times are checked: start before end, never negative.
    """
    by_id = {segment.id: segment for segment in transcript.segments}
    kept, changed = [], 0
    for number, row in enumerate(rows, start=1):
        start, end = parse_time(row.get("start")), parse_time(row.get("end"))
        if start is not None and end is not None and end < start:
            raise ArchiveError(f"Segment {number}: it ends before it starts.")
        text = row.get("text") or ""
        segment = by_id.get(_int(row.get("id")))
        if segment is None:
            segment = Segment(transcript=transcript)
            changed += 1
        values = {"start": start, "end": end, "text": text, "speaker": row.get("speaker") or ""}
        for key, value in values.items():
            if getattr(segment, key) != value:
                setattr(segment, key, value)
                changed += 1
        segment.position = number - 1
        kept.append(segment)
    removed = len(set(by_id) - {s.id for s in kept if s.id})
    transcript.segments = kept
    if changed or removed:
        audit.record(
            user, "correct-transcript", transcript.item, transcript=transcript.id,
            changed=changed, removed=removed,
        )  # fmt: skip
        redaction.follow(transcript.recording)  # a withheld passage's times may have moved
    return transcript


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def for_recording(item: Item, language: str) -> Transcript | None:
    return db.session.scalar(
        select(Transcript).where(Transcript.item_id == item.id, Transcript.language == language)
    )


@operation
def restrict_transcript(transcript: Transcript, restricted: bool, *, user: User | None) -> bool:
    """Hide a whole transcript from everyone but staff (or publish it again); True if changed."""
    restricted = bool(restricted)
    if transcript.restricted == restricted:
        return False
    transcript.restricted = restricted
    audit.record(
        user,
        "restrict-transcript" if restricted else "unrestrict-transcript",
        transcript.item,
        transcript=transcript.id,
        language=transcript.language,
    )
    return True


@operation
def restrict_segment(segment: Segment, restricted: bool, *, user: User | None) -> bool:
    """Withhold one passage ("this passage is not published"), or publish it again; the
    public copy of its recording is made again without (or with) its sound."""
    restricted = bool(restricted)
    if segment.restricted == restricted:
        return False
    segment.restricted = restricted
    transcript = segment.transcript
    audit.record(
        user,
        "restrict-segment" if restricted else "unrestrict-segment",
        transcript.item,
        transcript=transcript.id,
        segment=segment.id,
        position=segment.position + 1,
    )
    redaction.follow(transcript.recording)  # its sound goes (or comes back) too
    return True


def segment_at(transcript: Transcript, number: int) -> Segment:
    """The transcript's segment ``number``, counting from 1 as the editor shows them."""
    if number < 1 or number > len(transcript.segments):
        raise NotFound(
            f"Transcript {transcript.id} has no segment {number} "
            f"(it has {len(transcript.segments)})."
        )
    return transcript.segments[number - 1]
