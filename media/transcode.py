"""Access copies and poster frames: argument lists built from profiles, written atomically."""

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from media.errors import MediaError, TranscodeError
from media.ffmpeg import GLOBAL_ARGS, file_url, input_args, run_ffmpeg
from media.probe import ProbeResult
from media.probe import probe as probe_recording
from media.profiles import (
    DEFAULT_MEMORY_LIMIT,
    POSTER_JPEG_QUALITY,
    POSTER_MAX_HEIGHT,
    POSTER_POSITION,
    Profile,
    profile_for,
)
from media.store import ACCESS_COPY_MODE, written_atomically


def build_transcode_args(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    kind: str,
    probe: ProbeResult | None = None,
    overrides: Mapping | None = None,
) -> list[str]:
    """The ffmpeg arguments (without the "ffmpeg" executable itself) for an access copy.

    Pure: it runs nothing. With `probe`, the sample rate (44.1 kHz is kept) and channel count
    (more than two are mixed down) follow the source; without it, 48 kHz and the source's
    channels. ``["ffmpeg", *build_transcode_args(...)]`` is the complete command.
    """
    profile = profile_for(kind, overrides)
    if probe is not None and kind == "video" and probe.video_codec is None:
        raise MediaError("This recording has no video, so it cannot get a video access copy.")
    return [
        *GLOBAL_ARGS,
        *input_args(src),
        *_map_args(profile),
        *_video_args(profile),
        *_audio_args(profile, probe),
        *_container_args(profile),
        *profile.extra_args,
        "-y",
        file_url(dst),
    ]


def _map_args(profile: Profile) -> list[str]:
    if profile.kind == "audio":
        return ["-map", "0:a:0"]
    # "V" is video that is not cover art; the audio is optional (silent films exist).
    return ["-map", "0:V:0", "-map", "0:a:0?"]


def _video_args(profile: Profile) -> list[str]:
    if profile.kind != "video":
        return ["-vn"]
    args = ["-vf", scale_filter(profile.max_height), "-c:v", profile.video_codec]
    args += ["-preset", profile.preset, "-crf", str(profile.crf), "-pix_fmt", profile.pix_fmt]
    if profile.threads:
        args += ["-threads", str(profile.threads)]
    return args


def scale_filter(max_height: int) -> str:
    """Scale down to at most `max_height` lines, keeping the aspect ratio, never up; even sizes."""
    return f"scale=-2:'min({max_height},trunc(ih/2)*2)'"


def _audio_args(profile: Profile, probe: ProbeResult | None) -> list[str]:
    if probe is not None and probe.audio_codec is None:
        return ["-an"]
    args = ["-af", f"loudnorm={profile.loudnorm}"] if profile.loudnorm else []
    args += ["-c:a", profile.audio_codec, "-b:a", profile.audio_bitrate]
    # loudnorm works at 192 kHz: always say which rate to deliver.
    args += ["-ar", str(_sample_rate(profile, probe))]
    if probe is not None and probe.channels:
        args += ["-ac", str(min(probe.channels, profile.max_channels))]
    return args


def _sample_rate(profile: Profile, probe: ProbeResult | None) -> int:
    if probe is not None and probe.sample_rate in profile.sample_rates:
        return probe.sample_rate
    return profile.sample_rates[0]


def _container_args(profile: Profile) -> list[str]:
    args = ["-map_metadata", "-1", "-map_chapters", "-1"] if profile.strip_metadata else []
    if profile.movflags:
        args += ["-movflags", profile.movflags]
    # Phone videos often start with sparse streams; the default queue of 128 packets is too
    # small and makes ffmpeg give up ("Too many packets buffered").
    args += ["-max_muxing_queue_size", "4096"]
    return [*args, "-f", profile.muxer]


def transcode(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    kind: str,
    probe: ProbeResult | None = None,
    on_progress: Callable[[float], None] | None = None,
    timeout: float | None = None,
    overrides: Mapping | None = None,
) -> Path:
    """Write the access copy of `src` to `dst` (all or nothing) and return `dst`.

    Without `probe`, `src` is probed first (for its duration, sample rate and channels).
    On any failure the partial output is deleted and the error (TranscodeError with ffmpeg's
    message, TranscodeTimeout, KeyboardInterrupt...) is raised; `src` is only read.
    """
    src, dst = Path(src), Path(dst)
    profile = profile_for(kind, overrides)
    if probe is None:
        probe = probe_recording(src)
    _not_the_original(src, dst)
    with written_atomically(dst, mode=ACCESS_COPY_MODE) as tmp:
        args = build_transcode_args(src, tmp, kind=kind, probe=probe, overrides=overrides)
        run_ffmpeg(
            args,
            timeout=timeout,
            duration=probe.duration,
            on_progress=on_progress,
            memory_limit=profile.memory_limit,
        )
    return dst


def make_poster(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    at: float | None = None,
    timeout: float | None = 120,
) -> Path:
    """Write a JPEG frame of the video `src` (by default 10% in) to `dst` and return `dst`."""
    src, dst = Path(src), Path(dst)
    if at is None:
        at = probe_recording(src).duration * POSTER_POSITION
    _not_the_original(src, dst)
    with written_atomically(dst, mode=ACCESS_COPY_MODE) as tmp:
        args = [*GLOBAL_ARGS, *input_args(src, "-ss", f"{max(at, 0):.3f}"), "-map", "0:V:0"]
        args += ["-frames:v", "1", "-vf", scale_filter(POSTER_MAX_HEIGHT)]
        args += ["-q:v", str(POSTER_JPEG_QUALITY), "-f", "mjpeg", "-y", file_url(tmp)]
        run_ffmpeg(args, timeout=timeout, memory_limit=DEFAULT_MEMORY_LIMIT)
        if tmp.stat().st_size == 0:
            raise TranscodeError(f"There is no video frame at {at:g} seconds for a poster.")
    return dst


def _not_the_original(src: Path, dst: Path) -> None:
    if dst.exists() and dst.resolve() == src.resolve():
        raise MediaError("An access copy cannot replace its own original.")
