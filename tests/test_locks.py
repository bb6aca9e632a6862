"""The named locks of ``archive.locks``, the same tests on each of their three backends
(a file's flock, a PostgreSQL advisory lock, a Redis key), in real processes: a held lock is
refused to others, waited for up to a timeout, never held by two at once, and comes free
when its holder is killed with SIGKILL.

PostgreSQL is the server at 127.0.0.1:5432 (database ``test``; the locks' names are unique to
each test, so nothing else using that database meets them), Redis the one at 127.0.0.1:6379,
or a throwaway ``redis-server`` of the test's own when none answers there.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from archive import create_app, locks, migrate
from archive.catalogue import items
from archive.db import db
from archive.holdings import derivatives
from archive.holdings.ingest import ingest
from archive.holdings.jobs import recover, transcode
from archive.holdings.storage import local
from archive.models import AuditEvent, IndexOutbox, Job
from tests.conftest import app_config, process_env
from tests.databases import ON_POSTGRESQL, PostgresCopies
from tests.redis_server import throwaway_redis
from tests.test_upload import make_video

ROOT = Path(__file__).resolve().parent.parent
POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"
TTL = 1.5  # seconds a Redis lock of these tests outlives its killed holder


def answers(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


@pytest.fixture(scope="module")
def postgresql_url():
    if not answers("127.0.0.1", 5432):
        pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
    return POSTGRESQL


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if answers("127.0.0.1", 6379):
        yield REDIS
        return
    with throwaway_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["file", "postgresql", "redis"])
def where(request, tmp_path) -> tuple[str, str]:
    """(backend, where its locks live): a folder, a PostgreSQL URL or a Redis URL."""
    kind = request.param
    if kind == "file":
        return kind, str(tmp_path / "locks")
    if kind == "postgresql":
        return kind, request.getfixturevalue("postgresql_url")
    return kind, request.getfixturevalue("redis_url")


def make_lock(kind: str, place: str, name: str) -> locks.Lock:
    """A lock of ``kind`` without an app, as a test's other processes make them too."""
    if kind == "file":
        return locks.FileLock(name, Path(place))
    if kind == "postgresql":
        return locks.PostgresLock(name, create_engine(place, poolclass=NullPool))
    return locks.RedisLock(name, redis.Redis.from_url(place, socket_timeout=5), ttl=TTL)


@pytest.fixture
def name() -> str:
    return f"test-{uuid.uuid4().hex}"


# --- one process -----------------------------------------------------------------------------


def test_a_held_lock_is_refused_to_another_until_released(where, name):
    one, two = make_lock(*where, name), make_lock(*where, name)
    assert one.try_acquire()
    try:
        assert not two.try_acquire()
        assert not two.held
    finally:
        one.release()
    assert two.try_acquire()
    assert not one.try_acquire()
    two.release()


def test_locks_of_different_names_do_not_meet(where, name):
    one, other = make_lock(*where, name), make_lock(*where, name + "-other")
    assert one.try_acquire()
    try:
        assert other.try_acquire()
        other.release()
    finally:
        one.release()


def test_acquire_waits_up_to_its_timeout_then_gives_up(where, name):
    holder, waiter = make_lock(*where, name), make_lock(*where, name)
    assert holder.try_acquire()
    try:
        started = time.monotonic()
        assert not waiter.acquire(timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 3
        releaser = threading.Timer(0.3, holder.release)
        releaser.start()
        started = time.monotonic()
        assert waiter.acquire(timeout=10)
        assert 0.25 <= time.monotonic() - started < 5
        releaser.join()
    finally:
        holder.release()
        waiter.release()


def test_the_block_form_raises_lock_busy_when_taken(where, name):
    with make_lock(*where, name):
        with pytest.raises(locks.LockBusy):
            with make_lock(*where, name):
                pass  # never reached
    with make_lock(*where, name) as again:
        assert again.held


def test_a_redis_lock_outlives_its_ttl_while_its_holder_renews_it(redis_url, name):
    holder, other = make_lock("redis", redis_url, name), make_lock("redis", redis_url, name)
    assert holder.try_acquire()
    try:
        time.sleep(TTL * 2.5)  # renewed every TTL / 3
        assert not other.try_acquire()
        assert not holder.lost
    finally:
        holder.release()
    assert redis.Redis.from_url(redis_url).exists(locks.PREFIX + name) == 0


def test_a_redis_lock_released_late_never_deletes_the_next_holders(redis_url, name):
    """A holder that stalled past the TTL finds its lock lost, and its release leaves the
    lock the next holder took alone (compare and delete)."""
    client = redis.Redis.from_url(redis_url)
    stalled, taker = make_lock("redis", redis_url, name), make_lock("redis", redis_url, name)
    assert stalled.try_acquire()
    client.delete(locks.PREFIX + name)  # as if its key expired while the process stalled
    assert taker.try_acquire()
    stalled.release()
    assert client.get(locks.PREFIX + name).decode() == taker._token
    assert not make_lock("redis", redis_url, name).try_acquire()
    taker.release()


# --- several processes -----------------------------------------------------------------------

HOLDER = """
import sys, time
from tests.test_locks import make_lock
lock = make_lock(sys.argv[1], sys.argv[2], sys.argv[3])
assert lock.try_acquire()
print("held", flush=True)
time.sleep(600)
"""

TAKER = """
import os, sys, time
from tests.test_locks import make_lock
kind, place, name, log, rounds = sys.argv[1:6]
lock = make_lock(kind, place, name)
for _ in range(int(rounds)):
    assert lock.acquire(timeout=60), "timed out"
    with open(log, "a") as out:
        out.write(f"in {os.getpid()}\\n")
    time.sleep(0.01)
    with open(log, "a") as out:
        out.write(f"out {os.getpid()}\\n")
    lock.release()
"""


def run(script: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, text=True, **kwargs)


def test_a_lock_held_by_a_process_killed_with_sigkill_comes_free(where, name):
    holder = run(HOLDER, *where, name, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        mine = make_lock(*where, name)
        assert not mine.try_acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=10)
    started = time.monotonic()
    assert mine.acquire(timeout=TTL + 5)  # the kernel, the server or the expiry lets go
    waited = time.monotonic() - started
    mine.release()
    # flock and PostgreSQL let go as the process dies; Redis when the key expires.
    assert waited < (TTL + 1 if where[0] == "redis" else 1)


def test_processes_taking_one_lock_in_turn_never_hold_it_together(where, name, tmp_path):
    log = tmp_path / "log"
    takers = [run(TAKER, *where, name, str(log), "15") for _ in range(4)]
    for taker in takers:
        taker.wait(120)
    assert [t.returncode for t in takers] == [0, 0, 0, 0]
    lines = log.read_text().splitlines()
    assert len(lines) == 4 * 15 * 2
    for start in range(0, len(lines), 2):  # every "in" followed by the same process's "out"
        entered, left = lines[start].split(), lines[start + 1].split()
        assert (entered[0], left[0], entered[1]) == ("in", "out", left[1]), lines[start : start + 2]


# --- the app's choice ------------------------------------------------------------------------


def app_with(tmp_path, **config):
    return create_app(
        {"INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True, "SECRET_KEY": "t"} | config
    )


def test_the_app_locks_files_of_its_instance_by_default(tmp_path):
    app = app_with(tmp_path, DATABASE_URL="", DATABASE={"URL": ""})
    with app.app_context():
        assert locks.backend() == "file"
        lock = locks.named("index-writer")
        assert lock.path == tmp_path / "instance" / "locks" / "index-writer.lock"


def test_the_app_takes_redis_locks_when_locks_url_is_set(tmp_path, redis_url):
    app = app_with(tmp_path, DATABASE_URL="", DATABASE={"URL": ""}, LOCKS={"URL": redis_url})
    with app.app_context():
        assert locks.backend() == "redis"
        with locks.hold("index-writer", timeout=1):
            assert not locks.named("index-writer").try_acquire()
            with locks.attempt("index-writer") as held:
                assert not held
        with locks.attempt("index-writer") as held:
            assert held


@pytest.mark.parametrize("spelling", ["DATABASE.URL", "DATABASE_URL"])
def test_a_catalogue_on_postgresql_takes_advisory_locks_whatever_the_spelling(
    tmp_path, postgresql_url, spelling
):
    """``[DATABASE] URL`` and its older spelling both put the catalogue, and so the locks,
    on PostgreSQL; and PostgreSQL wins over ``[LOCKS] URL``."""
    setting = (
        {"DATABASE": {"URL": postgresql_url}, "DATABASE_URL": ""}
        if spelling == "DATABASE.URL"
        else {"DATABASE_URL": postgresql_url, "DATABASE": {"URL": ""}}
    )
    app = app_with(tmp_path, LOCKS={"URL": REDIS}, **setting)
    with app.app_context():
        assert app.config["DATABASE"]["URL"] == app.config["DATABASE_URL"] == postgresql_url
        assert db.engine.url.database == "test"
        assert locks.backend() == "postgresql"
        with locks.hold("recover-jobs", timeout=1) as lock:
            k1, k2 = lock.keys
            engine = create_engine(postgresql_url, poolclass=NullPool)
            with engine.connect() as other:
                held = other.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        " AND classid::bigint = :c AND objid::bigint = :o AND objsubid = 2"
                    ),
                    {"c": k1 & 0xFFFFFFFF, "o": k2 & 0xFFFFFFFF},
                )
            engine.dispose()
            assert held == 1
        db.engine.dispose()


def test_advisory_keys_are_stable_across_processes():
    here = locks.advisory_keys("index-writer")
    there = subprocess.run(
        [sys.executable, "-c", "from archive import locks; print(locks.advisory_keys('index-writer'))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env=dict(os.environ, PYTHONHASHSEED="random"),
    )  # fmt: skip
    assert there.stdout.strip() == str(here)


# --- the archive's work, on a catalogue on PostgreSQL, in several processes -----------------


@pytest.fixture(scope="module")
def pg_template(postgresql_url, tmp_path_factory):
    """A migrated catalogue on PostgreSQL to copy (the session's own when the suite runs
    there, else one made here)."""
    if ON_POSTGRESQL:
        yield None
        return
    copies = PostgresCopies(postgresql_url)
    name = copies.create()
    app = create_app(app_config(tmp_path_factory.mktemp("locks") / "instance", copies.url(name)))
    with app.app_context():
        migrate.upgrade()
        db.session.remove()
        db.engine.dispose()
    yield copies, name
    copies.drop_all()


@pytest.fixture
def pg_app(request, pg_template, tmp_path):
    """An app whose catalogue is a PostgreSQL database of its own."""
    if pg_template is None:
        yield request.getfixturevalue("app")
        return
    copies, template = pg_template
    app = create_app(app_config(tmp_path / "instance", copies.url(copies.create(template))))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


DRAINER = """
import sys, time
from pathlib import Path
from archive import create_app, locks
from archive.db import db
from archive.discovery import indexing
from archive.models import IndexOutbox
go, rounds, item_ids = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(",")
app = create_app()
with app.app_context():
    while not go.exists():
        time.sleep(0.005)
    drained = 0
    for _ in range(rounds):  # as a process that changed these items and then drains
        db.session.add_all(IndexOutbox(item_id=int(i)) for i in item_ids)
        db.session.commit()
        drained += indexing.sync()
    print(locks.backend(), drained, flush=True)
"""

WORKER = """
import sys, time
from pathlib import Path
from archive import create_app
from archive.holdings.jobs import transcode
go, job_id = Path(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    while not go.exists():
        time.sleep(0.005)
    transcode(job_id)
"""


def run_together(app, tmp_path, script: str, arguments: list[list[str]]) -> list[str]:
    """Run ``script`` in one process per argument list, released at the same moment; their
    outputs."""
    go = tmp_path / "go"
    env = process_env(app)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(go), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for args in arguments
    ]
    time.sleep(1.5)  # every process started and waiting
    go.touch()
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def test_two_processes_on_postgresql_never_drain_the_outbox_at_once(pg_app, tmp_path):
    """Each process writes outbox rows and drains, over and over: a row drained by both (two
    drains at once, each reading the rows before the other deleted them) would be counted
    twice."""
    with pg_app.app_context():
        made = [
            items.create(identifier=f"LOCK-{n}", title=f"شهادة {n}", type="testimony", user=None)
            for n in range(8)
        ]
        ids = ",".join(str(item.id) for item in made)
        db.session.remove()
    rounds = 12
    outputs = run_together(pg_app, tmp_path, DRAINER, [[str(rounds), ids]] * 3)
    assert [out.split()[0] for out in outputs] == ["postgresql"] * 3
    assert sum(int(out.split()[1]) for out in outputs) == 3 * rounds * len(made)
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndexOutbox)) == 0


def test_two_processes_on_postgresql_never_run_the_same_job_or_recording_at_once(pg_app, tmp_path):
    """Two workers handed the same job run it once; two jobs of one recording never run at
    the same time (the second worker leaves its job queued for ``recover``)."""
    pg_app.config["QUEUE"]["IMMEDIATE"] = False  # queued, for the processes below to run
    with pg_app.app_context():
        source = make_video(tmp_path / "talk.mp4", seconds=8, size="640x360")
        ingested = ingest(local(source), user=None)
        first = ingested.job.id
        app_huey = pg_app.extensions["huey"]
        run_together(pg_app, tmp_path, WORKER, [[str(first)], [str(first)]])
        db.session.expire_all()
        job = db.session.get(Job, first)
        assert (job.state, job.attempts) == ("done", 1)
        runs = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "transcoded")).all()
        assert len(runs) == 1

        second = derivatives.regenerate([ingested.item], user=None).jobs[0].id
        # A second job of the recording at the same time, as redaction queues one (the public
        # copy) while a transcode runs.
        extra = Job(recording=ingested.recording, state="queued")
        db.session.add(extra)
        db.session.commit()
        third = extra.id
        app_huey.flush()
        (tmp_path / "go").unlink()
        run_together(pg_app, tmp_path, WORKER, [[str(second)], [str(third)]])
        db.session.expire_all()
        jobs = [db.session.get(Job, job_id) for job_id in (second, third)]
        assert {j.state for j in jobs} <= {"done", "queued"} and "done" in {j.state for j in jobs}
        ran = sorted((j.started_at, j.finished_at) for j in jobs if j.state == "done")
        for (_, ended), (began, _) in zip(ran, ran[1:], strict=False):
            assert ended <= began, ran  # one after the other, never together
        assert recover() == [j.id for j in jobs if j.state == "queued"]
        pg_app.config["QUEUE"]["IMMEDIATE"] = True
        for left in [j.id for j in jobs if j.state == "queued"]:
            transcode(left)
        db.session.expire_all()
        assert [db.session.get(Job, job_id).state for job_id in (second, third)] == ["done"] * 2
