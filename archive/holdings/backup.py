"""Backup and restore: a consistent copy of the catalogue with a checksum manifest of the media.

A backup folder holds ``archive.db`` (SQLite's online backup: consistent while the archive
runs), ``media/`` (every stored file the catalogue refers to: originals and access copies,
copied out of the media folder or the bucket alike, under the same relative paths) and
``manifest-sha256.txt`` (BagIt style: ``<sha256>  <path>`` per file, the database
included).  ``restore`` verifies every line of the manifest before it touches the instance,
and puts each file where the configured store keeps it (an original written once and read
back, as at ingest).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import make_url

import media
from archive.db import db
from archive.errors import ArchiveError
from archive.holdings.storage import store
from archive.models import MediaFile

MANIFEST = "manifest-sha256.txt"

#: ``progress(stage, done, total)``: "copying" (backup), "verifying" and "restoring" (restore)
#: count files; "indexing" counts the items of the rebuilt index.
Progress = Callable[[str, int, int], None]


def _unreported(stage: str, done: int, total: int) -> None:
    pass


def _database_path() -> Path:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database:
        raise ArchiveError("backup copies SQLite databases; for PostgreSQL use pg_dump.")
    return Path(url.database)


def backup(dest: Path, progress: Progress | None = None) -> dict:
    """Write a backup into ``dest`` (new or empty); return the counts."""
    progress = progress or _unreported
    if dest.exists() and any(dest.iterdir()):
        raise ArchiveError(f"{dest} is not empty: back up into a new folder.")
    (dest / "media").mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(_database_path())
    target = sqlite3.connect(dest / "archive.db")
    try:
        source.backup(target)  # a consistent snapshot, even while others write
    finally:
        target.close()
        source.close()
    lines = [f"{media.sha256_file(dest / 'archive.db')}  archive.db"]
    files = _files_in(dest / "archive.db")
    progress("copying", 0, len(files))
    for done, (relpath, sha256) in enumerate(files, start=1):
        copy = dest / "media" / relpath
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            store().download(relpath, copy)
        except FileNotFoundError:
            raise ArchiveError(
                f"media/{relpath} is missing from storage: run archive fixity."
            ) from None
        actual = media.sha256_file(copy)
        if actual != sha256:
            raise ArchiveError(
                f"media/{relpath} does not match its recorded checksum: run archive fixity."
            )
        lines.append(f"{sha256}  media/{relpath}")
        progress("copying", done, len(files))
    (dest / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "files": len(files),
        "bytes": sum((dest / "media" / r).stat().st_size for r, _ in files),
    }


def _files_in(database: Path) -> list[tuple[str, str]]:
    """(relpath, sha256) of every stored file the snapshot's catalogue refers to."""
    with sqlite3.connect(database) as snapshot:
        return sorted(set(snapshot.execute("SELECT relpath, sha256 FROM media_files").fetchall()))


def verify(src: Path, progress: Progress | None = None) -> list[tuple[str, str]]:
    """Check a backup's manifest; return its (sha256, path) lines or say what is wrong."""
    progress = progress or _unreported
    manifest = src / MANIFEST
    if not manifest.is_file():
        raise ArchiveError(f"{src} has no {MANIFEST}: it is not an archive backup.")
    entries = []
    lines = manifest.read_text(encoding="utf-8").splitlines()
    progress("verifying", 0, len(lines))
    for number, line in enumerate(lines, start=1):
        sha256, sep, path = line.partition("  ")
        if not sep or ".." in Path(path).parts or Path(path).is_absolute():
            raise ArchiveError(f"{MANIFEST} line {number} is malformed.")
        if not media.verify_file(src / path, sha256):
            raise ArchiveError(
                f"{path} is missing or damaged in the backup (manifest line {number})."
            )
        entries.append((sha256, path))
        progress("verifying", number, len(lines))
    return entries


def restore(src: Path, progress: Progress | None = None) -> dict:
    """Bring a verified backup into this (empty) instance, then migrate and reindex."""
    from archive import migrate
    from archive.discovery import indexing

    progress = progress or _unreported
    entries = verify(src, progress)
    database = _database_path()
    if database.exists() and _has_items(database):
        raise ArchiveError("This instance already holds items: restore into an empty instance.")
    db.session.remove()
    db.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "archive.db", database)
    progress("restoring", 0, len(entries))
    for done, (sha256, path) in enumerate(entries, start=1):
        if path.startswith("media/"):
            relpath = path.removeprefix("media/")
            try:
                if relpath.startswith("originals/"):  # written once, read back and verified
                    store().put_original(src / path, relpath, sha256)
                else:
                    store().put_file(relpath, src / path)
            except (OSError, media.MediaError) as exc:
                raise ArchiveError(f"{path} could not be put back into storage: {exc}") from exc
        progress("restoring", done, len(entries))
    migrate.upgrade()
    items = indexing.reindex(progress=progress)
    missing = [
        f.relpath for f in db.session.scalars(select(MediaFile)) if not store().exists(f.relpath)
    ]
    if missing:
        raise ArchiveError(
            f"Restored, but {len(missing)} stored file(s) are missing, first {missing[0]}."
        )
    return {"items": items, "files": len(entries) - 1}


def _has_items(database: Path) -> bool:
    with sqlite3.connect(database) as con:
        try:
            return con.execute("SELECT count(*) FROM items").fetchone()[0] > 0
        except sqlite3.OperationalError:
            return False
