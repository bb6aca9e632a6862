"""The folder a rebuild writes, and the lock that tells a folder still being written from one
a killed rebuild left behind.

A rebuild holds an exclusive ``flock`` on the folder's BUILDING marker for as long as it
writes. The kernel drops that lock when the process dies, even on ``kill -9``, so the next
rebuild removes an abandoned folder at once instead of waiting for it to grow old. The
writer processes Whoosh forks for ``procs`` > 1 let go of the marker (only the rebuilding
process holds the lock) and are killed with their parent: without that, a killed rebuild
left them blocked on their job queue forever.

The marker only tells which folders of one index root are still being written; it is not
what keeps two rebuilds apart. The archive runs every rebuild under its index writer lock
(``archive.locks``: on PostgreSQL or Redis when several hosts share the archive), so no two
rebuilds or drains overlap on any host, whatever the file system does with flock.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from secrets import token_hex

BUILDING = "BUILDING"  # marker file in a folder a rebuild is still writing, locked while it does
STALE_BUILD = 24 * 3600  # where files cannot be locked: a BUILDING folder this old was abandoned
PR_SET_PDEATHSIG = 1  # prctl(2)

_held: dict[int, tuple[object, int]] = {}  # id(marker) -> (open marker, pid of the rebuilder)


def stamp() -> str:
    """A sortable, unique suffix for a new index folder's name."""
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{token_hex(4)}"


def start(root: Path, prefix: str):
    """Make ``root/<prefix><stamp>`` with its BUILDING marker locked by this process.

    Returns ``(folder, marker)``; call :func:`finish` with the marker when the build ends.
    The folder is made under a hidden name and renamed once locked, so no other process ever
    sees it unlocked.
    """
    hidden = root / f".{prefix}{stamp()}"
    hidden.mkdir()
    marker = open(hidden / BUILDING, "w")  # noqa: SIM115 - held open for the whole build
    with suppress(OSError):  # no locks on this file system: the marker's age decides (STALE_BUILD)
        fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _held[id(marker)] = (marker, os.getpid())
    folder = root / hidden.name[1:]
    hidden.rename(folder)
    return folder, marker


def finish(marker) -> None:
    """Let go of the marker's lock (the folder is live or removed by now)."""
    _held.pop(id(marker), None)
    marker.close()


def abandoned(folder: Path) -> bool:
    """True when no living process is writing ``folder``: it has no BUILDING marker, or
    nobody holds the marker's lock, or (where locks do not work) the marker is STALE_BUILD old."""
    try:
        with open(folder / BUILDING, "rb") as marker:
            try:
                fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            except OSError:
                return time.time() - os.fstat(marker.fileno()).st_mtime > STALE_BUILD
            return True
    except FileNotFoundError:
        return True


def _in_forked_child() -> None:
    """After a fork during a rebuild: close the inherited markers (the lock stays with the
    rebuilder alone) and die with the rebuilder."""
    if not _held:
        return
    parents = {pid for _, pid in _held.values()}
    for marker, _ in _held.values():
        with suppress(OSError):
            marker.close()
    _held.clear()
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() not in parents:  # the rebuilder died before prctl took effect
        os._exit(1)


os.register_at_fork(after_in_child=_in_forked_child)
