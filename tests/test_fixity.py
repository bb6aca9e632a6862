"""`archive fixity` catches a flipped byte and a missing original, and records every check."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from tests.test_cli import archive, env, query  # noqa: F401  (env is a fixture)
from tests.test_upload import make_tone

# real `archive` processes, one per command
pytestmark = pytest.mark.slow


def test_fixity_catches_a_flipped_byte_and_a_missing_file(env, tmp_path):  # noqa: F811
    archive(env, "init")
    for number, freq in enumerate((440, 550)):
        tone = make_tone(tmp_path / f"t{number}.wav", seconds=1, freq=freq)
        assert archive(env, "ingest", str(tone), "--identifier", f"FX-{number}").returncode == 0
    clean = archive(env, "fixity")
    assert clean.returncode == 0, clean.stderr
    assert "2 intact, 0 changed, 0 missing" in clean.stdout

    media_root = Path(env["ARCHIVE_INSTANCE"]) / "media"
    (first,), (second,) = query(
        env, "select relpath from media_files where role='original' order by id"
    )
    flipped = media_root / first
    os.chmod(flipped, 0o644)
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    flipped.write_bytes(bytes(data))
    os.chmod(media_root / second, 0o644)
    (media_root / second).unlink()

    broken = archive(env, "fixity")
    assert broken.returncode != 0
    assert f"MISMATCH FX-0: {first}" in broken.stderr
    assert f"MISSING FX-1: {second}" in broken.stderr
    assert "0 intact, 1 changed, 1 missing" in broken.stdout
    outcomes = query(env, "select outcome from fixity_checks order by id")
    assert [o for (o,) in outcomes] == ["ok", "ok", "mismatch", "missing"]
    actions = {a for (a,) in query(env, "select action from audit_events")}
    assert {"fixity", "fixity-mismatch", "fixity-missing"} <= actions


def test_the_worker_schedules_fixity_weekly(app):
    huey = app.extensions["huey"]
    sunday, monday = datetime(2026, 11, 29, 3, 15), datetime(2026, 11, 30, 3, 15)
    assert "fixity_weekly" in [task.name for task in huey.read_periodic(sunday)]
    assert "fixity_weekly" not in [task.name for task in huey.read_periodic(monday)]


def test_the_weekly_run_happens_once_however_many_workers_queue_it(app):
    from archive import locks
    from archive.db import db
    from archive.holdings.fixity import fixity_weekly
    from archive.models import AuditEvent

    def runs():
        return db.session.query(AuditEvent).filter_by(action="fixity").count()

    with app.app_context():
        with locks.hold("fixity", timeout=1):  # another host's worker is running it
            assert fixity_weekly() is False
        assert runs() == 0
        assert fixity_weekly() is True  # the first worker to get it runs it
        assert fixity_weekly() is False  # the next finds it done within hours
        assert runs() == 1
        db.session.remove()
