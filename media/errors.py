"""The errors media/ raises: each message is one sentence an archivist can read."""


class MediaError(Exception):
    """Something went wrong handling a media file."""


class RejectedFile(MediaError):
    """The upload is not a recording we accept (empty, not media, truncated, wrong format)."""


class TranscodeError(MediaError):
    """ffmpeg failed; `ffmpeg_message` holds its own words, `returncode` its exit status."""

    def __init__(self, message: str, *, ffmpeg_message: str = "", returncode: int | None = None):
        super().__init__(message)
        self.ffmpeg_message = ffmpeg_message
        self.returncode = returncode


class TranscodeTimeout(TranscodeError):
    """ffmpeg ran longer than its time limit and was stopped."""


class CpuBudgetExceeded(TranscodeError):
    """ffmpeg used more processor time than its budget (set by the recording's length)."""


class TooLong(RejectedFile):
    """The recording lasts longer than the archive accepts; `duration` and `limit` in seconds."""

    def __init__(self, message: str, *, duration: float, limit: float):
        super().__init__(message)
        self.duration = duration
        self.limit = limit
