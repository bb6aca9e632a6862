"""Access copies and poster frames: ffmpeg command lines built from profiles, written atomically.

The command lines are built with ffmpeg-python; its keyword options come out in alphabetical
order, which ffmpeg does not mind: all the options of one output file apply together.
"""

import os
from collections.abc import Callable, Mapping, Sequence
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
    redact: Sequence[tuple[float, float]] = (),
) -> list[str]:
    """The ffmpeg arguments (without the "ffmpeg" executable itself) for an access copy.

    Pure: it runs nothing. With `probe`, the sample rate (44.1 kHz is kept) and channel count
    (more than two are mixed down) follow the source; without it, 48 kHz and the source's
    channels. `redact` lists (start, end) times in seconds made silent, and black in a
    video. ``["ffmpeg", *build_transcode_args(...)]`` is the complete command.
    """
    profile = profile_for(kind, overrides)
    if probe is not None and profile.kind == "video" and probe.video_codec is None:
        raise MediaError("This recording has no video, so it cannot get a video access copy.")
    redact = guarded(redact)
    output = ffmpeg.output(
        *_mapped_streams(profile, open_input(src)),
        file_url(dst),
        **_video_options(profile, probe, redact),
        **_audio_options(profile, probe, redact),
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


def _video_options(profile: Profile, probe: ProbeResult | None, redact) -> dict:
    if profile.kind != "video":
        return {"vn": None}  # ffmpeg-python writes None as a bare flag: other values are str()
    # -vf rather than ffmpeg-python's .filter(): that would make a -filter_complex graph,
    # whose output is a new stream instead of the mapped one.
    chain = scale_filter(profile.max_height)
    if redact:
        chain += "," + blackout_filter(redact, probe.frame_rate if probe else None)
    options = {"vf": chain, "c:v": str(profile.video_codec)}
    options["preset"] = str(profile.preset)
    if profile.video_bitrate:  # a size to keep to (small renditions), not a quality
        options |= {"b:v": str(profile.video_bitrate), "maxrate": _times(profile.video_bitrate, 1.25),
                    "bufsize": _times(profile.video_bitrate, 2)}  # fmt: skip
    else:
        options["crf"] = str(profile.crf)
    options["pix_fmt"] = str(profile.pix_fmt)
    if profile.threads:
        options["threads"] = str(profile.threads)
    return options


def _times(bitrate: str, factor: float) -> str:
    """`bitrate` ("450k", "1M" or bits) times `factor`, in kb/s."""
    units = {"k": 1e3, "m": 1e6}
    text = str(bitrate).strip().lower()
    value = float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)
    return f"{round(value * factor / 1000)}k"


def scale_filter(max_height: int) -> str:
    """Scale down to at most `max_height` lines, keeping the aspect ratio, never up; even sizes."""
    return f"scale=-2:'min({max_height},trunc(ih/2)*2)'"


def guarded(ranges: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """`ranges` widened by REDACT_GUARD each side (the encoder smears sound over about one
    frame: 1024 samples in AAC), sorted, and merged where they meet."""
    merged: list[tuple[float, float]] = []
    widened = [
        (max(float(a) - REDACT_GUARD, 0.0), float(b) + REDACT_GUARD) for a, b in ranges if b > a
    ]
    for start, end in sorted(widened):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _batches(ranges: Sequence[tuple[float, float]]) -> list[Sequence[tuple[float, float]]]:
    """`ranges` in groups small enough for one ffmpeg expression (about 80 terms fail)."""
    return [ranges[i : i + RANGES_PER_FILTER] for i in range(0, len(ranges), RANGES_PER_FILTER)]


def blackout_filter(ranges: Sequence[tuple[float, float]], frame_rate: float | None) -> str:
    """drawbox filters filling every frame shown during any of `ranges` with black.

    The timeline (enable=) sees a frame's start only: a frame that starts up to two frame
    durations before a range (variable frame rates) is blacked out too.
    """
    early = 2.0 / frame_rate if frame_rate and frame_rate > 0 else 0.5
    boxes = []
    for batch in _batches(ranges):
        during = "+".join(f"gt(t,{start - early:.3f})*lt(t,{end:.3f})" for start, end in batch)
        boxes.append(f"drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='{during}'")
    return ",".join(boxes)


def silence_filters(ranges: Sequence[tuple[float, float]]) -> str:
    """Filters making every sample within `ranges` (seconds) silent, before anything else.

    volume's expression is evaluated once per frame of samples: frames are cut to
    FRAME_SAMPLES and a frame that overlaps a range at all is silenced whole (so at most that
    many samples more). ffmpeg 5's volume filter has no usable nb_samples: the frame's
    length is known because asetnsamples made it.
    """
    length = f"{FRAME_SAMPLES}/sample_rate"
    filters = [f"asetnsamples=n={FRAME_SAMPLES}:p=0"]
    for batch in _batches(ranges):
        overlaps = "+".join(f"lt(t,{end:.3f})*gt(t+{length},{start:.3f})" for start, end in batch)
        filters.append(f"volume=volume='if({overlaps},0,1)':eval=frame")
    return ",".join(filters)


#: Seconds silenced (and blacked out) before and after each range, so that the encoder's
#: smearing of the sound next to a range does not reach into it.
REDACT_GUARD = 0.05

#: Ranges in one volume or drawbox expression (ffmpeg's expression parser gives up at ~80).
RANGES_PER_FILTER = 25

#: Samples per frame while silencing (64 is 1.3 ms at 48 kHz, 8 ms at 8 kHz).
FRAME_SAMPLES = 64


def _audio_options(profile: Profile, probe: ProbeResult | None, redact) -> dict:
    if probe is not None and probe.audio_codec is None:
        return {"an": None}
    # -af, not a -filter_complex graph: that could not take the optional "0:a:0?" stream.
    # Silence comes first: loudnorm delays its output, so times after it are not the source's.
    chain = [silence_filters(redact)] if redact else []
    chain += [f"loudnorm={profile.loudnorm}"] if profile.loudnorm else []
    options = {"af": ",".join(chain)} if chain else {}
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
    cpu_limit: float | None = None,
    redact: Sequence[tuple[float, float]] = (),
) -> Path:
    """Write the access copy of `src` to `dst` (all or nothing) and return `dst`.

    Without `probe`, `src` is probed first (for its duration, sample rate and channels).
    `redact` lists time ranges to silence (and black out, in a video); `cpu_limit` is the
    processor seconds ffmpeg may use (CpuBudgetExceeded past it).
    On any failure the partial output is deleted and the error (TranscodeError with ffmpeg's
    message, TranscodeTimeout, KeyboardInterrupt...) is raised; `src` is only read.
    """
    src, dst = Path(src), Path(dst)
    profile = profile_for(kind, overrides)
    if probe is None:
        probe = probe_recording(src)
    _not_the_original(src, dst)
    with written_atomically(dst, mode=ACCESS_COPY_MODE) as tmp:
        args = build_transcode_args(
            src, tmp, kind=kind, probe=probe, overrides=overrides, redact=redact
        )
        run_ffmpeg(
            args,
            timeout=timeout,
            duration=probe.duration,
            on_progress=on_progress,
            memory_limit=profile.memory_limit,
            cpu_limit=cpu_limit,
        )
    return dst


def cpu_budget(duration: float, *, per_second: float, minimum: float) -> float:
    """Processor seconds one ffmpeg run on a recording of `duration` seconds may use.

    Proportional to the length ffprobe measured, so a file cannot cost more than its length
    allows (a header lying about the length leaves it only `minimum`).
    """
    return minimum + per_second * max(duration, 0.0)


def make_poster(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    at: float | None = None,
    probe: ProbeResult | None = None,
    timeout: float | None = 120,
    cpu_limit: float | None = None,
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
        run_ffmpeg(args, timeout=timeout, memory_limit=DEFAULT_MEMORY_LIMIT, cpu_limit=cpu_limit)
        if tmp.stat().st_size == 0:
            raise TranscodeError(f"There is no video frame at {at:g} seconds for a poster.")
    return dst


def _not_the_original(src: Path, dst: Path) -> None:
    if dst.exists() and dst.resolve() == src.resolve():
        raise MediaError("An access copy cannot replace its own original.")
