"""The staff catalogue's filters and a batch plan on a catalogue of 10,000 items.

    .venv/bin/python benchmarks/workbench.py [--items 10000] [--postgresql URL]

Makes a fresh instance (`archive init`, then `archive import` of a CSV of ``--items`` items with
varied types, tags, collections, narrators, dates, releases; not timed), then in this process
times GET /manage/ as an archivist for a few filter combinations at page sizes 50 and 500
(median of 5 requests, with the number of SQL statements each sent), and the batch preview
of "access public" over every item matching a filter. With ``--postgresql`` the instance's
database is a new one on that server.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = ["testimony", "poem", "song", "interview", "lecture", "event"]
TAGS = ["الإضراب عن الطعام", "الرسائل", "الزيارة", "التعليم في السجن", "العزل", "الأمهات"]
COLLECTIONS = ["مجموعة عسقلان", "أشرطة نفحة", "محاضرات الجامعة"]
NARRATORS = ["رأفت حمدونة", "عيسى قراقع", "خالدة جرار", "وليد دقة", "سامر العيساوي"]
VIEWS = [
    "",
    "type=testimony",
    "status=draft&no_release=1",
    "tag={tag}&decade=1980&sort=title&order=asc",
    "collection={collection}&access=researchers&sort=date",
    "no_transcript=1&sort=identifier&order=desc",
    "q=نفحة",
]


def write_csv(path: Path, count: int) -> None:
    rng = random.Random(17)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["identifier", "type", "title", "date", "narrators", "tags", "collections",
                         "access", "release_access", "language"])  # fmt: skip
        for n in range(count):
            release = rng.choice(["", "public", "researchers", "staff"])
            access = release or rng.choice(["public", "staff"])
            writer.writerow([
                f"BW-{n:05d}", rng.choice(TYPES),
                f"شهادة رقم {n} عن {rng.choice(['نفحة', 'النقب', 'عسقلان'])}",
                f"{rng.randint(1967, 2020)}-{rng.randint(1, 12):02d}",
                rng.choice(NARRATORS), "|".join(rng.sample(TAGS, 2)), rng.choice(COLLECTIONS),
                access, release, rng.choice(["ar", "ar|en"]),
            ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--postgresql", default="")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="workbench-bench-"))
    env = dict(os.environ, ARCHIVE_INSTANCE=str(folder / "instance"),
               ARCHIVE_ADMIN_PASSWORD="bench admin password")  # fmt: skip
    config = folder / "config.toml"
    settings = (ROOT / "config.toml").read_text()
    dbname = ""
    if options.postgresql:
        import psycopg

        dbname = f"bench_{uuid.uuid4().hex[:8]}"
        server = options.postgresql.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        settings = f'DATABASE_URL = "{options.postgresql.rsplit("/", 1)[0]}/{dbname}"\n{settings}'
    config.write_text(settings)
    env["ARCHIVE_CONFIG"] = str(config)
    archive = [sys.executable, "-m", "archive"]
    subprocess.run([*archive, "init"], env=env, check=True, capture_output=True)
    write_csv(folder / "items.csv", options.items)
    started = time.perf_counter()
    subprocess.run([*archive, "import", str(folder / "items.csv")], env=env, check=True,
                   capture_output=True)  # fmt: skip
    print(
        f"{options.items} items imported in {time.perf_counter() - started:.1f} s (not timed below)"
    )
    os.environ.update(env)
    run_views(options)
    if dbname:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{dbname}" WITH (FORCE)')


def run_views(options) -> None:
    from sqlalchemy import event, select

    from archive import create_app
    from archive.catalogue import batch, listing
    from archive.db import db
    from archive.models import Collection, Tag

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        tag = db.session.scalar(select(Tag.id).limit(1))
        collection = db.session.scalar(select(Collection.id).limit(1))
        engine = db.engine
        from archive.accounts.users import find_user

        admin = find_user(os.environ.get("ARCHIVE_ADMIN_EMAIL", "admin@localhost"))
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    client = app.test_client()
    email = os.environ.get("ARCHIVE_ADMIN_EMAIL", "admin@localhost")
    login = client.post("/login", data={"email": email, "password": "bench admin password"})
    assert login.status_code == 302, login.status_code
    print(f"{'view':58} {'size':>5} {'matches':>8} {'median ms':>10} {'SQL':>4}")
    for view in VIEWS:
        query = view.format(tag=tag, collection=collection)
        for size in (50, 500):
            times, url = [], f"/manage/?{query}&per_page={size}"
            for _ in range(5):
                statements.clear()
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
            with app.test_request_context():
                with app.app_context():
                    matches = listing.count(listing.Filters.parse(dict(
                        pair.split("=") for pair in query.split("&") if pair
                    )), user=admin) if "q=" not in query else "-"  # fmt: skip
            print(f"{query or '(none)':58} {size:>5} {matches!s:>8} "
                  f"{statistics.median(times):>10.1f} {len(statements):>4}")  # fmt: skip
    with app.app_context():
        filters = listing.Filters.parse({"status": "draft"})
        started = time.perf_counter()
        chosen = batch.load(ids=listing.item_ids(filters))
        plan = batch.plan("access", "public", chosen)
        elapsed = (time.perf_counter() - started) * 1000
        print(f"batch preview 'access public' on status=draft: {plan.total} items, "
              f"{len(plan.changes)} change, {len(plan.skipped)} skipped, {elapsed:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
