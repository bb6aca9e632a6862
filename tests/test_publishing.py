"""Describe, publish and unpublish; who sees what; media with Range requests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from archive.db import db
from archive.models import AuditEvent, Item
from tests.test_upload import make_tone, upload


@pytest.fixture
def draft(app, client, auth, tmp_path, catalogues):
    """A draft, staff-only item with a transcoded recording, uploaded by an archivist (made
    once, each test gets its own copy); the archivist is logged in."""

    def build():
        auth.login("archivist@example.org")
        result = upload(client, auth.csrf("/manage/upload"), make_tone(tmp_path / "tone.wav"))
        auth.logout()
        return {"identifier": result.get_json()["results"][0]["item"]}

    made = catalogues.get("publishing-draft", app, build)
    auth.login("archivist@example.org")
    return {**made, "token": auth.csrf("/manage/upload")}


def media_url(app, identifier: str, role: str = "access") -> str:
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == identifier))
        return f"/media/{item.recordings[0].id}/{role}"


def fetch(client, url, **kwargs):
    """GET a (streamed) response, read it whole and close the file behind it."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def edit(client, identifier, token, **fields):
    data = {"title": "شهادة", "title_en": "", "type": "testimony", "access": "staff"}
    data.update(fields)
    data["csrf_token"] = token
    return client.post(f"/manage/items/{identifier}", data=data)


def test_anonymous_visitors_see_exactly_published_public_items(app, client, auth, draft):
    identifier, token = draft["identifier"], draft["token"]
    url = media_url(app, identifier)
    assert client.get(f"/items/{identifier}").status_code == 200  # staff preview

    auth.logout()
    assert client.get(f"/items/{identifier}").status_code == 404
    assert fetch(client, url).status_code == 404
    assert identifier not in client.get("/").get_data(as_text=True)

    auth.login("archivist@example.org")
    assert (
        edit(client, identifier, token, title="شهادة أسير محرر", access="public").status_code == 302
    )
    auth.logout()
    assert client.get(f"/items/{identifier}").status_code == 404  # public but still a draft

    auth.login("archivist@example.org")
    client.post(f"/manage/items/{identifier}/publish", data={"csrf_token": auth.csrf("/")})
    auth.logout()
    page = client.get(f"/items/{identifier}")
    assert page.status_code == 200 and "شهادة أسير محرر" in page.get_data(as_text=True)
    assert identifier in client.get("/?lang=en").get_data(as_text=True)
    assert fetch(client, url).status_code == 200
    assert fetch(client, media_url(app, identifier, "original")).status_code == 404  # staff only

    auth.login("archivist@example.org")
    edit(client, identifier, auth.csrf("/"), title="شهادة أسير محرر", access="researchers")
    auth.logout()
    assert client.get(f"/items/{identifier}").status_code == 404
    assert fetch(client, url).status_code == 404
    auth.login("researcher@example.org")
    assert client.get(f"/items/{identifier}").status_code == 200
    assert fetch(client, url).status_code == 200

    auth.logout()
    auth.login("archivist@example.org")
    edit(client, identifier, auth.csrf("/"), title="شهادة أسير محرر", access="public")
    client.post(f"/manage/items/{identifier}/unpublish", data={"csrf_token": auth.csrf("/")})
    auth.logout()
    assert client.get(f"/items/{identifier}").status_code == 404
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("describe") == 3 and "publish" in actions and "unpublish" in actions


def test_range_requests(app, client, draft):
    url = media_url(app, draft["identifier"])
    whole = fetch(client, url)
    assert whole.status_code == 200
    assert whole.headers["Content-Type"] == "audio/mp4"
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    assert whole.headers["Accept-Ranges"] == "bytes"
    body = whole.data
    part = fetch(client, url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.data == body[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    tail = fetch(client, url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.data == body[-50:]
    past = fetch(client, url, headers={"Range": f"bytes={len(body) + 10}-"})
    assert past.status_code == 416


def test_edit_rejects_unknown_type_and_access(app, client, draft):
    response = edit(client, draft["identifier"], draft["token"], type="novel")
    assert response.status_code == 422
    assert "Unknown type" in response.get_data(as_text=True)
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == draft["identifier"]))
        assert item.type == "testimony"


def test_staff_pages_need_staff(app, client, auth):
    assert client.get("/manage/upload").status_code == 302  # to the login page
    auth.login("researcher@example.org")
    assert client.get("/manage/upload").status_code == 403
    assert client.get("/manage/").status_code == 403


def test_login_logout_and_csrf(client, auth):
    assert auth.login(password="wrong password").status_code == 401
    assert (
        client.post("/login", data={"email": "archivist@example.org", "password": "x"}).status_code
        == 400
    )
    assert auth.login().status_code == 302
    assert client.get("/manage/").status_code == 200
    assert client.get("/logout").status_code == 405  # logout is a POST
    assert client.post("/logout").status_code == 400  # without the CSRF token
    auth.logout()
    assert client.get("/manage/").status_code == 302


def test_login_next_stays_on_this_site(client, auth):
    for target in ("//evil.example", "/\\evil.example", "https://evil.example/"):
        token = auth.csrf()
        response = client.post(
            f"/login?next={target}",
            data={
                "email": "archivist@example.org",
                "password": "correct horse battery",
                "csrf_token": token,
            },
        )
        assert response.headers["Location"] == "/"
        auth.logout()


def test_start_time_parameter(app, client, draft):
    page = client.get(f"/items/{draft['identifier']}?t=00:01:05").get_data(as_text=True)
    assert "#t=65.0" in page
