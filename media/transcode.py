"""Access copies and poster frames: ffmpeg command lines built from profiles, written atomically.

The command lines are built with ffmpeg-python; its keyword options come out in alphabetical
order, which ffmpeg does not mind: all the options of one output file apply together.
"""

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import ffmpeg

from media.errors import MediaError, TranscodeError
from media.ffmpeg import GLOBAL_ARGS, ffmpeg_args, file_url, open_input, run_ffmpeg
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
    output = ffmpeg.output(
        *_mapped_streams(profile, open_input(src)),
        file_url(dst),
        **_video_options(profile),
        **_audio_options(profile, probe),
        **_container_options(profile),
    )
    return ffmpeg_args(
        output, global_args=GLOBAL_ARGS, overwrite=True, before_output=profile.extra_args
    )


def _mapped_streams(profile: Profile, source: ffmpeg.nodes.FilterableStream) -> list:
    """The streams of `source` the access copy keeps (ffmpeg-python writes them as -map)."""
    if profile.kind == "audio":
        return [source["a:0"]]
    # "V" is video that is not cover art; the audio is optional (silent films exist).
    return [source["V:0"], source["a:0?"]]


def _video_options(profile: Profile) -> dict:
    if profile.kind != "video":
        return {"vn": None}  # ffmpeg-python writes None as a bare flag: other values are str()
    # -vf rather than ffmpeg-python's .filter(): that would make a -filter_complex graph,
    # whose output is a new stream instead of the mapped one.
    options = {"vf": scale_filter(profile.max_height), "c:v": str(profile.video_codec)}
    options |= {"preset": str(profile.preset), "crf": str(profile.crf)}
    options["pix_fmt"] = str(profile.pix_fmt)
    if profile.threads:
        options["threads"] = str(profile.threads)
    return options


def scale_filter(max_height: int) -> str:
    """Scale down to at most `max_height` lines, keeping the aspect ratio, never up; even sizes."""
    return f"scale=-2:'min({max_height},trunc(ih/2)*2)'"


def _audio_options(profile: Profile, probe: ProbeResult | None) -> dict:
    if probe is not None and probe.audio_codec is None:
        return {"an": None}
    # -af, not a -filter_complex graph: that could not take the optional "0:a:0?" stream.
    options = {"af": f"loudnorm={profile.loudnorm}"} if profile.loudnorm else {}
    options |= {"c:a": str(profile.audio_codec), "b:a": str(profile.audio_bitrate)}
    # loudnorm works at 192 kHz: always say which rate to deliver.
    options["ar"] = str(_sample_rate(profile, probe))
    if probe is not None and probe.channels:
        options["ac"] = str(min(probe.channels, profile.max_channels))
    return options


def _sample_rate(profile: Profile, probe: ProbeResult | None) -> int:
    if probe is not None and probe.sample_rate in profile.sample_rates:
        return probe.sample_rate
    return profile.sample_rates[0]


def _container_options(profile: Profile) -> dict:
    options = {"map_metadata": "-1", "map_chapters": "-1"} if profile.strip_metadata else {}
    if profile.movflags:
        options["movflags"] = str(profile.movflags)
    # Phone videos often start with sparse streams; the default queue of 128 packets is too
    # small and makes ffmpeg give up ("Too many packets buffered").
    options["max_muxing_queue_size"] = "4096"
    return {**options, "f": str(profile.muxer)}


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
    probe: ProbeResult | None = None,
    timeout: float | None = 120,
) -> Path:
    """Write a JPEG frame of the video `src` (by default 10% in) to `dst` and return `dst`.

    Without `at`, the duration comes from `probe` (or `src` is probed for it).
    """
    src, dst = Path(src), Path(dst)
    if at is None:
        at = (probe or probe_recording(src)).duration * POSTER_POSITION
    _not_the_original(src, dst)
    with written_atomically(dst, mode=ACCESS_COPY_MODE) as tmp:
        picture = open_input(src, ss=f"{max(at, 0):.3f}")["V:0"]
        output = picture.output(
            file_url(tmp),
            f="mjpeg",
            vf=scale_filter(POSTER_MAX_HEIGHT),
            **{"frames:v": "1", "q:v": str(POSTER_JPEG_QUALITY)},
        )
        args = ffmpeg_args(output, global_args=GLOBAL_ARGS, overwrite=True)
        run_ffmpeg(args, timeout=timeout, memory_limit=DEFAULT_MEMORY_LIMIT)
        if tmp.stat().st_size == 0:
            raise TranscodeError(f"There is no video frame at {at:g} seconds for a poster.")
    return dst


def _not_the_original(src: Path, dst: Path) -> None:
    if dst.exists() and dst.resolve() == src.resolve():
        raise MediaError("An access copy cannot replace its own original.")
