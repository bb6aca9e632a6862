"""How many searches one anonymous visitor may run at once, counted across every web worker.

An address (an IPv6 one by its /64, which one visitor usually holds whole) falls into one of
:data:`BUCKETS` buckets; a bucket has ``[SEARCH] CONCURRENT_PER_ADDRESS`` slots, each a file
under ``<instance>/search-slots/`` on which a running search holds an ``flock``. A search that
finds every slot of its bucket taken is refused (429) at once, without waiting.

Why lock files rather than counts in the database or Redis (as the login limit does): a count
of searches *running* must go down when a search ends, and also when its worker is killed
half-way; the kernel releases a dead process's locks, so a slot is never left taken, and
taking one writes nothing to the catalogue's database (searches are the commonest request, and
SQLite has one writer). The locks are seen by every worker process of one host; each host of a
multi-host site counts its own searches, which is what protects its processors.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

#: Buckets addresses are spread over (a fixed number, so the files stay few whatever the
#: number of addresses; two visitors share a bucket rarely, and then only its slots).
BUCKETS = 4096
FOLDER = "search-slots"
#: Seconds a refused visitor is told to wait (``Retry-After``): a bounded search ends sooner.
RETRY_AFTER = 1


def bucket(address: str) -> int:
    """The bucket of ``address``: IPv6 by its /64 network, anything unparseable as written.

    >>> bucket("2001:db8:1:2::5") == bucket("2001:db8:1:2:ffff::9"), 0 <= bucket("x") < BUCKETS
    (True, True)
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        key = address
    else:
        if parsed.version == 6 and parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        key = str(parsed)
        if parsed.version == 6:
            key = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


@contextmanager
def search_slot(address: str) -> Iterator[bool]:
    """Hold one of ``address``'s search slots while the block runs; yields False (holding
    nothing) when every slot is taken, True otherwise (always True with no limit set)."""
    limit = int(current_app.config["SEARCH"]["CONCURRENT_PER_ADDRESS"] or 0)
    if limit <= 0:
        yield True
        return
    folder = Path(current_app.instance_path) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    number = bucket(address or "unknown")
    for slot in range(limit):
        # One open file per search: flock belongs to the open file, so two threads of one
        # worker each count, as two processes do.
        handle = os.open(folder / f"{number:04x}-{slot}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            continue
        try:
            yield True
        finally:
            os.close(handle)  # releases the lock
        return
    yield False
