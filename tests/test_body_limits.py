"""Request bodies are limited before they are read: ``[SERVER] MAX_FORM_BYTES`` for every
route and every visitor; staff uploads and the CSV import up to ``[MEDIA] MAX_UPLOAD_BYTES``."""

from __future__ import annotations

import io
import socket
import threading
import time

import pytest
from werkzeug.serving import make_server

from archive.catalogue import items
from archive.db import db
from tests.test_upload import make_tone, upload

MiB = 1024 * 1024


@pytest.fixture
def live(app):
    """The app on a real HTTP server on a loopback port: (host, port)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.host, server.port
    server.shutdown()
    thread.join(10)


def send(address, head: bytes, body: bytes = b"", *, chunks=()) -> tuple[bytes, float]:
    """Send a request's head and part of its body on a raw socket, then read the answer
    without sending more; return its status line and the seconds it took."""
    with socket.create_connection(address, timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(head + b"\r\n" + body)
        for chunk in chunks:
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = b""
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
        return answer.split(b"\r\n", 1)[0], time.monotonic() - started


def multipart_head(path: str, length: int, host: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {length}\r\n"
    ).encode()


def test_a_huge_anonymous_post_is_refused_before_it_is_read(live):
    """64 MiB announced, 100 bytes sent: the answer comes at once, so nothing waited for the
    rest (before, the server read and spooled the whole body, then refused the login)."""
    host = "{}:{}".format(*live)
    part = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
    for path in ("/login", "/register", "/manage/upload", "/manage/import", "/search"):
        status, seconds = send(live, multipart_head(path, 64 * MiB, host), part + b"x" * 30)
        assert status == b"HTTP/1.1 413 REQUEST ENTITY TOO LARGE", (path, status)
        assert seconds < 5, (path, seconds)


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=xyz",
                                          "application/x-www-form-urlencoded"])  # fmt: skip
def test_a_chunked_body_is_cut_off_at_the_limit(live, content_type):
    """No length announced: the server stops reading at the limit and answers before the body
    ends (it never ends here). A multipart form gets 413; a urlencoded one is cut at the limit
    by werkzeug without an error, so it arrives incomplete and is refused (400, no CSRF token)."""
    host = "{}:{}".format(*live)
    head = (
        f"POST /login HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
        f"Content-Type: {content_type}\r\n"
    ).encode()
    start = b'--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\n'
    if content_type.startswith("application"):
        start = b"email="
    chunks = [start] + [b"a" * (256 * 1024)] * 5  # 1.25 MiB, and no last chunk
    status, seconds = send(live, head, chunks=chunks)
    expected = b"413 REQUEST ENTITY TOO LARGE" if b"--" in start else b"400 BAD REQUEST"
    assert status == b"HTTP/1.1 " + expected
    assert seconds < 5


def test_the_limit_is_a_setting(app, client):
    app.config["SERVER"]["MAX_FORM_BYTES"] = 2048
    form = {"email": "someone@example.org", "password": "x" * 1000}
    assert client.post("/login", data=form).status_code != 413
    form["password"] = "x" * 3000
    assert client.post("/login", data=form).status_code == 413


def test_staff_uploads_and_imports_may_be_large_others_not(app, client, auth, tmp_path):
    app.config["SERVER"]["MAX_FORM_BYTES"] = 64 * 1024
    tone = make_tone(tmp_path / "tone.wav", seconds=2)  # ~350 kB: over the form limit
    assert tone.stat().st_size > 64 * 1024

    auth.login("researcher@example.org")  # not staff: the small limit, even on upload routes
    answer = upload(client, auth.csrf("/"), tone)
    assert answer.status_code == 413
    auth.logout()

    auth.login()
    answer = upload(client, auth.csrf("/manage/upload"), tone)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    big_text = "ع" * 40_000  # 80 kB of UTF-8
    csv = f"identifier,type,title,description\r\nBL-1,poem,قصيدة,{big_text}\r\n".encode()
    answer = client.post(
        "/manage/import",
        data={"csrf_token": auth.csrf("/manage/import"), "file": (io.BytesIO(csv), "items.csv")},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[-2000:]
    with app.app_context():
        assert items.find_item("BL-1").description == big_text
        db.session.remove()
    # Any other staff form keeps the small limit.
    answer = client.post(
        "/manage/items/new",
        data={"csrf_token": auth.csrf("/manage/items/new"), "title": big_text, "type": "poem"},
    )
    assert answer.status_code == 413
