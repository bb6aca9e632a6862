"""Hostile searches: do a few costly queries from one address starve everyone else?

    python benchmarks/search_hostile.py                    # 20,000 segments, 8 hostile clients
    python benchmarks/search_hostile.py --segments 50000 --hostile 8
    python benchmarks/search_hostile.py --no-address-limit   # the bounds of one query alone

Fills a fresh instance's catalogue with a synthetic archive (``indexer.benchmark.corpus``, the
catalogue written as ``benchmarks/search.py`` does), indexes it with ``archive reindex``, starts
the web server exactly as ``archive serve`` does (2 gunicorn workers x 8 threads), then measures
ordinary searches (the one-word, two-word, phrase and faceted mix of ``benchmarks/search.py``,
one at a time from 127.0.0.1) alone, and again while ``--hostile`` clients (from 127.0.0.2, one
other address on the loopback) send hostile queries without pause: one long Arabic word of a few
hundred letters, a word of many clitic letters, many wildcards. Prints p50/p95 of the ordinary
searches in both runs, and what the hostile ones got (status codes, p50 latency).
Goal: ordinary p95 under 200 ms while the hostile clients run. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from indexer.benchmark import corpus

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_search", HERE / "search.py")
bench_search = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_search)

PER_ITEM = 100
ORDINARY_FROM, HOSTILE_FROM = "127.0.0.1", "127.0.0.2"

#: What an attacker types: each short (under the 500 characters a query keeps), each costly.
HOSTILE = (
    "الاسرىوالمعتقلينفيسجوننفحة" * 18,  # one Arabic "word" of ~480 letters
    "و" * 240 + "بالسجن",  # clitic letters: the stemmer re-slices once per letter
    "وفبكل" * 90 + "اسير",  # mixed clitics, each strippable
    " ".join(f"{a}{b}*" for a in "اسمت" for b in "لعبن"),  # 16 two-letter prefixes
    " ".join(f"{w}*" for w in ("ال", "وا", "في", "مع", "اس", "سج", "من", "ان")) + " سجن* نفح*",
    "قسطنطينيهالمعتقلاتوالزنازين" * 17 + " OR " + "ظظظظظظظظ" * 20,  # no such word: suggestions
)


def _request(conn: http.client.HTTPConnection, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - started


def _connection(port: int, source: str) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))


def ordinary(port: int, mix) -> tuple[list[float], collections.Counter]:
    conn = _connection(port, ORDINARY_FROM)
    times, statuses = [], collections.Counter()
    for _kind, text, filters in mix:
        params = {"q": text, **{k: v[0] for k, v in filters.items()}}
        status, seconds = _request(conn, "/api/search?" + urllib.parse.urlencode(params))
        statuses[status] += 1
        times.append(seconds)
    conn.close()
    return times, statuses


def hostile(port: int, number: int, stop: threading.Event, seen: list) -> None:
    conn = _connection(port, HOSTILE_FROM)
    i = number
    while not stop.is_set():
        query = HOSTILE[i % len(HOSTILE)]
        i += 1
        try:
            status, seconds = _request(conn, "/api/search?" + urllib.parse.urlencode({"q": query}))
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = _connection(port, HOSTILE_FROM)
            continue
        seen.append((status, seconds))
        if status == 429:  # a polite attacker would wait; a hostile one just tries again
            time.sleep(0.05)
    conn.close()


def start_server(instance: Path, address_limit: bool) -> tuple[subprocess.Popen, int]:
    from archive.cli.supervisor import commands

    env = dict(os.environ, ARCHIVE_INSTANCE=str(instance))
    if not address_limit:
        config = instance / "unlimited.toml"
        config.write_text("[SEARCH]\nCONCURRENT_PER_ADDRESS = 0\n")
        env["ARCHIVE_CONFIG"] = str(config)
    port = bench_search._free_port()
    web = commands("127.0.0.1", port, {"WORKERS": 2, "THREADS": 8})["web"]
    web = [a for a in web if a not in ("--access-logfile", "-")]
    server = subprocess.Popen(web, env=env, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            _request(_connection(port, ORDINARY_FROM), "/api/search?q=")
            return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the web server did not start")


def report(label: str, times: list[float], statuses) -> None:
    p50, p95 = bench_search.percentiles(times)
    codes = " ".join(f"{code}x{n}" for code, n in sorted(statuses.items()))
    print(f"  {label:34}{len(times):6}{p50:10.1f}{p95:10.1f}   {codes}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=20_000)
    parser.add_argument("--hostile", type=int, default=8, help="hostile clients at once")
    parser.add_argument("--queries", type=int, default=120, help="ordinary searches per run")
    parser.add_argument(
        "--no-address-limit",
        dest="address_limit",
        action="store_false",
        help="no per-address limit ([SEARCH] CONCURRENT_PER_ADDRESS = 0)",
    )
    options = parser.parse_args()
    items = list(corpus(max(1, options.segments // PER_ITEM), PER_ITEM))
    mix = bench_search.query_mix(items, n=options.queries)
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        instance = Path(tmp) / "instance"
        env = dict(
            os.environ, ARCHIVE_INSTANCE=str(instance), ARCHIVE_ADMIN_PASSWORD="benchmark password"
        )
        archive = Path(sys.executable).parent / "archive"
        subprocess.run([archive, "init"], env=env, check=True, capture_output=True)
        bench_search._fill_catalogue(instance, items)
        subprocess.run([archive, "reindex"], env=env, check=True, capture_output=True)
        del items
        server, port = start_server(instance, options.address_limit)
        try:
            ordinary(port, mix[:20])  # warm both workers
            print(f"{options.segments:,} segments; ordinary searches from {ORDINARY_FROM}, "
                  f"{options.hostile} hostile clients from {HOSTILE_FROM}"
                  f"{'' if options.address_limit else '; no per-address limit'}")  # fmt: skip
            print(f"  {'':34}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}   status")
            alone, statuses = ordinary(port, mix)
            report("ordinary, alone", alone, statuses)
            stop, seen = threading.Event(), []
            attackers = [
                threading.Thread(target=hostile, args=(port, n, stop, seen), daemon=True)
                for n in range(options.hostile)
            ]
            for thread in attackers:
                thread.start()
            time.sleep(2)  # let them fill the server
            loaded, statuses = ordinary(port, mix)
            stop.set()
            for thread in attackers:
                thread.join(150)
            report(f"ordinary, with {options.hostile} hostile", loaded, statuses)
            report(
                "hostile (all answers)",
                [s for _, s in seen],
                collections.Counter(c for c, _ in seen),
            )
            answered = [s for c, s in seen if c == 200]
            if answered:
                report("hostile (200 only)", answered, collections.Counter({200: len(answered)}))
            print(f"  (2 gunicorn workers x 8 threads, load: "
                  f"{' '.join(open('/proc/loadavg').read().split()[:3])})")  # fmt: skip
            p95 = bench_search.percentiles(loaded)[1]
            print(f"goal: ordinary p95 under 200 ms with hostile clients: "
                  f"{'met' if p95 < 200 else 'NOT met'} ({p95:.0f} ms)")  # fmt: skip
        finally:
            server.terminate()
            server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
