"""Fixity: re-verify every stored original against the SHA-256 recorded when it arrived."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from archive import audit, locks
from archive.db import db
from archive.holdings.queue import periodic
from archive.holdings.storage import store
from archive.models import AuditEvent, FixityCheck, MediaFile, utcnow
from archive.uow import unit_of_work


@dataclass
class FixityReport:
    checked: int = 0
    ok: int = 0
    mismatched: list[str] = field(default_factory=list)  # "ITEM: relpath"
    missing: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [f"MISMATCH {p}" for p in self.mismatched] + [f"MISSING {p}" for p in self.missing]


def check_all(
    echo: Callable[[str], None] | None = None,
    batch: int = 50,
    progress: Callable[[str, int, int], None] | None = None,
) -> FixityReport:
    """Hash every original (superseded ones too), record each check, audit the run.

    ``progress("hashing", checked, originals)`` is called before the first and after each."""
    report = FixityReport()
    originals = db.session.scalars(
        select(MediaFile).where(MediaFile.role == "original").order_by(MediaFile.id)
    ).all()
    if progress is not None:
        progress("hashing", 0, len(originals))
    for start in range(0, len(originals), batch):
        with unit_of_work():  # the checks so far are kept, whatever happens next
            for original in originals[start : start + batch]:
                _check(original, report, echo)
                if progress is not None:
                    progress("hashing", report.checked, len(originals))
    with unit_of_work():
        audit.record(None, "fixity", None, checked=report.checked, ok=report.ok,
                     mismatched=len(report.mismatched), missing=len(report.missing))  # fmt: skip
    return report


def _check(original: MediaFile, report: FixityReport, echo) -> None:
    """Hash one original against its recorded checksum; record the check."""
    label = f"{original.recording.item.identifier}: {original.relpath}"
    try:
        actual = store().sha256(original.relpath)  # read whole, from the disk or the bucket
    except FileNotFoundError:
        outcome, actual = "missing", ""
        report.missing.append(label)
    else:
        outcome = "ok" if actual == original.sha256 else "mismatch"
        if outcome == "ok":
            report.ok += 1
        else:
            report.mismatched.append(label)
    report.checked += 1
    db.session.add(
        FixityCheck(
            media_file_id=original.id,
            relpath=original.relpath,
            outcome=outcome,
            expected=original.sha256,
            actual=actual,
        )
    )
    if outcome != "ok":
        audit.record(None, f"fixity-{outcome}", original.recording.item, reindex=False,
                     relpath=original.relpath, expected=original.sha256, actual=actual)  # fmt: skip
    if echo is not None and outcome != "ok":
        echo(f"{outcome.upper()} {label}")


#: A whole run finished less than this long ago makes the weekly one unneeded.
RECENT = timedelta(hours=12)


@periodic("fixity_weekly", day_of_week="0", hour="3", minute="15")
def fixity_weekly() -> bool:
    """The worker's weekly fixity run (Sunday 03:15); problems are in the audit trail.

    Every worker host's scheduler queues this task at the same minute, so it runs under the
    ``fixity`` lock, and a worker that finds a whole run finished within ``RECENT`` (another
    host's, or one an archivist started from the command line) leaves it at that: one run a
    week, however many workers. Returns whether this call ran it.
    """
    with locks.attempt("fixity") as held:
        if not held or _finished_since(utcnow() - RECENT):
            return False
        check_all()
        return True


def _finished_since(moment: datetime) -> bool:
    return (
        db.session.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.action == "fixity", AuditEvent.at >= moment)
            .limit(1)
        )
        is not None
    )
