"""Derivatives (access copies, posters, waveform peaks): deleted and made again from originals.

Everything but the original can be made again from it, so derivatives are
disposable: withdrawal deletes them, and ``archive derivatives regenerate``
queues (or runs) the transcode jobs that make them.  The rows go first, in
one commit; the files after it, so a failure never leaves a row naming a
file that was deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from archive import audit, queue
from archive.db import db
from archive.errors import ArchiveError
from archive.models import Item, Job, MediaFile, Recording, User
from archive.storage import absolute, derivatives_dir

RUNNING = ("queued", "probing", "transcoding")


@dataclass
class Regenerated:
    jobs: list[Job] = field(default_factory=list)
    busy: list[Recording] = field(default_factory=list)  # already being processed: left alone
    no_original: list[Recording] = field(default_factory=list)


def delete_rows(recordings: list[Recording]) -> list[Path]:
    """Remove the derivative rows of ``recordings`` (not committed); the files to delete after."""
    paths = []
    for recording in recordings:
        for stored in [f for f in recording.files if f.role != "original"]:
            paths.append(absolute(stored.relpath))
            recording.files.remove(stored)
            db.session.delete(stored)
    return paths


def delete_files(paths: list[Path], recordings: list[Recording] | None = None) -> int:
    """After the commit: delete derivative files, and their recordings' folders once empty."""
    deleted = 0
    for path in paths:
        if path.is_file():
            path.unlink()
            deleted += 1
    for recording in recordings or []:
        folder = derivatives_dir(recording.id)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return deleted


def delete(items: list[Item], *, user: User | None) -> int:
    """Delete every derivative of ``items`` (rows and files), audited; how many files."""
    recordings = [r for item in items for r in item.recordings]
    paths = delete_rows(recordings)
    for item in items:
        audit.record(user, "delete-derivatives", item, reindex=False)
    db.session.commit()
    return delete_files(paths, recordings)


def regenerate(items: list[Item], *, user: User | None, run: bool = False) -> Regenerated:
    """Make every recording's derivatives again from its original.

    A new transcode job is queued for each recording with an original; with
    ``run`` the caller runs them itself (``--wait``) instead of the worker.
    """
    done = Regenerated()
    for item in items:
        if item.status == "withdrawn":
            raise ArchiveError(
                f"{item.identifier} was withdrawn: reinstate it to make its access copies again."
            )
        for recording in item.recordings:
            if recording.original is None:
                done.no_original.append(recording)
            elif recording.latest_job is not None and recording.latest_job.state in RUNNING:
                done.busy.append(recording)
            else:
                job = Job(recording=recording, state="queued")
                db.session.add(job)
                done.jobs.append(job)
        audit.record(user, "regenerate-derivatives", item, reindex=False)
    db.session.commit()
    if not run:
        for job in done.jobs:
            queue.enqueue("transcode", job.id)
    return done


def every_item() -> list[Item]:
    """Every item with a recording, for ``--all``."""
    return list(db.session.scalars(select(Item).join(Recording).distinct().order_by(Item.id)))


def missing_files(item: Item) -> list[MediaFile]:
    """Derivative rows of ``item`` whose file is not on disk."""
    return [
        f
        for r in item.recordings
        for f in r.files
        if f.role != "original" and not absolute(f.relpath).is_file()
    ]
