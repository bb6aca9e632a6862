"""Uploads that resume (the state behind the tus 1.0 endpoint of ``archive.web.tus``).

An upload is two files in ``<media>/incoming/tus/`` (under the instance folder by default,
shared by every worker and every host that shares the media folder): ``<id>.part``, the bytes
received so far, and ``<id>.json``, what the upload is (declared length, metadata, owner, when
it expires, and once finished the item it became or why it was refused). The offset is the
size of the part file, so nothing needs saving besides the bytes themselves. A named lock of
``archive.locks`` (``upload-<id>``) lets one request at a time write to an upload, whichever
worker or host it reaches.

The SHA-256 recorded for the original covers exactly the bytes of the part file: when one
request brought every byte from offset 0 (the usual case), they were hashed as they were
written; otherwise (an upload resumed after a break) the finished file is read once more and
hashed from disk, since a hash's running state cannot be saved portably between requests.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from werkzeug.exceptions import ClientDisconnected

from archive import locks
from archive.errors import ArchiveError
from archive.holdings import storage
from archive.holdings.queue import periodic
from archive.i18n import _

CHUNK = 1 << 20  # bytes read from a request body at a time: memory stays bounded
ID = re.compile(r"^[0-9a-f]{32}$")
LOCK_WAIT = 10.0  # seconds a request waits for another one writing the same upload
FREE_MARGIN = 64 * 1024 * 1024  # left free on the disk beyond what the uploads still need
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}


class UploadGone(ArchiveError):
    """The upload expired or was terminated (410), or never existed (404)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class UploadRefused(ArchiveError):
    """A request the protocol refuses; ``status`` is the tus status code to answer with."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass
class Resumable:
    """One upload's metadata file (its bytes are in the part file beside it)."""

    id: str
    length: int
    user_id: int
    created: float
    expires: float
    metadata: dict = field(default_factory=dict)  # filename, type, item, replace
    state: str = "receiving"  # receiving | ingested | refused
    result: dict = field(default_factory=dict)  # item, job (ingested) or error, item (refused)

    @property
    def part(self) -> Path:
        return folder() / f"{self.id}.part"

    @property
    def record(self) -> Path:
        return folder() / f"{self.id}.json"

    @property
    def offset(self) -> int:
        """Bytes received so far (all of them once the upload was handed to ingest)."""
        if self.state != "receiving":
            return self.length
        try:
            return self.part.stat().st_size
        except FileNotFoundError:
            return 0

    @property
    def finished(self) -> bool:
        return self.state != "receiving"

    def save(self) -> None:
        """Write the metadata file atomically (a reader never sees half of it)."""
        temporary = self.record.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(asdict(self)), encoding="utf-8")
        os.replace(temporary, self.record)

    def remove(self) -> None:
        self.part.unlink(missing_ok=True)
        self.record.unlink(missing_ok=True)


def folder() -> Path:
    return storage.uploads_dir() / "tus"


def expires_seconds() -> float:
    return float(current_app.config["MEDIA"]["UPLOAD_EXPIRES_HOURS"]) * 3600


def create(length: int, metadata: dict, user_id: int) -> Resumable:
    """A new, empty upload of ``length`` bytes; refused (413, 507) before a byte is written."""
    limit = int(current_app.config["MEDIA"]["MAX_UPLOAD_BYTES"])
    if length > limit:
        raise UploadRefused(
            _("The file is larger than the limit of %(mib)s MiB.", mib=limit // (1024 * 1024)),
            413,
        )
    where = folder()
    where.mkdir(parents=True, exist_ok=True)
    if shutil.disk_usage(where).free < length + still_needed() + FREE_MARGIN:
        raise UploadRefused(_("Not enough free disk space on the server for this file."), 507)
    now = time.time()
    upload = Resumable(
        id=secrets.token_hex(16),
        length=length,
        user_id=user_id,
        created=now,
        expires=now + expires_seconds(),
        metadata=metadata,
    )
    upload.part.touch(exist_ok=False)
    upload.save()
    return upload


def still_needed() -> int:
    """Bytes the unfinished uploads have announced but not sent yet (their room on the disk)."""
    total = 0
    for upload in all_uploads():
        if not upload.finished:
            total += max(0, upload.length - upload.offset)
    return total


def find(upload_id: str, *, now: float | None = None) -> Resumable:
    """The upload ``upload_id``; UploadGone when unknown (404) or expired (410, removed)."""
    if not ID.match(upload_id):
        raise UploadGone("No such upload.", 404)
    try:
        data = json.loads((folder() / f"{upload_id}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UploadGone("No such upload.", 404) from None
    upload = Resumable(**data)
    if (now or time.time()) >= upload.expires:
        upload.remove()
        raise UploadGone(_("This upload has expired: start it again."), 410)
    return upload


def all_uploads() -> list[Resumable]:
    uploads = []
    for record in sorted(folder().glob("*.json")) if folder().exists() else []:
        try:
            uploads.append(Resumable(**json.loads(record.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            continue  # being replaced, or not ours
    return uploads


def lock(upload_id: str):
    """Held while a request writes to, finishes or terminates the upload."""
    return locks.hold(
        f"upload-{upload_id}", LOCK_WAIT, "Another request is writing to this upload."
    )


def append(
    upload: Resumable,
    offset: int,
    body: BinaryIO,
    declared: int | None,
    checksum: tuple[str, bytes] | None = None,
) -> str | None:
    """Write ``body`` at ``offset`` (the caller holds the upload's lock).

    Returns the SHA-256 of the whole file when this request brought all of it from offset 0,
    else None. Refuses (409) an offset that is not the upload's, (413) bytes past its declared
    length; with ``checksum`` (algorithm, digest) the chunk is kept only when it matches (460).
    A body cut short keeps the bytes that arrived: the client resumes from there.
    """
    if upload.finished:
        raise UploadRefused("This upload is complete.", 409)
    if offset != upload.offset:
        raise UploadRefused(
            f"Upload-Offset {offset} is not the upload's offset {upload.offset}.", 409
        )
    room = upload.length - offset
    if declared is not None and declared > room:
        raise UploadRefused("The chunk goes past the upload's declared length.", 413)
    whole = hashlib.sha256() if offset == 0 else None
    chunk_hash = CHECKSUMS[checksum[0]]() if checksum else None
    written = 0
    cut_short = False
    with open(upload.part, "r+b") as out:
        out.seek(offset)
        while True:
            try:
                data = body.read(min(CHUNK, room - written + 1))
            except (OSError, ClientDisconnected):  # the client went away: keep what came
                cut_short = True
                break
            if not data:
                break
            if written + len(data) > room:
                out.truncate(offset)
                raise UploadRefused("The chunk goes past the upload's declared length.", 413)
            try:
                out.write(data)
            except OSError as exc:  # a full disk: keep nothing of this chunk
                out.truncate(offset)
                raise UploadRefused(f"Not stored: {exc.strerror}.", 507) from exc
            written += len(data)
            if whole is not None:
                whole.update(data)
            if chunk_hash is not None:
                chunk_hash.update(data)
        if checksum is not None and (cut_short or chunk_hash.digest() != checksum[1]):
            out.truncate(offset)  # an unverified chunk is not kept, even in part
            if not cut_short:
                raise UploadRefused(_("The chunk's checksum does not match: send it again."), 460)
        out.flush()
        os.fsync(out.fileno())
    if not cut_short and whole is not None and written == upload.length:
        return whole.hexdigest()
    return None


def upload_of(resumable: Resumable, sha256: str | None) -> storage.Upload:
    """The finished bytes as an upload for ``ingest()`` (hashed from disk unless known)."""
    from media import sha256_file

    digest = sha256 or sha256_file(resumable.part)
    name = storage._clean_filename(resumable.metadata.get("filename") or "upload")
    return storage.Upload(resumable.part, name, digest, resumable.length, temporary=True)


def finish(resumable: Resumable, state: str, result: dict) -> None:
    """Record what the finished upload became; its bytes are gone (ingested or refused)."""
    resumable.state, resumable.result = state, result
    resumable.part.unlink(missing_ok=True)
    resumable.save()


def terminate(resumable: Resumable) -> None:
    resumable.remove()


@periodic("expire_uploads", minute="20")
def expire_uploads() -> int:
    """Hourly, in the worker: unfinished uploads past ``[MEDIA] UPLOAD_EXPIRES_HOURS`` go."""
    return expire()


def expire(now: float | None = None) -> int:
    """Remove every upload past its expiry (unfinished or finished); returns how many."""
    return len(remove_expired(now))


def remove_expired(now: float | None = None) -> list[tuple[Resumable, int]]:
    """Remove every upload past its expiry (unfinished or finished); each one removed with
    the bytes it had received (``archive uploads expire`` names them)."""
    now = now or time.time()
    removed = []
    for upload in all_uploads():
        if now < upload.expires:
            continue
        offset = upload.offset  # what it had received, said before its bytes go
        with locks.attempt(f"upload-{upload.id}") as held:
            if held:  # a request writing to it now is left alone until the next round
                upload.remove()
                removed.append((upload, offset))
    for stray in folder().glob("*.part") if folder().exists() else []:
        if not stray.with_suffix(".json").exists() and now - stray.stat().st_mtime > 3600:
            stray.unlink(missing_ok=True)  # its metadata never got written
    _sweep_lock_files(now)
    return removed


def _sweep_lock_files(now: float) -> None:
    """With ``flock`` locks, each upload left a lock file: those of uploads gone an hour ago
    go too (taken first, so that no request holds one while it is removed)."""
    if locks.backend() != "file":
        return
    for path in (Path(current_app.instance_path) / "locks").glob("upload-*.lock"):
        upload_id = path.stem.removeprefix("upload-")
        if (folder() / f"{upload_id}.json").exists() or now - path.stat().st_mtime < 3600:
            continue
        lock = locks.FileLock(path.stem, path.parent)
        if lock.try_acquire():
            path.unlink(missing_ok=True)
            lock.release()
