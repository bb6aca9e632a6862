"""Numbers in URLs and arguments are range-checked: a number no database integer can hold, a
negative one or a word names nothing (404, or page 1 when absent), never a server error.
The walk of every route with hostile numbers is in tests/test_leaks.py."""

from __future__ import annotations

import pytest

from archive.catalogue import authority
from archive.db import db
from archive.models import Collection
from archive.web.edge import LARGEST

HUGE = "9" * 30  # far past any database integer (64 bits: 19 digits)
ENORMOUS = "9" * 5000  # over Python's own limit for int() of a string
BEYOND = str(LARGEST + 1)  # the first id that does not fit (INTEGER: 32 bits on PostgreSQL)

PUBLIC_URLS = [
    "/people/{n}", "/tags/{n}", "/collections/{n}", "/places/{n}", "/decades/{n}",
    "/media/{n}/access", "/items/NOWHERE/transcripts/{n}.vtt",
]  # fmt: skip
STAFF_URLS = ["/manage/people/{n}", "/manage/jobs/{n}"]
LISTINGS = [
    "/", "/browse/people", "/browse/tags", "/browse/places", "/collections", "/types/poem",
    "/decades/1980", "/search", "/api/search", "/manage/", "/manage/people",
]  # fmt: skip


@pytest.mark.parametrize("url", PUBLIC_URLS + STAFF_URLS)
@pytest.mark.parametrize("number", [HUGE, ENORMOUS, BEYOND, "-1", "1e3", "٣"])
def test_an_id_out_of_range_is_not_found(client, auth, url, number):
    auth.login()
    assert client.get(url.format(n=number)).status_code == 404


def test_the_largest_id_is_looked_up(client, auth):
    auth.login()
    assert client.get(f"/people/{LARGEST}").status_code == 404  # looked up: nobody
    assert client.get(f"/manage/people/{LARGEST}").status_code == 404


@pytest.mark.parametrize("url", LISTINGS)
def test_a_page_number_out_of_range_is_not_found(client, auth, url):
    auth.login()
    assert client.get(url).status_code == 200
    assert client.get(f"{url}?page=2").status_code == 200  # past the last: an empty page
    for page in (HUGE, ENORMOUS, BEYOND, "1000001", "-1", "0", "two", "1.5"):
        assert client.get(f"{url}?page={page}").status_code == 404, (url, page)


def test_other_numeric_arguments(app, client, auth):
    auth.login()
    api = client.get("/api/search?per_page=1000")
    assert api.status_code == 200 and api.get_json()["per_page"] == 100  # the index's cap
    for per_page in (HUGE, "-5", "many"):
        assert client.get(f"/api/search?per_page={per_page}").status_code == 404
    jobs = client.get(f"/manage/jobs?ids=1,{HUGE},-2,x,{ENORMOUS}")
    assert jobs.status_code == 200 and jobs.get_json() == {"jobs": []}
    upload = client.post(f"/manage/upload?replace={HUGE}", data=b"x",
                         headers={"X-CSRFToken": auth.csrf("/manage/upload")})  # fmt: skip
    assert upload.status_code == 404
    token = auth.csrf("/manage/collections")
    form = {"csrf_token": token, "id": HUGE, "title": "مجموعة"}
    assert client.post("/manage/collections", data=form).status_code == 404
    form["id"] = ""  # no id: a new collection by its title
    assert client.post("/manage/collections", data=form).status_code == 302
    with app.app_context():
        assert authority.all_collections() == list(db.session.query(Collection))
        assert [c.title for c in authority.all_collections()] == ["مجموعة"]
    with app.app_context():
        person = authority.person_for("رأفت حمدونة")
        db.session.commit()
        number = person.id
        db.session.remove()
    form = {"csrf_token": token, "other": HUGE}
    answer = client.post(f"/manage/people/{number}/merge", data=form)
    assert answer.status_code == 302  # "no person called …", flashed
