"""A withheld passage cannot be heard: the public copy of its recording has that time silent
(and black, in a video), staff keep the full copy, and visitors get no sound at all while the
public copy is being made. Real ffmpeg measures the copies."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

import media
from archive.catalogue import items, transcripts, withdrawal
from archive.catalogue.transcript_formats import ParsedSegment
from archive.cli.lifecycle import derivatives as derivatives_command
from archive.cli.lifecycle import transcripts as transcripts_command
from archive.db import db
from archive.holdings import derivatives, jobs
from archive.holdings.storage import absolute
from archive.models import Job, Recording
from tests.test_upload import make_tone, make_video, upload

# an <audio> of the item itself (the site-wide queue bar has its own, empty one)
ITEM_PLAYER = re.compile(r'<audio(?! id="queue-audio")')

PASSAGES = [
    ParsedSegment(0.0, 1.0, "قبل المقطع"),
    ParsedSegment(1.0, 2.0, "اسم المحقق لا يُنشر"),
    ParsedSegment(2.0, 4.0, "بعد المقطع"),
]
PUBLIC_ROLES = {"public", "public-poster", "public-peaks"}


def make_item(app, client, auth, path: Path) -> dict:
    """Upload ``path``, make it public and published with a transcript of three passages."""
    auth.login("archivist@example.org")
    result = upload(client, auth.csrf("/manage/upload"), path).get_json()["results"][0]
    auth.logout()
    with app.app_context():
        item = items.find_item(result["item"])
        items.describe(item, {"access": "public", "download": True}, user=None)
        transcript = transcripts.attach(item, PASSAGES, language="ar", user=None)
        items.publish(item, user=None)
        return {
            "identifier": item.identifier,
            "recording": item.recordings[0].id,
            "transcript": transcript.id,
        }


def withhold(app, made: dict, number: int, restricted: bool = True) -> None:
    with app.app_context():
        transcript = transcripts.get(items.find_item(made["identifier"]), made["transcript"])
        transcripts.restrict_segment(
            transcripts.segment_at(transcript, number), restricted, user=None
        )


def files_of(app, recording_id: int) -> dict[str, Path]:
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        return {f.role: absolute(f.relpath) for f in recording.files}


def loudest(path: Path, start: float, end: float) -> float:
    """The loudest sample between ``start`` and ``end`` seconds, in dB (-91 is digital silence)."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path),
         "-af", f"atrim=start={start}:end={end},volumedetect", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(re.search(r"max_volume: (-?[\d.]+) dB", done.stderr)[1])


def brightness(path: Path, at: float) -> float:
    """The mean luma (0-255) of the frame shown at ``at`` seconds."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-ss", str(at), "-i", str(path),
         "-frames:v", "1", "-vf", "scale=64:36", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return sum(done.stdout) / len(done.stdout)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(client, url: str):
    """GET ``url``; the response, read whole and closed (media are streamed from files)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def tone_item(app, client, auth, tmp_path) -> dict:
    return make_item(app, client, auth, make_tone(tmp_path / "tone.wav", seconds=4))


def test_a_withheld_passage_is_silent_in_what_the_public_hears(app, client, auth, tone_item):
    recording = tone_item["recording"]
    withhold(app, tone_item, 2)  # 1 s to 2 s
    files = files_of(app, recording)
    assert PUBLIC_ROLES - {"public-poster"} <= set(files)  # no poster for audio
    public, full = files["public"], files["access"]
    assert public.parent == full.parent  # under the recording's derivatives folder
    assert loudest(public, 1.0, 2.0) < -80  # silent over the whole passage
    assert loudest(public, 0.0, 0.98) > -40 and loudest(public, 2.02, 4.0) > -40
    assert loudest(full, 1.0, 2.0) > -40  # staff keep every word

    # Anyone but staff gets the public copy at the access copy's URL: player, download, embed.
    anonymous = fetch(client, f"/media/{recording}/access")
    assert anonymous.status_code == 200
    assert sha256(anonymous.get_data()) == sha256(public.read_bytes())
    assert anonymous.headers["Vary"] == "Cookie"
    peaks = json.loads(fetch(client, f"/media/{recording}/peaks").get_data())
    per_second = peaks["sample_rate"] / peaks["samples_per_pixel"]
    inside = peaks["data"][2 * int(1.1 * per_second) : 2 * int(1.9 * per_second)]
    assert inside and max(abs(v) for v in inside) <= 1  # the waveform shows nothing either
    page = client.get(f"/items/{tone_item['identifier']}?lang=en").get_data(as_text=True)
    assert f'src="/media/{recording}/access"' in page
    withheld = re.findall(r'<li class="segment withheld"[^>]*>.*?</li>', page, re.S)
    assert len(withheld) == 1
    assert "data-start" not in withheld[0] and "seg-time" not in withheld[0]
    assert "Play from" not in withheld[0] and "This passage is not published" in withheld[0]
    assert page.count('class="seg-time"') == 2

    auth.login("archivist@example.org")
    staff = fetch(client, f"/media/{recording}/access")
    assert sha256(staff.get_data()) == sha256(full.read_bytes())
    assert fetch(client, f"/media/{recording}/public").status_code == 200  # to check it
    auth.logout()

    # Releasing the last withheld passage deletes the public copy; all hear the full one.
    withhold(app, tone_item, 2, restricted=False)
    after = files_of(app, recording)
    assert not PUBLIC_ROLES & set(after)
    assert not public.exists() and not files["public-peaks"].exists()
    again = fetch(client, f"/media/{recording}/access")
    assert sha256(again.get_data()) == sha256(full.read_bytes())
    public_role = fetch(client, f"/media/{recording}/public")  # the same, by its own role
    assert sha256(public_role.get_data()) == sha256(full.read_bytes())


def test_no_sound_for_visitors_while_the_public_copy_is_made_or_when_it_failed(
    app, client, auth, tone_item
):
    recording = tone_item["recording"]
    app.config["QUEUE"]["IMMEDIATE"] = False  # queued for a worker that is not running
    withhold(app, tone_item, 2)
    with app.app_context():
        job = db.session.get(Recording, recording).latest_job
        assert (job.kind, job.state) == ("public", "queued")
        job_id = job.id
    for role in ("access", "public", "peaks", "small", "public-small"):
        assert fetch(client, f"/media/{recording}/{role}").status_code == 404, role
    page = client.get(f"/items/{tone_item['identifier']}?lang=en").get_data(as_text=True)
    assert not ITEM_PLAYER.search(page) and f"/media/{recording}/" not in page
    assert "The listening copy of this recording is being prepared." in page
    embed = client.get(f"/embed/{tone_item['identifier']}").get_data(as_text=True)
    assert not ITEM_PLAYER.search(embed) and f"/media/{recording}/" not in embed
    auth.login("archivist@example.org")
    assert fetch(client, f"/media/{recording}/access").status_code == 200  # staff: the full copy
    auth.logout()

    # The job fails (stopped by its time limit): still nothing for visitors.
    app.config["MEDIA"]["TRANSCODE_TIMEOUT"] = 0.001
    with app.app_context():
        jobs.transcode(job_id)
        assert db.session.get(Job, job_id).state == "failed"
    assert fetch(client, f"/media/{recording}/access").status_code == 404
    assert fetch(client, f"/media/{recording}/peaks").status_code == 404
    app.config["MEDIA"]["TRANSCODE_TIMEOUT"] = 600
    with app.app_context():
        jobs.retry(job_id)  # queued again (for the absent worker); run here
        jobs.transcode(job_id)
        assert db.session.get(Job, job_id).state == "done"
    public = files_of(app, recording)["public"]
    served = fetch(client, f"/media/{recording}/access")
    assert sha256(served.get_data()) == sha256(public.read_bytes())

    # Withholding another passage: the copy hiding only the first is no longer served.
    withhold(app, tone_item, 3)
    assert fetch(client, f"/media/{recording}/access").status_code == 404
    with app.app_context():
        jobs.transcode(db.session.get(Recording, recording).latest_job.id)
    newer = files_of(app, recording)["public"]
    assert newer != public and not public.exists()
    assert loudest(newer, 1.0, 4.0) < -80 and loudest(newer, 0.0, 0.98) > -40


def test_a_video_is_black_and_silent_during_a_withheld_passage(app, client, auth, tmp_path):
    made = make_item(app, client, auth, make_video(tmp_path / "film.mp4", seconds=3))
    withhold(app, made, 2)
    files = files_of(app, made["recording"])
    assert PUBLIC_ROLES <= set(files)
    public, full = files["public"], files["access"]
    assert brightness(public, 1.5) < 20 and brightness(full, 1.5) > 40
    assert brightness(public, 0.5) > 40 and brightness(public, 2.5) > 40
    assert loudest(public, 1.0, 2.0) < -80 and loudest(public, 2.05, 3.0) > -40
    poster = fetch(client, f"/media/{made['recording']}/poster")
    assert sha256(poster.get_data()) == sha256(files["public-poster"].read_bytes())


def test_withdrawal_and_derivative_commands_handle_the_public_copy(
    app, client, auth, runner, tone_item
):
    recording = tone_item["recording"]
    withhold(app, tone_item, 2)
    public = files_of(app, recording)["public"]
    with app.app_context():
        item = items.find_item(tone_item["identifier"])
        withdrawal.withdraw(item, "consent withdrawn", user=None)
    assert not PUBLIC_ROLES & set(files_of(app, recording)) and not public.exists()
    with app.app_context():
        withdrawal.reinstate(items.find_item(tone_item["identifier"]), user=None)
    remade = files_of(app, recording)
    assert {"access", "peaks"} | PUBLIC_ROLES - {"public-poster"} <= set(remade)
    assert loudest(remade["public"], 1.0, 2.0) < -80

    assert runner.invoke(derivatives_command, ["delete", tone_item["identifier"]]).exit_code == 0
    assert set(files_of(app, recording)) == {"original"} and not remade["public"].exists()
    result = runner.invoke(derivatives_command, ["regenerate", tone_item["identifier"]])
    assert result.exit_code == 0, result.output
    assert {"access", "public", "public-peaks"} <= set(files_of(app, recording))
    with app.app_context():
        assert derivatives.missing_files(items.find_item(tone_item["identifier"])) == []


def test_correcting_a_withheld_passage_remakes_the_public_copy(app, client, tone_item):
    recording = tone_item["recording"]
    withhold(app, tone_item, 2)
    before = files_of(app, recording)["public"]
    with app.app_context():
        transcript = transcripts.get(
            items.find_item(tone_item["identifier"]), tone_item["transcript"]
        )
        rows = [
            {"id": s.id, "start": s.start, "end": s.end, "text": s.text, "speaker": ""}
            for s in transcript.segments
        ]
        rows[1]["end"], rows[2]["start"] = 3.0, 3.0  # the withheld passage now ends at 3 s
        transcripts.correct(transcript, rows, user=None)
    after = files_of(app, recording)["public"]
    assert after != before and not before.exists()
    assert loudest(after, 1.0, 3.0) < -80 and loudest(after, 3.02, 4.0) > -40


def test_withholding_from_the_command_line_makes_the_public_copy(app, runner, tone_item):
    args = [tone_item["identifier"], "--transcript", str(tone_item["transcript"]), "--segment", "2"]
    result = runner.invoke(transcripts_command, ["restrict", *args])
    assert result.exit_code == 0, result.output
    public = files_of(app, tone_item["recording"])["public"]
    assert loudest(public, 1.0, 2.0) < -80
    result = runner.invoke(transcripts_command, ["restrict", *args, "--undo"])
    assert result.exit_code == 0, result.output
    assert "public" not in files_of(app, tone_item["recording"]) and not public.exists()


def test_many_withheld_passages_fit_in_ffmpeg_expressions(tmp_path):
    """ffmpeg's expression parser gives up at about 80 ranges: they are split over filters."""
    source = make_tone(tmp_path / "long.wav", seconds=30)
    ranges = [(i * 0.2, i * 0.2 + 0.05) for i in range(140)]  # 0.15 s each, guard included
    public = media.transcode(source, tmp_path / "public.m4a", kind="audio", redact=ranges)
    assert loudest(public, 10.0, 10.05) < -80 and loudest(public, 27.8, 27.85) < -80
    assert loudest(public, 10.12, 10.13) > -40  # between two passages
    video = make_video(tmp_path / "film.mp4", seconds=20, size="160x120")
    ranges = [(i * 0.2, i * 0.2 + 0.05) for i in range(95)]
    public = media.transcode(video, tmp_path / "public.mp4", kind="video", redact=ranges)
    assert brightness(public, 18.8) < 20 and loudest(public, 18.8, 18.85) < -80
