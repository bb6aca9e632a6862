"""The JSON API /api/v1: every route for every kind of caller, writes and their preconditions,
ETags, cursor paging, problems, CORS and the OpenAPI document.

Each role reads with its own personal token (and anonymous callers with none); every answer
is searched for the marker words of the items that caller may not see.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from archive.accounts import tokens
from archive.accounts.users import find_user, set_role
from archive.catalogue import items
from archive.db import db
from archive.discovery import limits
from archive.models import AuditEvent, Item, Transcript
from tests.api_world import (
    EMAILS,
    RESTRICTED,
    SHARED_NARRATOR,
    SPECS,
    VISIBLE,
    WITHHELD,
    bearer,
    identifier,
    markers,
    token,
    world,
)
from tests.test_upload import make_tone

ROLES = ("anonymous", "pending", "researcher", "archivist", "admin")
PROBLEM = "application/problem+json"


@pytest.fixture
def api(app, catalogues, tmp_path):
    return world(app, catalogues, tmp_path)


def headers_for(app, who: str, scope: str = "read") -> dict:
    return {} if who == "anonymous" else bearer(token(app, who, scope))


def leaked(body: str, who: str) -> list[str]:
    hidden = set(SPECS) - VISIBLE[who]
    found = [m for key in sorted(hidden) for m in markers(key) if m in body]
    if who not in ("archivist", "admin"):
        found += [m for m in (WITHHELD, RESTRICTED) if m in body]
    return found


def all_pages(client, url: str, headers: dict, key: str = "items") -> list[dict]:
    records = []
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        records += body[key]
        url = body["links"]["next"]
    return records


# --- reading, for every role ------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_every_read_shows_each_caller_exactly_what_it_may_see(app, client, api, who):
    headers = headers_for(app, who)
    listed = all_pages(client, "/api/v1/items?limit=2", headers)
    assert {entry["identifier"] for entry in listed} == {identifier(k) for k in VISIBLE[who]}
    bodies = [json.dumps(listed, ensure_ascii=False)]
    nowhere = client.get("/api/v1/items/API-NOWHERE", headers=headers)
    assert nowhere.status_code == 404 and nowhere.content_type == PROBLEM
    for key in SPECS:
        answer = client.get(f"/api/v1/items/{identifier(key)}", headers=headers)
        bodies.append(answer.get_data(as_text=True))
        if key in VISIBLE[who]:
            assert answer.status_code == 200, (key, answer.get_data(as_text=True))
            assert answer.get_json()["identifier"] == identifier(key)
        elif key == "GONE" and who in ("anonymous", "pending", "researcher"):
            assert answer.status_code == 410  # they could see it before: gone, nothing more
            assert answer.content_type == PROBLEM
        else:  # hidden: exactly as an unknown identifier
            assert answer.status_code == 404, key
            assert {**answer.get_json(), "instance": ""} == {**nowhere.get_json(), "instance": ""}
    for kind in ("people", "tags", "collections", "places"):
        for record in all_pages(client, f"/api/v1/{kind}?limit=3", headers, key=kind):
            one = client.get(record["links"]["self"].replace("http://127.0.0.1:5000", ""),
                             headers=headers)  # fmt: skip
            assert one.status_code == 200
            bodies += [json.dumps(record, ensure_ascii=False), one.get_data(as_text=True)]
    found = client.get("/api/v1/search?q=PUBLICWORDS OR عنوان", headers=headers)
    assert found.status_code == 200
    assert {r["identifier"] for r in found.get_json()["results"]} <= {
        identifier(k) for k in VISIBLE[who]
    }
    bodies.append(found.get_data(as_text=True))
    assert leaked("\n".join(bodies), who) == []


def test_a_subject_none_of_whose_items_the_caller_may_see_does_not_exist(app, client, api):
    with app.app_context():
        staff_only = items.find_item(identifier("STF")).credits[0].person_id
        shared = items.find_item(identifier("PUB")).people_in("narrator")[1]
        assert shared.name == SHARED_NARRATOR
        shared_id = shared.id
    assert client.get(f"/api/v1/people/{staff_only}").status_code == 404
    archivist = headers_for(app, "archivist")
    assert client.get(f"/api/v1/people/{staff_only}", headers=archivist).status_code == 200
    public = client.get(f"/api/v1/people/{shared_id}").get_json()
    assert public["item_count"] == 1  # counted over what the caller may see
    assert client.get(f"/api/v1/people/{shared_id}", headers=archivist).get_json()[
        "item_count"
    ] == len(SPECS)
    listed = client.get(public["links"]["items"].replace("http://127.0.0.1:5000", ""))
    assert [i["identifier"] for i in listed.get_json()["items"]] == [identifier("PUB")]


def test_the_document_leaves_withheld_passages_and_restricted_transcripts_to_staff(
    app, client, api
):
    anonymous = client.get(f"/api/v1/items/{identifier('PUB')}").get_json()
    assert "staff" not in anonymous
    assert [t["language"] for t in anonymous["transcripts"]] == ["ar"]
    assert [s["text"] for s in anonymous["transcripts"][0]["segments"]] == [
        "كلمات عامة PUBLICWORDS"
    ]
    recording = anonymous["recordings"][0]
    assert recording["kind"] == "audio" and recording["duration"] > 1
    assert "staff" not in recording and set(recording["files"]) <= {"access", "poster", "peaks"}
    assert recording["files"]["access"]["url"].endswith(f"/media/{api['recording']}/access")
    assert anonymous["people"]["narrator"][1]["name"] == SHARED_NARRATOR
    assert anonymous["rights"]["uri"].startswith("http://rightsstatements.org/")
    # The access copy anyone gets is the public one, made without the withheld passage.
    with app.app_context():
        from archive.holdings.redaction import served_file
        from archive.models import Recording

        public_copy = served_file(db.session.get(Recording, api["recording"]), "access",
                                  staff=False)  # fmt: skip
        assert public_copy is not None and public_copy.role == "public"
        assert recording["files"]["access"]["sha256"] == public_copy.sha256

    staff = client.get(
        f"/api/v1/items/{identifier('PUB')}", headers=headers_for(app, "archivist")
    ).get_json()
    assert {t["language"] for t in staff["transcripts"]} == {"ar", "en"}
    spoken = next(t for t in staff["transcripts"] if t["language"] == "ar")
    assert [s["restricted"] for s in spoken["segments"]] == [False, True]
    assert staff["recordings"][0]["staff"]["original"]["url"].endswith("/original")
    assert staff["staff"]["release"]["access"] is None


def test_staff_filters_and_facet_filters(app, client, api):
    archivist = headers_for(app, "archivist")
    drafts = client.get("/api/v1/items?status=draft", headers=archivist).get_json()["items"]
    assert [i["identifier"] for i in drafts] == [identifier("DRF")]
    refused = client.get("/api/v1/items?status=draft", headers=headers_for(app, "researcher"))
    assert refused.status_code == 403 and refused.content_type == PROBLEM
    with app.app_context():
        item = items.find_item(identifier("RES"))
        tag, narrator = item.tags[0].id, item.people_in("narrator")[0].id
    for query in (f"tag={tag}", f"narrator={narrator}", f"person={narrator}"):
        found = client.get(f"/api/v1/items?{query}", headers=archivist).get_json()["items"]
        assert [i["identifier"] for i in found] == [identifier("RES")], query
        assert client.get(f"/api/v1/items?{query}").get_json()["items"] == []  # not public
    everyone = {identifier(k) for k in SPECS}
    decade = client.get("/api/v1/items?decade=1980&language=en&type=testimony", headers=archivist)
    assert {i["identifier"] for i in decade.get_json()["items"]} == everyone
    assert client.get("/api/v1/items?decade=1990", headers=archivist).get_json()["items"] == []


# --- paging -----------------------------------------------------------------------------------


def test_paging_gives_every_item_once_while_items_change(app, client, api):
    archivist = headers_for(app, "archivist", "read-write")
    with app.app_context():
        for n in range(9):
            item = items.create(identifier=f"PAGE-{n}", title=f"صفحة {n}", type="poem", user=None)
            items.describe(item, {"access": "public"}, user=None)
            items.publish(item, user=None)
    expected = {f"PAGE-{n}" for n in range(9)} | {identifier("PUB")}
    seen, url, turn = [], "/api/v1/items?limit=3", 0
    while url:
        body = client.get(url).get_json()
        seen += [i["identifier"] for i in body["items"]]
        url = body["links"]["next"]
        turn += 1
        with app.app_context():  # between pages: edits move nothing, new items come last
            items.describe(items.find_item(f"PAGE-{turn}"), {"title": f"عدل {turn}"}, user=None)
            items.describe(items.find_item("PAGE-0"), {"title": f"أول {turn}"}, user=None)
            if turn == 2:
                late = items.create(identifier="PAGE-LATE", title="متأخر", type="poem", user=None)
                items.describe(late, {"access": "public"}, user=None)
                items.publish(late, user=None)
                expected.add("PAGE-LATE")
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert turn == 4
    # A cursor is signed and bound to its filters.
    first = client.get("/api/v1/items?limit=3").get_json()
    cursor = first["next_cursor"]
    assert client.get(f"/api/v1/items?limit=3&cursor={cursor}").status_code == 200
    for bad in (f"/api/v1/items?cursor={cursor}x", f"/api/v1/items?type=poem&cursor={cursor}"):
        refused = client.get(bad)
        assert refused.status_code == 422 and refused.content_type == PROBLEM, bad
    assert client.get("/api/v1/items?limit=1000").status_code == 422
    assert client.get("/api/v1/items?limit=0").status_code == 422
    del archivist


def test_updated_since_finds_items_whose_links_changed(app, client, api):
    with app.app_context():  # the catalogue was made an hour ago (listed_at has whole seconds)
        hour = timedelta(hours=1)
        for item in db.session.scalars(select(Item)):
            item.updated_at -= hour
        for event in db.session.scalars(select(AuditEvent)):
            event.at -= hour
        db.session.commit()
    listed = client.get("/api/v1/items").get_json()
    assert [i["identifier"] for i in listed["items"]] == [identifier("PUB")]
    since = listed["listed_at"]
    assert client.get(f"/api/v1/items?updated_since={since}").get_json()["items"] == []
    with app.app_context():  # only a link changes: the item's own row does not
        items.describe(items.find_item(identifier("PUB")), {"tags": ["وسم جديد"]}, user=None)
    again = client.get(f"/api/v1/items?updated_since={since}").get_json()["items"]
    assert [i["identifier"] for i in again] == [identifier("PUB")]
    assert client.get("/api/v1/items?updated_since=yesterday").status_code == 422


# --- writing ----------------------------------------------------------------------------------


def snapshot(app) -> list:
    with app.app_context():
        rows = db.session.execute(select(Item.identifier, Item.title, Item.status)).all()
        return sorted(tuple(row) for row in rows)


WRITES = [
    ("post", "/api/v1/items", {"json": {"title": "جديد"}}),
    ("patch", "/api/v1/items/API-PUB", {"json": {"title": "مغير"}}),
    ("post", "/api/v1/items/API-PUB/publish", {}),
    ("post", "/api/v1/items/API-PUB/unpublish", {}),
    ("post", "/api/v1/items/API-PUB/transcripts",
     {"json": {"language": "fr", "format": "txt", "content": "Bonjour"}}),
    ("post", "/api/v1/recordings?filename=x.wav", {"data": b"RIFF"}),
    ("post", "/api/v1/items/API-PUB/recordings?filename=x.wav", {"data": b"RIFF"}),
]  # fmt: skip


def test_no_write_without_a_read_write_token_of_staff(app, client, auth, api):
    before = snapshot(app)
    etag = client.get("/api/v1/items/API-PUB", headers=headers_for(app, "archivist")).headers[
        "ETag"
    ]
    callers = {
        "nobody": ({}, 401),
        "a bad token": (bearer("pma_" + "x" * 43), 401),
        "not a bearer": ({"Authorization": "Basic YTpi"}, 401),
        "a read token of staff": (headers_for(app, "archivist"), 403),
        "a researcher's read token": (headers_for(app, "researcher"), 403),
    }
    for name, (headers, status) in callers.items():
        for method, url, kwargs in WRITES:
            answer = getattr(client, method)(url, headers={**headers, "If-Match": etag}, **kwargs)
            assert answer.status_code == status, (name, url, answer.get_data(as_text=True))
            assert answer.content_type == PROBLEM
    auth.login("archivist@example.org")  # a session cookie alone opens no change
    for method, url, kwargs in WRITES:
        answer = getattr(client, method)(url, headers={"If-Match": etag}, **kwargs)
        assert answer.status_code == 401, url
        assert "WWW-Authenticate" in answer.headers
    assert snapshot(app) == before


def test_a_researcher_cannot_make_a_read_write_token_and_a_demoted_one_writes_nothing(
    app, client, api
):
    with app.app_context():
        with pytest.raises(Exception, match="Only archivists and admins"):
            tokens.create(find_user(EMAILS["researcher"]), "mine", "read-write")
    secret = token(app, "archivist", "read-write")
    with app.app_context():
        set_role(find_user(EMAILS["archivist"]), "researcher", by=find_user(EMAILS["admin"]))
    answer = client.post("/api/v1/items", headers=bearer(secret), json={"title": "لا"})
    assert answer.status_code == 403


def test_create_describe_publish_with_if_match(app, client, api):
    headers = bearer(token(app, "archivist", "read-write"))
    created = client.post(
        "/api/v1/items",
        headers=headers,
        json={"identifier": "API-NEW", "title": "شهادة جديدة", "type": "poem",
              "people": {"poet": ["شاعر جديد"]}, "tags": ["شعر"], "access": "public"},
    )  # fmt: skip
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Location"].endswith("/api/v1/items/API-NEW")
    doc = created.get_json()
    assert doc["status"] == "draft" and doc["people"]["poet"][0]["name"] == "شاعر جديد"
    etag = created.headers["ETag"]
    assert client.get("/api/v1/items/API-NEW", headers=headers).headers["ETag"] == etag

    url = "/api/v1/items/API-NEW"
    change = {"title": "عنوان مصحح", "languages": ["ar", "en"], "places": ["نفحة"]}
    missing = client.patch(url, headers=headers, json=change)
    assert missing.status_code == 428 and missing.content_type == PROBLEM
    stale = client.patch(url, headers={**headers, "If-Match": '"0123"'}, json=change)
    assert stale.status_code == 412 and stale.content_type == PROBLEM
    assert client.get(url, headers=headers).get_json()["title"] == "شهادة جديدة"  # unchanged
    done = client.patch(url, headers={**headers, "If-Match": etag}, json=change)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["title"] == "عنوان مصحح" and done.headers["ETag"] != etag
    again = client.patch(url, headers={**headers, "If-Match": etag}, json={"title": "ثالث"})
    assert again.status_code == 412  # the ETag used is no longer current
    assert client.patch(url, headers={**headers, "If-Match": done.headers["ETag"]},
                        data="title=x").status_code == 415  # fmt: skip
    unknown = client.patch(url, headers={**headers, "If-Match": done.headers["ETag"]},
                           json={"titel": "x"})  # fmt: skip
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["loc"] == ["titel"]

    published = client.post(f"{url}/publish", headers={**headers, "If-Match": done.headers["ETag"]})
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    assert client.get(url).status_code == 200  # public now
    transcript = client.post(
        f"{url}/transcripts",
        headers={**headers, "If-Match": published.headers["ETag"]},
        json={"language": "ar", "format": "vtt",
              "content": "WEBVTT\n\n00:00.000 --> 00:02.000\nقصيدة في السجن\n"},
    )  # fmt: skip
    assert transcript.status_code == 200, transcript.get_data(as_text=True)
    assert transcript.get_json()["transcripts"][0]["segments"][0]["text"] == "قصيدة في السجن"
    broken = client.post(
        f"{url}/transcripts", headers={**headers, "If-Match": transcript.headers["ETag"]},
        json={"language": "ar", "format": "vtt", "content": "not a vtt"},
    )  # fmt: skip
    assert broken.status_code == 422 and "WEBVTT" in broken.get_json()["detail"]
    unpublished = client.post(
        f"{url}/unpublish", headers={**headers, "If-Match": transcript.headers["ETag"]}
    )
    assert unpublished.get_json()["status"] == "draft"
    assert client.get(url).status_code == 404
    with app.app_context():
        archivist = find_user(EMAILS["archivist"])
        item = items.find_item("API-NEW")
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.item_id == item.id, AuditEvent.user_id == archivist.id)
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["create", "describe", "describe", "publish", "transcript", "unpublish"]
        assert db.session.scalar(select(Transcript).where(Transcript.item_id == item.id))


def test_ingest_streams_a_raw_body_with_a_staff_token(app, client, api, tmp_path):
    app.config["SERVER"]["MAX_FORM_BYTES"] = 10_000  # the tone is larger: a large body
    tone = make_tone(tmp_path / "new.wav", seconds=1, freq=523).read_bytes()
    assert len(tone) > 10_000
    writer = bearer(token(app, "archivist", "read-write"))
    for headers in ({}, headers_for(app, "archivist")):
        refused = client.post("/api/v1/recordings?filename=new.wav", data=tone, headers=headers)
        assert refused.status_code == 413 and refused.content_type == PROBLEM
    form = client.post("/api/v1/recordings?filename=new.wav", headers=writer,
                       data={"file": (tmp_path / "new.wav").open("rb")})  # fmt: skip
    assert form.status_code == 415
    done = client.post(
        "/api/v1/recordings?filename=شهادة.wav&identifier=API-TONE&type=song",
        data=tone,
        headers={**writer, "Content-Type": "audio/wav"},
    )
    assert done.status_code == 202, done.get_data(as_text=True)
    body = done.get_json()
    assert body["item"] == "API-TONE" and body["job"]["state"] == "done"
    job = client.get(f"/api/v1/jobs/{body['job']['id']}", headers=writer)
    assert job.status_code == 200 and job.get_json()["state"] == "done"
    assert client.get(f"/api/v1/jobs/{body['job']['id']}").status_code == 404  # staff only
    again = client.post("/api/v1/recordings?filename=again.wav", data=tone, headers=writer)
    assert again.status_code == 409 and again.get_json()["item"] == "API-TONE"
    doc = client.get("/api/v1/items/API-TONE", headers=writer)
    recording = doc.get_json()["recordings"][0]
    assert recording["ready"] and recording["staff"]["original_filename"] == "شهادة.wav"
    more = make_tone(tmp_path / "more.wav", seconds=1, freq=659).read_bytes()
    url = "/api/v1/items/API-TONE/recordings?filename=more.wav"
    assert client.post(url, data=more, headers=writer).status_code == 428
    added = client.post(url, data=more, headers={**writer, "If-Match": doc.headers["ETag"]})
    assert added.status_code == 202, added.get_data(as_text=True)
    assert len(client.get("/api/v1/items/API-TONE", headers=writer).get_json()["recordings"]) == 2


def test_a_token_opens_no_form(app, client, api):
    secret = token(app, "archivist", "read-write")
    before = snapshot(app)
    for url, data in (
        ("/manage/items/new", {"title": "عبر النموذج", "type": "poem"}),
        ("/manage/items/API-PUB/unpublish", {}),
        ("/account/tokens", {"name": "another", "scope": "read-write"}),
    ):
        answer = client.post(url, data=data, headers=bearer(secret))
        assert answer.status_code in (302, 400, 401), url
        assert "/login" in answer.headers.get("Location", "/login") or answer.status_code == 400
    assert client.get("/manage/", headers=bearer(secret)).status_code == 302  # to the login
    assert snapshot(app) == before


# --- conditional reads, problems, CORS ----------------------------------------------------------


def test_etags_and_not_modified(app, client, api):
    first = client.get("/api/v1/items/API-PUB")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    same = client.get("/api/v1/items/API-PUB", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.get_data() == b""
    tags = client.get("/api/v1/tags")  # (a listing says when it was made: not this one)
    assert (
        client.get("/api/v1/tags", headers={"If-None-Match": tags.headers["ETag"]}).status_code
        == 304
    )
    with app.app_context():
        items.describe(items.find_item("API-PUB"), {"description": "وصف آخر"}, user=None)
    changed = client.get("/api/v1/items/API-PUB", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_errors_are_problems_never_pages(app, client, api):
    for method, url, status in (
        ("get", "/api/v1/nowhere", 404),
        ("get", "/api/nowhere", 404),
        ("delete", "/api/v1/items", 405),
        ("put", "/api/v1/items/API-PUB", 405),
        ("get", "/api/v1/items?limit=x", 422),
        ("get", "/api/v1/people/99999999999999999999999", 404),
        ("get", "/api/v1/items/API-GONE", 410),
    ):
        answer = getattr(client, method)(url)
        assert answer.status_code == status, url
        assert answer.content_type == PROBLEM, url
        body = answer.get_json()
        assert body["status"] == status and body["title"] and body["detail"], url
        assert body["instance"] == url.split("?")[0]
    bad = client.get("/api/v1/items", headers=bearer("pma_unknown"))
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    assert client.get("/items/API-NOWHERE").content_type.startswith("text/html")  # pages stay


def test_search_through_the_api_is_bounded_like_the_page(app, client, api):
    allowed = app.config["SEARCH"]["CONCURRENT_PER_ADDRESS"]
    from contextlib import ExitStack

    with ExitStack() as held:
        with app.test_request_context():
            for _ in range(allowed):
                assert held.enter_context(limits.search_slot("127.0.0.1"))
        refused = client.get("/api/v1/search?q=عنوان")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.content_type == PROBLEM
        with_token = client.get("/api/v1/search?q=عنوان", headers=headers_for(app, "researcher"))
        assert with_token.status_code == 200  # a token has slots of its own
    assert client.get("/api/v1/search?q=عنوان").status_code == 200


def test_cors_only_for_anonymous_reads(app, client, auth, api):
    anonymous = client.get("/api/v1/items/API-PUB")
    assert anonymous.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in anonymous.headers["Vary"]
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/api/v1/items/API-PUB", headers=headers_for(app, "researcher")).headers
    )
    preflight = client.options("/api/v1/items", headers={
        "Origin": "https://partner.example", "Access-Control-Request-Method": "GET"})  # fmt: skip
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert "Authorization" not in preflight.headers["Access-Control-Allow-Headers"]
    writes_only = client.options("/api/v1/items/API-PUB/publish")
    assert "Access-Control-Allow-Origin" not in writes_only.headers
    auth.login("researcher@example.org")  # a session: what it opens is not shared either
    with_cookie = client.get("/api/v1/items/API-RES")
    assert with_cookie.status_code == 200
    assert "Access-Control-Allow-Origin" not in with_cookie.headers
    assert with_cookie.headers["Cache-Control"] == "private, no-cache"


def test_the_openapi_document_and_the_docs_page(app, client, api):
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    doc = answer.get_json()
    assert doc["openapi"] == "3.1.0"
    operations = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    assert {"listItems", "getItem", "createItem", "updateItem", "publishItem", "search",
            "ingestRecording", "getPerson"} <= operations  # fmt: skip
    listing = doc["paths"]["/api/v1/items"]["get"]
    assert "cursor" in {p["name"] for p in listing["parameters"]}
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert doc["paths"]["/api/v1/items/{identifier}"]["patch"]["security"] == [{"token": []}]
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html and "<script>" not in html
    assert "//" not in html.split("vendor/swagger-ui/")[0].split("<script")[-1]  # no CDN
    for asset in ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css",
                  "js/api-docs.js"):  # fmt: skip
        served = client.get(f"/static/{asset}")
        assert served.status_code == 200, asset
        served.close()
    # The existing search API is unchanged.
    assert set(client.get("/api/search?q=عنوان").get_json()) >= {"query", "total", "results"}


def test_the_item_document_is_made_the_same_without_a_request(app, client, api):
    """What a command (``archive bag``) stores is what the API answers: the same function, in
    an app context alone, with absolute URLs at the site's address."""
    from archive.exchange.item_document import document
    from archive.web.edge import site_url

    answered = client.get("/api/v1/items/API-PUB").get_json()
    staff = client.get("/api/v1/items/API-PUB", headers=headers_for(app, "archivist")).get_json()
    with app.app_context():
        item = items.find_item("API-PUB")
        assert document(item, None, url=site_url) == answered
        assert document(item, None, url=site_url, staff=True) == staff
    assert answered["links"]["page"] == "http://127.0.0.1:5000/items/API-PUB"
