"""Upload → probe → store → transcode, through the web, with real ffmpeg."""

from __future__ import annotations

import hashlib
import io
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.db import db
from archive.models import AuditEvent, Item, Job, MediaFile, Recording
from tests.media_samples import synthetic


def make_tone(path: Path, seconds: float = 3, freq: int = 440) -> Path:
    """A stereo sine tone (made once per session, copied to ``path``: see media_samples)."""
    return synthetic(
        path, "-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}", "-ac", "2"
    )


def make_video(path: Path, seconds: float = 2, size: str = "1280x720", extra=()) -> Path:
    """A test pattern with a tone, H.264/AAC (made once per session, copied to ``path``)."""
    return synthetic(
        path,
        *("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"),
        *("-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *extra,
    )


def upload(
    client, auth_csrf: str, path: Path, filename: str | None = None, type: str = "testimony"
):
    """Send a file the way the upload page's script does: a raw streamed body."""
    return client.post(
        f"/manage/upload?type={type}",
        data=path.read_bytes(),
        headers={
            "X-CSRFToken": auth_csrf,
            "X-Filename": filename or path.name,
            "Content-Type": "application/octet-stream",
            "Accept": "application/json",
        },
    )


@pytest.fixture
def staff(client, auth):
    auth.login("archivist@example.org")
    return auth.csrf("/manage/upload")


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_audio_upload_end_to_end(app, client, staff, tmp_path):
    source = make_tone(tmp_path / "tone.wav")
    response = upload(client, staff, source, filename="%D8%B4%D9%87%D8%A7%D8%AF%D8%A9.wav")
    assert response.status_code == 201, response.get_json()
    result = response.get_json()["results"][0]
    assert result["file"] == "شهادة.wav"
    assert result["kind"] == "audio"
    status = client.get(result["status"]).get_json()
    assert status["state"] == "done" and status["progress"] == 1.0
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == result["item"]))
        assert item.status == "draft" and item.access == "staff"
        recording = item.recordings[0]
        assert recording.original_filename == "شهادة.wav"
        assert recording.sample_rate == 44100 and recording.channels == 2
        assert recording.duration == pytest.approx(3, abs=0.1)
        original = recording.original
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        assert original.sha256 == digest
        stored = Path(app.config["MEDIA"]["ROOT"]) / original.relpath
        assert stored.name == digest and stored.read_bytes() == source.read_bytes()
        assert not stored.stat().st_mode & stat.S_IWUSR  # written once, read-only
        roles = {f.role for f in recording.files}
        assert roles == {"original", "access", "peaks", "small"}
        assert recording.file("access").relpath.endswith(".m4a")
        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
        assert "ingest" in actions and "transcoded" in actions
    assert files_under(Path(app.config["MEDIA"]["ROOT"]) / "incoming") == []


def test_video_upload_makes_720p_copy_and_poster(app, client, staff, tmp_path):
    source = make_video(tmp_path / "clip.mp4", size="1920x1080")
    response = upload(client, staff, source, type="lecture")
    assert response.status_code == 201
    identifier = response.get_json()["results"][0]["item"]
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == identifier))
        assert item.type == "lecture"
        recording = item.recordings[0]
        assert (recording.kind, recording.width, recording.height) == ("video", 1920, 1080)
        assert {f.role for f in recording.files} == {
            "original",
            "access",
            "poster",
            "peaks",
            "small",
        }
        access = Path(app.config["MEDIA"]["ROOT"]) / recording.file("access").relpath
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,height", "-of", "csv=p=0", str(access)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip() == "h264,720"


def test_multipart_form_upload_of_several_files(app, client, staff, tmp_path):
    one = make_tone(
        tmp_path / "one.wav", seconds=1, freq=440
    )  # small: the test client spools big forms
    two = make_tone(tmp_path / "two.wav", seconds=1, freq=660)
    response = client.post(
        "/manage/upload",
        data={
            "csrf_token": staff,
            "type": "song",
            "file": [
                (io.BytesIO(one.read_bytes()), "one.wav"),
                (io.BytesIO(two.read_bytes()), "two.wav"),
            ],
        },
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    results = response.get_json()["results"]
    assert [r["file"] for r in results] == ["one.wav", "two.wav"]
    with app.app_context():
        assert (
            db.session.scalar(select(Item).where(Item.identifier == results[1]["item"])).type
            == "song"
        )


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "notes.mp3",
            b"These are not the recordings you are looking for.\n" * 20,
            "not an audio or video",
        ),
        (
            "page.mp4",
            b"<!doctype html><html><body><script>alert(1)</script></body></html>",
            "not an audio or video",
        ),
        ("empty.wav", b"", "empty"),
    ],
)
def test_rejected_files_leave_nothing_behind(app, client, staff, name, content, message, tmp_path):
    path = tmp_path / name
    path.write_bytes(content)
    response = upload(client, staff, path)
    assert response.status_code == 422
    error = response.get_json()["errors"][0]["error"]
    assert message in error.lower()
    assert_nothing_stored(app)


def test_truncated_mp4_is_rejected(app, client, staff, tmp_path):
    whole = make_video(tmp_path / "whole.mp4", seconds=3, size="320x240")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])
    response = upload(client, staff, cut)
    assert response.status_code == 422
    assert "truncated" in response.get_json()["errors"][0]["error"].lower()
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    "filename", ["../../x.mp3", "concat:evil.mp3", "-i.mp3", "شهادة أسير ٢.mp3"]
)
def test_hostile_and_arabic_filenames_are_only_recorded(app, client, staff, filename, tmp_path):
    source = make_tone(tmp_path / "tone.mp3")
    response = upload(client, staff, source, filename=filename)
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        recording = db.session.scalar(select(Recording))
        assert recording.original_filename == filename.rsplit("/", 1)[-1]
        assert recording.original.relpath.endswith(recording.original.sha256)
    root = Path(app.config["MEDIA"]["ROOT"])
    for path in files_under(root.parent):
        assert path.resolve().is_relative_to(root.parent.resolve())
    assert not (root.parent.parent / "x.mp3").exists()


def test_same_bytes_twice_names_the_item_that_has_them(app, client, staff, tmp_path):
    source = make_tone(tmp_path / "tone.wav")
    first = upload(client, staff, source).get_json()["results"][0]["item"]
    again = upload(client, staff, source, filename="copy.wav")
    assert again.status_code == 422
    error = again.get_json()["errors"][0]
    assert error["item"] == first and first in error["error"]
    with app.app_context():
        assert db.session.query(Item).count() == 1


def test_upload_over_the_size_limit_is_refused(app, client, staff, tmp_path):
    app.config["MEDIA"]["MAX_UPLOAD_BYTES"] = 1000
    source = make_tone(tmp_path / "tone.wav")
    client.get("/?lang=en")  # the message in English, for the assertion below
    response = upload(client, staff, source)
    assert response.status_code == 413
    assert "limit" in response.get_json()["errors"][0]["error"]
    assert_nothing_stored(app)


@pytest.mark.slow  # a 120 s recording, transcoded in full on retry
def test_failed_transcode_keeps_original_and_retry_succeeds(app, client, staff, tmp_path):
    app.config["MEDIA"]["TRANSCODE_TIMEOUT"] = 0.3  # killed mid-transcode
    source = make_tone(tmp_path / "long.wav", seconds=120)
    result = upload(client, staff, source).get_json()["results"][0]
    job = client.get(result["status"]).get_json()
    assert job["state"] == "failed"
    assert job["error"]
    root = Path(app.config["MEDIA"]["ROOT"])
    with app.app_context():
        recording = db.session.get(Job, job["id"]).recording
        original = root / recording.original.relpath
        assert hashlib.sha256(original.read_bytes()).hexdigest() == recording.original.sha256
        assert recording.file("access") is None
    assert files_under(root / "derivatives") == []  # no partial access copy
    app.config["MEDIA"]["TRANSCODE_TIMEOUT"] = 600
    retried = client.post(
        f"/manage/jobs/{job['id']}/retry",
        headers={"X-CSRFToken": staff, "Accept": "application/json"},
    )
    assert retried.status_code == 200
    done = client.get(result["status"]).get_json()
    assert done["state"] == "done" and done["attempts"] == 2
    with app.app_context():
        assert db.session.get(Job, job["id"]).recording.file("access") is not None


def assert_nothing_stored(app):
    root = Path(app.config["MEDIA"]["ROOT"])
    assert files_under(root) == []
    with app.app_context():
        assert db.session.query(Item).count() == 0
        assert db.session.query(MediaFile).count() == 0


def test_silent_video_gets_access_copy_and_poster_without_waveform(app, client, staff, tmp_path):
    silent = tmp_path / "silent.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", "testsrc2=size=320x240:rate=25:duration=2", "-c:v", "libx264",
         "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(silent)],
        check=True,
    )  # fmt: skip
    result = upload(client, staff, silent).get_json()["results"][0]
    assert client.get(result["status"]).get_json()["state"] == "done"
    with app.app_context():
        recording = db.session.scalar(select(Recording))
        assert {f.role for f in recording.files} == {"original", "access", "poster", "small"}
