"""Uploads that resume: the tus 1.0 endpoint at /manage/tus/, driven by a real tus client
(tuspy) against a real server, plus the protocol's refusals, one by one."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from archive import locks
from archive.db import db
from archive.holdings import resumable
from archive.models import Item, MediaFile
from tests.api_world import bearer, token
from tests.test_upload import make_tone

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}

# A tus client in a process of its own: creates (or resumes, given a URL) and stops at a byte.
CLIENT = """
import json, sys
from tusclient import client
url, secret, path, resume, stop_at = sys.argv[1:6]
tus = client.TusClient(url, headers={"Authorization": "Bearer " + secret})
uploader = tus.uploader(
    path, url=resume or None, chunk_size=64 * 1024, upload_checksum=True,
    metadata={"filename": "شهادة أسير.wav", "type": "testimony"},
)
uploader.upload(stop_at=int(stop_at) if stop_at else None)
print(json.dumps({"url": uploader.url, "offset": uploader.offset}))
"""


@pytest.fixture
def live(app):
    """The app behind a real HTTP server on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def archivist(app):
    return bearer(token(app, "archivist", "read-write")) | TUS


def run_client(base: str, secret: str, path, resume: str = "", stop_at: int | None = None):
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, f"{base}/manage/tus/", secret, str(path), resume,
         str(stop_at or "")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(client, headers, length: int, **meta: str):
    return client.post(
        "/manage/tus/",
        headers=headers | {"Upload-Length": str(length), "Upload-Metadata": metadata(**meta)},
    )


def items_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Item))


def test_options_advertise_the_protocol(client):
    answer = client.options("/manage/tus/")
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0"
    assert set(answer.headers["Tus-Extension"].split(",")) == {
        "creation", "creation-with-upload", "termination", "expiration", "checksum"
    }  # fmt: skip
    assert answer.headers["Tus-Checksum-Algorithm"] == "sha1,sha256,md5"
    assert int(answer.headers["Tus-Max-Size"]) == 4 * 1024**3


def test_an_upload_cut_half_way_resumes_from_a_new_process(app, live, tmp_path):
    tone = make_tone(tmp_path / "tone.wav", seconds=4)
    size = tone.stat().st_size
    secret = token(app, "archivist", "read-write")
    half = (size // 2) // (64 * 1024) * (64 * 1024)

    first = run_client(live, secret, tone, stop_at=half)
    assert first["offset"] == half < size
    assert items_count(app) == 0

    second = run_client(live, secret, tone, resume=first["url"])
    assert second["url"] == first["url"] and second["offset"] == size

    with app.app_context():
        originals = db.session.scalars(select(MediaFile).where(MediaFile.role == "original"))
        (original,) = originals.all()
        assert original.sha256 == hashlib.sha256(tone.read_bytes()).hexdigest()
        assert original.size == size
        assert original.recording.original_filename == "شهادة أسير.wav"  # stored as given
        identifier = original.recording.item.identifier
    assert items_count(app) == 1

    # The status URL names the item; the bytes are gone from the uploads folder.
    upload_id = first["url"].rsplit("/", 1)[1]
    with app.test_client() as client:
        headers = bearer(secret) | TUS
        head = client.head(f"/manage/tus/{upload_id}", headers=headers)
        assert head.headers["Upload-Offset"] == str(size)
        assert head.headers["X-Archive-Item"] == identifier
        status = client.get(head.headers["X-Archive-Status"], headers=headers).get_json()
        assert status["state"] == "ingested" and status["item"] == head.headers["X-Archive-Item"]
    with app.app_context():
        assert not list(resumable.folder().glob("*.part"))

    # The same bytes again: received, then refused by ingest naming the item that holds them.
    again = run_client(live, secret, tone)
    with app.test_client() as client:
        headers = bearer(secret) | TUS
        head = client.head(again["url"], headers=headers)
        assert "X-Archive-Item" not in head.headers
        assert "already in the archive" in unquote(head.headers["X-Archive-Error"])
        status = client.get(head.headers["X-Archive-Status"], headers=headers).get_json()
        assert status["state"] == "refused" and status["item"] == identifier
    assert items_count(app) == 1


def test_a_file_that_is_not_media_is_refused_with_the_reason(app, client, archivist):
    body = "ملاحظات المقابلة، ليست تسجيلاً".encode() * 100
    location = create(client, archivist, len(body), filename="notes.mp3").headers["Location"]
    answer = client.patch(location, data=body, headers=archivist | OCTETS | {"Upload-Offset": "0"})
    assert answer.status_code == 204
    assert "not an audio or video file" in unquote(answer.headers["X-Archive-Error"])
    assert items_count(app) == 0
    with app.app_context():
        assert not list(resumable.folder().glob("*.part"))


def test_one_patch_brings_the_whole_file(app, client, archivist, tmp_path):
    tone = make_tone(tmp_path / "tone.wav", seconds=2)
    body = tone.read_bytes()
    created = create(client, archivist, len(body), filename="tone.wav", type="poem")
    assert created.status_code == 201
    assert "Upload-Expires" in created.headers
    answer = client.patch(
        created.headers["Location"],
        data=body,
        headers=archivist | OCTETS | {"Upload-Offset": "0"},
    )
    assert answer.status_code == 204, answer.get_data(as_text=True)
    assert answer.headers["Upload-Offset"] == str(len(body))
    with app.app_context():
        item = db.session.scalar(select(Item))
        assert item.identifier == answer.headers["X-Archive-Item"]
        assert item.type == "poem"
        assert item.recordings[0].files[0].sha256 == hashlib.sha256(body).hexdigest()


def test_creation_with_upload(app, client, archivist, tmp_path):
    body = make_tone(tmp_path / "tone.wav", seconds=2).read_bytes()
    answer = client.post(
        "/manage/tus/",
        data=body[:1000],
        headers=archivist | OCTETS | {"Upload-Length": str(len(body))},
    )
    assert answer.status_code == 201
    assert answer.headers["Upload-Offset"] == "1000"
    rest = client.patch(
        answer.headers["Location"],
        data=body[1000:],
        headers=archivist | OCTETS | {"Upload-Offset": "1000"},
    )
    assert rest.status_code == 204 and rest.headers["X-Archive-Item"]


def test_a_forged_offset_is_refused(client, archivist):
    location = create(client, archivist, 100).headers["Location"]
    first = client.patch(
        location, data=b"a" * 10, headers=archivist | OCTETS | {"Upload-Offset": "0"}
    )
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "10"
    for forged in ("0", "5", "11", "99"):
        answer = client.patch(
            location, data=b"b" * 5, headers=archivist | OCTETS | {"Upload-Offset": forged}
        )
        assert answer.status_code == 409
    assert client.head(location, headers=archivist).headers["Upload-Offset"] == "10"


def test_a_chunk_past_the_declared_length_is_refused(live, client, archivist):
    location = create(client, archivist, 100).headers["Location"]
    answer = client.patch(
        location, data=b"a" * 101, headers=archivist | OCTETS | {"Upload-Offset": "0"}
    )
    assert answer.status_code == 413
    assert client.head(location, headers=archivist).headers["Upload-Offset"] == "0"

    # A chunked body (no Content-Length) that runs past the end: nothing of it is kept.
    connection = http.client.HTTPConnection(urlsplit(live).netloc, timeout=30)
    connection.request(
        "PATCH",
        location,
        body=(b"x" * 10 for _ in range(20)),
        headers=archivist | OCTETS | {"Upload-Offset": "0"},
        encode_chunked=True,
    )
    assert connection.getresponse().status == 413
    connection.close()
    assert client.head(location, headers=archivist).headers["Upload-Offset"] == "0"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "md5"])
def test_a_checksum_mismatch_is_refused_and_the_chunk_dropped(client, archivist, algorithm):
    location = create(client, archivist, 100).headers["Location"]
    chunk = b"c" * 40

    def checksum(data: bytes) -> str:
        digest = hashlib.new(algorithm, data).digest()
        return f"{algorithm} {base64.b64encode(digest).decode()}"

    wrong = client.patch(
        location,
        data=chunk,
        headers=archivist | OCTETS | {"Upload-Offset": "0", "Upload-Checksum": checksum(b"x")},
    )
    assert wrong.status_code == 460
    assert client.head(location, headers=archivist).headers["Upload-Offset"] == "0"
    right = client.patch(
        location,
        data=chunk,
        headers=archivist | OCTETS | {"Upload-Offset": "0", "Upload-Checksum": checksum(chunk)},
    )
    assert right.status_code == 204 and right.headers["Upload-Offset"] == "40"
    unknown = client.patch(
        location,
        data=chunk,
        headers=archivist | OCTETS | {"Upload-Offset": "40", "Upload-Checksum": "crc32 AAAA"},
    )
    assert unknown.status_code == 400


def test_too_large_is_refused_before_anything_is_written(app, client, archivist):
    app.config["MEDIA"]["MAX_UPLOAD_BYTES"] = 1000
    answer = create(client, archivist, 1001)
    assert answer.status_code == 413
    with app.app_context():
        assert not list(resumable.folder().glob("*")) if resumable.folder().exists() else True
    assert create(client, archivist, 1000).status_code == 201


def test_more_than_the_free_disk_is_refused(app, client, archivist):
    app.config["MEDIA"]["MAX_UPLOAD_BYTES"] = 2**62
    answer = create(client, archivist, 2**61)
    assert answer.status_code == 507
    assert "قرص" in answer.get_data(as_text=True)  # "disk", in the interface language


def test_protocol_errors(client, archivist):
    location = create(client, archivist, 10).headers["Location"]
    assert client.head(location, headers=archivist | {"Tus-Resumable": "0.2.2"}).status_code == 412
    wrong_type = client.patch(
        location,
        data=b"x",
        headers=archivist | {"Upload-Offset": "0", "Content-Type": "text/plain"},
    )
    assert wrong_type.status_code == 415
    assert client.head("/manage/tus/" + "0" * 32, headers=archivist).status_code == 404
    assert client.head("/manage/tus/../../etc", headers=archivist).status_code == 404
    no_length = client.post("/manage/tus/", headers=archivist)
    assert no_length.status_code == 400
    bad_meta = create(client, archivist, 10, type="not-a-type")
    assert bad_meta.status_code == 400 and "not-a-type" in bad_meta.get_data(as_text=True)
    no_item = create(client, archivist, 10, item="NO-SUCH-ITEM")
    assert no_item.status_code == 400


def test_only_staff_may_upload(app, client, auth, archivist):
    assert create(client, TUS, 10).status_code == 401
    reader = bearer(token(app, "archivist", "read")) | TUS
    assert create(client, reader, 10).status_code == 403
    researcher = bearer(token(app, "researcher", "read")) | TUS
    assert create(client, researcher, 10).status_code == 403
    assert create(client, bearer("pma_forged") | TUS, 10).status_code == 403

    auth.login("researcher@example.org")
    assert create(client, TUS, 10).status_code == 403
    auth.logout()

    # An archivist's session: the page's CSRF token is needed, as for the upload form.
    auth.login("archivist@example.org")
    assert create(client, TUS, 10).status_code == 403
    csrf = auth.csrf("/manage/upload")
    created = create(client, TUS | {"X-CSRFToken": csrf}, 10)
    assert created.status_code == 201
    # Another staff member's upload is not there for this one.
    assert client.head(created.headers["Location"], headers=TUS).status_code == 200
    admin = bearer(token(app, "admin", "read-write")) | TUS
    assert client.head(created.headers["Location"], headers=admin).status_code == 404


def test_termination(app, client, archivist):
    location = create(client, archivist, 100).headers["Location"]
    client.patch(location, data=b"a" * 10, headers=archivist | OCTETS | {"Upload-Offset": "0"})
    assert client.delete(location, headers=archivist).status_code == 204
    assert client.head(location, headers=archivist).status_code == 404
    with app.app_context():
        assert list(resumable.folder().iterdir()) == []


def test_unfinished_uploads_expire(app, client, archivist):
    location = create(client, archivist, 100).headers["Location"]
    client.patch(location, data=b"a" * 10, headers=archivist | OCTETS | {"Upload-Offset": "0"})
    with app.app_context():
        assert resumable.expire() == 0  # not yet
        assert resumable.expire(now=time.time() + 73 * 3600) == 1
        assert list(resumable.folder().iterdir()) == []
        if locks.backend() == "file":  # and no lock file is left behind
            assert not list((Path(app.instance_path) / "locks").glob("upload-*"))
    assert client.head(location, headers=archivist).status_code == 404

    app.config["MEDIA"]["UPLOAD_EXPIRES_HOURS"] = 0  # expired as soon as made
    location = create(client, archivist, 100).headers["Location"]
    assert client.head(location, headers=archivist).status_code == 410
    answer = client.patch(location, data=b"a", headers=archivist | OCTETS | {"Upload-Offset": "0"})
    assert answer.status_code == 404  # removed when found expired
    with app.app_context():
        assert list(resumable.folder().iterdir()) == []


def test_the_expiry_is_a_worker_task(app):
    from archive.holdings.queue import PERIODIC

    assert PERIODIC["expire_uploads"][0] is resumable.expire_uploads
