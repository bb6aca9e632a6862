"""Media files for the archive: probe uploads, store originals, make access copies and peaks.

Plain Python around ffmpeg: no Flask, no archive imports. Functions take paths and settings,
return dataclasses, and raise MediaError subclasses whose message is one readable sentence.
"""

from media.errors import (
    CpuBudgetExceeded,
    MediaError,
    RejectedFile,
    TooLong,
    TranscodeError,
    TranscodeTimeout,
)
from media.ffmpeg import run_ffmpeg
from media.peaks import compute_peaks
from media.probe import ProbeResult, probe
from media.profiles import (
    ALLOWED_FORMATS,
    AUDIO_PROFILE,
    DEFAULT_MEMORY_LIMIT,
    PROFILES,
    VIDEO_PROFILE,
    Profile,
    profile_for,
)
from media.store import StoredFile, sha256_file, store_original, verify_file
from media.transcode import build_transcode_args, cpu_budget, make_poster, transcode

__all__ = [
    "ALLOWED_FORMATS",
    "AUDIO_PROFILE",
    "CpuBudgetExceeded",
    "DEFAULT_MEMORY_LIMIT",
    "MediaError",
    "PROFILES",
    "ProbeResult",
    "Profile",
    "RejectedFile",
    "StoredFile",
    "TooLong",
    "TranscodeError",
    "TranscodeTimeout",
    "VIDEO_PROFILE",
    "build_transcode_args",
    "compute_peaks",
    "cpu_budget",
    "make_poster",
    "probe",
    "profile_for",
    "run_ffmpeg",
    "sha256_file",
    "store_original",
    "transcode",
    "verify_file",
]
