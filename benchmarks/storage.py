"""Media storage: the local folder beside an S3 bucket (SeaweedFS on this machine), in one run.

    .venv/bin/python benchmarks/storage.py [--mb 200] [--runs 3] [--requests 100]

Starts SeaweedFS's ``weed server -s3`` (tests/s3.py) on free ports, then:

1. upload + verify of an original: ``put_original`` of a ``--mb`` MB file into the local
   store (copy, fsync, read back, rename) and into the bucket (hash the source, multipart
   upload, read the object back whole, compare), ``--runs`` times each with fresh bytes;
   prints MB/s (median run) for each;
2. time to first byte of a served media file: an archive per store, one public recording (a
   one-minute tone, ingested and transcoded for real), served by a threaded Werkzeug server;
   ``--requests`` GETs of ``/media/<id>/access`` with ``Range: bytes=0-`` through
   ``http.client``: for the folder, until the first byte of the file; for the bucket, the
   archive's 302 and the first byte from the presigned URL (new connections each time, as a
   browser following a redirect to another host would open). Prints p50 and p95 in ms.

Both run on loopback: the bucket's figures are SeaweedFS's and boto3's cost, not a network's.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from media.objects import LocalStore, open_store, original_relpath  # noqa: E402
from tests import s3  # noqa: E402


def upload_rates(store, folder: Path, mb: int, runs: int) -> list[float]:
    """MB/s of ``put_original`` of ``runs`` fresh ``mb`` MB files into ``store``."""
    import hashlib

    rates = []
    for run in range(runs):
        source = folder / f"original-{run}"
        digest = hashlib.sha256()
        with open(source, "wb") as out:
            for _ in range(mb):
                block = os.urandom(1 << 20)
                digest.update(block)
                out.write(block)
        sha256 = digest.hexdigest()
        started = time.perf_counter()
        store.put_original(source, original_relpath(sha256), sha256)
        rates.append(mb / (time.perf_counter() - started))
        store.delete(original_relpath(sha256))
        source.unlink()
    return rates


def archive_serving(instance: Path, storage: dict, tone: Path):
    """An archive on ``storage`` with one public, transcoded recording; (app, recording id)."""
    from archive import create_app, migrate
    from archive.catalogue import items
    from archive.holdings import storage as holdings
    from archive.holdings.ingest import ingest

    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "benchmark",
            "QUEUE": {"IMMEDIATE": True},
            "STORAGE": storage,
        }
    )
    with app.app_context():
        migrate.upgrade()
        done = ingest(holdings.local(tone), user=None, identifier="BENCH-1", title="نغمة")
        items.describe(done.item, {"access": "public"}, user=None)
        items.publish(done.item, user=None)
        return app, done.recording.id


def first_byte(url: str) -> tuple[float, str | None]:
    """Seconds until the first body byte of GET ``url`` (Range: bytes=0-), and the redirect's
    target when the answer is one."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    started = time.perf_counter()
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection.request("GET", path, headers={"Range": "bytes=0-"})
    response = connection.getresponse()
    if response.status in (301, 302, 303, 307):
        location = response.getheader("Location")
        response.read()
        connection.close()
        return time.perf_counter() - started, location
    if response.status not in (200, 206):
        raise SystemExit(f"GET {url}: {response.status}")
    response.read(1)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed, None


def ttfb(app, recording: int, requests: int) -> tuple[list[float], list[float]]:
    """Times to the first media byte through the archive, and of its redirect alone (if any)."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.port}/media/{recording}/access"
    totals, redirects = [], []
    try:
        for _ in range(requests):
            elapsed, location = first_byte(url)
            if location is not None:
                redirects.append(elapsed)
                then, _ = first_byte(location)
                elapsed += then
            totals.append(elapsed)
    finally:
        server.shutdown()
    return totals, redirects


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of each original, in MB")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-storage-") as folder:
        folder = Path(folder)
        process, server = s3.start(folder / "seaweedfs")
        try:
            bucket = server.new_bucket()
            settings = server.settings(bucket)
            bucket_store = open_store(
                settings["URL"],
                endpoint_url=server.endpoint_url,
                access_key=server.access_key,
                secret_key=server.secret_key,
                scratch=folder / "scratch",
            )
            print(f"upload + read-back verify of a {options.mb} MB original, {options.runs} runs")
            for name, store in (("local", LocalStore(folder / "media")), ("s3", bucket_store)):
                rates = upload_rates(store, folder, options.mb, options.runs)
                print(f"  {name:6} {statistics.median(rates):8.1f} MB/s  (runs: "
                      + ", ".join(f"{rate:.1f}" for rate in rates) + ")")  # fmt: skip
            bucket_store.close()

            from tests.media_samples import tone

            sound = tone(folder / "tone.wav", seconds=60, channels=2)
            print(f"time to first byte of /media/<id>/access, {options.requests} requests")
            for name, storage in (("local", {}), ("s3", settings)):
                app, recording = archive_serving(folder / f"instance-{name}", storage, sound)
                totals, redirects = ttfb(app, recording, options.requests)
                print(f"  {name:6} first media byte {ms(totals)}")
                if redirects:
                    print(f"  {'':6} the 302 alone    {ms(redirects)}")
                for made in app.extensions.get("archive_stores", {}).values():
                    made.close()
        finally:
            s3.stop(process)


if __name__ == "__main__":
    main()
