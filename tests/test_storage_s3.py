"""Media on S3-compatible object storage, against a real SeaweedFS (tests/s3.py): the store's
contract (the local folder meets the same one), and the archive on a bucket: ingest, transcode,
the media route's presigned redirect, fixity, backup and restore, derivatives, withdrawal and
deletion, bags."""

from __future__ import annotations

import hashlib
import time
import urllib.error
import urllib.request
from pathlib import Path

import bagit
import pytest
from sqlalchemy import select

from archive import create_app
from archive.catalogue import items, withdrawal
from archive.cli.instance import fixity as fixity_command
from archive.cli.instance import init as init_command
from archive.cli.lifecycle import derivatives as derivatives_command
from archive.cli.preservation import bag as bag_command
from archive.cli.preservation import unbag as unbag_command
from archive.db import db
from archive.errors import ArchiveError
from archive.holdings import backup, fixity, storage
from archive.holdings.ingest import ingest
from archive.models import Item, Job, MediaFile, Recording
from media.errors import MediaError
from media.objects import LocalStore, StorageError, open_store, original_relpath
from tests.conftest import ON_POSTGRESQL, app_config
from tests.s3 import free_ports
from tests.test_upload import make_tone, make_video, upload

SIGNED = "X-Amz-Signature"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# The store's contract, on the local folder and on a bucket alike.


class Tamper:
    """Changes a stored file behind the store's back, as bit rot or a stray tool would."""

    def __init__(self, store, server=None):
        self.store, self.server = store, server

    def write(self, relpath: str, data: bytes) -> None:
        if isinstance(self.store, LocalStore):
            path = self.store.path(relpath)
            path.chmod(0o644)
            path.write_bytes(data)
        else:
            key = self.store.key(relpath)
            self.server.client().put_object(Bucket=self.store.bucket, Key=key, Body=data)


@pytest.fixture(params=["local", "s3"])
def store_and_tamper(request, tmp_path):
    if request.param == "local":
        store = LocalStore(tmp_path / "media")
        yield store, Tamper(store)
        return
    server = request.getfixturevalue("s3_server")
    store = open_store(
        f"s3://{server.new_bucket()}/media",
        endpoint_url=server.endpoint_url,
        access_key=server.access_key,
        secret_key=server.secret_key,
        scratch=tmp_path / "scratch",
    )
    yield store, Tamper(store, server)
    store.close()


@pytest.fixture
def any_store(store_and_tamper):
    return store_and_tamper[0]


def test_an_original_is_kept_under_its_checksum_read_back_and_written_once(any_store, tmp_path):
    data = b"a recording's bytes " * 50_000
    source = tmp_path / "original.wav"
    source.write_bytes(data)
    relpath = original_relpath(sha256(data))
    any_store.put_original(source, relpath, sha256(data))
    assert any_store.exists(relpath) and any_store.size(relpath) == len(data)
    assert any_store.sha256(relpath) == sha256(data)
    with any_store.open(relpath) as stream:
        assert stream.read() == data
    assert list(any_store.relpaths("originals/")) == [relpath]
    any_store.put_original(source, relpath, sha256(data))  # again: left as it is
    assert list(any_store.relpaths("")) == [relpath]
    with any_store.local_copy(relpath) as path:
        assert path.read_bytes() == data
    assert path.exists() == isinstance(any_store, LocalStore)  # a download is removed
    any_store.download(relpath, tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == data


def test_a_file_that_does_not_hash_to_its_checksum_is_refused_and_nothing_kept(any_store, tmp_path):
    source = tmp_path / "changed.wav"
    source.write_bytes(b"the bytes as they arrived, then changed")
    claimed = sha256(b"the bytes as they were received")
    with pytest.raises(MediaError, match="does not match the checksum"):
        any_store.put_original(source, original_relpath(claimed), claimed)
    assert list(any_store.relpaths("")) == []
    with pytest.raises(MediaError, match="named by its SHA-256"):
        any_store.put_original(source, "originals/elsewhere", claimed)


def test_a_damaged_original_is_found_and_replaced_by_an_intact_copy(store_and_tamper, tmp_path):
    store, tamper = store_and_tamper
    data = b"whole" * 1000
    source = tmp_path / "o.wav"
    source.write_bytes(data)
    relpath = original_relpath(sha256(data))
    store.put_original(source, relpath, sha256(data))
    tamper.write(relpath, b"bit rot" + data[7:])
    assert store.sha256(relpath) != sha256(data)
    store.put_original(source, relpath, sha256(data))
    assert store.sha256(relpath) == sha256(data)


def test_files_are_replaced_and_deleted_and_a_missing_one_says_so(any_store, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_bytes(b"[1, 2]")
    second.write_bytes(b"[3, 4, 5]")
    any_store.put_file("derivatives/7/peaks.json", first, mimetype="application/json")
    any_store.put_file("derivatives/7/peaks.json", second, mimetype="application/json")
    assert any_store.sha256("derivatives/7/peaks.json") == sha256(b"[3, 4, 5]")
    assert list(any_store.relpaths("derivatives/")) == ["derivatives/7/peaks.json"]
    any_store.delete("derivatives/7/peaks.json")
    any_store.delete("derivatives/7/peaks.json")  # gone already: nothing to do
    assert not any_store.exists("derivatives/7/peaks.json")
    for read in (any_store.size, any_store.sha256, any_store.open):
        with pytest.raises(FileNotFoundError):
            read("derivatives/7/peaks.json")
    with pytest.raises(FileNotFoundError), any_store.local_copy("derivatives/7/peaks.json"):
        pass
    with pytest.raises(FileNotFoundError):
        any_store.download("derivatives/7/peaks.json", tmp_path / "x")


@pytest.mark.parametrize("relpath", ["../outside", "/etc/passwd", "derivatives/../../up", ""])
def test_a_path_that_leaves_the_store_is_refused(any_store, relpath):
    with pytest.raises(MediaError, match="leaves the store"):
        any_store.exists(relpath)


def refusal(url: str) -> int:
    """The HTTP status of a GET of ``url`` that fails."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url)
    refused.value.close()
    return refused.value.code


def test_a_presigned_url_serves_ranges_for_its_lifetime_only(any_store, tmp_path):
    if isinstance(any_store, LocalStore):
        assert any_store.presigned_url("a.m4a", lifetime=60) is None  # the web server sends
        return
    store = any_store
    data = bytes(range(256)) * 400
    (tmp_path / "a.m4a").write_bytes(data)
    store.put_file("derivatives/1/access.m4a", tmp_path / "a.m4a", mimetype="audio/mp4")
    url = store.presigned_url(
        "derivatives/1/access.m4a", lifetime=2, mimetype="audio/mp4", download_name="شهادة.m4a"
    )
    with urllib.request.urlopen(
        urllib.request.Request(url, headers={"Range": "bytes=100-199"})
    ) as r:
        assert r.status == 206 and r.read() == data[100:200]
        assert r.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        assert r.headers["Content-Type"] == "audio/mp4"
    forged = url.replace("access.m4a", "poster.jpg")  # the signature names one object
    assert refusal(forged) == 403
    time.sleep(3)
    assert refusal(url) == 403  # expired


def test_a_bucket_that_refuses_or_does_not_answer_is_a_storage_error(s3_server):
    wrong = open_store(
        f"s3://{s3_server.new_bucket()}",
        endpoint_url=s3_server.endpoint_url,
        access_key=s3_server.access_key,
        secret_key="not the secret",
    )
    with pytest.raises(StorageError, match="refused"):
        wrong.exists("originals/x")
    wrong.close()
    (port,) = free_ports(1)
    absent = open_store("s3://nobody", endpoint_url=f"http://127.0.0.1:{port}")
    with pytest.raises(StorageError, match="did not answer"):
        absent.exists("originals/x")


# The archive with its media in a bucket.


@pytest.fixture
def bucket(s3_server):
    return s3_server.new_bucket()


@pytest.fixture
def on_s3(app, s3_server, bucket):
    """``app`` keeping its media in a fresh bucket, under the prefix ``media/``."""
    app.config["STORAGE"].update(s3_server.settings(bucket))
    yield app
    close_stores(app)


def close_stores(app) -> None:
    """Close the connections of ``app``'s stores (else a socket is left to the collector)."""
    for store in app.extensions.get("archive_stores", {}).values():
        store.close()


def objects(server, bucket) -> dict[str, bytes]:
    """Every object in ``bucket`` under ``media/``, by relpath."""
    client = server.client()
    listed = client.list_objects_v2(Bucket=bucket, Prefix="media/").get("Contents", [])
    return {
        o["Key"].removeprefix("media/"): client.get_object(Bucket=bucket, Key=o["Key"])[
            "Body"
        ].read()
        for o in listed
    }


def local_files(app) -> list[str]:
    """The media files on this machine (lock files left out: they are no media)."""
    root = Path(app.config["MEDIA"]["ROOT"])
    found = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return sorted(relpath for relpath in found if not relpath.startswith(".locks/"))


def publish_upload(app, client, auth, path: Path, access: str = "public") -> dict:
    """Upload as the archivist through the web, describe, publish; log out."""
    auth.login("archivist@example.org")
    response = upload(client, auth.csrf("/manage/upload"), path)
    assert response.status_code == 201, response.get_json()
    result = response.get_json()["results"][0]
    with app.app_context():
        item = items.find_item(result["item"])
        items.describe(item, {"title": "شهادة من سجن النقب", "access": access}, user=None)
        items.publish(item, user=None)
        recording = item.recordings[0]
        info = {
            "identifier": item.identifier,
            "recording": recording.id,
            "files": {f.role: (f.relpath, f.sha256) for f in recording.files},
        }
    auth.logout()
    return info


def test_an_upload_keeps_its_original_and_access_copies_in_the_bucket(
    on_s3, client, auth, s3_server, bucket, tmp_path
):
    source = make_tone(tmp_path / "tone.wav", seconds=2)
    made = publish_upload(on_s3, client, auth, source)
    stored = objects(s3_server, bucket)
    original, digest = made["files"]["original"]
    assert original == original_relpath(sha256(source.read_bytes())) == original_relpath(digest)
    assert stored[original] == source.read_bytes()
    assert set(made["files"]) == {"original", "access", "peaks", "small"}
    assert set(stored) == {relpath for relpath, _ in made["files"].values()}
    for relpath, recorded in made["files"].values():
        assert sha256(stored[relpath]) == recorded
    assert local_files(on_s3) == []  # uploads and working copies went; the bucket holds all


def test_a_video_gets_its_poster_in_the_bucket(on_s3, client, auth, s3_server, bucket, tmp_path):
    made = publish_upload(
        on_s3, client, auth, make_video(tmp_path / "clip.mp4", seconds=1, size="320x240")
    )
    assert set(made["files"]) == {"original", "access", "poster", "peaks", "small"}
    poster, _ = made["files"]["poster"]
    assert objects(s3_server, bucket)[poster][:3] == b"\xff\xd8\xff"  # a JPEG


def test_a_file_changed_after_it_was_received_is_refused_and_nothing_is_created(
    on_s3, s3_server, bucket, tmp_path
):
    source = make_tone(tmp_path / "tone.wav", seconds=1)
    with on_s3.app_context():
        received = storage.local(source)
        source.write_bytes(source.read_bytes()[:-100] + b"\0" * 100)  # damaged on the way in
        with pytest.raises(ArchiveError, match="not stored"):
            ingest(received, user=None, identifier="S3-BAD")
        assert db.session.scalar(select(Item).where(Item.identifier == "S3-BAD")) is None
        assert db.session.scalars(select(MediaFile)).all() == []
    assert objects(s3_server, bucket) == {}


def test_media_are_a_presigned_redirect_for_those_allowed_and_nothing_for_others(
    on_s3, client, auth, s3_server, bucket, tmp_path
):
    public = publish_upload(on_s3, client, auth, make_tone(tmp_path / "a.wav", seconds=2))
    staff_only = publish_upload(
        on_s3, client, auth, make_tone(tmp_path / "b.wav", seconds=2, freq=600), access="staff"
    )
    access, _ = public["files"]["access"]
    data = objects(s3_server, bucket)[access]

    response = client.get(f"/media/{public['recording']}/access")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(s3_server.endpoint_url) and SIGNED in location
    assert response.headers["Vary"] == "Cookie" and "private" in response.headers["Cache-Control"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # IIIF viewers elsewhere
    ranged = urllib.request.Request(location, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(ranged) as served:
        assert served.status == 206 and served.read() == data[:100]
        assert served.headers["Content-Type"] == "audio/mp4"

    for url in (
        f"/media/{staff_only['recording']}/access",
        f"/media/{staff_only['recording']}/peaks",
        f"/media/{public['recording']}/original",
        f"/items/{staff_only['identifier']}",
    ):
        refused = client.get(url)
        assert refused.status_code in (403, 404), url
        assert SIGNED not in refused.get_data(as_text=True) + str(refused.headers)
    response = client.get(f"/items/{public['identifier']}")
    page = response.get_data(as_text=True)
    assert f"/media/{public['recording']}/access" in page and SIGNED not in page
    policy = response.headers["Content-Security-Policy"]  # the player may follow the redirect
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    for source in ("media-src", "img-src", "connect-src"):
        assert s3_server.endpoint_url in directives[source].split(), source

    auth.login("archivist@example.org")
    original = client.get(f"/media/{staff_only['recording']}/original")
    assert original.status_code == 302 and SIGNED in original.headers["Location"]
    with urllib.request.urlopen(original.headers["Location"]) as served:
        assert "attachment" in served.headers["Content-Disposition"]
        assert sha256(served.read()) == staff_only["files"]["original"][1]


def test_the_waveform_is_drawn_from_peaks_in_the_bucket(on_s3, client, auth, tmp_path):
    made = publish_upload(on_s3, client, auth, make_tone(tmp_path / "a.wav", seconds=2))
    response = client.get(f"/iiif/items/{made['identifier']}/waveform/{made['recording']}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data


def test_fixity_finds_a_changed_object_and_a_missing_one(
    on_s3, client, auth, s3_server, bucket, tmp_path
):
    first = publish_upload(on_s3, client, auth, make_tone(tmp_path / "a.wav", seconds=1))
    second = publish_upload(on_s3, client, auth, make_tone(tmp_path / "b.wav", freq=600))
    third = publish_upload(on_s3, client, auth, make_tone(tmp_path / "c.wav", freq=800))
    s3 = s3_server.client()
    changed, _ = first["files"]["original"]
    s3.put_object(Bucket=bucket, Key=f"media/{changed}", Body=b"not the recording")
    missing, _ = second["files"]["original"]
    s3.delete_object(Bucket=bucket, Key=f"media/{missing}")
    with on_s3.app_context():
        report = fixity.check_all()
    assert (report.checked, report.ok) == (3, 1)
    assert report.mismatched == [f"{first['identifier']}: {changed}"]
    assert report.missing == [f"{second['identifier']}: {missing}"]
    result = on_s3.test_cli_runner().invoke(fixity_command, [])
    assert result.exit_code == 1 and "1 changed, 1 missing" in result.output
    assert third["files"]["original"][0] not in result.output


def test_backup_then_restore_into_a_fresh_instance_on_another_bucket(
    on_s3, client, auth, s3_server, bucket, tmp_path
):
    if ON_POSTGRESQL:
        pytest.skip("archive backup copies SQLite catalogues (PostgreSQL is backed up by pg_dump)")
    publish_upload(on_s3, client, auth, make_tone(tmp_path / "a.wav", seconds=1))
    publish_upload(on_s3, client, auth, make_video(tmp_path / "v.mp4", seconds=1, size="320x240"))
    before = objects(s3_server, bucket)
    saved = tmp_path / "backup"
    with on_s3.app_context():
        counts = backup.backup(saved)
    assert (
        counts["files"] == len(before) == 9
    )  # 2 originals, access and small copies, peaks; a poster
    assert {p.relative_to(saved / "media").as_posix() for p in (saved / "media").rglob("*")
            if p.is_file()} == set(before)  # fmt: skip

    other_bucket = s3_server.new_bucket()
    fresh = create_app(
        {**app_config(tmp_path / "fresh"), "STORAGE": s3_server.settings(other_bucket)}
    )
    with fresh.app_context():
        restored = backup.restore(saved)
        assert restored == {"items": 2, "files": len(before)}
        rows = {f.relpath: f.sha256 for f in db.session.scalars(select(MediaFile))}
        report = fixity.check_all()
        db.session.remove()
        db.engine.dispose()
    close_stores(fresh)
    after = objects(s3_server, other_bucket)
    assert after == before  # every file, byte for byte, under the same names
    assert {relpath: sha256(data) for relpath, data in after.items()} == rows
    assert (report.checked, report.ok) == (2, 2)


def test_a_backup_of_the_media_folder_restores_into_a_bucket(
    app, client, auth, s3_server, tmp_path
):
    if ON_POSTGRESQL:
        pytest.skip("archive backup copies SQLite catalogues (PostgreSQL is backed up by pg_dump)")
    publish_upload(app, client, auth, make_tone(tmp_path / "a.wav", seconds=1))
    root = Path(app.config["MEDIA"]["ROOT"])
    with app.app_context():
        stored = db.session.scalars(select(MediaFile))
        before = {f.relpath: (root / f.relpath).read_bytes() for f in stored}
        backup.backup(tmp_path / "backup")
    bucket = s3_server.new_bucket()
    fresh = create_app({**app_config(tmp_path / "fresh"), "STORAGE": s3_server.settings(bucket)})
    with fresh.app_context():
        assert backup.restore(tmp_path / "backup") == {"items": 1, "files": 4}
        db.session.remove()
        db.engine.dispose()
    close_stores(fresh)
    assert objects(s3_server, bucket) == before


def test_init_checks_the_bucket_and_makes_no_media_folders(on_s3, s3_server):
    result = on_s3.test_cli_runner().invoke(init_command, [])
    assert result.exit_code == 0, result.output
    root = Path(on_s3.config["MEDIA"]["ROOT"])
    assert not (root / "originals").exists() and not (root / "derivatives").exists()
    on_s3.config["STORAGE"]["URL"] = "s3://no-such-bucket/media"
    close_stores(on_s3)
    on_s3.extensions.pop("archive_stores")  # made again from the changed settings
    result = on_s3.test_cli_runner().invoke(init_command, [])
    assert result.exit_code != 0 and "s3://no-such-bucket/media is not usable" in result.output


def test_derivatives_deleted_from_the_bucket_and_made_again(
    on_s3, client, auth, s3_server, bucket, tmp_path
):
    made = publish_upload(on_s3, client, auth, make_tone(tmp_path / "a.wav", seconds=2))
    original, _ = made["files"]["original"]
    runner = on_s3.test_cli_runner()
    result = runner.invoke(derivatives_command, ["delete", made["identifier"]])
    assert result.exit_code == 0, result.output
    assert set(objects(s3_server, bucket)) == {original}
    result = runner.invoke(derivatives_command, ["regenerate", made["identifier"], "--wait"])
    assert result.exit_code == 0, result.output
    stored = objects(s3_server, bucket)
    with on_s3.app_context():
        rows = {f.relpath: f.sha256 for f in db.session.scalars(select(MediaFile))}
    assert set(stored) == set(rows) and len(rows) == 4
    assert all(sha256(stored[relpath]) == digest for relpath, digest in rows.items())
    assert local_files(on_s3) == []


def test_a_failed_transcode_leaves_the_bucket_as_it_was_and_no_download_behind(
    on_s3, client, auth, s3_server, bucket, tmp_path
):
    made = publish_upload(on_s3, client, auth, make_tone(tmp_path / "a.wav", seconds=2))
    before = objects(s3_server, bucket)
    original, _ = made["files"]["original"]
    s3_server.client().put_object(
        Bucket=bucket, Key=f"media/{original}", Body=b"\0" * 5000
    )  # ffmpeg will find no sound in what it downloads
    result = on_s3.test_cli_runner().invoke(
        derivatives_command, ["regenerate", made["identifier"], "--wait"]
    )
    assert result.exit_code != 0
    with on_s3.app_context():
        job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job.state == "failed" and job.error and "missing" not in job.error
    after = objects(s3_server, bucket)
    assert {k: v for k, v in after.items() if k != original} == {
        k: v for k, v in before.items() if k != original
    }  # the access copy and peaks still served are untouched
    assert local_files(on_s3) == []  # the download and the partial copies are gone


def test_withdrawal_keeps_the_original_and_deletion_removes_everything(
    on_s3, client, auth, s3_server, bucket, tmp_path
):
    kept = publish_upload(on_s3, client, auth, make_tone(tmp_path / "a.wav", seconds=1))
    gone = publish_upload(on_s3, client, auth, make_tone(tmp_path / "b.wav", freq=600))
    with on_s3.app_context():
        withdrawal.withdraw(items.find_item(kept["identifier"]), "Consent withdrawn", user=None)
    stored = objects(s3_server, bucket)
    assert kept["files"]["original"][0] in stored
    assert not {kept["files"][role][0] for role in ("access", "peaks", "small")} & set(stored)
    assert client.get(f"/media/{kept['recording']}/access").status_code == 410
    with on_s3.app_context():
        item = items.find_item(gone["identifier"])
        counts = withdrawal.delete(item, user=None, confirm=gone["identifier"])
        assert counts["files"] == 4
    left = set(objects(s3_server, bucket))
    assert left == {kept["files"]["original"][0]}  # the withdrawn item's original stays


def test_bag_from_one_bucket_and_unbag_into_another(
    on_s3, client, auth, s3_server, bucket, tmp_path
):
    made = publish_upload(on_s3, client, auth, make_tone(tmp_path / "a.wav", seconds=1))
    bags = tmp_path / "bags"
    result = on_s3.test_cli_runner().invoke(bag_command, [made["identifier"], str(bags)])
    assert result.exit_code == 0, result.output
    written = bags / made["identifier"]
    bagit.Bag(str(written)).validate()

    other_bucket = s3_server.new_bucket()
    other = create_app(
        {**app_config(tmp_path / "other"), "STORAGE": s3_server.settings(other_bucket)}
    )
    with other.app_context():
        from archive import migrate

        migrate.upgrade()
    result = other.test_cli_runner().invoke(unbag_command, [str(written), "--wait"])
    assert result.exit_code == 0, result.output
    original, digest = made["files"]["original"]
    stored = objects(s3_server, other_bucket)
    assert sha256(stored[original]) == digest
    with other.app_context():
        recording = db.session.scalars(select(Recording)).one()
        assert {f.role for f in recording.files} == {"original", "access", "peaks", "small"}
        assert all(f.relpath in stored for f in recording.files)
        db.session.remove()
        db.engine.dispose()
    close_stores(other)
