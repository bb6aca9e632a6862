"""Ingest: a received file becomes an item's recording with a stored original and a queued job."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import media
from archive import audit, indexing, queue
from archive.db import db
from archive.errors import ArchiveError, DuplicateMedia
from archive.models import IDENTIFIER_RE, ITEM_TYPES, Item, Job, MediaFile, Recording, User
from archive.storage import Upload, media_root, originals_root

ORPHANS = "ingest.stored"  # session.info key: originals stored by uncommitted ingests


@dataclass
class Ingested:
    item: Item
    recording: Recording
    job: Job
    stored: media.StoredFile


def ingest(
    upload: Upload,
    *,
    user: User | None,
    identifier: str | None = None,
    title: str | None = None,
    type: str | None = None,
    item: Item | None = None,
    replaces: Recording | None = None,
    commit: bool = True,
) -> Ingested:
    """Check, store and catalogue one file, then queue its access copies.

    Creates a new draft item unless ``item`` is given (a further recording of
    it) or ``replaces`` names a recording this file supersedes (the old
    original stays in storage, marked superseded).  Nothing is left behind when
    the file is refused; the upload's temporary file is removed either way.
    With ``commit=False`` the caller commits, then calls ``start_jobs``, or
    rolls back and calls ``abandon``.
    """
    if replaces is not None:
        item = replaces.item
    try:
        _refuse_duplicate(upload)
        if item is None:
            check_new_item(identifier, type)
        try:
            probe = media.probe(upload.path, timeout=current_app.config["MEDIA"]["PROBE_TIMEOUT"])
        except media.MediaError as exc:
            raise ArchiveError(f"{upload.filename}: {exc}") from exc
        try:
            stored = media.store_original(upload.path, originals_root(), sha256=upload.sha256)
        except (OSError, media.MediaError) as exc:  # a full disk, a storage that lies
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ArchiveError(f"{upload.filename}: not stored: {reason}.") from exc
    finally:
        upload.discard()

    try:
        if item is None:
            item = new_item(identifier, title or _title_from(upload.filename), type or "testimony")
        recording = _new_recording(item, upload, probe, stored, user)
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
        done = Ingested(item, recording, job, stored)
        if commit:
            indexing.commit()
    except IntegrityError:
        # Another upload of the same bytes committed first.
        db.session.rollback()
        _refuse_duplicate(upload)
        raise
    except BaseException:
        if commit:
            db.session.rollback()
            _forget_unreferenced(stored)
        else:  # the caller rolls back, then abandon() removes it
            db.session.info.setdefault(ORPHANS, []).append(stored)
        raise
    if not commit:
        db.session.info.setdefault(ORPHANS, []).append(stored)
    else:
        start_jobs([done])
    return done


def abandon(stored_files: list[media.StoredFile] | None = None) -> None:
    """After a rollback: remove originals stored by uncommitted ingests that nothing refers to."""
    pending = db.session.info.pop(ORPHANS, [])
    for stored in [*pending, *(stored_files or [])]:
        _forget_unreferenced(stored)


def start_jobs(done: list[Ingested]) -> None:
    """After the commit: queue the access copies of the ingests."""
    db.session.info.pop(ORPHANS, None)
    for each in done:
        queue.enqueue("transcode", each.job.id)


def _supersede(old: Recording, new: Recording) -> None:
    from archive.models import utcnow

    if old.superseded_at is not None:
        raise ArchiveError("That recording was already replaced.")
    new.position = old.position
    db.session.flush()
    old.superseded_at = utcnow()
    old.superseded_by_id = new.id
    for transcript in old.item.transcripts:
        if transcript.recording_id == old.id:
            transcript.recording = new


def _refuse_duplicate(upload: Upload) -> None:
    existing = db.session.scalar(
        select(MediaFile).where(MediaFile.role == "original", MediaFile.sha256 == upload.sha256)
    )
    if existing is not None:
        identifier = existing.recording.item.identifier
        raise DuplicateMedia(
            f"{upload.filename}: the same file is already in the archive, in item {identifier}.",
            identifier,
        )


def check_new_item(identifier: str | None, type: str | None) -> None:
    if type is not None and type not in ITEM_TYPES:
        raise ArchiveError(f"Unknown type '{type}': use one of {', '.join(ITEM_TYPES)}.")
    if identifier is not None:
        if not IDENTIFIER_RE.fullmatch(identifier):
            raise ArchiveError(
                f"'{identifier}' is not a valid identifier: use letters, digits, '.', '_' "
                "and '-', starting with a letter or digit, at most 64 characters."
            )
        if db.session.scalar(select(Item.id).where(Item.identifier == identifier)) is not None:
            raise ArchiveError(f"An item with identifier {identifier} already exists.")


def new_item(identifier: str | None, title: str, type: str) -> Item:
    item = Item(identifier=identifier or _placeholder(), title=title, type=type)
    db.session.add(item)
    db.session.flush()
    if identifier is None:
        item.identifier = next_identifier(item.id)
    return item


def _placeholder() -> str:
    import secrets

    return f"pending-{secrets.token_hex(8)}"


def next_identifier(start: int) -> str:
    """The first free generated identifier (AR-000123) at or after number ``start``."""
    prefix = current_app.config["IDENTIFIER_PREFIX"]
    number = start
    while True:
        candidate = f"{prefix}{number:06d}"
        if db.session.scalar(select(Item.id).where(Item.identifier == candidate)) is None:
            return candidate
        number += 1


def _new_recording(item, upload, probe, stored, user) -> Recording:
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
            relpath=stored.path.relative_to(media_root()).as_posix(),
            sha256=stored.sha256,
            size=stored.size,
            mimetype="application/octet-stream",
        )
    )
    db.session.add(recording)
    return recording


def _forget_unreferenced(stored) -> None:
    """Remove an original we just stored when the catalogue did not take it."""
    relpath = stored.path.relative_to(media_root()).as_posix()
    still_used = db.session.scalar(
        select(MediaFile.id).where(MediaFile.relpath == relpath).limit(1)
    )
    if still_used is None:
        stored.path.unlink(missing_ok=True)


def _title_from(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return stem.replace("_", " ").strip() or filename
