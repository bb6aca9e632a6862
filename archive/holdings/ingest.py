"""Ingest: a received file becomes an item's recording with a stored original and a queued job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import media
from archive import audit
from archive.catalogue.items import check_new_item, new_item
from archive.db import db
from archive.errors import ArchiveError, DuplicateMedia
from archive.holdings.storage import Upload, store
from archive.i18n import _
from archive.models import Item, Job, MediaFile, Recording, User, utcnow
from archive.uow import current, operation
from media.objects import original_relpath


@dataclass
class Ingested:
    item: Item
    recording: Recording
    job: Job
    stored: media.StoredFile


@operation
def ingest(
    upload: Upload,
    *,
    user: User | None,
    identifier: str | None = None,
    title: str | None = None,
    type: str | None = None,
    item: Item | None = None,
    replaces: Recording | None = None,
) -> Ingested:
    """Check, store and catalogue one file; its access copies are queued once committed.

    Creates a new draft item unless ``item`` is given (a further recording of
    it) or ``replaces`` names a recording this file supersedes (the old
    original stays in storage, marked superseded).  Nothing is left behind when
    the file is refused or the unit of work rolls back; the upload's temporary
    file is removed either way.
    """
    uow = current()
    if replaces is not None:
        item = replaces.item
    try:
        refuse_duplicate(upload.sha256, upload.filename)
        if item is None:
            check_new_item(identifier, type)
        probe = _probe(upload)
        relpath = original_relpath(upload.sha256)
        try:
            store().put_original(upload.path, relpath, upload.sha256)
        except (OSError, media.MediaError) as exc:  # a full disk, a storage that lies
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ArchiveError(f"{upload.filename}: not stored: {reason}.") from exc
    finally:
        upload.discard()
    uow.wrote_stored(relpath, keep_if=lambda: _referenced(relpath))
    root = store().local_root
    stored = media.StoredFile(
        path=root / relpath if root else None, relpath=relpath, sha256=upload.sha256,
        size=upload.size,
    )  # fmt: skip

    if item is None:
        item = new_item(identifier, title or _title_from(upload.filename), type or "testimony")
    recording = _new_recording(item, upload, probe, relpath, stored, user)
    if replaces is not None:
        _supersede(replaces, recording)
    job = Job(recording=recording, state="queued")
    db.session.add(job)
    audit.record(
        user,
        "replace-recording" if replaces is not None else "ingest",
        item,
        recording=upload.filename,
        sha256=upload.sha256,
        size=upload.size,
        **({"replaces": replaces.id} if replaces is not None else {}),
    )
    try:
        db.session.flush()
    except IntegrityError:
        # Another upload of the same bytes committed first: name the item that holds them.
        refuse_duplicate(upload.sha256, upload.filename, fresh=True)
        raise
    uow.enqueue("transcode", job.id)
    return Ingested(item, recording, job, stored)


def _probe(upload: Upload) -> media.ProbeResult:
    """What the upload is, or ArchiveError saying why it is refused (too long, not media...)."""
    settings = current_app.config["MEDIA"]
    try:
        return media.probe(
            upload.path, timeout=settings["PROBE_TIMEOUT"], max_duration=settings["MAX_DURATION"]
        )
    except media.TooLong as exc:
        raise ArchiveError(
            _(
                "%(file)s: this recording lasts %(length)s, longer than the %(limit)s the "
                "archive accepts, so it was not kept.",
                file=upload.filename,
                length=_clock(exc.duration),
                limit=_clock(exc.limit),
            )
        ) from exc
    except media.MediaError as exc:
        raise ArchiveError(f"{upload.filename}: {exc}") from exc


def _clock(seconds: float) -> str:
    """A length as h:mm:ss."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _supersede(old: Recording, new: Recording) -> None:
    if old.superseded_at is not None:
        raise ArchiveError("That recording was already replaced.")
    new.position = old.position
    db.session.flush()
    old.superseded_at = utcnow()
    old.superseded_by_id = new.id
    for transcript in old.item.transcripts:
        if transcript.recording_id == old.id:
            transcript.recording = new


class Holder(NamedTuple):
    item_id: int
    identifier: str


def holder(sha256: str, *, fresh: bool = False) -> Holder | None:
    """The item whose recording keeps an original with these bytes, if any (the one
    duplicate check of uploads, ``archive ingest`` and the CSV import).

    ``fresh`` looks on a connection of its own: the session is unusable after a failed flush.
    """
    query = (
        select(Item.id, Item.identifier)
        .join(Recording, Recording.item_id == Item.id)
        .join(MediaFile, MediaFile.recording_id == Recording.id)
        .where(MediaFile.role == "original", MediaFile.sha256 == sha256)
        .limit(1)
    )
    if fresh:
        with db.engine.connect() as connection:
            row = connection.execute(query).first()
    else:
        row = db.session.execute(query).first()
    return Holder(*row) if row is not None else None


def refuse_duplicate(sha256: str, filename: str, *, fresh: bool = False) -> None:
    """DuplicateMedia naming the item when an original with these bytes is already kept."""
    held = holder(sha256, fresh=fresh)
    if held is not None:
        raise DuplicateMedia(
            f"{filename}: the same file is already in the archive, in item {held.identifier}.",
            held.identifier,
        )


def _new_recording(item, upload, probe, relpath, stored, user) -> Recording:
    position = db.session.scalar(
        select(func.coalesce(func.max(Recording.position), -1)).where(Recording.item_id == item.id)
    )
    recording = Recording(
        item=item,
        position=(position if position is not None else -1) + 1,
        kind=probe.kind,
        original_filename=upload.filename,
        format_name=probe.format_name,
        duration=probe.duration,
        bit_rate=probe.bit_rate,
        audio_codec=probe.audio_codec,
        sample_rate=probe.sample_rate,
        channels=probe.channels,
        video_codec=probe.video_codec,
        width=probe.width,
        height=probe.height,
        technical=probe.to_dict(),
        created_by_id=user.id if user is not None and user.is_authenticated else None,
    )
    recording.files.append(
        MediaFile(
            role="original",
            relpath=relpath,
            sha256=stored.sha256,
            size=stored.size,
            mimetype="application/octet-stream",
        )
    )
    db.session.add(recording)
    return recording


def _referenced(relpath: str) -> bool:
    """Whether a recording names the stored file at ``relpath`` (asked after a rollback)."""
    found = db.session.scalar(select(MediaFile.id).where(MediaFile.relpath == relpath).limit(1))
    return found is not None


def _title_from(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return stem.replace("_", " ").strip() or filename
