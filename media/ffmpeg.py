"""Running ffmpeg and ffprobe: argument lists only, always with a time and memory limit,
and, when the caller gives one, a budget of processor time (RLIMIT_CPU).

ffmpeg's command lines are built with ffmpeg-python (`open_input(...).output(...)`, then
`ffmpeg_args` or `.get_args()` for the list); the runners here start them with subprocess.
"""

import json
import math
import os
import resource
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import ffmpeg

from media.errors import CpuBudgetExceeded, RejectedFile, TranscodeError, TranscodeTimeout
from media.profiles import ALLOWED_FORMATS, DEFAULT_MEMORY_LIMIT

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"

#: Options every ffmpeg command starts with (also part of build_transcode_args' list).
GLOBAL_ARGS = ["-nostdin", "-hide_banner", "-loglevel", "error"]
#: What run_ffmpeg adds so it can follow the work: key=value lines on stdout.
PROGRESS_ARGS = ["-nostats", "-progress", "pipe:1"]

STDERR_LINES = 40  # how much of ffmpeg's own message an error keeps
#: Seconds of processor time between the soft CPU limit (SIGXCPU, which ffmpeg answers by
#: stopping) and the hard one (SIGKILL, for a child that does not stop).
CPU_GRACE = 5
PROGRESS_INTERVAL = 0.25  # seconds between two on_progress calls

#: glibc reserves 64 MiB of address space per malloc arena (up to 8 per CPU); with
#: RLIMIT_AS set, a many-core machine could hit the limit before using any real memory.
_CHILD_ENV = {"MALLOC_ARENA_MAX": "4"}


def file_url(path: str | os.PathLike) -> str:
    """`path` as an ffmpeg URL that can only mean a local file ("concat:x", "-i" are harmless)."""
    return "file:" + os.path.abspath(path)


#: Input options that keep ffmpeg and ffprobe on local files in the accepted formats: they
#: stand before every -i (a playlist or script inside a file could otherwise open others).
INPUT_WHITELISTS = {
    "protocol_whitelist": "file",
    "format_whitelist": ",".join(sorted(ALLOWED_FORMATS)),
}


def open_input(path: str | os.PathLike, **options) -> ffmpeg.nodes.FilterableStream:
    """`path` as an ffmpeg-python input with the whitelists, and input `options` (e.g. ss=...).

    Select streams from it as ffmpeg's -map does: ``open_input(path)["a:0"]``.
    """
    return ffmpeg.input(file_url(path), **options, **INPUT_WHITELISTS)


def ffmpeg_args(
    output: ffmpeg.nodes.OutputStream,
    *,
    global_args: Sequence[str] = (),
    overwrite: bool = False,
    before_output: Sequence[str] = (),
) -> list[str]:
    """ffmpeg's arguments (without the executable) for `output`, one ffmpeg-python output file.

    The list is ffmpeg-python's get_args() with the output file kept last: `global_args` go
    first (ffmpeg-python's .global_args() would put them after the output file; ffmpeg reads
    global options anywhere) and -y (`overwrite`) just before the file. ffmpeg-python sorts
    keyword options, so `before_output` (raw arguments such as a profile's extra_args, which
    may repeat or override an option) go in verbatim and in order, after all the others.
    """
    *options, name = output.get_args()
    return [*global_args, *options, *before_output, *(["-y"] if overwrite else []), name]


def input_args(path: str | os.PathLike, *options: str) -> list[str]:
    """`-i path` preceded by `options` and the whitelists, for ffprobe (see open_input for ffmpeg)."""
    whitelists = [arg for name, value in INPUT_WHITELISTS.items() for arg in (f"-{name}", value)]
    return [*options, *whitelists, "-i", file_url(path)]


def ffprobe_json(path: str | os.PathLike, *, timeout: float) -> dict:
    """ffprobe's JSON description (format and streams) of `path`; RejectedFile if it fails."""
    # ffmpeg-python builds ffmpeg command lines only (its probe() runs ffprobe itself, without
    # a memory limit), so this one is written out.
    cmd = [FFPROBE, "-hide_banner", "-loglevel", "error", "-show_format", "-show_streams"]
    cmd += ["-of", "json", *input_args(path)]
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=_env(),
            preexec_fn=_child_limits(DEFAULT_MEMORY_LIMIT),
        )
    except subprocess.TimeoutExpired:
        raise RejectedFile(
            f"Reading this file took longer than {timeout:g} seconds, so it was refused "
            "(it may be damaged)."
        ) from None
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise ProbeFailed(stderr)
    return json.loads(done.stdout.decode("utf-8", "replace"))


class ProbeFailed(RejectedFile):
    """ffprobe could not read the file; probe() turns `stderr` into an archivist's sentence."""

    def __init__(self, stderr: str):
        super().__init__("This is not an audio or video file (ffprobe could not read it).")
        self.stderr = stderr


def run_ffmpeg(
    args: list[str],
    *,
    timeout: float | None,
    duration: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    cpu_limit: float | None = None,
) -> None:
    """Run ffmpeg with `args` (without the executable), reporting progress as 0..1 fractions.

    `args` must carry its own inputs' whitelists (see open_input). Progress needs `duration`.
    Raises TranscodeTimeout after `timeout` seconds (wall clock), CpuBudgetExceeded after
    `cpu_limit` seconds of processor time, and TranscodeError on any other failure.
    """
    _follow(
        [FFMPEG, *GLOBAL_ARGS, *PROGRESS_ARGS, *args],
        _Limits(timeout, memory_limit, cpu_limit),
        _ProgressReport(duration, on_progress),
    )


def measure_ffmpeg(
    args: list[str], *, timeout: float | None, memory_limit: int | None = DEFAULT_MEMORY_LIMIT
) -> float:
    """Run ffmpeg with `args` and return how many seconds of output it wrote."""
    report = _ProgressReport(None, None)
    limits = _Limits(timeout, memory_limit, None)
    _follow([FFMPEG, *GLOBAL_ARGS, *PROGRESS_ARGS, *args], limits, report)
    return report.seconds


def _follow(cmd: list[str], limits: "_Limits", report: "_ProgressReport") -> None:
    with _Ffmpeg(cmd, limits) as job:
        for line in job.process.stdout:
            report.line(line.decode("ascii", "replace").strip())
        job.finish()
        report.done()


def stream_ffmpeg(
    args: list[str],
    *,
    timeout: float | None,
    chunk_size: int = 1 << 16,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    cpu_limit: float | None = None,
) -> Iterator[bytes]:
    """Run ffmpeg with `args` writing to pipe:1 and yield its output in chunks, as it comes."""
    cmd = [FFMPEG, *GLOBAL_ARGS, *args]
    with _Ffmpeg(cmd, _Limits(timeout, memory_limit, cpu_limit)) as job:
        while chunk := job.process.stdout.read(chunk_size):
            yield chunk
        job.finish()


@dataclass(frozen=True)
class _Limits:
    """What one ffmpeg run may use: wall-clock seconds, bytes of address space, CPU seconds."""

    timeout: float | None
    memory: int | None
    cpu: float | None


class _Ffmpeg:
    """One ffmpeg process: stderr kept in a thread, a watchdog for the timeout, killed on exit."""

    def __init__(self, cmd: list[str], limits: _Limits):
        self.cmd = cmd
        self.timeout = timeout = limits.timeout
        self.cpu_limit = limits.cpu
        self.process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
            preexec_fn=_child_limits(limits.memory, limits.cpu),
        )
        self.stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        self.timed_out = threading.Event()
        self._watchdog = None
        if timeout is not None:
            self._watchdog = threading.Timer(max(timeout, 0), self._expire)
            self._watchdog.daemon = True
            self._watchdog.start()

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line.decode("utf-8", "replace").rstrip())

    def _expire(self) -> None:
        self.timed_out.set()
        self.process.kill()

    def finish(self) -> None:
        """Wait for ffmpeg to end; raise if it was stopped or failed."""
        cpu_used = self._cpu_seconds_at_exit()
        returncode = self.process.wait()
        self._reader.join()
        if returncode == 0:
            return
        message = "\n".join(self.stderr)
        if self.cpu_limit is not None and (
            returncode == -signal.SIGXCPU
            or (cpu_used or 0.0) >= _soft_cpu_limit(self.cpu_limit) - 0.1
        ):
            # ffmpeg stops on SIGXCPU ("received signal 24", exit 255), or SIGKILL at the hard
            # limit: either way the processor time it used, not the signal, says what happened.
            raise CpuBudgetExceeded(
                f"ffmpeg was stopped: it used its budget of {_soft_cpu_limit(self.cpu_limit)} "
                "seconds of processor time (set by the recording's length). The file costs far "
                "more to decode than a recording of its length should, so it may be damaged "
                "or built to be costly.",
                ffmpeg_message=message,
                returncode=returncode,
            )
        if self.timed_out.is_set():
            raise TranscodeTimeout(
                f"ffmpeg was stopped after {self.timeout:g} seconds, its time limit.",
                ffmpeg_message=message,
                returncode=returncode,
            )
        raise TranscodeError(
            f"ffmpeg failed: {_reason(self.stderr, returncode)}",
            ffmpeg_message=message,
            returncode=returncode,
        )

    def _cpu_seconds_at_exit(self) -> float | None:
        """Processor seconds (user + system, all threads) ffmpeg used, read once it has
        ended but before it is reaped; None where /proc cannot tell (not Linux, reaped)."""
        if self.cpu_limit is None:
            return None
        try:
            os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOWAIT)
            with open(f"/proc/{self.process.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            return None
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> "_Ffmpeg":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self.process.poll() is None:  # left early: an exception, Ctrl-C, a closed generator
            self.process.kill()
            self.process.wait()
        self._reader.join()
        self.process.stdout.close()
        self.process.stderr.close()


class _ProgressReport:
    """Turns ffmpeg's -progress lines into on_progress(fraction) calls, a few per second."""

    def __init__(self, duration: float | None, on_progress: Callable[[float], None] | None):
        self.duration = duration if duration and duration > 0 else None
        self.on_progress = on_progress
        self.seconds = 0.0  # how far the output has got
        self.fraction = 0.0  # the last fraction reported
        self.last_call = 0.0

    def line(self, line: str) -> None:
        key, _, value = line.partition("=")
        if key in ("out_time_us", "out_time_ms"):  # both are microseconds (ffmpeg quirk)
            if value.isdigit():
                self.reached(int(value) / 1e6)

    def reached(self, seconds: float) -> None:
        self.seconds = max(self.seconds, seconds)
        if self.on_progress is None or self.duration is None:
            return
        fraction = min(seconds / self.duration, 1.0)
        now = time.monotonic()
        if fraction > self.fraction and now - self.last_call >= PROGRESS_INTERVAL:
            self.fraction, self.last_call = fraction, now
            self.on_progress(fraction)

    def done(self) -> None:
        if self.on_progress is not None and self.fraction < 1.0:
            self.fraction = 1.0
            self.on_progress(1.0)


def _reason(stderr: deque[str], returncode: int) -> str:
    """The line of ffmpeg's message that says what went wrong (not "Conversion failed!")."""
    for line in reversed(stderr):
        if line and not line.startswith(_GENERIC_ERRORS):
            return line.rstrip(".") + "."
    return f"it stopped with exit status {returncode}."


_GENERIC_ERRORS = ("Conversion failed", "Error while", "Exiting normally", "To ignore this")


def _child_limits(
    memory: int | None, cpu_seconds: float | None = None
) -> Callable[[], None] | None:
    """A preexec_fn capping the child's address space at `memory` bytes and its processor
    time at `cpu_seconds` (rounded up to whole seconds; None: no cap)."""
    # Built here: the child, forked from a threaded worker, only calls setrlimit.
    limits = []
    if memory:
        limits.append((resource.RLIMIT_AS, (memory, memory)))
    if cpu_seconds is not None:
        soft = _soft_cpu_limit(cpu_seconds)
        limits.append((resource.RLIMIT_CPU, (soft, soft + CPU_GRACE)))
    if not limits:
        return None

    def limit_child() -> None:
        for which, values in limits:
            resource.setrlimit(which, values)

    return limit_child


def _soft_cpu_limit(cpu_seconds: float) -> int:
    """RLIMIT_CPU counts whole seconds, at least one."""
    return max(1, math.ceil(cpu_seconds))


def _env() -> dict[str, str]:
    return {**os.environ, **_CHILD_ENV}
