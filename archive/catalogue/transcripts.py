"""Operations on transcripts: attach one from a file, correct its segments, export it.

Text is stored exactly as given (diacritics, tatweel and all); normalisation
belongs to the search index alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import audit
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
) -> Transcript:
    """Give ``item`` this transcript in ``language``, replacing one it had for the same recording."""
    if not LANGUAGE_RE.fullmatch(language or ""):
        raise ArchiveError(f"'{language}' is not a language code (such as ar, en, fr).")
    db.session.flush()  # a recording ingested in this transaction needs its id
    if recording is not None and recording.item_id != item.id:
        raise ArchiveError("That recording belongs to another item.")
    if recording is None and item.current_recordings:
        recording = item.current_recordings[0]
    existing = next(
        (
            t
            for t in item.transcripts
            if t.language == language and t.recording_id == (recording.id if recording else None)
        ),
        None,
    )
    if existing is None:
        existing = Transcript(item=item, recording=recording, language=language)
        db.session.add(existing)
    existing.source_format = source_format
    existing.segments = [
        Segment(position=i, start=s.start, end=s.end, text=s.text, speaker=s.speaker or "")
        for i, s in enumerate(segments)
    ]
    audit.record(
        user,
        "transcript",
        item,
        language=language,
        recording=recording.id if recording else None,
        segments=len(segments),
        format=source_format,
    )
    redaction.follow(recording)  # the passages it replaced may have been withheld
    return existing


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
