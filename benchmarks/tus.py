"""A 2 GiB upload through `archive serve`: tus (tuspy, in chunks) beside one plain POST.

Starts `archive serve --no-worker` on a temporary instance (no worker: the transcode of a
three-hour recording is not what is measured), writes a 2 GiB WAV to /tmp, uploads it once as
the one-request raw POST of /manage/upload and once, with one byte changed (else it would be
refused as the same bytes), over tus at /manage/tus/ with tuspy, and reads the peak RSS
(VmHWM) of every process of the server. Deletes the file and the instance afterwards.

    .venv/bin/python benchmarks/tus.py [--gib 2] [--chunk-mib 64]
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from upload_rss import GiB, _free_port, _peak_rss_kib, _tree, wav_stream  # noqa: E402


def login(base: str, password: str) -> tuple[str, str]:
    """Cookie and CSRF token of the admin's session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for _ in range(150):
        try:
            page = opener.open(base + "/login").read().decode()
            break
        except OSError:
            time.sleep(0.2)
    token = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', page).group(1)
    form = {"email": "admin@localhost", "password": password, "csrf_token": token}
    opener.open(base + "/login", data=urllib.parse.urlencode(form).encode())
    page = opener.open(base + "/manage/upload").read().decode()
    token = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', page).group(1)
    return "; ".join(f"{c.name}={c.value}" for c in jar), token


def plain_post(port: int, path: Path, cookie: str, token: str) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    started = time.perf_counter()
    conn.putrequest("POST", "/manage/upload?type=testimony")
    headers = {
        "Cookie": cookie, "X-CSRFToken": token, "X-Filename": "plain.wav",
        "Content-Type": "application/octet-stream", "Accept": "application/json",
        "Content-Length": str(path.stat().st_size),
    }  # fmt: skip
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    with path.open("rb") as source:
        while piece := source.read(1 << 20):
            conn.send(piece)
    status = conn.getresponse()
    status.read()
    return status.status, time.perf_counter() - started


def tus_upload(base: str, path: Path, cookie: str, token: str, chunk: int) -> tuple[str, float]:
    from tusclient import client

    tus = client.TusClient(base + "/manage/tus/", headers={"Cookie": cookie, "X-CSRFToken": token})
    started = time.perf_counter()
    uploader = tus.uploader(
        str(path), chunk_size=chunk, metadata={"filename": "tus.wav", "type": "testimony"}
    )
    uploader.upload()
    return uploader.url, time.perf_counter() - started


def web_processes(root: int) -> list[int]:
    """The gunicorn processes (master and workers) under the supervisor ``root``."""
    found = []
    for pid in _tree(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"gunicorn" in command:
            found.append(pid)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0)
    parser.add_argument("--chunk-mib", type=int, default=64)
    args = parser.parse_args()
    size = int(args.gib * GiB)
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="bench-tus-", dir="/tmp") as tmp:
        recording = Path(tmp) / "recording.wav"
        with recording.open("wb") as out:
            for piece in wav_stream(size):
                out.write(piece)
        password = "benchmark password"
        env = dict(os.environ, ARCHIVE_INSTANCE=str(Path(tmp) / "instance"))
        env["ARCHIVE_ADMIN_PASSWORD"] = password
        subprocess.run([bin_dir / "archive", "init"], env=env, check=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen(
            [bin_dir / "archive", "serve", "--no-worker", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            cookie, token = login(base, password)
            before = max(_peak_rss_kib(pid) for pid in web_processes(server.pid))
            status, plain_seconds = plain_post(port, recording, cookie, token)
            with recording.open("r+b") as changed:  # other bytes, or it is the same file
                changed.seek(-1, os.SEEK_END)
                changed.write(b"\x01")
            url, tus_seconds = tus_upload(base, recording, cookie, token, args.chunk_mib << 20)
            head = urllib.request.Request(
                url, method="HEAD", headers={"Cookie": cookie, "Tus-Resumable": "1.0.0"}
            )
            item = urllib.request.urlopen(head).headers.get("X-Archive-Item")
            peaks = {pid: _peak_rss_kib(pid) for pid in web_processes(server.pid)}
            supervisor = _peak_rss_kib(server.pid)
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(60)
    mib = size / (1024 * 1024)
    print(f"Upload of {args.gib:g} GiB through `archive serve` (gunicorn, no worker)")
    print(f"  plain POST /manage/upload    HTTP {status}, {plain_seconds:.1f} s,"
          f" {mib / plain_seconds:.0f} MiB/s")  # fmt: skip
    print(f"  tus, tuspy, {args.chunk_mib} MiB chunks   item {item}, {tus_seconds:.1f} s,"
          f" {mib / tus_seconds:.0f} MiB/s")  # fmt: skip
    print(f"  peak RSS before uploads      {before / 1024:.1f} MB")
    print(
        f"  peak RSS of web processes    {max(peaks.values()) / 1024:.1f} MB (goal < 150 MB),"
        f" {len(peaks)} gunicorn processes"
    )
    print(f"  (the `archive serve` supervisor itself: {supervisor / 1024:.1f} MB)")


if __name__ == "__main__":
    main()
