"""Peak memory of the web process while a 1 GiB upload streams in.

Starts the web server exactly as ``archive serve`` does (gunicorn, gthread), logs
in as an archivist, streams a generated 1 GiB WAV as the upload page does (a raw
request body), and reads the peak RSS (VmHWM) of every web process from /proc.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import math
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

GiB = 1024**3


def wav_stream(total_bytes: int, chunk: int = 1 << 20):
    """A valid 16-bit stereo 44.1 kHz WAV of ``total_bytes``, generated chunk by chunk."""
    data_size = total_bytes - 44
    header = b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 2, 44100, 44100 * 4, 4, 16)
    header += b"data" + struct.pack("<I", data_size)
    yield header
    period = bytes(
        b
        for i in range(441)
        for b in struct.pack("<hh", *(2 * [int(8000 * math.sin(2 * math.pi * i / 441))]))
    )
    block = period * (chunk // len(period))
    sent = 0
    while sent < data_size:
        piece = block[: data_size - sent]
        sent += len(piece)
        yield piece


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    pids = [pid]
    for child in children.split():
        pids.extend(_tree(int(child)))
    return pids


def _peak_rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) if match else 0


def bench_upload_rss(size: int = GiB) -> dict:
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        env = dict(os.environ, ARCHIVE_INSTANCE=str(Path(tmp) / "instance"))
        env["ARCHIVE_ADMIN_PASSWORD"] = "benchmark password"
        subprocess.run([bin_dir / "archive", "init"], env=env, check=True, capture_output=True)
        port = _free_port()
        from archive.cli.supervisor import commands

        web = commands("127.0.0.1", port, {"WORKERS": 2, "THREADS": 8})["web"]
        web = [arg for arg in web if arg != "--access-logfile" and arg != "-"]
        server = subprocess.Popen(web, env=env, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            for _ in range(100):
                try:
                    page = opener.open(base + "/login").read().decode()
                    break
                except OSError:
                    time.sleep(0.2)
            token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            form = urllib.parse.urlencode(
                {"email": "admin@localhost", "password": "benchmark password", "csrf_token": token}
            ).encode()
            opener.open(base + "/login", data=form)
            page = opener.open(base + "/manage/upload").read().decode()
            token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            before = max(_peak_rss_kib(pid) for pid in _tree(server.pid))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            started = time.perf_counter()
            conn.putrequest("POST", "/manage/upload?type=testimony")
            for name, value in {
                "Cookie": cookie,
                "X-CSRFToken": token,
                "X-Filename": "benchmark.wav",
                "Content-Type": "application/octet-stream",
                "Accept": "application/json",
                "Content-Length": str(size),
            }.items():
                conn.putheader(name, value)
            conn.endheaders()
            for piece in wav_stream(size):
                conn.send(piece)
            response = conn.getresponse()
            body = response.read().decode()
            elapsed = time.perf_counter() - started
            peaks = {pid: _peak_rss_kib(pid) for pid in _tree(server.pid)}
        finally:
            server.terminate()
            server.wait(30)
    return {
        "status": response.status,
        "response": body[:200],
        "seconds": elapsed,
        "peak_rss_mb_before": before / 1024,
        "peak_rss_mb": max(peaks.values()) / 1024,
        "processes": len(peaks),
    }


def report_upload_rss(size: int = GiB) -> None:
    result = bench_upload_rss(size)
    print(
        f"\nUpload of {size / GiB:.2f} GiB through the web process (gunicorn, as `archive serve`)"
    )
    print(f"  HTTP status                {result['status']}  {result['response'][:80]}")
    print(f"  wall time                  {result['seconds']:.1f} s")
    print(f"  peak RSS before upload     {result['peak_rss_mb_before']:.1f} MB")
    print(f"  peak RSS of web processes  {result['peak_rss_mb']:.1f} MB (goal < 150 MB)")


if __name__ == "__main__":
    report_upload_rss()
