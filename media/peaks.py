"""Waveform peaks in the BBC audiowaveform JSON format, computed while ffmpeg decodes."""

import json
import math
import os
from array import array
from collections.abc import Iterable
from pathlib import Path

from media.errors import MediaError
from media.ffmpeg import ffmpeg_args, open_input, stream_ffmpeg
from media.probe import ProbeResult
from media.probe import probe as probe_recording
from media.profiles import PEAKS_SAMPLE_RATE, PEAKS_TARGET_BUCKETS
from media.store import ACCESS_COPY_MODE, written_atomically


def compute_peaks(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    timeout: float | None = None,
    samples_per_pixel: int | None = None,
    probe: ProbeResult | None = None,
    cpu_limit: float | None = None,
) -> Path:
    """Write the waveform of `src`'s first audio stream to `dst` as audiowaveform JSON.

    The audio is decoded to 8 kHz mono 8-bit samples (ffmpeg does the 16 to 8 bit scaling)
    and read from ffmpeg's pipe a chunk at a time, so a recording of any length needs only a
    few kilobytes. Without `samples_per_pixel`, it is chosen from the duration to give about
    PEAKS_TARGET_BUCKETS (min, max) pairs; the duration comes from `probe` when given (else
    `src` is probed for it).
    """
    src, dst = Path(src), Path(dst)
    if samples_per_pixel is None:
        recording = probe or probe_recording(src)
        if recording.audio_codec is None:
            raise MediaError("This recording has no sound, so it has no waveform.")
        samples_per_pixel = choose_samples_per_pixel(recording.duration * PEAKS_SAMPLE_RATE)
    audio = open_input(src)["a:0"]
    output = audio.output("pipe:1", f="u8", ac="1", ar=str(PEAKS_SAMPLE_RATE), **{"c:a": "pcm_u8"})
    chunk_size = max(1 << 16, samples_per_pixel)
    pcm = stream_ffmpeg(
        ffmpeg_args(output), timeout=timeout, chunk_size=chunk_size, cpu_limit=cpu_limit
    )
    data = bucket_peaks(pcm, samples_per_pixel)
    waveform = {
        "version": 2,
        "channels": 1,
        "sample_rate": PEAKS_SAMPLE_RATE,
        "samples_per_pixel": samples_per_pixel,
        "bits": 8,
        "length": len(data) // 2,
        "data": data.tolist(),
    }
    with written_atomically(dst, mode=ACCESS_COPY_MODE) as tmp:
        tmp.write_text(json.dumps(waveform, separators=(",", ":")), encoding="utf-8")
    return dst


def choose_samples_per_pixel(samples: float) -> int:
    """Samples per bucket giving about PEAKS_TARGET_BUCKETS buckets for `samples` samples."""
    return max(1, math.ceil(samples / PEAKS_TARGET_BUCKETS))


def bucket_peaks(pcm: Iterable[bytes], samples_per_pixel: int) -> array:
    """min, max, min, max... of each `samples_per_pixel` unsigned 8-bit samples, as -128..127.

    Pure Python, but min() and max() over bytes run in C on cached small ints: about 30 ns a
    sample, so three hours at 8 kHz take a few seconds.
    """
    peaks = array("b")
    pending = bytearray()
    for chunk in pcm:
        pending += chunk
        whole = len(pending) - len(pending) % samples_per_pixel
        if whole:
            _add_peaks(peaks, bytes(pending[:whole]), samples_per_pixel)
            del pending[:whole]
    if pending:  # the last, shorter bucket
        _add_peaks(peaks, bytes(pending), samples_per_pixel)
    return peaks


def _add_peaks(peaks: array, pcm: bytes, samples_per_pixel: int) -> None:
    for start in range(0, len(pcm), samples_per_pixel):
        bucket = pcm[start : start + samples_per_pixel]
        peaks.append(min(bucket) - 128)
        peaks.append(max(bucket) - 128)
