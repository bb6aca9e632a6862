"""Faults, for real: the worker killed with SIGKILL mid-transcode, and a full disk.

The worker is the real ``archive worker`` process on a real instance; the full disk is a small
tmpfs mounted over the media folder inside a private mount namespace (``unshare -m``), so it
needs root and is skipped, saying why, otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli import archive, command_env, query
from tests.test_upload import make_tone, make_video

FINAL = ("done", "failed")


@pytest.fixture
def env(tmp_path):
    with command_env(tmp_path) as environ:
        yield environ


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def start_worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "archive", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_worker(worker: subprocess.Popen) -> str:
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
    return worker.communicate()[1] or ""


def jobs(env) -> dict[int, tuple[str, float, int]]:
    rows = query(env, "select id, state, progress, attempts from jobs order by id")
    return {job_id: (state, progress, attempts) for job_id, state, progress, attempts in rows}


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def orphaned_ffmpeg(instance: Path) -> list[int]:
    """ffmpeg processes still working on this instance's files."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            cmdline
            and cmdline[0].endswith(b"ffmpeg")
            and str(instance).encode() in b" ".join(cmdline)
        ):
            found.append(int(proc.name))
    return found


@pytest.mark.slow  # two real workers, one killed mid-transcode
def test_worker_killed_mid_transcode_finishes_every_job_after_restart(env, tmp_path):
    assert archive(env, "init").returncode == 0
    sources = [
        make_video(tmp_path / "one.mp4", seconds=12, size="640x360"),
        make_tone(tmp_path / "two.wav", seconds=40, freq=500),
        make_video(tmp_path / "three.mp4", seconds=10, size="640x360", extra=("-metadata", "a=b")),
        make_tone(tmp_path / "four.wav", seconds=30, freq=700),
    ]
    ingested = archive(env, "ingest", *map(str, sources), timeout=300)
    assert ingested.returncode == 0, ingested.stderr
    assert {state for state, _, _ in jobs(env).values()} == {"queued"}

    worker = start_worker(env)
    try:
        running = wait_for(
            lambda: [
                j
                for j, (state, progress, _) in jobs(env).items()
                if state == "transcoding" and progress > 0
            ],  # fmt: skip
            120,
            "a transcode under way",
        )
    finally:
        worker.kill()  # SIGKILL: no handler runs, no cleanup
        worker.communicate()
    instance = Path(env["ARCHIVE_INSTANCE"])
    left = jobs(env)
    assert all(left[j][0] not in FINAL for j in running), left  # stuck as the worker died
    # ffmpeg follows its worker (its progress pipe breaks): no orphan keeps writing.
    wait_for(lambda: not orphaned_ffmpeg(instance), 10, "ffmpeg to stop")

    worker = start_worker(env)
    try:
        wait_for(lambda: all(s in FINAL for s, _, _ in jobs(env).values()), 240, "every job")
    finally:
        log = stop_worker(worker)
    finished = jobs(env)
    assert {state for state, _, _ in finished.values()} == {"done"}, (finished, log)
    assert "Queued again" in log
    assert all(finished[j][2] >= 2 for j in running)  # started again from the beginning
    media = instance / "media"
    rows = query(env, "select relpath, size from media_files where role in ('access', 'peaks')")
    assert len([r for r in rows if r[0].endswith(("m4a", "mp4"))]) == len(sources)
    for relpath, size in rows:
        assert (media / relpath).stat().st_size == size
    assert list(media.rglob("*.part")) == []  # nothing half-written is left behind
    fixity = archive(env, "fixity")
    assert fixity.returncode == 0, fixity.stderr


def test_a_job_left_running_by_a_dead_worker_is_recovered_not_a_live_one(app, tmp_path):
    """``recover`` tells a dead worker's job (its recording's lock free) from a live one."""
    from archive.db import db
    from archive.holdings.ingest import ingest
    from archive.holdings.jobs import recording_lock, recover
    from archive.holdings.storage import local
    from archive.models import Job

    app.config["QUEUE"]["IMMEDIATE"] = False  # queued for a worker, not run here
    with app.app_context():
        one = ingest(local(make_tone(tmp_path / "one.wav", seconds=1)), user=None)
        two = ingest(local(make_tone(tmp_path / "two.wav", seconds=1, freq=600)), user=None)
        app.extensions["huey"].flush()  # the queue lost both tasks
        for done in (one, two):
            done.job.state = "transcoding"
        db.session.commit()
        partial = tmp_path / "instance" / "media" / "derivatives" / str(one.recording.id)
        partial.mkdir(parents=True)
        (partial / ".access.m4a.x.part").write_bytes(b"half")
        with recording_lock(two.recording.id) as held:  # a live worker is on this one
            assert held
            assert recover() == [one.job.id]
        db.session.expire_all()
        assert db.session.get(Job, one.job.id).state == "queued"
        assert db.session.get(Job, two.job.id).state == "transcoding"
        pending = [t.args[0] for t in app.extensions["huey"].pending()]
        assert pending == [one.job.id]
        assert recover() == [two.job.id]  # its worker gone too now; one is still in the queue
        app.config["QUEUE"]["IMMEDIATE"] = True
        from archive.holdings.jobs import transcode

        transcode(one.job.id)
        db.session.expire_all()
        assert db.session.get(Job, one.job.id).state == "done"
        assert list(partial.glob("*.part")) == []


# --- a full disk ------------------------------------------------------------------------------


def namespace_problem() -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"unshare -m is not allowed here: {probe.stderr.strip()}"
    return None


def on_small_disk(env, media: Path, script: str, size: str = "2m") -> subprocess.CompletedProcess:
    """Run ``script`` (sh) with ``media`` on a tmpfs of ``size``, in a private mount namespace:
    what it stores there vanishes when it ends, so it checks what it must inside."""
    media.mkdir(parents=True, exist_ok=True)
    archive_cmd = f"{sys.executable} -m archive"
    body = f'set -u\nmount -t tmpfs -o size={size} tmpfs "{media}" || exit 90\n' + script.replace(
        "ARCHIVE", archive_cmd
    )
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", body], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow  # real archive commands on a tmpfs
@pytest.mark.skipif(namespace_problem() is not None, reason=str(namespace_problem()))
def test_full_disk_refuses_an_original_cleanly(env, tmp_path):
    assert archive(env, "init").returncode == 0
    big = make_tone(tmp_path / "big.wav", seconds=30)  # 5 MB, on a 2 MB disk
    media = Path(env["ARCHIVE_INSTANCE"]) / "media"
    done = on_small_disk(
        env,
        media,
        f"""
ARCHIVE ingest "{big}" --identifier FULL-1 --wait; echo "rc=$?"
echo files: $(find "{media}" -type f -not -path '*/.locks/*' | wc -l)
""",
    )
    out, err = done.stdout, done.stderr
    assert "rc=0" not in out and "rc=" in out, (out, err)
    assert "Traceback" not in err, err
    assert "space" in err.lower(), err  # says why: no space left
    said = [line for line in err.splitlines() if line.strip() and " ingesting: " not in line]
    assert len(said) <= 2, err  # the reason, briefly (beside the progress lines)
    assert "files: 0" in out, out  # nothing half-stored
    assert query(env, "select count(*) from items") == [(0,)]
    assert query(env, "select count(*) from media_files") == [(0,)]


@pytest.mark.slow  # real archive commands on a tmpfs, a 150 s recording
@pytest.mark.skipif(namespace_problem() is not None, reason=str(namespace_problem()))
def test_full_disk_during_transcode_fails_the_job_cleanly_and_it_retries(env, tmp_path):
    assert archive(env, "init").returncode == 0
    # A small original (32 kb/s) whose 128 kb/s access copy does not fit in what is left.
    source = tmp_path / "long.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=150", "-c:a", "aac",
           "-b:a", "32k", str(source))  # fmt: skip
    size = source.stat().st_size
    assert 400_000 < size < 1_500_000
    media = Path(env["ARCHIVE_INSTANCE"]) / "media"
    done = on_small_disk(
        env,
        media,
        f"""
ARCHIVE ingest "{source}" --identifier FULL-2 --wait; echo "ingest=$?"
echo partial: $(find "{media}" -name '*.part' | wc -l)
echo access: $(find "{media}/derivatives" -type f 2>/dev/null | wc -l)
ARCHIVE fixity; echo "fixity=$?"
mount -o remount,size=64m "{media}"
ARCHIVE jobs retry 1 --wait; echo "retry=$?"
echo access: $(find "{media}/derivatives" -type f 2>/dev/null | wc -l)
ARCHIVE fixity; echo "fixity=$?"
""",
    )
    out, err = done.stdout, done.stderr
    assert "ingest=1" in out, (out, err)
    assert "Traceback" not in err, err
    assert "no space left" in err.lower(), err  # ffmpeg's own reason, reported
    assert "partial: 0" in out and "access: 0" in out, out  # no half-written access copy
    assert out.count("fixity=0") == 2, (out, err)  # the original intact, before and after
    assert "retry=0" in out, (out, err)
    assert re.findall(r"access: (\d+)", out) == ["0", "3"], out  # access and small copies, peaks
    assert query(env, "select state, attempts from jobs") == [("done", 2)]
    error = query(env, "select details from audit_events where action = 'transcode-failed'")
    assert "No space left" in str(error[0][0])  # JSON text on SQLite, a dict on PostgreSQL


def test_changes_a_killed_process_did_not_index_are_indexed_by_recover(app, monkeypatch):
    """A process killed between its commit and the index sync leaves outbox rows: the
    worker's recovery (on start and every minute) indexes them."""
    from archive.catalogue import items
    from archive.discovery.search import search
    from archive.holdings.jobs import recover
    from archive.uow import UnitOfWork, unit_of_work

    def killed(self):
        raise SystemExit("killed after the commit, before the index")

    with app.app_context():
        item = items.create(identifier="OUT-1", title="شهادة", type="testimony", user=None)
        monkeypatch.setattr(UnitOfWork, "_index", killed)
        with pytest.raises(SystemExit), unit_of_work():
            items.publish(item, user=None)
            items.describe(item, {"access": "public", "title": "شهادة البرتقال"}, user=None)
        monkeypatch.undo()
        assert search("البرتقال", user=None)["total"] == 0
        recover()
        assert search("البرتقال", user=None)["total"] == 1


def test_the_worker_recovers_jobs_every_minute(app):
    from datetime import datetime

    huey = app.extensions["huey"]
    for moment in (datetime(2026, 11, 29, 3, 15), datetime(2026, 11, 30, 17, 42)):
        assert "recover_jobs" in [task.name for task in huey.read_periodic(moment)]
