"""Search through the app: the page, GET /api/search and `archive search`, under the access rule."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.db import db
from archive.models import Item
from tests.test_cli import archive, env, query  # noqa: F401  (env is a fixture)

SHAPE = {"query", "total", "page", "per_page", "suggestion", "results", "facets", "partial"}
SHAPE |= {"also_searched"}  # what the query also searched (issue 15)


def make(identifier, *, title, access="public", status="published", text=(), **fields):
    """An item made through the real operations (each one indexes before it returns)."""
    item = items.create(
        identifier=identifier, title=title, type=fields.pop("type", "testimony"), user=None
    )
    items.describe(item, {"access": access, **fields}, user=None)
    if text:
        segments = [
            ParsedSegment(start=i * 10.0, end=i * 10.0 + 8, text=t) for i, t in enumerate(text)
        ]
        transcripts.attach(item, segments, language="ar", user=None)
    if status == "published":
        items.publish(item, user=None)
    return item


@pytest.fixture
def catalogue(app):
    with app.app_context():
        make(
            "PUB-1",
            title="شهادة عن سجن نفحة",
            narrators="رأفت حمدونة",
            tags="الإضراب عن الطعام",
            date="1988-04",
            text=["دخلنا الإضرابَ عن الطعام في نفحة", "وكانت الأسرى صامدين"],
        )
        make(
            "PUB-2",
            title="قصيدة الحرية",
            type="poem",
            narrators="أبو علي",
            date="1992",
            text=["الحرية قادمة"],
        )
        make(
            "RES-1",
            title="شهادة للباحثين عن نفحة",
            access="researchers",
            narrators="أبو علي",
            text=["نفحة في الليل"],
        )
        make(
            "STAFF-1",
            title="شهادة محظورة عن نفحة",
            access="staff",
            narrators="سري للغاية",
            tags="وسم سري",
            text=["كلمةسريةجدا في نفحة"],
        )
        make(
            "DRAFT-1",
            title="مسودة عن نفحة",
            status="draft",
            narrators="مسودة",
            text=["زنزانةمسودة في نفحة"],
        )
    # fmt: skip


def api(client, **params):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == SHAPE
    return body


def test_api_shape_variants_and_moments(client, catalogue):
    body = api(client, q="نفحه الاسري")  # ة→ه, no hamza, no ال on the second word
    assert body["total"] == 1
    result = body["results"][0]
    assert result["identifier"] == "PUB-1" and result["url"] == "/items/PUB-1"
    assert {"identifier", "title", "type", "score", "url", "hits"} <= set(result)
    texts = [hit["text"] for hit in result["hits"]]
    assert any("<mark>" in text and "الإضرابَ" in text for text in texts) or any(
        "<mark>الأسرى</mark>" in text for text in texts
    )
    assert all(hit["start"] is not None for hit in result["hits"])
    for facet in ("type", "narrator", "tag", "collection", "language", "decade", "place"):
        assert facet in body["facets"]


def test_anonymous_sees_only_public_published(client, catalogue):
    body = api(client, q="نفحة")
    identifiers = {r["identifier"] for r in body["results"]}
    assert identifiers == {"PUB-1"}
    assert body["total"] == 1
    narrators = {entry["value"] for entry in body["facets"]["narrator"]}
    assert narrators == {"رأفت حمدونة"}
    assert all(entry["count"] <= 1 for entries in body["facets"].values() for entry in entries)
    assert api(client, q="كلمةسريةجدا")["total"] == 0
    assert api(client, q="كلمةسريةجد")["suggestion"] is None  # no word of a staff item suggested
    assert api(client, q="زنزانةمسود")["suggestion"] is None
    listing = client.get("/search?q=نفحة").get_data(as_text=True)
    assert "STAFF-1" not in listing and "محظورة" not in listing and "DRAFT-1" not in listing


def test_researcher_and_staff_see_more(client, auth, catalogue):
    auth.login("researcher@example.org")
    assert {r["identifier"] for r in api(client, q="نفحة")["results"]} == {"PUB-1", "RES-1"}
    auth.logout()
    auth.login("archivist@example.org")
    found = {r["identifier"] for r in api(client, q="نفحة")["results"]}
    assert found == {"PUB-1", "RES-1", "STAFF-1", "DRAFT-1"}


def test_facet_filters_and_scopes(client, catalogue):
    assert api(client, q="", type="poem")["total"] == 1
    assert api(client, q="narrator:حمدونه")["results"][0]["identifier"] == "PUB-1"
    assert api(client, q="decade:1990")["results"][0]["identifier"] == "PUB-2"
    assert api(client, q='"unclosed ((')["total"] >= 0  # bad syntax never errors


def test_a_change_is_searchable_when_the_operation_returns(app, client, catalogue):
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == "PUB-2"))
        items.describe(item, {"title": "قصيدة البرتقال"}, user=None)
    assert api(client, q="البرتقال")["total"] == 1
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == "PUB-2"))
        items.unpublish(item, user=None)
    assert api(client, q="البرتقال")["total"] == 0


def test_reindex_gives_the_same_results(app, client, runner, catalogue):
    before = api(client, q="نفحة")
    from archive.cli.instance import reindex

    result = runner.invoke(reindex)
    assert result.exit_code == 0, result.output
    after = api(client, q="نفحة")
    assert [r["identifier"] for r in after["results"]] == [
        r["identifier"] for r in before["results"]
    ]
    assert after["facets"] == before["facets"]


@pytest.mark.slow  # real `archive` processes
def test_cli_search_json_as_user(env):  # noqa: F811
    env["ARCHIVE_ADMIN_PASSWORD"] = "a long admin password"
    archive(env, "init")
    made = archive(env, "users", "create", "r@example.org", "--role", "researcher",
                   input="a long enough password\n")  # fmt: skip
    assert made.returncode == 0
    anonymous = archive(env, "search", "anything", "--json")
    assert anonymous.returncode == 0, anonymous.stderr
    assert set(json.loads(anonymous.stdout)) == SHAPE
    missing = archive(env, "search", "x", "--as", "nobody@example.org")
    assert missing.returncode != 0 and "No user" in missing.stderr
