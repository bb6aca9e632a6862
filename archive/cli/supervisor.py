"""``archive serve``: the web server and the worker as child processes of one supervisor.

Huey's consumer installs signal handlers, so it cannot live in a thread of the
web process; gunicorn's workers each would start one.  The supervisor passes
Ctrl-C / SIGTERM on to both children and stops the other when one dies.
``archive serve --no-worker`` starts the web server alone, for web hosts whose jobs
run in ``archive worker`` elsewhere (sharing the queue of ``[QUEUE] URL``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def commands(host: str, port: int, server: dict, worker: bool = True) -> dict[str, list[str]]:
    """The command lines of the web server (gunicorn) and, unless ``worker`` is false (a web
    host whose jobs run on other hosts), of the worker."""
    python = sys.executable
    children = {
        "web": [
            python, "-m", "gunicorn",
            "--bind", f"{host}:{port}",
            "--workers", str(server["WORKERS"]),
            "--worker-class", "gthread",
            "--threads", str(server["THREADS"]),
            "--timeout", "120",
            "--graceful-timeout", "10",
            "--access-logfile", "-",
            # gunicorn itself trusts no X-Forwarded-* header, from any address (its default
            # trusts 127.0.0.1): the app's ProxyFix, counting [SERVER] PROXIES, is the one
            # place that reads them, and with PROXIES = 0 nothing does.
            "--forwarded-allow-ips", "",
            "archive.wsgi:app",
        ],
    }  # fmt: skip
    if worker:
        children["worker"] = [python, "-m", "archive", "worker"]
    return children


def serve(host: str, port: int, server: dict, worker: bool = True) -> int:
    """Run the children until a signal or until one of them exits; return an exit code."""
    children = {
        name: subprocess.Popen(cmd) for name, cmd in commands(host, port, server, worker).items()
    }
    jobs = "" if worker else "; its jobs run in `archive worker`, here or on another host"
    print(f"Serving the archive at http://{host}:{port}/ (Ctrl-C stops it){jobs}", flush=True)
    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)

    previous = {
        sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        while not stopping and all(child.poll() is None for child in children.values()):
            time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all(children)
    if stopping:
        return 0
    dead = [name for name, child in children.items() if child.returncode not in (0, None)]
    print(
        f"archive serve: {', '.join(dead) or 'a child'} exited; stopped the rest.", file=sys.stderr
    )
    return 1


def _stop_all(children: dict[str, subprocess.Popen], grace: float = 15.0) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children.values():
        remaining = max(0.1, deadline - time.monotonic())
        try:
            child.wait(remaining)
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
