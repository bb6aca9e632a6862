"""One unit of work per operation: it commits once, then indexes, queues the jobs and removes
files, in that order; a failure anywhere leaves no row and no file behind."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.catalogue import items
from archive.db import db
from archive.discovery.search import search
from archive.errors import ArchiveError
from archive.holdings import storage
from archive.holdings.ingest import ingest
from archive.models import IndexOutbox, Item, Job, MediaFile, Recording
from archive.uow import unit_of_work
from tests.media_samples import tone


def archive(env, *args, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "archive", *args],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_archive_ingest_is_found_by_archive_search_at_once(tmp_path):
    """The command returns only once the index shows its change (no worker running)."""
    env = dict(os.environ, ARCHIVE_INSTANCE=str(tmp_path / "instance"))
    env["ARCHIVE_ADMIN_PASSWORD"] = "a long admin password"
    assert archive(env, "init").returncode == 0
    sound = tone(tmp_path / "song.wav", seconds=1)
    done = archive(env, "ingest", str(sound), "--identifier", "UOW-1", "--title", "قصيدة البرتقال")
    assert done.returncode == 0, done.stderr
    found = archive(env, "search", "البرتقال", "--json", "--as", "admin@localhost")
    assert found.returncode == 0, found.stderr
    assert [r["identifier"] for r in json.loads(found.stdout)["results"]] == ["UOW-1"]


def test_a_failure_in_the_middle_of_an_ingest_leaves_no_file_and_no_row(app, tmp_path):
    sound = tone(tmp_path / "testimony.wav", seconds=1)
    with app.app_context():
        originals = storage.originals_root()
        with pytest.raises(ArchiveError, match="not YYYY"), unit_of_work():
            done = ingest(storage.local(sound), user=None, identifier="UOW-2", title="شهادة")
            assert files_under(originals) == [done.stored.path]  # stored, then...
            items.describe(done.item, {"date": "last spring"}, user=None)  # ...refused
        assert files_under(originals) == []
        assert [count(m) for m in (Item, Recording, MediaFile, Job, IndexOutbox)] == [0] * 5
        assert search("شهادة", user=None)["total"] == 0
        assert sound.is_file()  # the archivist's own file is never touched


def test_operations_inside_one_unit_commit_once_and_queue_after_it(app, tmp_path):
    """Nested operations join the outer unit: nothing is committed, indexed or queued
    before its end; then the index shows every change, and the job waits for the caller."""
    sound = tone(tmp_path / "poem.wav", seconds=1)
    with app.app_context():
        with unit_of_work(queue_jobs=False) as uow:
            done = ingest(storage.local(sound), user=None, identifier="UOW-3", title="قصيدة")
            items.describe(done.item, {"title_en": "A poem", "access": "public"}, user=None)
            items.publish(done.item, user=None)
            assert db.session.scalar(select(Job.state).where(Job.id == done.job.id)) == "queued"
            assert uow.jobs == [("transcode", (done.job.id,))]
            with app.app_context():  # another session sees nothing committed yet
                assert count(Item) == 0
        assert count(IndexOutbox) == 0  # drained once committed
        assert search("قصيدة", user=None)["total"] == 1
        assert db.session.scalar(select(Job.state).where(Job.id == done.job.id)) == "queued"


def test_a_failed_unit_keeps_a_file_something_else_refers_to(app, tmp_path):
    """After a rollback a written file is removed only when the catalogue does not name it
    (another ingest of the same bytes may have committed it meanwhile)."""
    kept = tmp_path / "kept"
    kept.write_text("x")
    gone = tmp_path / "gone"
    gone.write_text("y")
    with app.app_context():
        with pytest.raises(RuntimeError), unit_of_work() as uow:
            uow.wrote(kept, keep_if=lambda: True)
            uow.wrote(gone)
            raise RuntimeError("failed half-way")
    assert kept.is_file() and not gone.exists()


def test_files_made_obsolete_go_only_once_committed(app, tmp_path):
    old = tmp_path / "derivatives" / "access.m4a"
    old.parent.mkdir()
    old.write_text("x")
    with app.app_context():
        with pytest.raises(RuntimeError), unit_of_work() as uow:
            uow.remove_after_commit([old], [old.parent])
            raise RuntimeError("rolled back")
        assert old.is_file()
        with unit_of_work() as uow:
            uow.remove_after_commit([old], [old.parent])
            assert old.is_file()
        assert not old.exists() and not old.parent.exists()


def test_a_video_is_probed_once_from_ingest_to_poster_and_peaks(app, tmp_path, monkeypatch):
    """ffprobe reads a video at ingest; the transcode job, the poster and the waveform use
    what it said (kept with the recording) instead of asking again."""
    from tests.media_samples import video

    probing = importlib.import_module("media.probe")  # the module: ``media.probe`` is the function

    clip = video(tmp_path / "clip.mp4", seconds=1, size="320x240")
    real = probing.ffprobe_json
    probed = []

    def counted(path, **kwargs):
        probed.append(Path(path).name)
        return real(path, **kwargs)

    monkeypatch.setattr(probing, "ffprobe_json", counted)
    with app.app_context():
        done = ingest(storage.local(clip), user=None, identifier="UOW-V", title="فيديو")
        job = db.session.get(Job, done.job.id)
        assert job.state == "done", job.error  # the queue runs jobs inline in tests
        assert {f.role for f in done.recording.files} == {
            "original",
            "access",
            "poster",
            "peaks",
            "small",
        }
    assert probed == ["clip.mp4"]
