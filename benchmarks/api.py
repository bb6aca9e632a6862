"""JSON API benchmark (not part of the tests): paging and reading items over HTTP.

    python benchmarks/api.py                  # 10,000 items
    python benchmarks/api.py --items 2000 --reads 300

On a fresh temporary instance holding ``--items`` items (people, tags, collections, places,
transcripts; written straight into the database, as benchmarks/search.py does), the web server
runs exactly as ``archive serve`` starts it (gunicorn, 2 workers x 8 threads). Then it prints:

- items listed per second through ``GET /api/v1/items``, following the cursor from the first
  page to the last (with a staff token, who sees every item; and anonymously), for two page
  sizes; every item must come exactly once;
- p50 and p95 of reading one item (``GET /api/v1/items/<identifier>``, the full document with
  its transcript segments), over ``--reads`` random items;
- bag throughput (the preservation half of issue 13) is measured by ``benchmarks/bags.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def _search_benchmark():
    """benchmarks/search.py, for the catalogue it writes (one way to fill a big archive)."""
    spec = importlib.util.spec_from_file_location("search_benchmark", ROOT / "benchmarks/search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(folder: Path, count: int, port: int) -> tuple[dict, str]:
    """A fresh instance with ``count`` items and a config at ``port``; (environment, staff
    read-write token)."""
    from indexer.benchmark import corpus

    settings = re.sub(r'^BASE_URL = "[^"]*"', f'BASE_URL = "http://127.0.0.1:{port}"',
                      (ROOT / "config.toml").read_text(), flags=re.M)  # fmt: skip
    (folder / "config.toml").write_text(settings)
    env = dict(os.environ, ARCHIVE_INSTANCE=str(folder / "instance"),
               ARCHIVE_CONFIG=str(folder / "config.toml"),
               ARCHIVE_ADMIN_PASSWORD="benchmark password")  # fmt: skip
    archive = [sys.executable, "-m", "archive"]
    subprocess.run([*archive, "init"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    _search_benchmark()._fill_catalogue(folder / "instance", list(corpus(count, per_item=20)))
    print(f"catalogue: {count} items written in {time.perf_counter() - started:.1f} s")
    made = subprocess.run(
        [sys.executable, "-c", TOKEN_SCRIPT], env=env, check=True, capture_output=True, text=True
    )
    return env, made.stdout.strip()


TOKEN_SCRIPT = """
from archive import create_app
from archive.accounts import tokens
from archive.accounts.users import find_user
with create_app().app_context():
    print(tokens.create(find_user("admin@localhost"), "benchmark", "read-write")[1])
"""


def serve(env: dict, port: int) -> subprocess.Popen:
    from archive.cli.supervisor import commands

    web = [a for a in commands("127.0.0.1", port, {"WORKERS": 2, "THREADS": 8})["web"]
           if a not in ("--access-logfile", "-")]  # fmt: skip
    server = subprocess.Popen(web, env=env, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5).raise_for_status()
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the web server did not start")


def page_through(client: httpx.Client, base: str, limit: int, headers: dict) -> tuple[int, float]:
    """Follow the cursor from the first page to the last; (items, seconds)."""
    seen: list[str] = []
    url = f"{base}/api/v1/items?limit={limit}"
    started = time.perf_counter()
    while url:
        answer = client.get(url, headers=headers)
        answer.raise_for_status()
        body = answer.json()
        seen += [entry["identifier"] for entry in body["items"]]
        url = body["links"]["next"]
    seconds = time.perf_counter() - started
    assert len(seen) == len(set(seen)), "an item came twice"
    return len(seen), seconds


def reads(client: httpx.Client, base: str, identifiers: list[str], headers: dict) -> list[float]:
    times = []
    for identifier in identifiers:
        started = time.perf_counter()
        answer = client.get(f"{base}/api/v1/items/{identifier}", headers=headers)
        times.append(time.perf_counter() - started)
        answer.raise_for_status()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        folder, port = Path(tmp), free_port()
        env, secret = prepare(folder, args.items, port)
        server = serve(env, port)
        base, staff = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {secret}"}
        try:
            with httpx.Client(timeout=120) as client:
                page_through(client, base, 100, staff)  # warm both workers
                print(f"{'listing':<34}{'items':>8}{'seconds':>10}{'items/s':>10}")
                for who, headers in (("staff token", staff), ("anonymous", {})):
                    for limit in (100, 50):
                        count, seconds = page_through(client, base, limit, headers)
                        print(f"{who + f', {limit} per page':<34}{count:>8}{seconds:>10.2f}"
                              f"{count / seconds:>10.0f}")  # fmt: skip
                rng = random.Random(5)
                chosen = [f"BM-{n:06d}" for n in rng.sample(range(args.items), args.reads)]
                times = sorted(reads(client, base, chosen, staff))
                p50 = statistics.median(times) * 1000
                p95 = times[int(len(times) * 0.95) - 1] * 1000
                print(f"one item read (full document): p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                      f"over {len(times)} reads")  # fmt: skip
        finally:
            server.terminate()
            server.wait(30)
    print(f"(2 gunicorn workers x 8 threads, one client, load: {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
