"""Probe an upload: what it is, or a clear reason why the archive refuses it."""

import dataclasses
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import ffmpeg

from media.errors import RejectedFile, TooLong, TranscodeError, TranscodeTimeout
from media.ffmpeg import ProbeFailed, ffmpeg_args, ffprobe_json, measure_ffmpeg, open_input
from media.profiles import ALLOWED_FORMATS, FORMAT_DESCRIPTIONS, PROBE_TAIL_SECONDS

#: Stream dispositions that make a video stream a still picture (cover art), not a video.
STILL_DISPOSITIONS = ("attached_pic", "timed_thumbnails", "still_image")

#: The first box types of an ISO media (MP4/MOV) file: "moov atom not found" in a file that
#: starts like this means the file was cut off, otherwise that it is not an MP4 at all.
ISO_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}

NOT_MEDIA = "This is not an audio or video file (ffprobe could not read it)."


@dataclass(frozen=True)
class ProbeResult:
    """What ffprobe says about a recording (the first audio and the first real video stream)."""

    kind: str  # "audio" or "video"
    format_name: str
    duration: float
    size: int
    bit_rate: int | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    video_codec: str | None
    width: int | None
    height: int | None
    frame_rate: float | None

    def to_dict(self) -> dict:
        """The fields as a JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, fields: dict) -> "ProbeResult | None":
        """The result ``to_dict`` gave, kept with the recording (so a file is probed once);
        None when ``fields`` lacks any of them (recorded by an older version)."""
        names = {f.name for f in dataclasses.fields(cls)}
        if not fields or not names <= set(fields):
            return None
        return cls(**{name: fields[name] for name in names})


def probe(
    path: str | os.PathLike, *, timeout: float = 60.0, max_duration: float | None = None
) -> ProbeResult:
    """Describe the recording at `path`, or raise RejectedFile saying why it is not accepted.

    A recording longer than `max_duration` seconds is refused (TooLong) before any of it is
    decoded: its access copies would cost processor time in proportion to its length.
    """
    path = Path(path)
    deadline = time.monotonic() + timeout
    size = _size(path)
    try:
        info = ffprobe_json(path, timeout=timeout)
    except ProbeFailed as failed:
        raise RejectedFile(_explain(path, failed.stderr)) from None
    _check_format(info.get("format", {}).get("format_name", ""))
    audio = _first_stream(info, is_audio)
    video = _first_stream(info, is_video)
    if audio is None and video is None:
        raise RejectedFile("This file has no audio or video stream.")
    duration = _duration(info)
    if max_duration is not None and duration > max_duration:
        raise TooLong(
            f"This recording lasts {_hours(duration)}, longer than the {_hours(max_duration)} "
            "the archive accepts.",
            duration=duration,
            limit=max_duration,
        )
    _check_tail(path, duration, timeout=max(deadline - time.monotonic(), 1.0))
    fmt = info["format"]
    return ProbeResult(
        kind="video" if video else "audio",
        format_name=fmt["format_name"],
        duration=duration,
        size=size,
        bit_rate=_int(fmt.get("bit_rate")),
        audio_codec=audio and audio.get("codec_name"),
        sample_rate=audio and _int(audio.get("sample_rate")),
        channels=audio and _int(audio.get("channels")),
        video_codec=video and video.get("codec_name"),
        width=video and _int(video.get("width")),
        height=video and _int(video.get("height")),
        frame_rate=video and _frame_rate(video),
    )


def is_audio(stream: dict) -> bool:
    """Whether `stream` (from ffprobe) is an audio stream."""
    return stream.get("codec_type") == "audio"


def is_video(stream: dict) -> bool:
    """Whether `stream` is moving pictures, not an attached picture such as cover art."""
    disposition = stream.get("disposition", {})
    return stream.get("codec_type") == "video" and not any(
        disposition.get(name) for name in STILL_DISPOSITIONS
    )


def _size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise RejectedFile("This file does not exist.") from None
    if not path.is_file():
        raise RejectedFile("This is not a regular file.")
    if size == 0:
        raise RejectedFile("This file is empty.")
    return size


def _explain(path: Path, stderr: str) -> str:
    """One sentence for the archivist out of ffprobe's complaint."""
    refused = re.search(r"\[(\S+) @ 0x[0-9a-f]+\] Format not on whitelist", stderr)
    if refused:
        return _not_accepted(refused.group(1))
    if "moov atom not found" in stderr and _starts_like_iso_media(path):
        return (
            "The file appears truncated: its MP4 index (moov atom) is missing, "
            "so it was probably cut off during copying or upload."
        )
    return NOT_MEDIA


def _not_accepted(format_name: str) -> str:
    description = FORMAT_DESCRIPTIONS.get(format_name)
    if description is None and format_name.endswith("_pipe"):
        description = "an image"
    what = f" ({description})" if description else ""
    return (
        f"Format '{format_name}'{what} is not accepted; upload the audio or video recording itself."
    )


def _check_format(format_name: str) -> None:
    # ffprobe was already told the allow-list; this guards against a demuxer that slips through.
    if not set(format_name.split(",")) & ALLOWED_FORMATS:
        raise RejectedFile(_not_accepted(format_name or "unknown"))


def _starts_like_iso_media(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(8)[4:8] in ISO_BOXES


def _first_stream(info: dict, wanted) -> dict | None:
    return next((stream for stream in info.get("streams", []) if wanted(stream)), None)


def _duration(info: dict) -> float:
    durations = [info.get("format", {}).get("duration")]
    durations += [stream.get("duration") for stream in info.get("streams", [])]
    duration = next((float(d) for d in durations if _float(d)), 0.0)
    if duration <= 0:
        raise RejectedFile("This recording has no duration: nothing in it could be decoded.")
    return duration


def _check_tail(path: Path, duration: float, *, timeout: float) -> None:
    """Decode the last seconds; if they are not there, the file was cut off.

    ffprobe trusts the header, so an MP4 written with +faststart (index first) and cut at 60%
    still probes fine. Decoding the whole file would catch it but costs minutes on a 3-hour
    recording; seeking to the end (-sseof) and decoding a few seconds costs a fraction of a
    second at any length, and decoding well under the expected window means the data the
    header promises is missing.
    """
    window = min(PROBE_TAIL_SECONDS, duration)
    tail = open_input(path, sseof=f"-{window:.3f}")
    output = ffmpeg.output(tail["a:0?"], tail["V:0?"], "-", f="null")
    try:
        decoded = measure_ffmpeg(ffmpeg_args(output), timeout=timeout)
    except TranscodeTimeout:
        raise RejectedFile(
            f"Reading the end of this file took longer than {timeout:g} seconds, "
            "so it was refused (it may be damaged)."
        ) from None
    except TranscodeError:
        decoded = 0.0
    if decoded < window / 2:
        raise RejectedFile(
            f"The file appears truncated: its last {window:g} seconds could not be decoded, "
            "so it was probably cut off during copying or upload."
        )


def _hours(seconds: float) -> str:
    """A length as h:mm:ss."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _frame_rate(stream: dict) -> float | None:
    for key in ("avg_frame_rate", "r_frame_rate"):
        numerator, _, denominator = str(stream.get(key, "")).partition("/")
        if _float(numerator) and _float(denominator):
            return round(float(numerator) / float(denominator), 3)
    return None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value) -> bool:
    """Whether `value` is a positive number (ffprobe writes "N/A" and "0/0" for unknowns)."""
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False
