"""``archive serve`` trusts X-Forwarded-* exactly as ``[SERVER] PROXIES`` says: gunicorn itself
trusts no address (its own default trusted 127.0.0.1, whatever the setting), and the app's
ProxyFix reads the headers only when PROXIES > 0."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from archive.cli.supervisor import commands
from tests.test_cli import archive, free_port


def test_gunicorn_is_told_to_trust_no_forwarding_address():
    for proxies in (0, 1, 2):
        web = commands("127.0.0.1", 5000, {"WORKERS": 1, "THREADS": 1, "PROXIES": proxies})["web"]
        at = web.index("--forwarded-allow-ips")
        assert web[at + 1] == ""


@contextlib.contextmanager
def serving(env, tmp_path, proxies: int):
    """``archive serve`` on a free loopback port with ``[SERVER] PROXIES = proxies``."""
    config = tmp_path / f"proxies-{proxies}.toml"
    config.write_text(f"[SERVER]\nWORKERS = 1\nTHREADS = 2\nPROXIES = {proxies}\n")
    port = free_port()
    log_path = tmp_path / f"serve-{proxies}.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "archive", "serve", "--port", str(port)],
            env={**env, "ARCHIVE_CONFIG": str(config)},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"{base}/login", timeout=2).read()
                    break
                time.sleep(0.3)
            else:
                raise AssertionError(log_path.read_text())
            yield base
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(30)


def session_cookie(base: str) -> str:
    """The Set-Cookie of the login page asked as if a proxy had seen https."""
    asked = urllib.request.Request(f"{base}/login", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(asked, timeout=10) as response:
        found = [c for c in response.headers.get_all("Set-Cookie") or [] if "session=" in c]
    assert found, "the login page sets no session cookie"
    return found[0]


@pytest.mark.slow  # starts `archive serve` twice
def test_x_forwarded_proto_counts_only_behind_a_proxy(tmp_path):
    env = dict(os.environ, ARCHIVE_INSTANCE=str(tmp_path / "instance"))
    env.pop("ARCHIVE_ADMIN_PASSWORD", None)
    assert archive(env, "init").returncode == 0
    with serving(env, tmp_path, proxies=0) as base:
        # Nothing in front: a client on 127.0.0.1 cannot make the archive believe in https.
        assert "secure" not in session_cookie(base).lower()
    with serving(env, tmp_path, proxies=1) as base:
        assert "; secure" in session_cookie(base).lower()
