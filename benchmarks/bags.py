"""Bag throughput: `archive bag` and `archive unbag`'s verification beside `cp`, in one run.

    .venv/bin/python benchmarks/bags.py [--items 4] [--minutes 10]

Makes a fresh instance with ``--items`` recordings of ``--minutes`` of uncompressed stereo
sound each (real ffmpeg output, ~10 MB a minute), ingests them (access copies are not made:
only originals go into bags), then, each in its own process and in this order:

- ``cp -r`` of the stored originals (the floor: read and write the same bytes once);
- ``archive bag --all`` (copy, sha256 and sha512 of every byte, metadata, manifests);
- the Library of Congress ``bagit`` validator on every bag (reads and hashes every byte again);
- ``archive unbag``'s own verification (``archive.exchange.bags.verify``; no import);

printing MB/s of payload for each, its ratio to ``cp``, and the peak resident memory of the
``archive bag`` process (bags are streamed: it should not grow with the files' size). The page
cache is warm for all four (the files were just written): the figures compare CPU and copying
work, not the disk.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VERIFY = """
import sys
from pathlib import Path
from archive import create_app
from archive.exchange import bags
with create_app().app_context():
    for path in sorted(Path(sys.argv[1]).iterdir()):
        bags.verify(path)
"""
START = "from archive import create_app; create_app()"
VALIDATE = """
import sys, bagit
from pathlib import Path
for path in sorted(Path(sys.argv[1]).iterdir()):
    bagit.Bag(str(path)).validate(processes=1)
"""


def timed(command: list[str], env: dict) -> tuple[float, int]:
    """Seconds and peak RSS (kB) of ``command`` run to its end."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{command[:4]} failed ({status})")
    return time.perf_counter() - started, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-bags-") as tmp:
        folder = Path(tmp)
        env = dict(os.environ, ARCHIVE_INSTANCE=str(folder / "instance"),
                   ARCHIVE_ADMIN_PASSWORD="benchmark password")  # fmt: skip
        archive = [sys.executable, "-m", "archive"]
        subprocess.run([*archive, "init"], env=env, check=True, capture_output=True)
        sources = []
        for n in range(args.items):
            wav = folder / f"source-{n}.wav"
            subprocess.run(
                ["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                 f"sine=frequency={220 + 40 * n}:duration={args.minutes * 60}",
                 "-ac", "2", "-ar", "44100", str(wav)],
                check=True,
            )  # fmt: skip
            sources.append(str(wav))
        # Ingest only: the queue is not run, so no access copies are made.
        subprocess.run([*archive, "ingest", *sources], env=env, check=True, capture_output=True)
        for source in sources:
            Path(source).unlink()
        originals = folder / "instance" / "media" / "originals"
        payload = sum(p.stat().st_size for p in originals.rglob("*") if p.is_file())
        megabytes = payload / 1e6
        print(f"{args.items} originals, {megabytes:.0f} MB in all")

        copy_seconds, _ = timed(["cp", "-r", str(originals), str(folder / "copied")], env)
        bag_seconds, bag_rss = timed([*archive, "bag", "--all", str(folder / "bags")], env)
        loc_seconds, _ = timed([sys.executable, "-c", VALIDATE, str(folder / "bags")], env)
        own_seconds, _ = timed([sys.executable, "-c", VERIFY, str(folder / "bags")], env)
        start_seconds, _ = timed([sys.executable, "-c", START], env)
        print(f"{'step':<44}{'seconds':>9}{'MB/s':>9}{'x cp':>7}")
        for label, seconds in (
            ("cp -r of the originals", copy_seconds),
            ("archive bag --all (copy + sha256 + sha512)", bag_seconds),
            ("bagit (LoC) validate, every bag", loc_seconds),
            ("archive unbag's verification, every bag", own_seconds),
        ):
            print(f"{label:<44}{seconds:>9.2f}{megabytes / seconds:>9.0f}"
                  f"{seconds / copy_seconds:>7.1f}")  # fmt: skip
        print(f"(both archive steps include starting the app: {start_seconds:.2f} s alone)")
        print(f"peak RSS of archive bag: {bag_rss / 1024:.0f} MB "
              f"(largest original {payload / args.items / 1e6:.0f} MB)")  # fmt: skip
        shutil.rmtree(folder / "copied")
    print(f"(load: {os.getloadavg()[0]:.2f}; {resource.getpagesize()} B pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
