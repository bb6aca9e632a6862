"""Several hosts sharing one PostgreSQL, one Redis and one bucket: two web processes
(``archive serve --no-worker``) and two ``archive worker`` processes, each with its own
instance folder as on its own machine, on separate ports of this one.

Recordings are uploaded through both web processes (the JSON API); a worker is killed with
SIGKILL, its whole process group as when its machine dies, in the middle of a long transcode,
and comes back as systemd would restart it. Then every item is found by searches sent to both
web hosts at once, every job has finished exactly once (one claim each, two for the job that
was killed, one recovery recorded), and nothing is lost: every original and access copy is in
the bucket with the checksum the catalogue records, and the bucket holds nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from archive import create_app
from archive.accounts import tokens
from archive.accounts.users import create_user
from archive.db import db
from archive.holdings.storage import store
from archive.models import AuditEvent, Job, MediaFile
from tests import media_samples
from tests.conftest import PASSWORD
from tests.databases import PostgresCopies
from tests.redis_server import free_port, throwaway_redis
from tests.s3 import s3_server  # noqa: F401  (the session fixture)

pytestmark = pytest.mark.slow

SERVER = "postgresql+psycopg://postgres@127.0.0.1/test"
MARKER = "SEVERALHOSTS"
LONG = 90  # seconds of 720p video: a transcode of several seconds, long enough to be cut
SHORT = 6  # further recordings, uploaded half through each web host
DEADLINE = 300  # seconds for every job to finish


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway Redis server of this test's own."""
    with throwaway_redis(tmp_path) as url:
        yield url


@pytest.fixture
def database_url(postgres):
    """A new, empty PostgreSQL database (on the suite's server when ARCHIVE_TEST_DATABASE
    names one), dropped afterwards."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (the postgresql extra)")
    copies = postgres
    if copies is None:
        try:
            copies = PostgresCopies(SERVER)
        except RuntimeError:
            pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
    yield copies.url(copies.create())
    if postgres is None:
        copies.drop_all()


@dataclass
class Host:
    """One machine of the deployment: an ``archive`` process (and its children) with an
    instance folder of its own."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> Host:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "archive", *self.command], env=self.env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        return self

    def kill(self) -> None:
        """SIGKILL to the whole process group: the machine is gone, ffmpeg and all."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def running_ffmpeg(self) -> bool:
        found = subprocess.run(["pgrep", "-s", str(self.process.pid), "-x", "ffmpeg"],
                               capture_output=True)  # fmt: skip
        return found.returncode == 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def config_text(database: str, queue: str, storage: str) -> str:
    return (
        f'SECRET_KEY = "shared by every host"\n[DATABASE]\nURL = "{database}"\n'
        f'[QUEUE]\nURL = "{queue}"\nWORKERS = 1\n'
        "[SERVER]\nWORKERS = 2\nTHREADS = 4\n"
        '[SEARCH]\nBACKEND = "postgresql"\n'
        f"{storage}"
    )


def answers(host: Host) -> bool:
    try:
        with urllib.request.urlopen(host.url("/api/v1/items?limit=1"), timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def upload(host: Host, token: str, path: Path, identifier: str) -> dict:
    query = urllib.parse.urlencode({"filename": path.name, "identifier": identifier,
                                    "title": f"شهادة {MARKER} {identifier}",
                                    "type": "testimony"})  # fmt: skip
    request = urllib.request.Request(
        host.url(f"/api/v1/recordings?{query}"), data=path.read_bytes(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as answer:
        assert answer.status == 202
        return json.load(answer)


def search(host: Host, token: str, query: str) -> set[str]:
    url = host.url(f"/api/v1/search?{urllib.parse.urlencode({'q': query, 'per_page': 50})}")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        found = json.load(answer)
    return {result["identifier"] for result in found["results"]}


@dataclass
class Deployment:
    """Two web hosts and two worker hosts on one database, queue and bucket; and an app of
    this process on the same deployment, to set things up and look at the catalogue."""

    web: list[Host]
    workers: list[Host]
    checker: Flask
    token: str  # an archivist's read-write API token

    @property
    def logs(self) -> list[Path]:
        return [host.log for host in self.web + self.workers]

    def wait_until(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.3)
        tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}"
                          for log in self.logs)  # fmt: skip
        raise AssertionError(f"{what}: not within {timeout} s\n{tails}")

    def jobs(self) -> dict[int, tuple[str, int]]:
        """Each job's state and claims (attempts)."""
        with self.checker.app_context():
            rows = db.session.execute(select(Job.id, Job.state, Job.attempts)).all()
            db.session.remove()
        return {job_id: (state, attempts) for job_id, state, attempts in rows}

    def search_both(self, query: str) -> list[set[str]]:
        """What ``query`` finds on each web host, asked of both at the same moment."""
        with ThreadPoolExecutor(len(self.web)) as pool:
            return list(pool.map(lambda host: search(host, self.token, query), self.web))


@pytest.fixture
def deployment(tmp_path, database_url, redis_url, s3_server):  # noqa: F811
    config = tmp_path / "config.toml"
    storage = s3_server.config_toml(s3_server.new_bucket())
    config.write_text(config_text(database_url, redis_url, storage), encoding="utf-8")
    env = dict(os.environ, ARCHIVE_CONFIG=str(config))
    env.pop("ARCHIVE_ADMIN_PASSWORD", None)

    def host(name: str, *command: str, port: int | None = None) -> Host:
        return Host(name, list(command), dict(env, ARCHIVE_INSTANCE=str(tmp_path / name)),
                    tmp_path / f"{name}.log", port)  # fmt: skip

    # One host migrates the shared database, as an upgrade runs once, from one host.
    made = subprocess.run([sys.executable, "-m", "archive", "init"], env=host("setup").env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert made.returncode == 0, made.stderr
    checker = create_app({"INSTANCE_PATH": str(tmp_path / "checker"),
                          **tomllib.loads(config.read_text())})  # fmt: skip
    with checker.app_context():
        archivist = create_user("archivist@example.org", PASSWORD, "archivist")
        _record, token = tokens.create(archivist, "uploads", "read-write")
        db.session.remove()
    web = [host(f"web-{n}", "serve", "--no-worker", "--port", str(port), port=port)
           for n, port in enumerate((free_port(), free_port()))]  # fmt: skip
    workers = [host(f"worker-{n}", "worker") for n in range(2)]
    deployed = Deployment(web, workers, checker, token)
    try:
        for one in web + workers:
            one.start()
        deployed.wait_until(lambda: all(answers(h) for h in web), 90, "the web hosts answer")
        yield deployed
    finally:
        for one in web + workers:
            one.stop()
        with checker.app_context():
            db.session.remove()
            db.engine.dispose()


def test_two_web_hosts_and_two_workers_share_one_archive(deployment, tmp_path):
    web, workers, token = deployment.web, deployment.workers, deployment.token
    long_video = media_samples.video(tmp_path / "long.mp4", seconds=LONG, size="1280x720",
                                     args=("-preset", "veryfast", "-crf", "35"))  # fmt: skip
    tones = [media_samples.tone(tmp_path / f"tone-{n}.m4a", seconds=2 + n, args=("-c:a", "aac"))
             for n in range(SHORT)]  # fmt: skip

    long_job = upload(web[0], token, long_video, "HOSTS-LONG")["job"]["id"]
    # The worker that took the long transcode dies in the middle of it, its ffmpeg with it.
    deployment.wait_until(
        lambda: deployment.jobs()[long_job][0] == "transcoding"
        and any(w.running_ffmpeg() for w in workers),
        120, "a worker is transcoding the long recording",
    )  # fmt: skip
    time.sleep(1.5)
    victim = next(w for w in workers if w.running_ffmpeg())
    assert deployment.jobs()[long_job][0] == "transcoding", "the transcode ended too soon"
    victim.kill()

    # Meanwhile uploads go on through both web hosts, in parallel.
    with ThreadPoolExecutor(4) as pool:
        answered = list(pool.map(
            lambda n: upload(web[n % 2], token, tones[n], f"HOSTS-{n}"), range(SHORT)
        ))  # fmt: skip
    identifiers = {"HOSTS-LONG"} | {answer["item"] for answer in answered}
    # Each upload answered once its item was indexed: both hosts find every one, at once.
    assert deployment.search_both(MARKER) == [identifiers, identifiers]

    victim.start()  # the machine is back, as systemd restarts the worker
    deployment.wait_until(
        lambda: len(deployment.jobs()) == SHORT + 1
        and all(state in ("done", "failed") for state, _ in deployment.jobs().values()),
        DEADLINE, "every job finished",
    )  # fmt: skip
    finished = deployment.jobs()
    # Exactly once: every job done, claimed once; the killed one claimed again, once.
    assert finished == {job: ("done", 2 if job == long_job else 1) for job in finished}
    with deployment.checker.app_context():
        recovered = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "transcode-recovered")
        )
        stored = db.session.scalars(select(MediaFile)).all()
        bucket = store()
        assert {entry.role for entry in stored} == {
            "original",
            "access",
            "poster",
            "peaks",
            "small",
        }
        for entry in stored:  # nothing lost: every file there, with its checksum
            assert bucket.sha256(entry.relpath) == entry.sha256, entry.relpath
        # ... and nothing left half-made by the killed run.
        assert set(bucket.relpaths()) == {entry.relpath for entry in stored}
        db.session.remove()
    assert recovered == 1
    assert deployment.search_both(MARKER) == [identifiers, identifiers]
