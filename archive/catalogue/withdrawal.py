"""Withdrawing an item (consent withdrawn, a takedown), reinstating it, deleting it for good.

Withdrawal keeps the original, always: an archive never destroys an original
because a narrator withdrew.  It removes everything made from it (access
copies, posters, peaks) and the item's index entries, and the item answers
410 Gone to everyone but staff.  Only an admin deletes an item for good,
original included, and the audit trail keeps its identifier.
"""

from __future__ import annotations

from sqlalchemy import select

from archive import audit
from archive.db import db
from archive.errors import ArchiveError
from archive.holdings import derivatives, jobs
from archive.holdings.storage import derivatives_dir
from archive.models import IndexOutbox, Item, MediaFile, User, utcnow
from archive.uow import current, operation


@operation
def withdraw(item: Item, reason: str, *, user: User | None) -> Item:
    """Withdraw ``item``: 410 Gone to all but staff, derivatives and index entries removed."""
    reason = (reason or "").strip()
    if not reason:
        raise ArchiveError("Say why the item is withdrawn (a reason is required).")
    if item.status == "withdrawn":
        raise ArchiveError(f"{item.identifier} is already withdrawn.")
    before = item.status
    item.status = "withdrawn"
    item.withdrawn_at = utcnow()
    item.withdrawn_reason = reason
    recordings = list(item.recordings)
    # Queued jobs would make the access copies again: they are cancelled.
    jobs.cancel_queued(recordings, "The item was withdrawn.")
    count = derivatives.delete_rows(recordings)
    audit.record(
        user, "withdraw", item, reason=reason, previous_status=before, derivatives=count
    )  # its outbox row removes the item from the index
    return item


@operation
def reinstate(item: Item, *, user: User | None) -> derivatives.Regenerated:
    """Bring a withdrawn item back as a draft, and queue its derivatives again."""
    if item.status != "withdrawn":
        raise ArchiveError(f"{item.identifier} is not withdrawn.")
    item.status = "draft"
    item.withdrawn_at = None
    audit.record(user, "reinstate", item, withdrawn_reason=item.withdrawn_reason)
    item.withdrawn_reason = ""
    return derivatives.regenerate([item], user=user)


@operation
def delete(item: Item, *, user: User | None, confirm: str) -> dict:
    """Delete ``item`` for good: rows, transcripts, index entries and every file, originals too.

    ``confirm`` must be the item's identifier, typed by the admin.  An original
    that another item's recording also names is kept.
    """
    if user is not None and getattr(user, "is_authenticated", False) and not user.is_admin:
        raise ArchiveError("Only an admin can delete an item for good.")
    if (confirm or "").strip() != item.identifier:
        raise ArchiveError(
            f"Type the identifier {item.identifier} to confirm deleting it for good."
        )
    recording_ids = [r.id for r in item.recordings]
    stored = [f for r in item.recordings for f in r.files]
    shared = _shared_relpaths(stored, recording_ids)
    relpaths = [f.relpath for f in stored if f.relpath not in shared]
    counts = {
        "item_id": item.id,
        "identifier": item.identifier,
        "recordings": len(recording_ids),
        "files": len(relpaths),
        "transcripts": len(item.transcripts),
        "kept_shared": sorted(shared),
    }
    # indexing.identifiers_of_deleted finds the identifier through this event's details.
    audit.record(user, "delete", None, **counts)
    db.session.add(IndexOutbox(item_id=item.id))
    for recording in item.recordings:
        recording.superseded_by_id = None  # the recordings refer to each other
    db.session.flush()
    db.session.delete(item)
    current().remove_stored_after_commit(relpaths)
    current().remove_after_commit([], [derivatives_dir(r) for r in recording_ids])
    return counts


def _shared_relpaths(stored: list[MediaFile], recording_ids: list[int]) -> set[str]:
    """Stored paths that a recording of another item also names."""
    relpaths = {f.relpath for f in stored}
    if not relpaths:
        return set()
    return set(
        db.session.scalars(
            select(MediaFile.relpath).where(
                MediaFile.relpath.in_(relpaths), MediaFile.recording_id.not_in(recording_ids)
            )
        )
    )
