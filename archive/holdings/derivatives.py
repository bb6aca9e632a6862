"""Derivatives (access copies, posters, waveform peaks): deleted and made again from originals.

Everything but the original can be made again from it, so derivatives are
disposable: withdrawal deletes them, and ``archive derivatives regenerate``
queues the transcode jobs that make them.  The rows go first, in the
operation's unit of work; the files once it has committed, so a failure never
leaves a row naming a file that was deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from archive import audit
from archive.db import db
from archive.errors import ArchiveError
from archive.holdings.storage import derivatives_dir, store
from archive.models import Item, Job, MediaFile, Recording, User
from archive.uow import current, operation

RUNNING = ("queued", "probing", "transcoding")


@dataclass
class Regenerated:
    jobs: list[Job] = field(default_factory=list)
    busy: list[Recording] = field(default_factory=list)  # already being processed: left alone
    no_original: list[Recording] = field(default_factory=list)


def delete_rows(recordings: list[Recording]) -> int:
    """Remove the derivative rows of ``recordings``; their files go once the unit of work
    has committed (with the recordings' folders, once empty).  How many files."""
    relpaths = []
    for recording in recordings:
        for stored in [f for f in recording.files if f.role != "original"]:
            relpaths.append(stored.relpath)
            recording.files.remove(stored)
            db.session.delete(stored)
    current().remove_stored_after_commit(relpaths)
    current().remove_after_commit([], [derivatives_dir(r.id) for r in recordings])
    return len(relpaths)


@operation
def delete(items: list[Item], *, user: User | None) -> int:
    """Delete every derivative of ``items`` (rows and files), audited; how many files."""
    recordings = [r for item in items for r in item.recordings]
    count = delete_rows(recordings)
    for item in items:
        audit.record(user, "delete-derivatives", item, reindex=False)
    return count


@operation
def regenerate(items: list[Item], *, user: User | None, small_only: bool = False) -> Regenerated:
    """Make every recording's derivatives again from its original.

    A new transcode job is queued for each recording with an original (or run by the
    caller itself, ``--wait``: ``unit_of_work(queue_jobs=False)``). With ``small_only``,
    only the small renditions that are missing are made (recordings that have theirs, or
    have no access copy yet, are left alone).
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
            elif small_only and not needs_small(recording):
                continue
            else:
                kind = "small" if small_only else "transcode"
                job = Job(recording=recording, state="queued", kind=kind)
                db.session.add(job)
                db.session.flush()
                current().enqueue("transcode", job.id)
                done.jobs.append(job)
        audit.record(user, "regenerate-derivatives", item, reindex=False)
    return done


def needs_small(recording: Recording) -> bool:
    """Whether ``recording`` has an access copy but no small rendition for it."""
    return recording.file("access") is not None and recording.file("small") is None


def every_item() -> list[Item]:
    """Every item with a recording, for ``--all``."""
    return list(db.session.scalars(select(Item).join(Recording).distinct().order_by(Item.id)))


def missing_files(item: Item) -> list[MediaFile]:
    """Derivative rows of ``item`` whose file is not in the store."""
    return [
        f
        for r in item.recordings
        for f in r.files
        if f.role != "original" and not store().exists(f.relpath)
    ]
