"""The ``archive`` command, run as a user runs it: a real process on a real instance folder.

Each ``archive`` process takes a second or more to start: these tests are marked slow (the
quick loop still calls many commands in-process, through Click's test runner).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from tests.databases import own_database
from tests.test_upload import make_tone, make_video

pytestmark = pytest.mark.slow


ROOT = Path(__file__).resolve().parent.parent
#: In ``env``: the catalogue's database when it is not the instance folder's SQLite file.
CATALOGUE = "ARCHIVE_TEST_CATALOGUE"


@pytest.fixture
def env(tmp_path):
    with command_env(tmp_path) as environ:
        yield environ


@contextlib.contextmanager
def command_env(tmp_path: Path):
    """The environment of ``archive`` commands on a new instance; when the suite runs on
    PostgreSQL, with a database of its own named by a config file (``ARCHIVE_CONFIG``)."""
    environ = dict(os.environ)
    environ.pop("ARCHIVE_ADMIN_PASSWORD", None)
    environ["ARCHIVE_INSTANCE"] = str(tmp_path / "instance")
    with own_database() as url:
        if url:  # a top-level key (the older spelling) goes before every table
            config = tmp_path / "config.toml"
            config.write_text(f'DATABASE_URL = "{url}"\n' + (ROOT / "config.toml").read_text())
            environ.update({"ARCHIVE_CONFIG": str(config), CATALOGUE: url})
        yield environ


def archive(env, *args, input=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "archive", *args],
        env=env, input=input, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def query(env, sql):
    """The rows ``sql`` reads from the catalogue of the commands run with ``env``."""
    if env.get(CATALOGUE):
        engine = create_engine(env[CATALOGUE], poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.exec_driver_sql(sql)]
        finally:
            engine.dispose()
    with sqlite3.connect(Path(env["ARCHIVE_INSTANCE"]) / "archive.db") as con:
        return con.execute(sql).fetchall()


DOWNGRADE = """
import sys
from alembic import command
from archive import create_app, migrate
from archive.db import db
with create_app().app_context(), db.engine.begin() as connection:
    command.downgrade(migrate._config(connection), sys.argv[1])
"""


def downgrade(env, revision: str) -> None:
    """Take the catalogue of the commands run with ``env`` back to an older schema, as an
    older version of the archive left it."""
    done = subprocess.run([sys.executable, "-c", DOWNGRADE, revision], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_init_creates_admin_once_and_is_safe_to_run_again(env):
    first = archive(env, "init")
    assert first.returncode == 0, first.stderr
    assert "admin@localhost" in first.stdout and "password" in first.stdout
    second = archive(env, "init")
    assert second.returncode == 0 and "password" not in second.stdout
    instance = Path(env["ARCHIVE_INSTANCE"])
    assert (instance / "media" / "originals").is_dir() and (instance / "index").is_dir()
    assert query(env, "select email, role from users") == [("admin@localhost", "admin")]


def test_commands_on_an_instance_never_initialized_say_run_init(env):
    for command in (["demo"], ["search", "x", "--as", "admin@localhost"], ["serve"], ["worker"]):
        result = archive(env, *command, timeout=60)
        assert result.returncode == 1, (command, result.stderr)
        assert "never initialized. Run `archive init`." in result.stderr, (command, result.stderr)
        assert "Traceback" not in result.stderr
    assert "search [OPTIONS] QUERY" in archive(env, "search", "--help").stdout


def test_the_worker_refuses_a_database_not_migrated_to_this_version(env):
    assert archive(env, "init").returncode == 0
    downgrade(env, "0004")
    result = archive(env, "worker", timeout=60)
    assert result.returncode == 1 and "(0004) is not the one this version uses" in result.stderr
    assert archive(env, "init").returncode == 0  # migrates it again
    assert query(env, "select version_num from alembic_version") != [("0004",)]


def test_admin_password_from_environment(env):
    env["ARCHIVE_ADMIN_PASSWORD"] = "a password from the environment"
    result = archive(env, "init")
    assert result.returncode == 0 and "a password from" not in result.stdout


def test_ingest_wait_makes_access_copies(env, tmp_path):
    archive(env, "init")
    tone = make_tone(tmp_path / "song.wav", seconds=4)
    clip = make_video(tmp_path / "clip.mp4", size="640x360")
    one = archive(env, "ingest", str(tone), "--identifier", "PMA-0001", "--title", "أغنية",
                  "--type", "song", "--wait")  # fmt: skip
    assert one.returncode == 0, one.stderr
    assert "PMA-0001" in one.stdout
    two = archive(env, "ingest", str(clip), "--wait")
    assert two.returncode == 0, two.stderr
    items = query(env, "select identifier, title, type, status from items order by id")
    assert items[0] == ("PMA-0001", "أغنية", "song", "draft")
    assert items[1][0] == "AR-000002" and items[1][1] == "clip"
    assert query(env, "select state from jobs") == [("done",), ("done",)]
    roles = query(env, "select role from media_files order by recording_id, role")
    assert [r for (r,) in roles] == [
        *("access", "original", "peaks", "small"),  # the sound, with its "Save data" copy
        *("access", "original", "peaks", "poster", "small"),  # the video
    ]


def test_ingest_refusals_exit_non_zero_with_a_reason(env, tmp_path):
    archive(env, "init")
    text = tmp_path / "notes.mp3"
    text.write_text("not audio")
    result = archive(env, "ingest", str(text), "--wait")
    assert result.returncode != 0
    assert "not an audio or video file" in result.stderr
    tone = make_tone(tmp_path / "a.wav")
    assert archive(env, "ingest", str(tone), "--identifier", "bad id!").returncode != 0
    both = archive(env, "ingest", str(tone), str(text), "--title", "x")
    assert both.returncode != 0 and "exactly one FILE" in both.stderr
    assert archive(env, "ingest", str(tmp_path / "missing.wav")).returncode != 0
    assert query(env, "select count(*) from items") == [(0,)]


def test_ingest_queues_for_the_worker_without_wait(env, tmp_path):
    archive(env, "init")
    tone = make_tone(tmp_path / "a.wav")
    assert archive(env, "ingest", str(tone)).returncode == 0
    assert query(env, "select state from jobs") == [("queued",)]
    listing = archive(env, "jobs", "list", "--json")
    assert json.loads(listing.stdout)[0]["state"] == "queued"


def test_users_create_reads_password_from_stdin(env):
    archive(env, "init")
    made = archive(env, "users", "create", "Archivist@Example.org", "--role", "archivist",
                   input="a long enough password\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    again = archive(env, "users", "create", "archivist@example.org", "--role", "archivist",
                    input="a long enough password\n")  # fmt: skip
    assert again.returncode != 0 and "already exists" in again.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_web_and_worker_and_stops_on_sigint(env, tmp_path):
    """`archive serve` serves pages and its worker transcodes a queued ingest; Ctrl-C stops all."""
    archive(env, "init")
    tone = make_tone(tmp_path / "a.wav")
    assert archive(env, "ingest", str(tone)).returncode == 0
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115  (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "archive", "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        page = None
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):  # not listening yet
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                if query(env, "select state from jobs") == [("done",)]:
                    break
            time.sleep(0.3)
        output = (tmp_path / "serve.log").read_text()
        assert page is not None and b'dir="rtl"' in page, output
        assert query(env, "select state from jobs") == [("done",)], output
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(30)
        log.close()
    children = subprocess.run(["pgrep", "-s", str(server.pid)], capture_output=True, text=True)
    assert children.stdout.strip() == ""
