"""Third-party transcript files meet their own suites' expectations.

tests/data/conformance/transcripts/ is a copy, kept whole, of the check other people run on the
archive: the web-platform-tests WebVTT parsing suite, real OHMS exports of the Science History
Institute and SRT files of other subtitle projects, each with what its own tests expect
(MANIFEST.txt names every file's origin and licence). Its check.py imports the checkout's
archive/transcript_formats.py in a Python that has the archive's dependencies, here this one.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "tests" / "data" / "conformance" / "transcripts" / "check.py"
GROUPS = ("wpt-webvtt", "wpt-cuetext", "ohms", "srt", "vtt-other", "arabic")
VERDICTS = ("PASS", "FAIL", "STRICT", "DEVIATION")


def run_check(*options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECK), str(ROOT), "--python", sys.executable, *options],
        capture_output=True,
        text=True,
        timeout=300,
    )


def group_counts(output: str) -> dict[str, dict[str, int]]:
    """The check's closing table: for each group, how many cases got each verdict."""
    counts = {}
    for line in output.splitlines():
        cells = line.split()
        if len(cells) == 1 + len(VERDICTS) and cells[0] in GROUPS and cells[1].isdigit():
            counts[cells[0]] = dict(zip(VERDICTS, map(int, cells[1:]), strict=True))
    return counts


def test_every_third_party_case_passes():
    result = run_check("--quiet")
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert result.returncode == 0, "\n".join(failing) or result.stderr[-3000:]
    assert not failing

    importer = re.search(r"^importer: (.+)$", result.stdout, re.MULTILINE)
    assert importer and Path(importer.group(1)) == ROOT / "archive" / "transcript_formats.py"

    counts = group_counts(result.stdout)
    assert set(counts) == set(GROUPS)  # every group of the collection ran
    assert all(row["FAIL"] == 0 for row in counts.values())
    total = re.search(r"^(\d+) passed, (\d+) failed$", result.stdout, re.MULTILINE)
    assert total and int(total.group(2)) == 0
    assert int(total.group(1)) == sum(sum(row.values()) for row in counts.values()) > 150


def test_the_only_deviation_is_the_documented_one():
    """Refusing a cue that ends before it starts is the one documented difference from the
    spec; a strict run names it and nothing else."""
    result = run_check("--strict", "--quiet")
    deviations = [line for line in result.stdout.splitlines() if line.startswith("DEVIATION")]
    assert [line.split()[1] for line in deviations] == [
        "wpt-webvtt/file-parsing/timings-negative.vtt"
    ]
    assert result.returncode == 1
