"""Where files live: incoming uploads on this machine; originals and access copies in the
configured store (the media folder, or a bucket: ``[STORAGE] URL``), by relative path."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from archive.errors import ArchiveError
from media.objects import Store, open_store

CHUNK = 1 << 20


def store() -> Store:
    """The app's store of originals and access copies, made once per app and process (a
    boto3 client is not carried across a fork)."""
    stores = current_app.extensions.setdefault("archive_stores", {})
    made = stores.get(os.getpid())
    if made is None:
        stores.clear()
        made = stores[os.getpid()] = open_store_of(current_app.config)
    return made


def open_store_of(config) -> Store:
    """The store that the settings ``config`` (an app's config) name."""
    settings = config.get("STORAGE", {})
    return open_store(
        settings.get("URL", ""),
        root=config["MEDIA"]["ROOT"],
        endpoint_url=settings.get("ENDPOINT_URL"),
        public_endpoint_url=settings.get("PUBLIC_ENDPOINT_URL"),
        access_key=settings.get("ACCESS_KEY"),
        secret_key=settings.get("SECRET_KEY"),
        region=settings.get("REGION"),
        scratch=Path(config["MEDIA"]["ROOT"]) / "incoming",
    )


def media_root() -> Path:
    """The media folder on this machine: the files themselves with the local store; uploads
    on their way in and the working copies of jobs with a bucket."""
    return Path(current_app.config["MEDIA"]["ROOT"])


def originals_root() -> Path:
    return media_root() / "originals"


def derivatives_dir(recording_id: int) -> Path:
    return media_root() / "derivatives" / str(recording_id)


def uploads_dir() -> Path:
    return media_root() / "incoming"


def absolute(relpath: str) -> Path:
    """The path of a stored file in the local media folder, refusing to leave it (with a
    bucket, ``store()`` is the way to the files)."""
    return inside(media_root(), relpath, "stored file")


def inside(folder: Path, relative: str, what: str) -> Path:
    """``relative`` resolved under ``folder``; ArchiveError when it would leave it (``..``,
    an absolute path, a symbolic link pointing out)."""
    root = Path(folder).resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ArchiveError(f"{what} {relative}: the path leaves its folder.")
    return path


@dataclass
class Upload:
    """Bytes received and hashed, waiting to be ingested."""

    path: Path
    filename: str  # as the uploader named it: recorded, never used as a path
    sha256: str
    size: int
    temporary: bool  # ours to delete once ingested

    def discard(self) -> None:
        if self.temporary:
            self.path.unlink(missing_ok=True)


def receive(stream: BinaryIO, filename: str, *, limit: int | None = None) -> Upload:
    """Stream ``stream`` to a temporary file under the media root, hashing as it goes."""
    limit = limit if limit is not None else current_app.config["MEDIA"]["MAX_UPLOAD_BYTES"]
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", dir=folder)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ArchiveError(
                        f"The file is larger than the limit of {limit // (1024 * 1024)} MiB."
                    )
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:  # a full disk: say so, keep nothing
        Path(name).unlink(missing_ok=True)
        raise ArchiveError(f"{_clean_filename(filename)}: not received: {exc.strerror}.") from exc
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Upload(Path(name), _clean_filename(filename), digest.hexdigest(), size, temporary=True)


def local(path: Path, *, limit: int | None = None) -> Upload:
    """A file already on this machine (``archive ingest``): hashed in place, never moved."""
    from media import sha256_file

    limit = limit if limit is not None else current_app.config["MEDIA"]["MAX_UPLOAD_BYTES"]
    if not path.is_file():
        raise ArchiveError(f"{path}: no such file.")
    size = path.stat().st_size
    if size > limit:
        raise ArchiveError(f"{path.name}: larger than the limit of {limit // (1024 * 1024)} MiB.")
    return Upload(path, _clean_filename(path.name), sha256_file(path), size, temporary=False)


def _clean_filename(filename: str) -> str:
    """The uploader's filename as text to record: no directories, no control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:255]
