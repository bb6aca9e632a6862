"""``archive serve --no-worker``: the web server alone, for a web host whose jobs run in
``archive worker`` on other hosts. A real process: it answers pages, and no Huey consumer runs
beside it (a queued transcode stays queued until a worker is started)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import select

from archive.db import db
from archive.models import Job
from tests import media_samples
from tests.conftest import process_env
from tests.test_cli import free_port

pytestmark = pytest.mark.slow


def job_states(app) -> list[str]:
    with app.app_context():
        states = list(db.session.scalars(select(Job.state).order_by(Job.id)))
        db.session.remove()
    return states


def session_commands(leader: int) -> list[str]:
    """The command lines of every process in the session ``leader`` started."""
    found = subprocess.run(["pgrep", "-a", "-s", str(leader)], capture_output=True, text=True)
    return found.stdout.splitlines()


def test_serve_without_worker_answers_and_runs_no_jobs(app, tmp_path):
    env = process_env(app)
    recording = media_samples.tone(tmp_path / "tone.wav", seconds=2)
    ingest = subprocess.run(
        [sys.executable, "-m", "archive", "ingest", str(recording)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr
    assert job_states(app) == ["queued"]
    port = free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "archive", "serve", "--no-worker", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            page = None
            deadline = time.monotonic() + 60
            while page is None and time.monotonic() < deadline:
                with contextlib.suppress(OSError):  # not listening yet
                    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                time.sleep(0.3)
            assert page is not None and b'dir="rtl"' in page, log_path.read_text()
            # A worker started beside it would have claimed the job within a second or two.
            time.sleep(4)
            processes = session_commands(server.pid)
            assert any("gunicorn" in line for line in processes), processes
            assert not any("archive worker" in line for line in processes), processes
            assert job_states(app) == ["queued"]
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(30)
    assert server.returncode == 0, log_path.read_text()
    assert session_commands(server.pid) == []
