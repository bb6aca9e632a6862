"""Media that costs more than it weighs: a longest accepted duration, refused at ingest, and a
processor-time budget for every ffmpeg run of a job, in proportion to the recording's length.

Real ffmpeg throughout; the limits are made tiny so that the media stay small and fast."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import media
from archive.db import db
from archive.models import Job
from tests.media_samples import synthetic
from tests.test_upload import assert_nothing_stored, files_under, upload


def silent_flac(path: Path, seconds: float) -> Path:
    """Digital silence compressed by FLAC: a few kilobytes for many seconds."""
    return synthetic(
        path, "-f", "lavfi", "-i", f"anullsrc=r=44100:cl=stereo:d={seconds}", "-c:a", "flac"
    )


def tone_flac(path: Path, seconds: float) -> Path:
    return synthetic(
        path, "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-ac", "2",
        "-c:a", "flac",
    )  # fmt: skip


@pytest.fixture
def staff(client, auth):
    client.get("/?lang=en")  # messages in English, for the assertions
    auth.login("archivist@example.org")
    return auth.csrf("/manage/upload")


def test_a_recording_longer_than_the_limit_is_refused_at_ingest(app, client, staff, tmp_path):
    app.config["MEDIA"]["MAX_DURATION"] = 20
    source = silent_flac(tmp_path / "silence.flac", seconds=75)
    assert source.stat().st_size < 100_000  # it weighs little; its length is what costs
    response = upload(client, staff, source)
    assert response.status_code == 422
    error = response.get_json()["errors"][0]["error"]
    assert error == (
        "silence.flac: this recording lasts 0:01:15, longer than the 0:00:20 the archive "
        "accepts, so it was not kept."
    )
    assert_nothing_stored(app)


def test_probe_says_how_long_and_what_the_limit_is(tmp_path):
    source = silent_flac(tmp_path / "silence.flac", seconds=75)
    with pytest.raises(media.TooLong) as refused:
        media.probe(source, max_duration=60)
    assert refused.value.duration == pytest.approx(75) and refused.value.limit == 60
    assert "lasts 0:01:15, longer than the 0:01:00" in str(refused.value)
    assert media.probe(source, max_duration=75.5).duration == pytest.approx(75)


def test_a_job_over_its_processor_budget_fails_saying_so_and_can_be_retried(
    app, client, staff, tmp_path
):
    # 60 s of tone cost about 2.5 s of processor time to transcode; the budget is 1 s.
    app.config["MEDIA"]["CPU_SECONDS_PER_MEDIA_SECOND"] = 0
    app.config["MEDIA"]["CPU_SECONDS_MINIMUM"] = 0.5
    source = tone_flac(tmp_path / "tone.flac", seconds=60)
    result = upload(client, staff, source).get_json()["results"][0]
    job = client.get(result["status"]).get_json()
    assert job["state"] == "failed"
    reason = job["error"].splitlines()[0]
    assert reason.startswith(
        "ffmpeg was stopped: it used its budget of 1 seconds of processor time (set by the "
        "recording's length). The file costs far more to decode than a recording of its "
        "length should"
    )
    assert "signal" not in job["error"] and "killed" not in job["error"]
    root = Path(app.config["MEDIA"]["ROOT"])
    with app.app_context():
        recording = db.session.get(Job, job["id"]).recording
        original = root / recording.original.relpath
        assert hashlib.sha256(original.read_bytes()).hexdigest() == recording.original.sha256
        assert recording.file("access") is None
    assert files_under(root / "derivatives") == []  # nothing half-made is left

    app.config["MEDIA"]["CPU_SECONDS_PER_MEDIA_SECOND"] = 4.0
    app.config["MEDIA"]["CPU_SECONDS_MINIMUM"] = 300.0
    retried = client.post(
        f"/manage/jobs/{job['id']}/retry",
        headers={"X-CSRFToken": staff, "Accept": "application/json"},
    )
    assert retried.status_code == 200
    done = client.get(result["status"]).get_json()
    assert done["state"] == "done" and done["attempts"] == 2


def test_transcode_within_its_budget_is_untouched_and_over_it_leaves_nothing(tmp_path):
    source = tone_flac(tmp_path / "tone.flac", seconds=60)
    probe = media.probe(source)
    budget = media.cpu_budget(probe.duration, per_second=4.0, minimum=10)
    assert budget == 250
    made = media.transcode(source, tmp_path / "ok.m4a", kind="audio", cpu_limit=budget)
    assert media.probe(made).duration == pytest.approx(60, abs=0.1)
    with pytest.raises(media.CpuBudgetExceeded) as stopped:
        media.transcode(source, tmp_path / "over.m4a", kind="audio", probe=probe, cpu_limit=0.2)
    assert "processor time" in str(stopped.value)
    assert not (tmp_path / "over.m4a").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
