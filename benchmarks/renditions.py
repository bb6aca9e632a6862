"""Small renditions benchmark (not part of the tests): what "Save data" saves, and what it costs.

    python benchmarks/renditions.py                 # 3-minute testimony, 10-minute timing file
    python benchmarks/renditions.py --minutes 3 --timing-minutes 10

1. Bytes a listener downloads to play the first 60 seconds of a testimony (Arabic speech from
   espeak-ng, looped to ``--minutes``), with the normal access copy (AAC 128 kb/s in .m4a) and
   with the small rendition (Opus 32 kb/s mono in .webm), both made by ``media.transcode`` with
   the archive's profiles. Measured from the files themselves, by byte offsets: ffprobe lists
   every packet with its position; a player that starts at 0 and plays 60 s has read every byte
   up to the end of the last packet that starts before 60 s (the MP4 index is at the front,
   fast start, so it is counted; so is the WebM header). A browser reads ahead of the playhead
   too (Chromium buffers some seconds to a few MB, then pauses the download), which adds the
   same number of seconds to both; so the ratio is what to read, the absolute figure a floor.
2. Transcode time added per hour of audio: the normal copy and the small rendition of a
   ``--timing-minutes`` file, each timed (wall clock and ffmpeg's processor time), scaled to
   one hour. The small one runs after the normal copy in the same job, so its time is added.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import media  # noqa: E402

TEXT = (
    "كنا في سجن نفحة سنة ألف وتسعمئة وثمانين، وبدأ الإضراب عن الطعام. "
    "كتبنا القصائد على ورق السجائر، وحفظناها عن ظهر قلب، وغنيناها في الساحة. "
    "كان السجان يفتش الغرف كل ليلة، لكن الكلمات بقيت في صدورنا."
)


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=600,
    )


def testimony(folder: Path, minutes: float) -> Path:
    """Arabic speech (espeak-ng) looped to `minutes`, as a 44.1 kHz mono WAV."""
    voice = folder / "voice.wav"
    subprocess.run(["espeak-ng", "-v", "ar", "-w", str(voice), TEXT], check=True, timeout=120)
    out = folder / f"testimony-{minutes:g}min.wav"
    ffmpeg("-stream_loop", "-1", "-i", str(voice), "-t", str(minutes * 60), "-ar", "44100",
           "-ac", "1", str(out))  # fmt: skip
    return out


def bytes_to_play(path: Path, seconds: float) -> int:
    """Bytes from the start of `path` to the end of the last packet starting before `seconds`."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
         "packet=pts_time,pos,size", "-of", "json", str(path)],
        capture_output=True, check=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    end = 0
    for packet in json.loads(out)["packets"]:
        if float(packet.get("pts_time", "inf")) < seconds and packet.get("pos") not in (
            None,
            "N/A",
        ):
            end = max(end, int(packet["pos"]) + int(packet["size"]))
    return end


def timed(make) -> tuple[float, float]:
    """(wall seconds, ffmpeg processor seconds) of `make()`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    make()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def copies(source: Path, folder: Path) -> dict[str, Path]:
    probe = media.probe(source)
    return {
        "normal": media.transcode(source, folder / "access.m4a", kind="audio", probe=probe),
        "small": media.transcode(source, folder / "small.webm", kind="small-audio", probe=probe),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the testimony")
    parser.add_argument("--timing-minutes", type=float, default=10.0, help="file timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="renditions-") as tmp:
        folder = Path(tmp)
        source = testimony(folder, args.minutes)
        made = copies(source, folder)
        print(f"Testimony: {args.minutes:g} min of Arabic speech (espeak-ng), first 60 s played")
        played = {}
        for name, path in made.items():
            played[name] = bytes_to_play(path, 60.0)
            print(f"  {name:6}  {path.name:10}  file {path.stat().st_size / 1e3:9,.1f} kB"
                  f"   to play 60 s: {played[name] / 1e3:8,.1f} kB")  # fmt: skip
        print(f"  small/normal for 60 s: {played['small'] / played['normal']:.2f}"
              f" ({played['normal'] / played['small']:.1f}x less)")  # fmt: skip

        long = testimony(folder, args.timing_minutes)
        probe = media.probe(long)
        scale = 3600.0 / probe.duration
        print(f"\nTranscode time, {args.timing_minutes:g} min file, scaled to 1 hour of audio:")
        for name, kind, dst in (("normal", "audio", "t-access.m4a"),
                                ("small", "small-audio", "t-small.webm")):  # fmt: skip
            wall, cpu = timed(lambda k=kind, d=dst: media.transcode(long, folder / d, kind=k,
                                                                    probe=probe))  # fmt: skip
            print(f"  {name:6}  wall {wall:6.1f} s -> {wall * scale / 60:5.1f} min/h"
                  f"   cpu {cpu:6.1f} s -> {cpu * scale / 60:5.1f} min/h")  # fmt: skip


if __name__ == "__main__":
    main()
