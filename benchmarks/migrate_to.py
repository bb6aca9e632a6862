"""`archive migrate-to` at scale: an embedded archive moved onto PostgreSQL.

    .venv/bin/python benchmarks/migrate_to.py [--items 1000] [--paragraphs 100]
        [--postgresql postgresql+psycopg://postgres@127.0.0.1/test]

Fills a fresh embedded archive (SQLite) by `archive import` of the generated CSV of
benchmarks/bulk_import.py (``--items`` items of ``--paragraphs`` transcript paragraphs, no
media), then moves it with `archive migrate-to`, as a real process, onto a new database of the
server ``--postgresql`` names (dropped afterwards) with its search on PostgreSQL, and prints the
rows moved, the wall and CPU time of the move and of the search rebuild it ends with, and the
peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bulk_import import SERVER, Database, environment, run, write_csv  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--paragraphs", type=int, default=100)
    parser.add_argument("--postgresql", default=SERVER)
    args = parser.parse_args(argv)
    archive = [sys.executable, "-m", "archive"]
    with tempfile.TemporaryDirectory(prefix="bench-migrate-") as folder:
        work = Path(folder)
        csv_path = write_csv(work / "csv", args.items, args.paragraphs)
        source = environment(work / "source", ROOT, "")
        run([*archive, "init"], source)
        seconds, _cpu, _rss, _out = run([*archive, "import", str(csv_path)], source)
        print(f"source: {args.items} items x {args.paragraphs} paragraphs imported into "
              f"SQLite in {seconds:.1f} s")  # fmt: skip
        with Database(args.postgresql) as url:
            target = work / "new-deployment.toml"
            target.write_text(f'[DATABASE]\nURL = "{url}"\n[SEARCH]\nBACKEND = "postgresql"\n')
            command = [*archive, "migrate-to", str(target), "--instance", str(work / "target")]
            seconds, cpu, rss_kb, out = run([*command, "--no-reindex"], source)
            rows = sum(int(line.split()[1]) for line in out.splitlines() if "row(s)" in line
                       and not line.startswith("Moved"))  # fmt: skip
            print(f"move (no reindex): {rows} rows in {seconds:.1f} s = {rows / seconds:,.0f} "
                  f"rows/s, {cpu:.1f} CPU s, peak RSS {rss_kb / 1024:.0f} MB")  # fmt: skip
            reindex = dict(
                source, ARCHIVE_INSTANCE=str(work / "target"), ARCHIVE_CONFIG=str(target)
            )
            seconds, cpu, rss_kb, _out = run([*archive, "reindex"], reindex)
            print(f"search rebuild on PostgreSQL: {seconds:.1f} s, {cpu:.1f} CPU s, "
                  f"peak RSS {rss_kb / 1024:.0f} MB")  # fmt: skip
            print(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
