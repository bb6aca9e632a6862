"""Originals, kept write-once under their SHA-256, and checksums for fixity."""

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from media.errors import MediaError

CHUNK_SIZE = 1 << 20
READ_ONLY = 0o444  # originals
ACCESS_COPY_MODE = 0o644  # derivatives, served perhaps by another user (the web server)
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredFile:
    """An original in the store: where it is and what it must hash to."""

    path: Path | None  # absolute, when the store is a folder on this machine
    relpath: str  # posix, relative to the store's root: "ab/cd/abcd..."
    sha256: str
    size: int


def sha256_file(path: str | os.PathLike, *, chunk_size: int = CHUNK_SIZE) -> str:
    """The SHA-256 of the file at `path` as hex, read in chunks."""
    with open(path, "rb") as file:
        return _hash_stream(file, chunk_size).hexdigest()


def verify_file(path: str | os.PathLike, sha256: str) -> bool:
    """Whether the file at `path` exists and hashes to `sha256` (a fixity check)."""
    try:
        return sha256_file(path) == sha256.lower()
    except FileNotFoundError:
        return False


def stored_relpath(sha256: str) -> str:
    """Where the original with this checksum lives, relative to the store's root."""
    sha256 = sha256.lower()
    if not _SHA256.fullmatch(sha256):
        raise MediaError(f"{sha256!r} is not a SHA-256 checksum.")
    return f"{sha256[0:2]}/{sha256[2:4]}/{sha256}"


def store_original(
    src: str | os.PathLike, root: str | os.PathLike, *, sha256: str | None = None
) -> StoredFile:
    """Copy `src` into the store under `root`, named by its SHA-256, verified and read-only.

    The copy is written to a temporary name on the store's file system, flushed to disk,
    read back from the disk and checked against the source's checksum (and `sha256`, if
    given), and only then renamed into place. An existing, intact copy is returned as it is;
    a damaged one is replaced. `src` is only read.
    """
    src, root = Path(src), Path(root).absolute()
    if sha256 is not None:
        existing = _intact(root, stored_relpath(sha256), src.stat().st_size)
        if existing:
            return existing
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".incoming-{secrets.token_hex(8)}.part"
    try:
        copied, size = _copy_and_hash(src, tmp)
        if sha256 is not None and copied != sha256.lower():
            raise MediaError(
                "The file's SHA-256 does not match the checksum it was uploaded with, "
                "so it was not stored (it may have changed or been damaged in transit)."
            )
        if sha256_file(tmp) != copied:
            raise MediaError(
                "The stored copy did not read back identical to the upload, so it was "
                "discarded; check the storage and try again."
            )
        existing = _intact(root, stored_relpath(copied), size)
        if existing:
            return existing
        os.chmod(tmp, READ_ONLY)
        stored = _place(tmp, root, stored_relpath(copied))
    finally:
        tmp.unlink(missing_ok=True)
    return StoredFile(path=stored, relpath=stored_relpath(copied), sha256=copied, size=size)


@contextmanager
def written_atomically(dst: str | os.PathLike, *, mode: int = ACCESS_COPY_MODE) -> Iterator[Path]:
    """A temporary path beside `dst`, renamed to `dst` if the block succeeds, else deleted."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def _intact(root: Path, relpath: str, size: int) -> StoredFile | None:
    """The stored original at `relpath` if it is there, of `size` bytes and undamaged."""
    path = root / relpath
    sha256 = relpath.rsplit("/", 1)[-1]
    try:
        if path.stat().st_size != size:
            return None
    except FileNotFoundError:
        return None
    if sha256_file(path) != sha256:
        return None
    return StoredFile(path=path, relpath=relpath, sha256=sha256, size=size)


def _copy_and_hash(src: Path, dst: Path) -> tuple[str, int]:
    """Copy `src` to a new file `dst`, flush it to disk; the SHA-256 and size of the copy."""
    digest, size = hashlib.sha256(), 0
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    with open(src, "rb") as source, open(dst, "xb") as target:
        while count := source.readinto(buffer):
            digest.update(view[:count])
            target.write(view[:count])
            size += count
        target.flush()
        os.fsync(target.fileno())
        if hasattr(os, "posix_fadvise"):
            # Drop the now-clean pages from the cache so the read-back check reads the disk.
            os.posix_fadvise(target.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    return digest.hexdigest(), size


def _place(tmp: Path, root: Path, relpath: str) -> Path:
    """Rename `tmp` to `root/relpath` atomically and make the rename durable."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return path


def _hash_stream(file, chunk_size: int):
    digest = hashlib.sha256()
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    while count := file.readinto(buffer):
        digest.update(view[:count])
    return digest
