"""Fault-injection run (not part of the test suite): does the archive lose anything?

    python benchmarks/faults.py [--recordings 12] [--kills 3] [--rows 400] [--keep]

On a fresh temporary instance it ingests generated recordings (audio and small videos made with
ffmpeg's lavfi), starts ``archive worker`` and kills it with SIGKILL during transcodes, several
times, restarting it each time; kills ``archive import`` while it writes the search index and
``archive reindex`` half-way through a rebuild; fills the disk (a small tmpfs over the media
folder inside ``unshare -m``: root only, skipped with the reason otherwise); flips one byte of
an original and runs ``archive fixity``. Then it prints: jobs started, jobs finished after
recovery, originals verified, items lost (must be 0), and the disk-full and corruption outcomes.
Exit status 1 when anything was lost or an outcome is not the clean one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FINAL = ("done", "failed")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_recordings(folder: Path, count: int) -> list[Path]:
    """Every third a small video (test pattern and tone), the others tones of varied length."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for n in range(count):
        if n % 3 == 0:
            path = folder / f"video-{n:03d}.mp4"
            seconds = 8 + n % 5
            ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}",
                   "-f", "lavfi", "-i", f"sine=frequency={300 + 10 * n}:duration={seconds}",
                   "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                   "-c:a", "aac", str(path))  # fmt: skip
        else:
            path = folder / f"tone-{n:03d}.wav"
            ffmpeg("-f", "lavfi", "-i", f"sine=frequency={200 + 25 * n}:duration={20 + n % 15}",
                   "-ac", "2", str(path))  # fmt: skip
        made.append(path)
    return made


class Instance:
    """A temporary instance folder and the ``archive`` command run on it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.env = {**os.environ, "ARCHIVE_INSTANCE": str(folder)}
        self.env["ARCHIVE_ADMIN_PASSWORD"] = "a long admin password for the run"

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "archive", *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "archive", *args], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.folder / "archive.db", timeout=30) as con:
            return con.execute(sql, params).fetchall()

    def jobs(self) -> dict[int, str]:
        return dict(self.query("select id, state from jobs"))

    def search_identifiers(self) -> set[str]:
        """Every item the index finds for staff, page after page."""
        found: set[str] = set()
        for page in range(1, 10_000):
            done = self.run("search", "", "--json", "--limit", "100", "--page", str(page),
                            "--as", "admin@localhost")  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(f"archive search failed: {done.stderr.strip()}")
            results = json.loads(done.stdout)["results"]
            found |= {r["identifier"] for r in results}
            if len(results) < 100:
                return found
        return found


def wait_for(condition, timeout: float, poll: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(poll)
    return None


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate()


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=30)[1] or ""
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[1] or ""


# --- the faults ---------------------------------------------------------------------------------


def kill_worker_during_transcodes(instance: Instance, kills: int) -> int:
    """Start the worker, SIGKILL it while a transcode is under way, ``kills`` times."""
    landed, total = 0, len(instance.jobs())
    for n in range(1, kills + 1):
        worker = instance.start("worker")
        # Spread the kills over the queue: let some jobs finish before each one.
        wanted = total * (n - 1) // (kills + 1)
        running = wait_for(
            lambda wanted=wanted: (
                instance.query("select count(*) from jobs where state = 'done'")[0][0] >= wanted
                and instance.query(
                    "select id from jobs where state = 'transcoding' and progress > 0"
                )
            ),
            300,
        )
        kill(worker)
        if running:
            landed += 1
            print(f"  worker killed during the transcode of job(s) {[r[0] for r in running]}")
        else:
            print("  no transcode was under way: killed the worker anyway")
    return landed


def kill_import_while_indexing(instance: Instance, work: Path, rows: int, attempt: int) -> bool:
    """Run a bulk ``archive import`` and SIGKILL it after its commit, while it indexes."""
    path = work / f"import-{attempt}.csv"
    lines = ["identifier,type,title,description,narrators,tags,access,status"]
    for n in range(rows):
        lines.append(f"IMP{attempt}-{n:05d},testimony,شهادة رقم {n} عن سجن نفحة,"
                     f"وصف الشهادة {n} والإضراب عن الطعام,راوي {n % 37},وسم {n % 11},public,"
                     "published")  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = instance.query("select count(*) from items")[0][0]
    importer = instance.start("import", str(path))
    caught = wait_for(
        lambda: (
            importer.poll() is not None
            or (
                instance.query("select count(*) from items")[0][0] >= before + rows
                and instance.query("select count(*) from index_outbox")[0][0] > 0
            )
        ),
        300,
        poll=0.01,
    )
    during = caught and importer.poll() is None
    kill(importer) if importer.poll() is None else importer.communicate()
    return bool(during)


def kill_reindex_half_way(instance: Instance) -> tuple[bool, bool]:
    """SIGKILL ``archive reindex`` half-way; return (killed while building, search unchanged)."""
    before = instance.search_identifiers()
    reindex = instance.start("reindex")
    building = wait_for(
        lambda: reindex.poll() is not None or any((instance.folder / "index").glob("*/BUILDING")),
        120,
        poll=0.002,
    )
    building = building and reindex.poll() is None
    kill(reindex) if reindex.poll() is None else reindex.communicate()
    unchanged = instance.search_identifiers() == before
    again = instance.run("reindex")
    if again.returncode != 0:
        raise SystemExit(f"archive reindex after the kill failed: {again.stderr.strip()}")
    leftover = list((instance.folder / "index").glob("*/BUILDING"))
    if leftover:  # the next rebuild removes the folder of a killed one (indexer/building.py)
        print(f"  {len(leftover)} half-built index folder(s) left after the next reindex")
    return building, unchanged and instance.search_identifiers() == before


def namespace_problem() -> str | None:
    if os.geteuid() != 0:
        return "not root: mounting a tmpfs needs root"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"unshare -m is not allowed here: {probe.stderr.strip()}"
    return None


def disk_full(work: Path) -> str:
    """Two full disks on a fresh instance: an original too big to store, then an access copy
    too big to write (the disk then freed and the job retried). Returns the outcome."""
    problem = namespace_problem()
    if problem:
        return f"skipped ({problem})"
    instance = Instance(work / "small-disk")
    instance.run("init")
    media = instance.folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    big, small = work / "big.wav", work / "long.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=30", "-ac", "2", str(big))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=150", "-c:a", "aac", "-b:a", "32k",
           str(small))  # fmt: skip
    archive = f"{sys.executable} -m archive"
    script = f"""set -u
mount -t tmpfs -o size=2m tmpfs "{media}" || exit 90
{archive} ingest "{big}" --identifier FULL-1 --wait; echo "big=$?"
echo "big-files=$(find "{media}" -type f -not -path '*/.locks/*' | wc -l)"
{archive} ingest "{small}" --identifier FULL-2 --wait; echo "small=$?"
echo "partial=$(find "{media}" -name '*.part' | wc -l)"
{archive} fixity; echo "fixity=$?"
mount -o remount,size=64m "{media}"
{archive} jobs retry 1 --wait; echo "retry=$?"
{archive} fixity; echo "fixity=$?"
"""
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], env=instance.env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    out, err = done.stdout, done.stderr
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    reasons = [line for line in err.splitlines() if "space" in line.lower()]
    clean = (
        values.get("big") == "1"
        and values.get("big-files") == "0"
        and values.get("small") == "1"
        and values.get("partial") == "0"
        and "Traceback" not in err
        and values.get("retry") == "0"
        and out.count("fixity=0") == 2
        and instance.query("select count(*) from items where identifier = 'FULL-1'") == [(0,)]
        and instance.query("select state from jobs") == [("done",)]
    )
    detail = "; ".join(dict.fromkeys(r.strip()[:120] for r in reasons))
    if clean:
        return (f"clean: original too big refused, nothing stored; access copy too big: job "
                f"failed, no partial file, original intact, retried once freed ({detail})")  # fmt: skip
    return f"NOT CLEAN: {values} {err.strip()[-600:]}"


def corrupt_one_original(instance: Instance) -> tuple[str, bool]:
    """Flip one byte of an original; ``archive fixity`` must fail naming it. Then undo."""
    relpath, identifier = instance.query(
        "select f.relpath, i.identifier from media_files f join recordings r on r.id = f.recording_id"
        " join items i on i.id = r.item_id where f.role = 'original' order by f.id limit 1"
    )[0]
    path = instance.folder / "media" / relpath
    mode = path.stat().st_mode
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    offset = len(data) // 2
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    checked = instance.run("fixity")
    named = relpath.rsplit("/", 1)[-1] in checked.stderr or identifier in checked.stderr
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    path.chmod(mode)
    caught = checked.returncode != 0 and named
    outcome = (f"caught: fixity exit {checked.returncode}, names {identifier}"
               if caught else f"MISSED: exit {checked.returncode}: {checked.stderr.strip()}")  # fmt: skip
    return outcome, caught


# --- the run ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=12)
    parser.add_argument("--kills", type=int, default=3, help="worker kills during transcodes")
    parser.add_argument("--rows", type=int, default=400, help="rows of the bulk import")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archive-faults-"))
    try:
        return run(work, options)
    finally:
        if options.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(work: Path, options) -> int:
    instance = Instance(work / "instance")
    if instance.run("init").returncode != 0:
        raise SystemExit("archive init failed")
    print(f"Generating {options.recordings} recordings...")
    sources = make_recordings(work / "sources", options.recordings)
    ingested = instance.run("ingest", *map(str, sources), "--type", "testimony")
    if ingested.returncode != 0:
        raise SystemExit(f"archive ingest failed: {ingested.stderr.strip()}")
    expected = {i for (i,) in instance.query("select identifier from items")}
    jobs_started = len(instance.jobs())

    print(f"Killing the worker during transcodes ({options.kills} times)...")
    landed = kill_worker_during_transcodes(instance, options.kills)

    print("Killing a bulk import while it writes the index...")
    during_index = False
    for attempt in range(1, 4):
        during_index = kill_import_while_indexing(instance, work, options.rows, attempt)
        expected |= {i for (i,) in instance.query(
            "select identifier from items where identifier like ?", f"IMP{attempt}-%")}  # fmt: skip
        if during_index:
            print(f"  import killed after its commit, with the index behind (attempt {attempt})")
            break
    else:
        print("  the import was never caught between its commit and its indexing")

    print("Restarting the worker: it must finish every job and index what was left...")
    worker = instance.start("worker")
    finished = wait_for(lambda: all(s in FINAL for s in instance.jobs().values()), 900, poll=0.5)
    log = stop(worker)
    states = instance.jobs()
    jobs_done = sum(1 for s in states.values() if s == "done")
    if not finished:
        print(f"  timed out: {states}")
    print("  " + " ".join(line for line in log.splitlines() if "Queued again" in line))

    print("Killing archive reindex half-way...")
    reindex_building, reindex_unchanged = kill_reindex_half_way(instance)

    fixity = instance.run("fixity")
    verified = fixity.stdout.strip()
    in_db = {i for (i,) in instance.query("select identifier from items")}
    indexed = instance.search_identifiers()
    missing_files = [
        relpath
        for (relpath,) in instance.query("select relpath from media_files")
        if not (instance.folder / "media" / relpath).is_file()
    ]
    lost = sorted((expected - in_db) | (expected - indexed))

    print("Corrupting one original...")
    corruption, caught = corrupt_one_original(instance)
    print("Filling the disk...")
    full = disk_full(work)

    print()
    print(f"jobs started:                      {jobs_started}")
    print(f"worker kills during transcodes:    {landed} of {options.kills}")
    print(f"jobs finished after recovery:      {jobs_done} of {jobs_started}")
    print(f"bulk import killed while indexing: {'yes' if during_index else 'not caught'}")
    print(f"reindex killed while building:     {'yes' if reindex_building else 'no (it was done)'}"
          f", search answers unchanged: {'yes' if reindex_unchanged else 'NO'}")  # fmt: skip
    print(f"originals verified:                {verified} (exit {fixity.returncode})")
    print(f"derivative or original files gone: {len(missing_files)}")
    print(f"items lost:                        {len(lost)} of {len(expected)}"
          + (f" {lost[:10]}" if lost else ""))  # fmt: skip
    print(f"disk full:                         {full}")
    print(f"corrupted original:                {corruption}")
    ok = (
        not lost
        and not missing_files
        and jobs_done == jobs_started
        and fixity.returncode == 0
        and caught
        and reindex_unchanged
        and not full.startswith("NOT CLEAN")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
