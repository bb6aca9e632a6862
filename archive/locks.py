"""Named locks that keep processes, and hosts, from doing the same work at once.

The outbox drain and index rebuild (``index-writer``), job recovery (``recover-jobs``) and a
recording's transcode (``recording-<id>``) each run in one process at a time. A lock comes
from whatever the archive's processes already share:

- the catalogue on PostgreSQL: a session-level advisory lock, ``pg_try_advisory_lock(k1, k2)``
  with two int4 keys hashed from the name, taken on a connection of its own that is kept for
  as long as the lock is held. When the holder dies, its connection closes and the server lets
  go of the lock at once (no timeout to wait out). The two-key space never meets the one-key
  space that the transaction-scoped locks of the harvest and the search tables use;
- else ``[LOCKS] URL = "redis://…"``: a key set with ``SET NX PX`` to a random token, renewed
  by a thread while it is held and deleted only by its holder (compare and delete, in a
  script). A dead holder's key expires ``[LOCKS] TTL`` seconds after its last renewal;
- else (one machine, the embedded default) an ``flock`` on ``<instance>/locks/<name>.lock``,
  released by the kernel when the holder dies, even by ``kill -9``.

Every lock belongs to the object that took it, not to the process or thread: two locks of
one name in one process exclude each other, as they do in two processes or on two hosts.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

from archive.errors import ArchiveError

#: Seconds between two tries of a lock that is waited for.
POLL = 0.05


class LockBusy(ArchiveError):
    """Another process held the lock for longer than we were willing to wait."""


class Lock:
    """One named lock: ``try_acquire()``, ``acquire(timeout)``, ``release()``, or ``with``.

    A backend supplies ``_try()`` (one attempt, True when taken) and ``_release()``.
    """

    def __init__(self, name: str):
        self.name = name
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        if self.held:
            raise RuntimeError(f"lock {self.name!r} is already held by this object")
        self.held = self._try()
        return self.held

    def acquire(self, timeout: float) -> bool:
        """Take the lock, waiting up to ``timeout`` seconds for its holder to let go."""
        deadline = time.monotonic() + timeout
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)
        return True

    def release(self) -> None:
        if self.held:
            self.held = False
            self._release()

    def __enter__(self) -> Lock:
        if not self.try_acquire():
            raise LockBusy(f"{self.name} is held by another process.")
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _try(self) -> bool:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError


class FileLock(Lock):
    """An ``flock`` on a file of ``folder`` (one open file per lock object)."""

    def __init__(self, name: str, folder: Path):
        super().__init__(name)
        self.path = Path(folder) / f"{safe(name)}.lock"
        self._fd: int | None = None

    def _try(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def _release(self) -> None:
        fd, self._fd = self._fd, None
        os.close(fd)  # closing the file releases its lock


class PostgresLock(Lock):
    """A session-level advisory lock on a connection of ``engine`` held while it is."""

    def __init__(self, name: str, engine):
        super().__init__(name)
        self.engine = engine
        self.keys = advisory_keys(name)
        self._connection = None

    def acquire(self, timeout: float) -> bool:
        """Wait in the server's queue for the lock (no polling: PostgreSQL hands it to the
        first waiter as it comes free), up to ``timeout`` seconds."""
        if timeout <= 0:
            return self.try_acquire()
        if self.held:
            raise RuntimeError(f"lock {self.name!r} is already held by this object")
        self.held = self._take(timeout)
        return self.held

    def _try(self) -> bool:
        return self._take(0)

    def _take(self, timeout: float) -> bool:
        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError

        keys = {"k1": self.keys[0], "k2": self.keys[1]}
        # Autocommit: a lock held for hours must not hold a transaction open with it.
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if not timeout:
                taken = connection.scalar(text("SELECT pg_try_advisory_lock(:k1, :k2)"), keys)
            else:
                wait = {"wait": f"{max(1, int(timeout * 1000))}ms"}
                connection.execute(text("SELECT set_config('lock_timeout', :wait, false)"), wait)
                try:
                    connection.execute(text("SELECT pg_advisory_lock(:k1, :k2)"), keys)
                    taken = True
                except OperationalError as exc:
                    if "lock timeout" not in str(exc):
                        raise
                    taken = False
                connection.execute(text("SELECT set_config('lock_timeout', '0', false)"))
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def _release(self) -> None:
        from sqlalchemy import text

        connection, self._connection = self._connection, None
        try:
            released = connection.scalar(
                text("SELECT pg_advisory_unlock(:k1, :k2)"),
                {"k1": self.keys[0], "k2": self.keys[1]},
            )
        except Exception:  # noqa: BLE001 - the connection is closed below either way
            released = False
        if not released:  # never hand a connection that may still hold it back to the pool
            connection.invalidate()
        connection.close()


#: Sets the key's expiry again only while it still holds our token.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
#: Deletes the key only while it still holds our token (not the next holder's).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
PREFIX = "archive:lock:"


class RedisLock(Lock):
    """A Redis key holding a random token, renewed every third of ``ttl`` while held.

    ``lost`` turns True when a renewal finds the key gone or another's (this process stalled
    for longer than ``ttl``): the work under it may then overlap another holder's."""

    def __init__(self, name: str, client, ttl: float = 30.0):
        super().__init__(name)
        self.client, self.ttl = client, ttl
        self.key = PREFIX + name
        self.lost = False
        self._token = ""
        self._stop: threading.Event | None = None
        self._renewer: threading.Thread | None = None

    def _try(self) -> bool:
        token = secrets.token_hex(16)
        if not self.client.set(self.key, token, nx=True, px=int(self.ttl * 1000)):
            return False
        self._token, self.lost = token, False
        self._stop = threading.Event()
        self._renewer = threading.Thread(
            target=self._renew, args=(self._stop,), name=f"lock-{self.name}", daemon=True
        )
        self._renewer.start()
        return True

    def _renew(self, stop: threading.Event) -> None:
        while not stop.wait(self.ttl / 3):
            try:
                renewed = self.client.eval(RENEW, 1, self.key, self._token, int(self.ttl * 1000))
            except Exception:  # noqa: BLE001 - Redis away for a moment: try again next time
                continue
            if not renewed:
                self.lost = True
                return

    def _release(self) -> None:
        self._stop.set()
        self._renewer.join()
        self.client.eval(RELEASE, 1, self.key, self._token)


def advisory_keys(name: str) -> tuple[int, int]:
    """Two signed 32-bit keys for ``name``, the same in every process and on every host.

    >>> advisory_keys("index-writer") == advisory_keys("index-writer")
    True
    >>> all(-(2**31) <= key < 2**31 for key in advisory_keys("recording-7"))
    True
    """
    digest = hashlib.blake2b(name.encode(), digest_size=8, person=b"archive-lock").digest()
    return (
        int.from_bytes(digest[:4], "big", signed=True),
        int.from_bytes(digest[4:], "big", signed=True),
    )


def safe(name: str) -> str:
    """``name`` as a file name.

    >>> safe("recording-12"), safe("../x y")
    ('recording-12', '.._x_y')
    """
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def backend() -> str:
    """Where the app's locks live: "postgresql", "redis" or "file" (see the module)."""
    from archive.db import db

    if db.engine.dialect.name == "postgresql":
        return "postgresql"
    return "redis" if current_app.config["LOCKS"]["URL"] else "file"


def named(name: str) -> Lock:
    """A new, unheld lock called ``name`` on the app's lock backend."""
    kind = backend()
    if kind == "postgresql":
        from archive.db import db

        return PostgresLock(name, db.engine)
    if kind == "redis":
        return RedisLock(name, _redis_client(), float(current_app.config["LOCKS"]["TTL"]))
    return FileLock(name, Path(current_app.instance_path) / "locks")


@contextmanager
def hold(name: str, timeout: float, busy: str = "") -> Iterator[Lock]:
    """Hold ``name`` while the block runs, waiting up to ``timeout`` seconds for it; raises
    :class:`LockBusy` (with the message ``busy``) when it stays taken."""
    lock = named(name)
    if not lock.acquire(timeout):
        raise LockBusy(busy or f"{name} is held by another process.")
    try:
        yield lock
    finally:
        lock.release()


@contextmanager
def attempt(name: str) -> Iterator[bool]:
    """Try ``name`` once; yields whether this block holds it (and then releases it)."""
    lock = named(name)
    try:
        yield lock.try_acquire()
    finally:
        lock.release()


_clients: dict[tuple[int, str], object] = {}


def _redis_client():
    """One client per process and URL (a forked process makes its own connections)."""
    import redis

    url = current_app.config["LOCKS"]["URL"]
    key = (os.getpid(), url)
    if key not in _clients:
        _clients[key] = redis.Redis.from_url(url, socket_timeout=5)
    return _clients[key]
