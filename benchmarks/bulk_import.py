"""Bulk CSV import at scale: `archive import` on SQLite and on PostgreSQL, side by side.

    .venv/bin/python benchmarks/bulk_import.py [--items 2000] [--paragraphs 100]
        [--postgresql postgresql+psycopg://postgres@127.0.0.1/test] [--no-sqlite]
        [--code /tmp/d-old]

Writes one CSV of ``--items`` items, each with a transcript of ``--paragraphs`` paragraphs in a
file beside it (``import.transcripts/``, as docs/csv.md describes: every other one a timed WebVTT
file, the rest plain text), made of the Arabic sentences of tests/data/arabic/passages.jsonl,
shuffled and varied so that no two paragraphs are the same. Then, each in a fresh instance
(`archive init` first, not timed), runs `archive import` as a real process, stdout not a
terminal, and prints for each database the wall time, segments per second (the command returns
once the search index shows the items, so indexing is included), the CPU time of the process
and its children with segments per CPU second (steadier than wall time on a shared machine), and
their peak resident memory.

The PostgreSQL run makes a database of its own on the server ``--postgresql`` names (the user
must be allowed to create databases) and drops it afterwards; it is left out, with a line
saying why, when the server does not answer. ``--code`` runs another checkout of the archive
(say an older commit cloned to /tmp/d-old) with this Python, to compare before and after.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSAGES = ROOT / "tests" / "data" / "arabic" / "passages.jsonl"
SERVER = "postgresql+psycopg://postgres@127.0.0.1/test"
GOAL_RATE, GOAL_RSS_MB = 2000, 300  # issue 14: at least 2,000 segments/s, under 300 MB
NARRATORS = ["رأفت حمدونة", "عيسى قراقع", "خالدة جرار", "وليد دقة", "أسماء", "سامر العيساوي"]
TAGS = ["الإضراب عن الطعام", "الرسائل", "الزيارة", "التعليم في السجن", "العزل", "الأمهات"]
PRISONS = ["نفحة", "النقب", "عسقلان", "جنيد", "الجلمة", "عوفر"]


# --- the file ------------------------------------------------------------------------------


def sentences() -> list[str]:
    """The passages' sentences (a poem's hemistichs count as sentences)."""
    found = []
    for line in PASSAGES.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        found += [s.strip() for s in re.split(r"\.\.\.|[.!؟،]", text) if len(s.strip()) > 8]
    return found


def paragraph(rng: random.Random, pool: list[str]) -> str:
    """Two to five sentences, words of one of them shuffled, with a number: unique text."""
    chosen = rng.sample(pool, rng.randint(2, 5))
    words = chosen[0].split()
    rng.shuffle(words)
    chosen[0] = " ".join(words)
    chosen.append(f"سنة {rng.randint(1967, 2023)} في القسم {rng.randint(1, 40)}")
    return "، ".join(chosen) + "."


def vtt_time(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{int(seconds * 1000) % 1000:03d}"


def write_transcript(path: Path, paragraphs: list[str], timed: bool) -> None:
    if not timed:
        path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        return
    cues, at = ["WEBVTT", ""], 0.0
    for text in paragraphs:
        end = at + 4.0 + len(text) / 20
        cues += [f"{vtt_time(at)} --> {vtt_time(end)}", text, ""]
        at = end
    path.write_text("\n".join(cues), encoding="utf-8")


def write_csv(folder: Path, n_items: int, n_paragraphs: int, seed: int = 14) -> Path:
    """The CSV file and its transcripts; its path."""
    rng, pool = random.Random(seed), sentences()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "import.transcripts").mkdir(exist_ok=True)
    header = ["identifier", "type", "title", "title_en", "language", "date", "prisons",
              "narrators", "tags", "collections", "access", "status", "transcript",
              "transcript_language"]  # fmt: skip
    path = folder / "import.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for i in range(n_items):
            identifier = f"BULK-{i:06d}"
            timed = i % 2 == 1
            name = f"import.transcripts/{identifier}.ar.{'vtt' if timed else 'txt'}"
            texts = [paragraph(rng, pool) for _ in range(n_paragraphs)]
            write_transcript(folder / name, texts, timed)
            writer.writerow([
                identifier, rng.choice(["testimony", "interview", "poem"]),
                f"شهادة رقم {i}: {rng.choice(pool)[:60]}", f"Testimony {i}", "ar",
                f"{rng.randint(1970, 2020)}", "|".join(rng.sample(PRISONS, 2)),
                rng.choice(NARRATORS) + f" {i % 97}", "|".join(rng.sample(TAGS, 2)),
                f"مجموعة {i % 12}", rng.choice(["public", "researchers", "staff"]),
                "published", name, "ar",
            ])  # fmt: skip
    return path


# --- the runs ------------------------------------------------------------------------------


def run(command: list[str], env: dict, cwd: Path) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds, peak RSS in kB (the process or any child it waited for) and
    stdout. CPU time says what the work costs when other processes share the machine."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if status != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{stderr[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, stdout


def environment(instance: Path, code: Path, database_url: str) -> dict:
    env = dict(os.environ, ARCHIVE_INSTANCE=str(instance), PYTHONPATH=str(code))
    config = instance.parent / f"{instance.name}.toml"
    config.write_text(f'DATABASE_URL = "{database_url}"\n' if database_url else "")
    env["ARCHIVE_CONFIG"] = str(config)
    return env


def import_once(csv_path: Path, work: Path, code: Path, label: str, url: str = "") -> dict:
    instance = work / f"instance-{label}"
    env = environment(instance, code, url)
    archive = [sys.executable, "-m", "archive"]
    # In the code's own folder: `python -m` puts the working directory first on the path.
    subprocess.run([*archive, "init"], env=env, cwd=code, check=True, stdout=subprocess.DEVNULL)
    elapsed, cpu, rss_kb, stdout = run([*archive, "import", str(csv_path)], env, code)
    said = stdout.strip().splitlines()[-1]
    return {"seconds": elapsed, "cpu": cpu, "rss_mb": rss_kb / 1024, "said": said}


class Database:
    """A database of our own on the PostgreSQL server, dropped on leaving."""

    def __init__(self, server: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        self.server = make_url(server)
        self.name = f"bulk_import_{uuid.uuid4().hex[:8]}"
        self.engine = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def __enter__(self) -> str:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {self.name} ENCODING 'UTF8'"))
        return self.server.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
        self.engine.dispose()


def postgresql_answers(server: str) -> str:
    """Empty when the server answers, else why not."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    try:
        with create_engine(server, poolclass=NullPool).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect says the same
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    return ""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--paragraphs", type=int, default=100)
    parser.add_argument("--postgresql", default=SERVER, help="server to make a database on")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout of the archive to run")
    args = parser.parse_args(argv)

    segments = args.items * args.paragraphs
    load_before = os.getloadavg()[0]  # other work on the machine slows the wall time
    with tempfile.TemporaryDirectory(prefix="bulk-import-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        csv_path = write_csv(work / "files", args.items, args.paragraphs)
        size = csv_path.stat().st_size + sum(
            p.stat().st_size for p in (csv_path.parent / "import.transcripts").iterdir()
        )
        print(
            f"{args.items:,} items × {args.paragraphs} paragraphs = {segments:,} segments, "
            f"{size / 2**20:.0f} MB of CSV and transcripts (written in "
            f"{time.perf_counter() - started:.0f} s); code: {args.code}"
        )
        figures = {}
        if not args.no_sqlite:
            figures["SQLite"] = import_once(csv_path, work, args.code, "sqlite")
        if not args.no_postgresql:
            why = postgresql_answers(args.postgresql)
            if why:
                print(f"PostgreSQL left out: {args.postgresql} does not answer ({why})")
            else:
                with Database(args.postgresql) as url:
                    figures["PostgreSQL"] = import_once(csv_path, work, args.code, "pg", url)
    print(
        f"\n{'database':<12}{'wall s':>9}{'segments/s':>12}{'CPU s':>9}{'per CPU s':>11}"
        f"{'peak RSS MB':>13}"
    )
    for name, figure in figures.items():
        rate, cpu_rate = segments / figure["seconds"], segments / figure["cpu"]
        print(
            f"{name:<12}{figure['seconds']:>9.1f}{rate:>12,.0f}{figure['cpu']:>9.1f}"
            f"{cpu_rate:>11,.0f}{figure['rss_mb']:>13.0f}"
        )
    print(
        f"load average before the runs: {load_before:.1f}, after: {os.getloadavg()[0]:.1f}, "
        f"on {os.cpu_count()} CPUs"
    )
    print(f"goal: at least {GOAL_RATE:,} segments/s and under {GOAL_RSS_MB} MB")
    for name, figure in figures.items():
        print(f"{name}: {figure['said']}")


if __name__ == "__main__":
    main()
