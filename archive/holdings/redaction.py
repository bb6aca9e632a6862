"""The public copy of a recording with withheld passages: those times silent, and black in a video.

Withholding a passage hides its words; its sound must go too. Staff keep the full access copy;
everyone else gets a public copy made from the original with every withheld passage's time range
silenced (and blacked out in a video), with its own poster and waveform. A public copy is named
after the ranges it hides (``public-<fingerprint>.m4a``), so a copy made before the latest
change is never served: while the new one is being made, or when making it failed, visitors get
no sound or picture of that recording at all rather than one that still holds a withheld passage.

Roles (``MediaFile.role``, unique per recording): ``public``, ``public-poster``, ``public-peaks``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import exists, select

from archive.db import db
from archive.holdings.storage import derivatives_dir
from archive.models import Job, MediaFile, Recording, Segment, Transcript
from archive.uow import current

#: The public version of each role visitors may get.
PUBLIC_ROLES = {
    "access": "public",
    "small": "public-small",  # the small rendition for slow connections ("Save data")
    "poster": "public-poster",
    "peaks": "public-peaks",
}
#: Seconds added after a withheld passage whose end is not known and nothing follows it.
OPEN_END = 24 * 3600

Range = tuple[float, float]


def withheld_ranges(recording: Recording) -> list[Range]:
    """The time ranges of ``recording`` under a withheld passage (in any of its transcripts),
    sorted and merged; [] when nothing timed is withheld.

    A withheld passage without an end lasts until the next timed passage of its transcript
    (or the recording's end): better silence too much than too little.
    """
    if recording.id is None or not _withholds_anything(recording.id):
        return []
    rows = db.session.execute(
        select(Segment.transcript_id, Segment.start, Segment.end, Segment.restricted)
        .join(Transcript, Transcript.id == Segment.transcript_id)
        .where(Transcript.recording_id == recording.id, Segment.start.is_not(None))
        .order_by(Segment.transcript_id, Segment.start, Segment.position)
    ).all()
    ranges = []
    for number, (transcript_id, start, end, restricted) in enumerate(rows):
        if not restricted:
            continue
        if end is None or end <= start:
            later = next(
                (r.start for r in rows[number + 1 :] if r.transcript_id == transcript_id and
                 r.start > start),
                None,
            )  # fmt: skip
            end = later if later is not None else (recording.duration or start + OPEN_END)
        ranges.append((round(max(start, 0.0), 3), round(end, 3)))
    return _merged(ranges)


def _withholds_anything(recording_id: int) -> bool:
    """A cheap first question, asked on every media request: is any timed passage withheld?"""
    return db.session.scalar(
        select(
            exists()
            .where(Segment.transcript_id == Transcript.id)
            .where(Transcript.recording_id == recording_id)
            .where(Segment.restricted.is_(True), Segment.start.is_not(None))
        )
    )


def _merged(ranges: list[Range]) -> list[Range]:
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def fingerprint(ranges: list[Range]) -> str:
    """A short name for a set of ranges: public copies are named after what they hide."""
    text = ";".join(f"{start:.3f}-{end:.3f}" for start, end in ranges)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def public_path(recording: Recording, role: str, ranges: list[Range], extension: str) -> Path:
    """Where the public version ``role`` of ``recording`` hiding ``ranges`` is written."""
    return derivatives_dir(recording.id) / f"{role}-{fingerprint(ranges)}{extension}"


def hides(stored: MediaFile, ranges: list[Range]) -> bool:
    """Whether the public file ``stored`` was made hiding exactly ``ranges``."""
    return Path(stored.relpath).stem.endswith("-" + fingerprint(ranges))


def served_file(recording: Recording, role: str, *, staff: bool) -> MediaFile | None:
    """The file a visitor asking for ``role`` (access, poster, peaks) of ``recording`` gets.

    Staff get the full copy (and may ask for a public one by its own role to check it).
    Anyone else gets the full copy when nothing is withheld, else the public version made
    for exactly the passages withheld now, else nothing; the public roles are the same
    files by another name.
    """
    if staff:
        return recording.file(role)
    base = next((full for full, public in PUBLIC_ROLES.items() if public == role), role)
    return served_files(recording, staff=False).get(base)


def served_files(recording: Recording, *, staff: bool) -> dict[str, MediaFile]:
    """What a visitor gets of ``recording`` by role (access, poster, peaks): see served_file."""
    if staff:
        chosen = {role: recording.file(role) for role in PUBLIC_ROLES}
    else:
        ranges = withheld_ranges(recording)
        if not ranges:
            chosen = {role: recording.file(role) for role in PUBLIC_ROLES}
        else:
            chosen = {role: recording.file(public) for role, public in PUBLIC_ROLES.items()}
            chosen = {r: f for r, f in chosen.items() if f is not None and hides(f, ranges)}
    return {role: stored for role, stored in chosen.items() if stored is not None}


def public_files(recording: Recording) -> list[MediaFile]:
    return [f for f in recording.files if f.role in PUBLIC_ROLES.values()]


def follow(recording: Recording | None) -> None:
    """Bring the public copy of ``recording`` in step with its withheld passages, once the
    operation that withheld, released or re-timed them has committed.

    Nothing withheld any more: the public copy goes (rows now, files after the commit).
    Otherwise, unless the public copy already hides exactly these ranges or a queued job
    will make it, a job is queued to make it.
    """
    if recording is None or recording.original is None:
        return
    db.session.flush()
    ranges = withheld_ranges(recording)
    if not ranges:
        remove(recording, public_files(recording))
        return
    made = recording.file("public")
    if made is not None and hides(made, ranges):
        return
    if recording.item.status == "withdrawn":
        return  # reinstating it makes every copy again
    queued = db.session.scalar(
        select(exists().where(Job.recording_id == recording.id, Job.state == "queued"))
    )
    if queued:
        return  # a queued job reads the withheld ranges when it runs
    job = Job(recording=recording, kind="public", state="queued")
    db.session.add(job)
    db.session.flush()
    current().enqueue("transcode", job.id)


def remove(recording: Recording, stored: list[MediaFile]) -> None:
    """Remove ``stored`` (files of ``recording``): rows now, files once committed."""
    relpaths = []
    for old in stored:
        relpaths.append(old.relpath)
        recording.files.remove(old)
        db.session.delete(old)
    if relpaths:
        current().remove_stored_after_commit(relpaths)
