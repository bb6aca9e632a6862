"""Where stored files live: the local media folder, or a bucket of S3-compatible object storage.

Both stores keep the same relative paths (posix, e.g. ``originals/ab/cd/<sha256>`` and
``derivatives/12/access.m4a``), so the catalogue's ``relpath`` names a file in either, and a
backup or a move from one to the other keeps every name.  ``open_store(url)`` picks one:
an empty URL (or ``file:``) is today's folder, ``s3://bucket/prefix`` a bucket (boto3, imported
only then).  A file that is not there raises FileNotFoundError from both; a bucket that does
not answer raises StorageError.

Originals are written once: ``put_original`` uploads, reads the object back from the store,
and keeps it only when it hashes to the checksum it was given; an intact copy already there is
left alone.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from media.errors import MediaError
from media.store import CHUNK_SIZE, sha256_file, store_original, stored_relpath, written_atomically

ORIGINALS = "originals"


class StorageError(MediaError):
    """The store refused or did not answer (the bucket is unreachable, credentials are wrong)."""


def original_relpath(sha256: str) -> str:
    """Where the original with this checksum is kept: ``originals/ab/cd/<sha256>``."""
    return f"{ORIGINALS}/{stored_relpath(sha256)}"


def clean_relpath(relpath: str) -> str:
    """``relpath`` as a key inside the store; MediaError when it would leave it."""
    text = str(relpath).replace("\\", "/")
    normal = posixpath.normpath(text)
    if not text or text.startswith("/") or normal.startswith("..") or normal in (".", ""):
        raise MediaError(f"{relpath!r}: the path leaves the store.")
    return normal


class Store(ABC):
    """The files of one archive, by relative path."""

    @abstractmethod
    def put_original(self, src: str | os.PathLike, relpath: str, sha256: str) -> None:
        """Keep ``src`` at ``relpath`` (named by its SHA-256), read back and verified."""

    @abstractmethod
    def put_file(self, relpath: str, src: str | os.PathLike, *, mimetype: str = "") -> None:
        """Keep ``src`` (an access copy, a poster, peaks) at ``relpath``, replacing what was there."""

    @abstractmethod
    def open(self, relpath: str) -> BinaryIO:
        """The stored file for a streaming read (a context manager)."""

    @abstractmethod
    def local_copy(self, relpath: str):
        """A context manager yielding a local path of the stored file, for ffmpeg."""

    @abstractmethod
    def download(self, relpath: str, dst: str | os.PathLike) -> None:
        """Copy the stored file to the local file ``dst`` (made or replaced)."""

    @abstractmethod
    def exists(self, relpath: str) -> bool: ...

    @abstractmethod
    def size(self, relpath: str) -> int: ...

    @abstractmethod
    def delete(self, relpath: str) -> None:
        """Remove the stored file; nothing happens when it is not there."""

    @abstractmethod
    def relpaths(self, prefix: str = "") -> Iterator[str]:
        """Every stored file under ``prefix`` (e.g. ``"originals/"``), temporary ones left out."""

    def sha256(self, relpath: str) -> str:
        """The SHA-256 of the stored file, read as a stream."""
        with self.open(relpath) as stream:
            return _hash_stream(stream)

    def presigned_url(
        self,
        relpath: str,
        *,
        lifetime: int,
        mimetype: str = "",
        download_name: str = "",
        cache_seconds: int = 0,
    ) -> str | None:
        """A URL the store itself serves ``relpath`` from for ``lifetime`` seconds, or None
        when the store cannot hand one out (the local folder: the web server sends the file)."""
        return None

    @property
    def local_root(self) -> Path | None:
        """The folder holding the files when they are on this machine, else None."""
        return None

    @property
    def url_origin(self) -> str | None:
        """The origin of ``presigned_url``'s URLs; None when the store hands none out."""
        return None

    @abstractmethod
    def close(self) -> None:
        """Let go of the connections the store keeps open (a bucket's)."""


class LocalStore(Store):
    """The media folder on this machine (the embedded default, laid out as it always was)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).absolute()

    @property
    def local_root(self) -> Path:
        return self.root

    def path(self, relpath: str) -> Path:
        """The file's path, refusing one that leaves the root (also by a symbolic link)."""
        root = self.root.resolve()
        path = (root / clean_relpath(relpath)).resolve()
        if root not in path.parents:
            raise MediaError(f"{relpath!r}: the path leaves the store.")
        return path

    def put_original(self, src, relpath, sha256):
        layout = stored_relpath(sha256)
        relpath = clean_relpath(relpath)
        if not relpath.endswith("/" + layout):
            raise MediaError(f"{relpath}: an original is named by its SHA-256 ({layout}).")
        store_original(src, self.root / relpath.removesuffix("/" + layout), sha256=sha256)

    def put_file(self, relpath, src, *, mimetype=""):
        target = self.path(relpath)
        if Path(src).resolve() == target:
            return  # written in place (a job writes its copies into the folder itself)
        with written_atomically(target) as tmp:
            shutil.copyfile(src, tmp)

    def open(self, relpath):
        return open(self.path(relpath), "rb")

    def close(self):
        """Nothing is kept open between calls."""

    def sha256(self, relpath):
        return sha256_file(self.path(relpath))

    @contextmanager
    def local_copy(self, relpath):
        path = self.path(relpath)
        if not path.is_file():
            raise FileNotFoundError(f"{relpath} is not in the store.")
        yield path

    def download(self, relpath, dst):
        shutil.copyfile(self.path(relpath), dst)

    def exists(self, relpath):
        return self.path(relpath).is_file()

    def size(self, relpath):
        return self.path(relpath).stat().st_size

    def delete(self, relpath):
        self.path(relpath).unlink(missing_ok=True)

    def relpaths(self, prefix=""):
        start = self.path(prefix) if prefix.strip("/") else self.root
        if not start.is_dir():
            return
        for folder, folders, files in os.walk(start):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):  # temporary names, locks
                    yield (Path(folder) / name).relative_to(self.root).as_posix()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"


class S3Store(Store):
    """A bucket (and key prefix) of S3-compatible object storage: AWS, MinIO, SeaweedFS, ...

    Objects are PUT whole (multipart when large) and appear only once complete, so a reader
    never sees half a file.  ``scratch`` is the local folder for downloads that ffmpeg reads.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        public_endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        scratch: str | os.PathLike | None = None,
    ):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        self.scratch = Path(scratch) if scratch else None
        options = dict(access_key=access_key, secret_key=secret_key, region=region)
        self._client = _client(self.endpoint_url, **options)
        public = public_endpoint_url or None
        self._signer = _client(public, **options) if public else self._client
        self._origin: str | None = None

    def key(self, relpath: str) -> str:
        relpath = clean_relpath(relpath)
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def put_original(self, src, relpath, sha256):
        sha256 = sha256.lower()
        if not relpath.endswith(stored_relpath(sha256)):
            raise MediaError(f"{relpath}: an original is named by its SHA-256.")
        size = Path(src).stat().st_size
        if self._intact(relpath, sha256, size):
            return  # written once, and still whole
        if sha256_file(src) != sha256:
            raise MediaError(
                "The file's SHA-256 does not match the checksum it was uploaded with, "
                "so it was not stored (it may have changed or been damaged in transit)."
            )
        self._upload(src, relpath, "application/octet-stream", {"sha256": sha256})
        if not self._intact(relpath, sha256, size):
            self.delete(relpath)
            raise MediaError(
                "The stored copy did not read back identical to the upload, so it was "
                "discarded; check the storage and try again."
            )

    def put_file(self, relpath, src, *, mimetype=""):
        self._upload(src, relpath, mimetype or "application/octet-stream", {})

    def open(self, relpath):
        with _errors(relpath):
            return self._client.get_object(Bucket=self.bucket, Key=self.key(relpath))["Body"]

    @contextmanager
    def local_copy(self, relpath):
        suffix = Path(relpath).suffix
        fd, name = tempfile.mkstemp(prefix=".download-", suffix=suffix, dir=self._scratch())
        os.close(fd)
        try:
            self.download(relpath, name)
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)

    def download(self, relpath, dst):
        with _errors(relpath):
            self._client.download_file(self.bucket, self.key(relpath), str(dst))

    def exists(self, relpath):
        try:
            self.size(relpath)
        except FileNotFoundError:
            return False
        return True

    def size(self, relpath):
        with _errors(relpath):
            head = self._client.head_object(Bucket=self.bucket, Key=self.key(relpath))
        return int(head["ContentLength"])

    def delete(self, relpath):
        with _errors(relpath):
            self._client.delete_object(Bucket=self.bucket, Key=self.key(relpath))

    def relpaths(self, prefix=""):
        start = self.key(prefix) if prefix.strip("/") else self.prefix
        if start and not start.endswith("/"):
            start += "/"
        strip = len(self.prefix) + 1 if self.prefix else 0
        pages = self._client.get_paginator("list_objects_v2")
        with _errors(prefix or "/"):
            for page in pages.paginate(Bucket=self.bucket, Prefix=start):
                for entry in page.get("Contents", ()):
                    relpath = entry["Key"][strip:]
                    if not Path(relpath).name.startswith("."):
                        yield relpath

    def presigned_url(self, relpath, *, lifetime, mimetype="", download_name="", cache_seconds=0):
        params = {"Bucket": self.bucket, "Key": self.key(relpath)}
        if mimetype:
            params["ResponseContentType"] = mimetype
        if download_name:
            params["ResponseContentDisposition"] = _attachment(download_name)
        if cache_seconds:
            params["ResponseCacheControl"] = f"private, max-age={int(cache_seconds)}"
        return self._signer.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=int(lifetime)
        )

    def close(self):
        self._client.close()
        self._signer.close()

    @property
    def url_origin(self) -> str:
        """Where presigned URLs point (scheme://host[:port]): pages let media load from it."""
        if self._origin is None:
            parts = urlsplit(self.presigned_url("origin", lifetime=60))
            self._origin = f"{parts.scheme}://{parts.netloc}"
        return self._origin

    def _intact(self, relpath: str, sha256: str, size: int) -> bool:
        try:
            return self.size(relpath) == size and self.sha256(relpath) == sha256
        except FileNotFoundError:
            return False

    def _upload(self, src, relpath: str, mimetype: str, metadata: dict) -> None:
        extra = {"ContentType": mimetype, "Metadata": metadata}
        with _errors(relpath):
            self._client.upload_file(str(src), self.bucket, self.key(relpath), ExtraArgs=extra)

    def _scratch(self) -> str | None:
        if self.scratch is None:
            return None
        self.scratch.mkdir(parents=True, exist_ok=True)
        return str(self.scratch)

    def __repr__(self) -> str:
        return f"S3Store('s3://{self.bucket}/{self.prefix}', endpoint={self.endpoint_url!r})"


def open_store(
    url: str,
    *,
    root: str | os.PathLike | None = None,
    endpoint_url: str | None = None,
    public_endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region: str | None = None,
    scratch: str | os.PathLike | None = None,
) -> Store:
    """The store ``url`` names: "" or "file:" the folder ``root``; "s3://bucket/prefix" a bucket."""
    url = (url or "").strip()
    if url in ("", "file:"):
        if root is None:
            raise MediaError("A local media store needs its folder.")
        return LocalStore(root)
    if url.startswith("s3://"):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise MediaError(f"{url}: name the bucket, as in s3://bucket/prefix.")
        return S3Store(
            bucket,
            prefix,
            endpoint_url=endpoint_url,
            public_endpoint_url=public_endpoint_url,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            scratch=scratch,
        )
    raise MediaError(f"{url}: a storage URL is empty, file: or s3://bucket/prefix.")


def _client(endpoint_url, *, access_key, secret_key, region):
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # the optional extra
        raise StorageError("Media on S3 needs boto3: pip install 'prisoners-archive[s3]'.") from exc
    # A custom endpoint (MinIO, SeaweedFS) is addressed by path: no bucket name in the host.
    style = "path" if endpoint_url else "auto"
    config = Config(
        s3={"addressing_style": style},
        signature_version="s3v4",
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=10,
        read_timeout=120,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key or None,
        aws_secret_access_key=secret_key or None,
        region_name=region or "us-east-1",
        config=config,
    )


@contextmanager
def _errors(relpath: str) -> Iterator[None]:
    """A missing object as FileNotFoundError; any other failure of the store as StorageError."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise FileNotFoundError(f"{relpath} is not in the store.") from exc
        raise StorageError(
            f"{relpath}: the object store refused: {error.get('Message') or exc}"
        ) from exc
    except BotoCoreError as exc:
        raise StorageError(f"{relpath}: the object store did not answer: {exc}") from exc
    except Boto3Error as exc:  # a transfer (upload_file, download_file) that failed
        raise StorageError(f"{relpath}: the object store failed: {exc}") from exc


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _hash_stream(stream) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
    return digest.hexdigest()
