"""media/ against real ffmpeg: probing, refusing, storing, transcoding and waveform peaks."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import ffmpeg
import pytest

import media
from tests.media_samples import (
    picture_size,
    quiet_then_loud,
    speech,
    tone,
    top_level_boxes,
    truncated,
    video,
    with_cover_art,
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return tmp_path_factory.mktemp("samples")


@pytest.fixture(scope="module")
def wav(samples):
    return tone(samples / "tone.wav", 3)


@pytest.fixture(scope="module")
def arabic_speech(samples):
    return speech(samples / "speech.wav")


@pytest.fixture(scope="module")
def video_720(samples):
    return video(samples / "video-720.mp4", 2, size="1280x720")


def leftovers(folder: Path) -> list[str]:
    """Temporary files an interrupted write could have left behind."""
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


# Probing


@pytest.mark.parametrize(
    "name, args, codec, rate, channels",
    [
        ("tone.wav", (), "pcm_s16le", 44100, 1),
        ("tone.mp3", (), "mp3", 44100, 1),
        ("tone.m4a", (), "aac", 44100, 1),
        ("tone.flac", (), "flac", 44100, 1),
        ("tone.opus", ("-ar", "48000"), "opus", 48000, 2),
    ],
)
def test_probe_audio(tmp_path, name, args, codec, rate, channels):
    path = tone(tmp_path / name, 2, channels=channels, args=args)
    result = media.probe(path)
    assert result.kind == "audio"
    assert result.audio_codec == codec
    assert result.sample_rate == rate
    assert result.channels == channels
    assert result.duration == pytest.approx(2, abs=0.1)
    assert result.size == path.stat().st_size
    assert result.video_codec is None and result.width is None


def test_probe_video(video_720):
    result = media.probe(video_720)
    assert result.kind == "video"
    assert result.format_name.startswith("mov,mp4")
    assert (result.video_codec, result.audio_codec) == ("h264", "aac")
    assert (result.width, result.height) == (1280, 720)
    assert result.frame_rate == 25
    assert result.duration == pytest.approx(2, abs=0.1)
    assert json.loads(json.dumps(result.to_dict()))["width"] == 1280


def test_mp3_with_cover_art_is_audio(tmp_path, wav):
    result = media.probe(with_cover_art(tmp_path / "song.mp3", wav, tmp_path))
    assert result.kind == "audio"
    assert result.video_codec is None


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.mp3", b"Notes about the interview with Abu Ali.\n" * 20, "not an audio or video"),
        ("page.mp4", b"<!DOCTYPE html><html><body><p>Hi</p></body></html>\n", "not an audio"),
        ("empty.mp3", b"", "This file is empty."),
        (
            "playlist.mp4",
            b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
            "Format 'hls'",
        ),
        ("script.mp4", b"ffconcat version 1.0\nfile '/etc/passwd'\n", "Format 'concat'"),
    ],
)
def test_probe_refuses(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(media.RejectedFile, match=message) as refused:
        media.probe(path)
    assert str(refused.value).endswith(".") and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "args", [(), ("-movflags", "+faststart")], ids=["moov-at-end", "faststart"]
)
def test_probe_refuses_truncated_mp4(tmp_path, args):
    whole = video(tmp_path / "whole.mp4", 4, size="320x240", args=args)
    boxes = top_level_boxes(whole)
    assert (boxes.index("moov") < boxes.index("mdat")) == bool(args)
    media.probe(whole)  # the whole file is fine
    with pytest.raises(media.RejectedFile, match="truncated"):
        media.probe(truncated(whole, tmp_path / "cut.mp4"))


@pytest.mark.parametrize("name", ["concat:evil.mp3", "-i.mp3", "شهادة أسير.wav"])
def test_probe_awkward_file_names(tmp_path, arabic_speech, name):
    path = tmp_path / name
    if path.suffix == ".wav":
        path.write_bytes(arabic_speech.read_bytes())
    else:
        tone(tmp_path / "tone.mp3", 1).rename(path)
    result = media.probe(path)
    assert result.kind == "audio" and result.duration > 0.5


# Originals


def test_store_original(tmp_path, wav):
    before = (wav.read_bytes(), wav.stat().st_mode, wav.stat().st_mtime_ns)
    root = tmp_path / "originals"
    stored = media.store_original(wav, root)
    sha = media.sha256_file(wav)
    assert stored.sha256 == sha
    assert stored.relpath == f"{sha[:2]}/{sha[2:4]}/{sha}"
    assert stored.path == (root / stored.relpath).absolute()
    assert stored.size == wav.stat().st_size
    assert stored.path.read_bytes() == wav.read_bytes()
    assert stat.S_IMODE(stored.path.stat().st_mode) == 0o444
    assert media.verify_file(stored.path, sha)
    assert (wav.read_bytes(), wav.stat().st_mode, wav.stat().st_mtime_ns) == before
    assert leftovers(root) == []

    inode = stored.path.stat().st_ino
    assert media.store_original(wav, root, sha256=sha) == stored  # idempotent: not rewritten
    assert media.store_original(wav, root) == stored
    assert stored.path.stat().st_ino == inode


def test_store_original_refuses_a_wrong_checksum(tmp_path, wav):
    root = tmp_path / "originals"
    with pytest.raises(media.MediaError, match="does not match"):
        media.store_original(wav, root, sha256="0" * 64)
    assert not (root / "00").exists() and leftovers(root) == []
    with pytest.raises(media.MediaError, match="not a SHA-256"):
        media.store_original(wav, root, sha256="../../etc/passwd")


def test_store_original_repairs_a_damaged_copy(tmp_path, wav):
    root = tmp_path / "originals"
    stored = media.store_original(wav, root)
    stored.path.chmod(0o644)
    stored.path.write_bytes(b"bit rot")
    assert not media.verify_file(stored.path, stored.sha256)
    assert media.store_original(wav, root) == stored
    assert media.verify_file(stored.path, stored.sha256)
    assert not media.verify_file(root / "missing", stored.sha256)


# Access copies


def test_transcode_audio(tmp_path, arabic_speech):
    source = media.probe(arabic_speech)
    progress = []
    out = media.transcode(
        arabic_speech, tmp_path / "access" / "speech.m4a", kind="audio", on_progress=progress.append
    )
    result = media.probe(out)
    assert result.audio_codec == "aac" and result.format_name.startswith("mov,mp4,m4a")
    assert source.sample_rate != 48000 and result.sample_rate == 48000  # not loudnorm's 192k
    assert result.channels == 1
    assert result.duration == pytest.approx(source.duration, abs=0.1)
    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")  # fast start
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert leftovers(out.parent) == []
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_transcode_audio_keeps_44100(tmp_path, wav):
    out = media.transcode(wav, tmp_path / "tone.m4a", kind="audio")
    assert media.probe(out).sample_rate == 44100


@pytest.mark.parametrize("size", ["1280x720", "1920x1080"])
def test_transcode_video_and_poster(tmp_path, size):
    src = video(tmp_path / f"{size}.mov", 2, size=size)
    progress = []
    out = media.transcode(src, tmp_path / "out.mp4", kind="video", on_progress=progress.append)
    result = media.probe(out)
    assert (result.video_codec, result.audio_codec) == ("h264", "aac")
    assert (result.width, result.height) == (1280, 720)
    assert top_level_boxes(out).index("moov") < top_level_boxes(out).index("mdat")
    assert progress[-1] == 1.0

    poster = media.make_poster(src, tmp_path / "poster.jpg")
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    assert picture_size(poster) == (1280, 720)
    assert leftovers(tmp_path) == []


def test_transcode_never_upscales_and_keeps_silence(tmp_path):
    src = video(tmp_path / "small.mp4", 1, size="320x240", sound=False)
    out = media.transcode(src, tmp_path / "out.mp4", kind="video")
    result = media.probe(out)
    assert (result.width, result.height) == (320, 240)
    assert result.audio_codec is None
    with pytest.raises(media.MediaError, match="no sound"):
        media.compute_peaks(src, tmp_path / "peaks.json")


def test_failed_transcode_leaves_nothing_and_can_be_retried(tmp_path, wav):
    before = media.sha256_file(wav)
    dst = tmp_path / "access" / "tone.m4a"
    with pytest.raises(media.TranscodeError) as failed:
        media.transcode(wav, dst, kind="audio", overrides={"audio_codec": "no_such_encoder"})
    assert "no_such_encoder" in failed.value.ffmpeg_message
    assert failed.value.returncode not in (0, None)
    assert not dst.exists() and leftovers(dst.parent) == []
    assert media.sha256_file(wav) == before

    assert media.transcode(wav, dst, kind="audio").exists()
    assert media.probe(dst).audio_codec == "aac"


def test_transcode_timeout_and_interrupt_leave_nothing(tmp_path):
    src = tone(tmp_path / "long.wav", 300)
    dst = tmp_path / "access" / "long.m4a"
    with pytest.raises(media.TranscodeTimeout):
        media.transcode(src, dst, kind="audio", timeout=0.5)
    assert not dst.exists() and leftovers(dst.parent) == []

    def interrupt(fraction):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        media.transcode(src, dst, kind="audio", on_progress=interrupt)
    assert not dst.exists() and leftovers(dst.parent) == []


def test_build_transcode_args_is_data_driven(tmp_path):
    args = media.build_transcode_args("in put.wav", tmp_path / "o.m4a", kind="audio")
    assert args[0] != "ffmpeg"
    i = args.index("-i")
    assert args[i + 1] == "file:" + os.path.abspath("in put.wav")
    assert args.index("-protocol_whitelist") < i and args[args.index("-protocol_whitelist") + 1]
    assert args[-1] == "file:" + str(tmp_path / "o.m4a")
    assert "loudnorm=I=-16:TP=-1.5:LRA=11" in args and "+faststart" in args
    assert args[args.index("-ar") + 1] == "48000"
    changed = media.build_transcode_args(
        "a.wav", "o.m4a", kind="audio", overrides={"AUDIO_BITRATE": "96k", "loudnorm": None}
    )
    assert changed[changed.index("-b:a") + 1] == "96k" and "-af" not in changed
    with pytest.raises(media.MediaError, match="Unknown encoding setting"):
        media.build_transcode_args("a.wav", "o.m4a", kind="audio", overrides={"bogus": 1})


def test_build_transcode_args_is_built_by_ffmpeg_python(tmp_path):
    src, dst = tmp_path / "in.mov", tmp_path / "o.mp4"
    source, url = media.probe(video(src, 1, size="320x240")), "file:" + str(src)
    extra = ["-metadata", "title=x", "-metadata", "title=y"]
    args = media.build_transcode_args(
        src, dst, kind="video", probe=source, overrides={"extra_args": extra}
    )
    whitelist = ",".join(sorted(media.ALLOWED_FORMATS))
    i = args.index("-i")
    assert args.count("-i") == 1
    assert args[i - 4 : i + 2] == [
        *("-format_whitelist", whitelist, "-protocol_whitelist", "file", "-i", url)
    ]
    recording = ffmpeg.input(url, protocol_whitelist="file", format_whitelist=whitelist)
    expected = ffmpeg.output(
        recording["V:0"],
        recording["a:0?"],
        "file:" + str(dst),
        f="mp4",
        vf="scale=-2:'min(720,trunc(ih/2)*2)'",
        preset="veryfast",
        crf=23,
        pix_fmt="yuv420p",
        af="loudnorm=I=-16:TP=-1.5:LRA=11",
        ar=48000,
        ac=1,
        map_metadata=-1,
        map_chapters=-1,
        movflags="+faststart",
        max_muxing_queue_size=4096,
        **{"c:v": "libx264", "c:a": "aac", "b:a": "128k"},
    ).get_args()
    # Global options first; the profile's extra_args verbatim, in order, after the others.
    global_args = ["-nostdin", "-hide_banner", "-loglevel", "error"]
    assert args == [*global_args, *expected[:-1], *extra, "-y", expected[-1]]
    assert args[i + 2 : i + 6] == ["-map", "0:V:0", "-map", "0:a:0?"]  # the streams first

    audio = media.build_transcode_args(src, dst, kind="audio")
    assert audio[audio.index("-i") - 4 : audio.index("-i")] == [
        *("-format_whitelist", whitelist, "-protocol_whitelist", "file")
    ]
    assert audio[:4] == global_args and audio[-2:] == ["-y", "file:" + str(dst)]


# Peaks


def test_peaks(tmp_path):
    src = quiet_then_loud(tmp_path / "quiet-then-loud.wav", 4)
    out = media.compute_peaks(src, tmp_path / "peaks" / "waveform.json")
    waveform = json.loads(out.read_text())
    assert {k: waveform[k] for k in ("version", "channels", "sample_rate", "bits")} == {
        "version": 2,
        "channels": 1,
        "sample_rate": 8000,
        "bits": 8,
    }
    length, data = waveform["length"], waveform["data"]
    assert 1000 <= length <= 4000 and len(data) == 2 * length
    assert all(-128 <= value <= 127 for value in data)
    assert all(low <= high for low, high in zip(data[::2], data[1::2], strict=True))
    half = len(data) // 2
    quiet = max(data[: half - 40])
    loud = max(data[half + 40 :])
    assert loud > 5 * max(quiet, 1)
    assert leftovers(out.parent) == []


def test_peaks_with_chosen_resolution(tmp_path, wav):
    out = media.compute_peaks(wav, tmp_path / "w.json", samples_per_pixel=800)
    waveform = json.loads(out.read_text())
    assert waveform["samples_per_pixel"] == 800
    assert waveform["length"] == 30  # 3 s at 8000 Hz


def test_media_needs_no_flask():
    code = "import sys, media; print(sorted(m for m in sys.modules if m.startswith(('flask', 'archive'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
