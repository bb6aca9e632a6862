"""Search benchmark: Whoosh and PostgreSQL (our analyzer) in-process and over HTTP, beside
SQLite FTS5.

    python benchmarks/search.py                      # 10k, 50k and 200k segments
    python benchmarks/search.py --sizes 200000 1000000
    python benchmarks/search.py --sizes 10000 --postgresql ''   # Whoosh and FTS5 only

For each corpus size (built deterministically from the shipped Arabic text by
``indexer.benchmark.corpus``), prints indexing throughput, and query latency
p50/p95 over a fixed mix of one-word, two-word, phrase and faceted queries:
in-process (the function the web page calls, ``archive.discovery.search.search``'s engine)
and over HTTP (``GET /api/search`` on the web server ``archive serve`` starts),
then the same for SQLite FTS5 (unicode61, remove_diacritics 2) on the same
corpus, with highlighting, a type facet and the access filter done in SQL; and the
PostgreSQL backend (``[SEARCH] BACKEND = "postgresql"``) on a scratch database of the server
``--postgresql`` names (skipped when it does not answer): its rebuild (indexing segments/s,
the rebuild's own ``ANALYZE`` and ``VACUUM`` included), in-process latency and ``GET
/api/search`` on an instance whose catalogue is on that database (searched after ``archive
reindex`` rebuilt its tables once more, as an archivist would).
Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from indexer import Access, open_index, open_pg_index, rebuild
from indexer.benchmark import NOW, corpus

PER_ITEM = 100
TYPES = ("testimony", "poem", "song", "interview", "lecture", "event")


def query_mix(items: list[dict], n: int = 200, seed: int = 3) -> list[tuple[str, str, dict]]:
    """(kind, query, filters): a quarter each of one-word, two-word, phrase and faceted."""
    rng = random.Random(seed)
    texts = [s["text"] for item in items[:200] for s in item["transcripts"][0]["segments"]]
    mix = []
    for i in range(n):
        words = rng.choice(texts).split()
        start = rng.randrange(max(1, len(words) - 2))
        kind = ("one", "two", "phrase", "facet")[i % 4]
        if kind == "one":
            mix.append((kind, words[start], {}))
        elif kind == "two":
            mix.append((kind, f"{words[start]} {rng.choice(rng.choice(texts).split())}", {}))
        elif kind == "phrase":
            mix.append((kind, f'"{words[start]} {words[start + 1]}"', {}))
        else:
            mix.append((kind, words[start], {"type": [rng.choice(TYPES)]}))
    return mix


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times) * 1000, times[max(0, int(len(times) * 0.95) - 1)] * 1000


# --- Whoosh ---------------------------------------------------------------------------


def whoosh_in_process(root: Path, mix) -> list[float]:
    times = []
    with open_index(root) as index:
        index.search("", access=Access.public(NOW))  # open the searcher once, as a server does
        for _kind, text, filters in mix:
            started = time.perf_counter()
            index.search(text, access=Access.public(NOW), filters=filters or None)
            times.append(time.perf_counter() - started)
    return times


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def whoosh_http(instance: Path, mix, env: dict | None = None) -> list[float]:
    """Latency of GET /api/search on the web server exactly as ``archive serve`` starts it
    (``env``: that of an instance already made, else ``archive init`` makes one)."""
    from archive.cli.supervisor import commands

    if env is None:
        env = dict(
            os.environ, ARCHIVE_INSTANCE=str(instance), ARCHIVE_ADMIN_PASSWORD="benchmark pw"
        )
        bin_dir = Path(sys.executable).parent
        subprocess.run([bin_dir / "archive", "init"], env=env, check=True, capture_output=True)
    port = _free_port()
    web = [a for a in commands("127.0.0.1", port, {"WORKERS": 2, "THREADS": 8})["web"]]
    web = [a for a in web if a not in ("--access-logfile", "-")]
    server = subprocess.Popen(web, env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", "/api/search?q=")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(4):  # warm both workers' searchers
            conn.request("GET", "/api/search?q=" + urllib.parse.quote(mix[0][1]))
            conn.getresponse().read()
        times, found = [], 0
        for _kind, text, filters in mix:
            params = {"q": text, **{k: v[0] for k, v in filters.items()}}
            started = time.perf_counter()
            conn.request("GET", "/api/search?" + urllib.parse.urlencode(params))
            response = conn.getresponse()
            body = response.read()
            times.append(time.perf_counter() - started)
            assert response.status == 200, response.status
            found += json.loads(body)["total"] > 0
        # a server whose catalogue lacks the indexed items refuses every hit (and searches
        # again for a suggestion): its figures would measure nothing real
        assert found >= len(mix) // 2, f"only {found} of {len(mix)} queries found anything"
        return times
    finally:
        server.terminate()
        server.wait(30)


def _env(instance: Path) -> dict:
    return dict(os.environ, ARCHIVE_INSTANCE=str(instance), ARCHIVE_ADMIN_PASSWORD="benchmark pw")


def app_reindex(instance: Path, items: list[dict], procs: int) -> float:
    """Seconds ``archive reindex`` takes on a catalogue holding ``items`` (people, tags,
    collections, prisons, transcripts and segments written into a fresh instance's database):
    the whole command, reading the database included."""
    env = _env(instance)
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "archive", "init"], env=env, check=True, capture_output=True)
    _fill_catalogue(f"sqlite:///{instance / 'archive.db'}", items)
    started = time.perf_counter()
    done = subprocess.run(
        [bin_dir / "archive", "reindex", "--procs", str(procs)],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    assert f"Indexed {len(items)} item(s)" in done.stdout, done.stdout
    return seconds


def _fill_catalogue(url: str, items: list[dict]) -> None:
    """Write ``items`` (people, tags, collections, places, transcripts and segments) into the
    catalogue at ``url`` (SQLite or PostgreSQL), as the app's tables hold them."""
    from sqlalchemy import create_engine, insert

    import archive.models  # noqa: F401 - the tables, registered on the metadata
    from archive.db import db as archive_db

    tables = archive_db.metadata.tables
    engine = create_engine(url)
    named: dict[tuple[str, str], int] = {}

    def row_id(connection, table: str, value: str, **blank) -> int:
        """The row of ``table`` named ``value``, made the first time (other columns empty)."""
        if (table, value) not in named:
            key = {"tags": "label", "collections": "title", "places": "name"}[table]
            statement = insert(tables[table]).values({key: value, **blank})
            named[(table, value)] = connection.execute(statement).inserted_primary_key[0]
        return named[(table, value)]

    with engine.begin() as connection:
        for item in items:
            item_id = connection.execute(
                insert(tables["items"]).values(
                    identifier=item["identifier"], type=item["type"], title=item["title"],
                    title_en="", description=item["description"], description_en="",
                    languages="ar", date=item["date"], place="", rights="", download=False,
                    notes="", access=item["access"], status=item["status"],
                    embargo_until=item["embargo_until"], created_at=NOW, updated_at=NOW,
                    release_reference="", release_date="", release_access="",
                    release_restriction="", withdrawn_reason="",
                )
            ).inserted_primary_key[0]  # fmt: skip
            for position, person in enumerate(item["people"]):
                if ("people", person["name"]) not in named:
                    named[("people", person["name"])] = connection.execute(
                        insert(tables["people"]).values(
                            name=person["name"], name_latin="", kunya="", bio="", bio_en="",
                            created_at=NOW,
                        )
                    ).inserted_primary_key[0]  # fmt: skip
                connection.execute(insert(tables["credits"]).values(
                    item_id=item_id, person_id=named[("people", person["name"])],
                    role=person["role"], position=position,
                ))  # fmt: skip
            links = (
                ("item_tags", "tag_id", [row_id(connection, "tags", t["label"], label_en="")
                                         for t in item["tags"]]),
                ("item_collections", "collection_id", [
                    row_id(connection, "collections", c["title"], title_en="", description="",
                           description_en="") for c in item["collections"]]),
                ("item_places", "place_id", [row_id(connection, "places", p["name"], name_en="")
                                             for p in item["places"]]),
            )  # fmt: skip
            for table, column, ids in links:
                for linked in dict.fromkeys(ids):
                    connection.execute(
                        insert(tables[table]).values(item_id=item_id, **{column: linked})
                    )
            for transcript in item["transcripts"]:
                transcript_id = connection.execute(
                    insert(tables["transcripts"]).values(
                        item_id=item_id, language=transcript["language"],
                        restricted=bool(transcript["restricted"]), source_format="vtt",
                        created_at=NOW, updated_at=NOW,
                    )
                ).inserted_primary_key[0]  # fmt: skip
                connection.execute(insert(tables["segments"]), [
                    {"transcript_id": transcript_id, "position": n, "start": seg["start"],
                     "end": seg["end"], "text": seg["text"], "speaker": "",
                     "restricted": bool(seg["restricted"])}
                    for n, seg in enumerate(transcript["segments"])
                ])  # fmt: skip
    engine.dispose()


# --- PostgreSQL --------------------------------------------------------------------------


class Postgres:
    """A scratch database on the server at ``server``: an instance's catalogue and search."""

    def __init__(self, server: str, size: int):
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        self.server = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.name = f"bench_search_{size}_{os.getpid()}"
        with self.server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {self.name} ENCODING 'UTF8'"))
        self.url = make_url(server).set(database=self.name).render_as_string(hide_password=False)

    def init(self, instance: Path) -> dict:
        """``archive init`` of an instance whose catalogue and search are on this database."""
        instance.mkdir(parents=True, exist_ok=True)
        config = instance / "bench-config.toml"
        config.write_text(f'DATABASE_URL = "{self.url}"\n[SEARCH]\nBACKEND = "postgresql"\n')
        env = dict(os.environ, ARCHIVE_INSTANCE=str(instance), ARCHIVE_CONFIG=str(config),
                   ARCHIVE_ADMIN_PASSWORD="benchmark pw")  # fmt: skip
        bin_dir = Path(sys.executable).parent
        subprocess.run([bin_dir / "archive", "init"], env=env, check=True, capture_output=True)
        return env

    def build(self, items: list[dict]) -> float:
        """Seconds the PostgreSQL rebuild of ``items`` takes (its ANALYZE and VACUUM too)."""
        with open_pg_index(self.url) as index:
            started = time.perf_counter()
            index.rebuild(items)
            return time.perf_counter() - started

    def reindex(self, env: dict, count: int) -> float:
        """Seconds ``archive reindex`` takes to index this catalogue into PostgreSQL search."""
        bin_dir = Path(sys.executable).parent
        started = time.perf_counter()
        done = subprocess.run([bin_dir / "archive", "reindex"], env=env, check=True,
                              capture_output=True, text=True)  # fmt: skip
        seconds = time.perf_counter() - started
        assert f"Indexed {count} item(s)" in done.stdout, done.stdout
        return seconds

    def in_process(self, mix) -> list[float]:
        times = []
        with open_pg_index(self.url) as index:
            index.search("", access=Access.public(NOW))
            for _kind, text, filters in mix:
                started = time.perf_counter()
                index.search(text, access=Access.public(NOW), filters=filters or None)
                times.append(time.perf_counter() - started)
        return times

    def drop(self) -> None:
        from sqlalchemy import text

        with self.server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
        self.server.dispose()


# --- SQLite FTS5 ----------------------------------------------------------------------


def fts5_build(path: Path, items: list[dict]) -> float:
    db = sqlite3.connect(path)
    started = time.perf_counter()
    db.executescript(
        """
        CREATE TABLE items(id INTEGER PRIMARY KEY, identifier TEXT, type TEXT, access TEXT,
                           status TEXT, embargo TEXT, title TEXT);
        CREATE VIRTUAL TABLE segments USING fts5(
            text, item UNINDEXED, start UNINDEXED, restricted UNINDEXED,
            tokenize = "unicode61 remove_diacritics 2");
        """
    )
    for number, item in enumerate(items):
        embargo = item["embargo_until"].isoformat() if item["embargo_until"] else ""
        db.execute(
            "INSERT INTO items VALUES (?,?,?,?,?,?,?)",
            (number, item["identifier"], item["type"], item["access"], item["status"], embargo,
             item["title"]),
        )  # fmt: skip
        db.executemany(
            "INSERT INTO segments(text, item, start, restricted) VALUES (?,?,?,?)",
            [
                (s["text"], number, s["start"], int(s["restricted"]))
                for s in item["transcripts"][0]["segments"]
            ],
        )
    db.commit()
    db.close()
    return time.perf_counter() - started


def fts5_match(text: str) -> str:
    """Plain words OR'ed (as our search ranks all-words first), phrases kept."""
    if text.startswith('"'):
        return text
    return " OR ".join('"' + word.replace('"', "") + '"' for word in text.split())


VISIBLE = "i.status = 'published' AND i.access = 'public' AND (i.embargo = '' OR i.embargo <= ?)"


def fts5_queries(path: Path, mix) -> list[float]:
    db = sqlite3.connect(path)
    now = NOW.isoformat()
    times = []
    for _kind, text, filters in mix:
        started = time.perf_counter()
        match = fts5_match(text)
        type_clause, params = "", [match, now]
        if filters.get("type"):
            type_clause, params = " AND i.type = ?", [match, now, filters["type"][0]]
        # bm25() cannot be used under an aggregate: collect the matches first, then group
        db.execute("DROP TABLE IF EXISTS temp.m")
        db.execute(
            "CREATE TEMP TABLE m AS SELECT item, bm25(segments) AS rank FROM segments "
            "WHERE segments MATCH ? AND restricted = 0",
            (match,),
        )
        base = f"FROM m JOIN items i ON i.id = m.item WHERE {VISIBLE}{type_clause}"
        params = params[1:]
        page = db.execute(
            f"SELECT m.item, min(m.rank) AS best {base} GROUP BY m.item ORDER BY best LIMIT 20",
            params,
        ).fetchall()
        db.execute(f"SELECT count(DISTINCT m.item) {base}", params).fetchone()
        db.execute(
            f"SELECT i.type, count(DISTINCT m.item) {base} GROUP BY i.type", params
        ).fetchall()
        for item_id, _rank in page:
            db.execute(
                "SELECT start, highlight(segments, 0, '<mark>', '</mark>') FROM segments "
                "WHERE segments MATCH ? AND item = ? AND restricted = 0 ORDER BY rank LIMIT 3",
                (match, item_id),
            ).fetchall()
        times.append(time.perf_counter() - started)
    db.close()
    return times


# --- the run ----------------------------------------------------------------------------


def run(size: int, procs: int, out, postgresql: str = "") -> None:
    items = list(corpus(max(1, size // PER_ITEM), PER_ITEM))
    segments = sum(len(i["transcripts"][0]["segments"]) for i in items)
    mix = query_mix(items)
    pg = None
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        instance = Path(tmp) / "instance"
        root = instance / "index"
        started = time.perf_counter()
        rebuild(root, items, procs=procs)
        whoosh_build = time.perf_counter() - started
        fts_build = fts5_build(Path(tmp) / "fts.db", items)
        command = app_reindex(Path(tmp) / "app", items, procs)
        if postgresql:
            try:
                pg = Postgres(postgresql, size)
            except Exception as exc:  # noqa: BLE001 - no server: the others are still measured
                print(f"(PostgreSQL left out: {str(exc).splitlines()[0]})", file=out)
        if pg is not None:
            pg_env = pg.init(Path(tmp) / "pg-instance")
            pg_build = pg.build(items)  # the search tables alone, from the item documents
            _fill_catalogue(pg.url, items)  # then the catalogue they come from, and
            pg_command = pg.reindex(pg_env, len(items))  # ``archive reindex`` from it
        del items
        local = percentiles(whoosh_in_process(root, mix))
        # the web server of the instance ``archive reindex`` filled: its catalogue holds every
        # item found, so no hit is refused as not visible
        over_http = percentiles(whoosh_http(Path(tmp) / "app", mix, _env(Path(tmp) / "app")))
        fts = percentiles(fts5_queries(Path(tmp) / "fts.db", mix))
        if pg is not None:
            try:
                pg_local = percentiles(pg.in_process(mix))
                pg_http = percentiles(whoosh_http(Path(tmp) / "pg-instance", mix, pg_env))
            finally:
                pg.drop()
    print(f"\n{segments:,} segments ({segments // PER_ITEM:,} items), {len(mix)} queries", file=out)
    print(f"  {'':28}{'index seg/s':>12}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}", file=out)
    print(f"  {'Whoosh, in-process':28}{segments / whoosh_build:12,.0f}{whoosh_build:9.1f}"
          f"{local[0]:9.1f}{local[1]:9.1f}", file=out)  # fmt: skip
    print(f"  {'archive reindex (whole cmd)':28}{segments / command:12,.0f}{command:9.1f}",
          file=out)  # fmt: skip
    print(f"  {'Whoosh, HTTP /api/search':28}{'':12}{'':9}{over_http[0]:9.1f}{over_http[1]:9.1f}",
          file=out)  # fmt: skip
    print(f"  {'SQLite FTS5':28}{segments / fts_build:12,.0f}{fts_build:9.1f}{fts[0]:9.1f}{fts[1]:9.1f}",
          file=out)  # fmt: skip
    if pg is not None:
        print(f"  {'PostgreSQL, in-process':28}{segments / pg_build:12,.0f}{pg_build:9.1f}"
              f"{pg_local[0]:9.1f}{pg_local[1]:9.1f}", file=out)  # fmt: skip
        print(f"  {'PG archive reindex (cmd)':28}{segments / pg_command:12,.0f}{pg_command:9.1f}",
              file=out)  # fmt: skip
        print(f"  {'PostgreSQL, HTTP /api/search':28}{'':12}{'':9}{pg_http[0]:9.1f}"
              f"{pg_http[1]:9.1f}", file=out)  # fmt: skip
    print(f"  ratio Whoosh/FTS5: build {whoosh_build / fts_build:.2g}x, p95 in-process "
          f"{local[1] / fts[1]:.2g}x, p95 HTTP {over_http[1] / fts[1]:.2g}x", file=out)  # fmt: skip
    out.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--procs", type=int, default=2, help="Whoosh writer processes")
    parser.add_argument(
        "--postgresql",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="PostgreSQL server the PostgreSQL backend is measured on ('' to leave it out)",
    )
    options = parser.parse_args()
    print("goal: p95 <= 50 ms over HTTP at 200k segments; full rebuild of 200k < 120 s; "
          "PostgreSQL p95 <= 50 ms at 1M segments")  # fmt: skip
    for size in options.sizes:
        run(size, options.procs, sys.stdout, options.postgresql)
    return 0


if __name__ == "__main__":
    sys.exit(main())
