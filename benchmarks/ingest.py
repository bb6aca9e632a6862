"""Ingest benchmarks (not part of the test suite).

    python benchmarks/ingest.py                 both parts below
    python benchmarks/ingest.py --transcode     media.transcode() against bare ffmpeg
    python benchmarks/ingest.py --upload-rss    peak RSS of the web process during a 1 GiB upload

Each part is a function taking a work folder and returning its figures as a dict, so the
parts can be run alone or together and their numbers compared between commits.
"""

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import media

sys.path.insert(0, str(Path(__file__).parent))
from upload_rss import report_upload_rss  # noqa: E402

REPETITIONS = 2
SPEECH = "كنا في سجن نفحة سنة ألف وتسعمئة وثمانين، وبدأ الإضراب عن الطعام من أجل حقوقنا."


def ffmpeg(*args: str) -> None:
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(cmd, check=True)


def make_speech_wav(path: Path, seconds: int) -> Path:
    """`seconds` of Arabic speech (espeak-ng, looped) as a 44.1 kHz stereo WAV."""
    phrase = path.with_name("phrase.wav")
    subprocess.run(["espeak-ng", "-v", "ar", "-w", str(phrase), SPEECH], check=True)
    ffmpeg(
        *("-stream_loop", "-1", "-i", str(phrase), "-t", str(seconds)),
        *("-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le", str(path)),
    )
    return path


def make_test_video(path: Path, seconds: int, size: str = "1280x720") -> Path:
    """A test pattern with a tone: H.264/AAC, as a phone or camera would hand it over."""
    ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"),
        *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", "192k", str(path)),
    )
    return path


def _run_media(src: Path, dst: Path, kind: str, probe: media.ProbeResult) -> None:
    media.transcode(src, dst, kind=kind, probe=probe, on_progress=lambda fraction: None)


def _run_bare(src: Path, dst: Path, kind: str, probe: media.ProbeResult) -> None:
    args = media.build_transcode_args(src, dst, kind=kind, probe=probe)
    subprocess.run(["ffmpeg", *args], check=True, stdout=subprocess.DEVNULL)


def _timed(run, *args) -> tuple[float, float]:
    """Wall time and CPU time (of this process and its children) of run(*args)."""
    before = _cpu_seconds()
    start = time.perf_counter()
    run(*args)
    return time.perf_counter() - start, _cpu_seconds() - before


def _cpu_seconds() -> float:
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_transcode(workdir: Path, repetitions: int = REPETITIONS) -> dict:
    """Wall time of media.transcode() and of the same ffmpeg arguments run bare.

    Same run, alternating which goes first, best of `repetitions` each; the probe is done once
    beforehand and handed to both, so only the runner's own cost (progress parsing, stderr
    thread, memory limit, temporary file and rename) is measured. CPU time (this process and
    its children) is reported too: on a busy machine it is steadier than wall time.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    sources = {
        "audio: 10 min speech WAV": ("audio", make_speech_wav(workdir / "speech.wav", 600)),
        "video: 2 min 1280x720 H.264": ("video", make_test_video(workdir / "video.mp4", 120)),
    }
    figures = {}
    for name, (kind, src) in sources.items():
        probe = media.probe(src)
        extension = media.PROFILES[kind].extension
        runs = {"media": [], "bare": []}
        for repetition in range(repetitions):
            order = ["media", "bare"] if repetition % 2 == 0 else ["bare", "media"]
            for runner in order:
                dst = workdir / f"{kind}-{runner}-{repetition}{extension}"
                run = _run_media if runner == "media" else _run_bare
                runs[runner].append(_timed(run, src, dst, kind, probe))
                dst.unlink()
        wall = {runner: min(wall for wall, cpu in times) for runner, times in runs.items()}
        cpu = {runner: min(cpu for wall, cpu in times) for runner, times in runs.items()}
        figures[name] = {
            "duration": probe.duration,
            "media": wall["media"],
            "bare": wall["bare"],
            "ratio": wall["media"] / wall["bare"],
            "media_cpu": cpu["media"],
            "bare_cpu": cpu["bare"],
            "cpu_ratio": cpu["media"] / cpu["bare"],
            "runs": runs,
        }
    return figures


def print_transcode(figures: dict) -> None:
    print(f"{'source':29} {'media.transcode':>15} {'bare ffmpeg':>11} {'ratio':>6}   cpu ratio")
    for name, row in figures.items():
        print(
            f"{name:29} {row['media']:14.2f}s {row['bare']:10.2f}s {row['ratio']:6.3f}"
            f"   {row['cpu_ratio']:.3f} ({row['media_cpu']:.1f}s / {row['bare_cpu']:.1f}s)"
        )
    for name, row in figures.items():
        for runner, times in row["runs"].items():
            walls = " ".join(f"{wall:.2f}" for wall, cpu in times)
            print(f"  {name}, {runner}: wall {walls}")
    print("(best of each, order alternated; goal: ratio <= 1.05)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcode", action="store_true", help="media.transcode vs bare ffmpeg")
    parser.add_argument(
        "--upload-rss",
        action="store_true",
        help="peak RSS of the web process during a 1 GiB upload",
    )
    parser.add_argument("--workdir", type=Path, help="keep generated files here (default: temp)")
    parser.add_argument("--repetitions", type=int, default=REPETITIONS, help="runs of each")
    options = parser.parse_args(argv)
    if not (options.transcode or options.upload_rss):
        options.transcode = options.upload_rss = True
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="archive-bench-"))
    try:
        if options.transcode:
            print_transcode(bench_transcode(workdir / "transcode", options.repetitions))
        if options.upload_rss:
            report_upload_rss()
    finally:
        if options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
