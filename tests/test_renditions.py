"""Small renditions for slow connections: made with the access copies, served like them, named
first on the listening page when the visitor saves data, and made for items that predate them."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from sqlalchemy import select

from archive.catalogue import items
from archive.cli.lifecycle import derivatives as derivatives_command
from archive.db import db
from archive.holdings.storage import absolute, store
from archive.models import MediaFile
from archive.web import page_cache
from tests.media_samples import speech
from tests.test_upload import make_video, upload


@pytest.fixture
def catalogue(app, client, auth, tmp_path, catalogues) -> list[str]:
    """A spoken testimony and a video, transcoded, public and published; the identifiers."""
    return catalogues.get(
        "renditions-catalogue", app, lambda: make_catalogue(app, client, auth, tmp_path)
    )


def make_catalogue(app, client, auth, tmp_path) -> list[str]:
    auth.login("archivist@example.org")
    token = auth.csrf("/manage/upload")
    identifiers = []
    for path in (speech(tmp_path / "speech.wav"), make_video(tmp_path / "v.mp4", 3)):
        result = upload(client, token, path).get_json()["results"][0]
        identifiers.append(result["item"])
    with app.app_context():
        for identifier in identifiers:
            item = items.find_item(identifier)
            items.describe(
                item, {"title": "شهادة", "access": "public", "download": True}, user=None
            )
            items.publish(item, user=None)
    auth.logout()
    return identifiers


def stored(app, identifier: str, role: str) -> tuple[int, str, str, int]:
    """(recording id, absolute path, sha256, size) of ``identifier``'s file of ``role``."""
    with app.app_context():
        recording = items.find_item(identifier).recordings[0]
        found = recording.file(role)
        assert found is not None, f"{identifier} has no {role} file"
        return recording.id, str(absolute(found.relpath)), found.sha256, found.size


def ffprobe(path: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    ).stdout
    return json.loads(out)


def stream(info: dict, kind: str) -> dict:
    return next(s for s in info["streams"] if s["codec_type"] == kind)


def test_audio_gets_an_opus_rendition_at_about_32_kbps(app, client, catalogue):
    recording_id, path, _, size = stored(app, catalogue[0], "small")
    info = ffprobe(path)
    audio = stream(info, "audio")
    assert "webm" in info["format"]["format_name"]
    assert audio["codec_name"] == "opus" and audio["channels"] == 1
    assert [s["codec_type"] for s in info["streams"]] == ["audio"]
    duration = float(info["format"]["duration"])
    assert 16_000 < size * 8 / duration < 48_000  # about 32 kb/s, container included
    _, _, _, normal = stored(app, catalogue[0], "access")
    assert size < normal / 2
    response = client.get(f"/media/{recording_id}/small")
    assert response.status_code == 200 and response.mimetype == "audio/webm"
    with open(path, "rb") as handle:
        assert response.get_data() == handle.read()
    response.close()


def test_video_gets_a_360p_rendition(app, client, catalogue):
    recording_id, path, _, size = stored(app, catalogue[1], "small")
    info = ffprobe(path)
    video, audio = stream(info, "video"), stream(info, "audio")
    assert video["codec_name"] == "h264" and (video["width"], video["height"]) == (640, 360)
    assert audio["codec_name"] == "aac" and audio["channels"] == 1
    assert int(audio["bit_rate"]) < 64_000
    duration = float(info["format"]["duration"])
    assert size * 8 / duration < 900_000  # ~450 kb/s video + 48 kb/s audio (short clip: loose)
    _, access, _, normal = stored(app, catalogue[1], "access")
    assert stream(ffprobe(access), "video")["height"] == 720 and size < normal
    response = client.get(f"/media/{recording_id}/small", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and len(response.get_data()) == 100
    response.close()


def status(client, url: str) -> int:
    response = client.get(url)
    response.get_data()
    response.close()
    return response.status_code


def sources(page: str) -> list[str]:
    return re.findall(r'<source src="/media/\d+/(\w+)', page)


def test_small_source_first_when_saving_data(app, client, catalogue):
    url = f"/items/{catalogue[0]}"
    plain = client.get(url)
    assert sources(plain.get_data(as_text=True)) == ["access", "small"]
    assert "Save-Data" in plain.headers["Vary"]
    # Asked again with the header: the page cache keeps the two pages apart.
    saving = client.get(url, headers={"Save-Data": "on"})
    assert sources(saving.get_data(as_text=True)) == ["small", "access"]
    assert "Save-Data" in saving.headers["Vary"]
    assert sources(client.get(url).get_data(as_text=True)) == ["access", "small"]
    # The switch's cookie is the visitor's own choice: it wins over the header.
    client.set_cookie("save-data", "off")
    page = client.get(url, headers={"Save-Data": "on"}).get_data(as_text=True)
    assert sources(page) == ["access", "small"]
    client.set_cookie("save-data", "on")
    page = client.get(url).get_data(as_text=True)
    assert sources(page) == ["small", "access"]
    assert '<div class="data-saver"' in page and "js/data-saver.js" in page


def test_sizes_beside_downloads_in_each_language(app, client, catalogue):
    _, _, _, normal = stored(app, catalogue[1], "access")
    _, _, _, small = stored(app, catalogue[1], "small")
    app.config["PAGE_CACHE"] = False
    shown = {}
    for lang in ("en", "fr", "ar"):
        page = client.get(f"/items/{catalogue[1]}?lang={lang}").get_data(as_text=True)
        assert 'class="download-media download-small"' in page
        shown[lang] = re.findall(r'<span class="meta" dir="auto">([^<]+)</span>', page)
        assert len(shown[lang]) == 2
    # Decimal units, one decimal under 100: as the interface language writes numbers.
    assert shown["en"] == [expected(normal, "."), expected(small, ".")]
    assert shown["fr"][0].split()[0] == expected(normal, ",").split()[0]


def expected(size: int, point: str) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            value = round(size / scale, 1)
            text = f"{value:g}" if value < 100 else f"{round(size / scale):,}"
            return f"{text.replace('.', point)} {unit}"
    return f"{size} bytes"


def test_restricted_small_rendition_is_refused(app, client, catalogue):
    recording_id, *_ = stored(app, catalogue[0], "small")
    assert status(client, f"/media/{recording_id}/small") == 200
    with app.app_context():
        items.describe(items.find_item(catalogue[0]), {"access": "staff"}, user=None)
    page_cache.clear()
    assert status(client, f"/media/{recording_id}/small") == 404
    assert status(client, f"/media/{recording_id}/access") == 404


def test_regenerate_makes_only_the_missing_small_renditions(app, client, runner, catalogue):
    before = {identifier: stored(app, identifier, "access") for identifier in catalogue}
    with app.app_context():  # as an item made before small renditions existed
        smalls = list(db.session.scalars(select(MediaFile).where(MediaFile.role == "small")))
        for small in smalls:
            store().delete(small.relpath)
            db.session.delete(small)
        db.session.commit()
    page = client.get(f"/items/{catalogue[0]}").get_data(as_text=True)
    # No switch beside the player (the queue bar's own stays, for queues of other items).
    assert sources(page) == ["access"] and '<div class="data-saver"' not in page

    result = runner.invoke(derivatives_command, ["regenerate", "--all", "--small", "--wait"])
    assert result.exit_code == 0, result.output
    assert "Made the derivatives of 2 recording(s)" in result.output
    for identifier in catalogue:
        _, path, sha, _ = stored(app, identifier, "small")
        assert os.path.getsize(path) > 0 and sha
        assert stored(app, identifier, "access") == before[identifier]  # left as it was
    page = client.get(f"/items/{catalogue[0]}").get_data(as_text=True)
    assert sources(page) == ["access", "small"]

    again = runner.invoke(derivatives_command, ["regenerate", "--all", "--small", "--wait"])
    assert again.exit_code == 0 and "Made the derivatives of 0 recording(s)" in again.output
