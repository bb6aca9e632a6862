"""Encoding profiles and limits: the data that drives every ffmpeg command media/ runs.

A profile is configuration, not code: the app may change any field through `overrides`
(a mapping of field name to value, e.g. ``{"audio_bitrate": "96k"}``; keys are
case-insensitive so ``[MEDIA]`` settings can be passed as they are named in config).
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from media.errors import MediaError

#: Address-space limit (RLIMIT_AS) for every ffmpeg child. x264 at 1080p input needs well
#: under 1 GiB; 4 GiB leaves room for its thread stacks and malloc arenas.
DEFAULT_MEMORY_LIMIT = 4 << 30

#: Demuxers a recording may be read with (ffmpeg names). Everything else, notably the
#: playlist and script demuxers (hls, concat, sdp, ...), images, text and lavfi, is refused,
#: and ffmpeg/ffprobe are told the same list with -format_whitelist so they never even open them.
ALLOWED_FORMATS = frozenset(
    {
        # MP4 / QuickTime family (one demuxer: "mov,mp4,m4a,3gp,3g2,mj2")
        *("mov", "mp4", "m4a", "3gp", "3g2", "mj2"),
        *("matroska", "webm"),
        *("mp3", "aac", "ac3", "eac3", "flac", "ogg", "wav", "w64", "aiff", "caf"),
        *("amr", "amrnb", "amrwb", "wv", "ape", "au"),
        *("asf", "avi", "flv", "mpeg", "mpegts", "dv", "mxf", "rm"),
    }
)

#: What the refused demuxers are, for the archivist's message ("Format 'hls' (an HLS
#: playlist) is not accepted; ...").
FORMAT_DESCRIPTIONS = {
    "hls": "an HLS playlist",
    "concat": "an ffconcat script",
    "sdp": "a network stream description",
    "ffmetadata": "an ffmpeg metadata file",
    "tty": "a text file",
    "webvtt": "a subtitle file",
    "srt": "a subtitle file",
    "ass": "a subtitle file",
    "image2": "an image",
    "lavfi": "a filter description",
}

#: How many seconds at the end of a recording probe() decodes to catch truncated files.
PROBE_TAIL_SECONDS = 3.0

#: Poster frames: where to take them (fraction of the duration), how big, JPEG quality (2-31).
POSTER_POSITION = 0.10
POSTER_MAX_HEIGHT = 720
POSTER_JPEG_QUALITY = 3

#: Waveform peaks: decoded at this rate, aiming at about this many buckets (1000-4000).
PEAKS_SAMPLE_RATE = 8000
PEAKS_TARGET_BUCKETS = 2000


@dataclass(frozen=True)
class Profile:
    """How one kind of access copy is encoded."""

    kind: str
    muxer: str  # ffmpeg -f value; "ipod" is the MP4 muxer with the .m4a brand
    extension: str
    audio_codec: str = "aac"
    audio_bitrate: str = "128k"
    loudnorm: str | None = "I=-16:TP=-1.5:LRA=11"  # single pass; None keeps the levels
    sample_rates: tuple[int, ...] = (48000, 44100)  # keep the source rate if listed, else first
    max_channels: int = 2  # 1: mono, 2: mono stays mono, anything wider becomes stereo
    video_codec: str | None = None
    crf: int = 23
    video_bitrate: str | None = None  # set: average bitrate (capped at 1.25x) instead of crf
    preset: str = "veryfast"
    max_height: int = 720  # downscale only, never upscale
    pix_fmt: str = "yuv420p"
    movflags: str = "+faststart"  # the index (moov) first so browsers can seek at once
    strip_metadata: bool = True  # access copies are public: drop GPS, device and chapter tags
    threads: int | None = None  # None lets ffmpeg choose
    extra_args: tuple[str, ...] = ()  # appended before the output file
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT


AUDIO_PROFILE = Profile(kind="audio", muxer="ipod", extension=".m4a")
VIDEO_PROFILE = Profile(kind="video", muxer="mp4", extension=".mp4", video_codec="libx264")

#: The small renditions, for listeners on slow or metered connections. Audio: Opus at
#: 32 kb/s mono in WebM, which Chrome, Edge, Firefox and Safari (15 on macOS, 17.4 on iOS)
#: play; Opus in MP4 came to Safari later still, and a browser that plays neither is given the
#: normal AAC copy by the player (it lists both sources). Video: H.264 at 360 lines and about
#: 450 kb/s with 48 kb/s mono AAC in MP4, which every browser plays.
SMALL_AUDIO_PROFILE = Profile(
    kind="audio",
    muxer="webm",
    extension=".webm",
    audio_codec="libopus",
    audio_bitrate="32k",
    sample_rates=(48000,),  # Opus encodes at 48 kHz whatever it is given
    max_channels=1,
    movflags="",
)
SMALL_VIDEO_PROFILE = replace(
    VIDEO_PROFILE,
    audio_bitrate="48k",
    max_channels=1,
    max_height=360,
    video_bitrate="450k",
)
PROFILES = {
    "audio": AUDIO_PROFILE,
    "video": VIDEO_PROFILE,
    "small-audio": SMALL_AUDIO_PROFILE,
    "small-video": SMALL_VIDEO_PROFILE,
}

_FIELDS = {f.name for f in fields(Profile)} - {"kind"}


def profile_for(kind: str, overrides: Mapping | None = None) -> Profile:
    """The profile for `kind` ("audio", "video", "small-audio", "small-video") with
    `overrides` applied."""
    try:
        profile = PROFILES[kind]
    except KeyError:
        known = ", ".join(repr(k) for k in PROFILES)
        raise MediaError(f"Unknown media kind {kind!r}; expected one of {known}.") from None
    if not overrides:
        return profile
    changes = {str(key).lower(): value for key, value in overrides.items()}
    unknown = sorted(set(changes) - _FIELDS)
    if unknown:
        known = ", ".join(sorted(_FIELDS))
        raise MediaError(f"Unknown encoding setting {unknown[0]!r}; known settings are {known}.")
    if "extra_args" in changes:
        changes["extra_args"] = tuple(str(arg) for arg in changes["extra_args"])
    if "sample_rates" in changes:
        changes["sample_rates"] = tuple(int(rate) for rate in changes["sample_rates"])
    return replace(profile, **changes)
