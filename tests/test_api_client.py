"""A partner's script, written only against the OpenAPI document: it reads /api/openapi.json,
finds there the operation listing items, its cursor parameter and where each page says the
next cursor, then pages through every item it may see with httpx over TCP, and gets each
exactly once, while archivists change items between its pages.
"""

from __future__ import annotations

import httpx
import pytest

from archive.catalogue import items
from archive.db import db
from tests.api_world import identifier, live_archive

PUBLIC = 23  # more public items, to page through
LIMIT = 4


def resolve(document: dict, schema: dict) -> dict:
    """A schema with its $ref followed (within the document)."""
    while "$ref" in schema:
        node = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def items_listing(document: dict) -> tuple[str, str, str, str]:
    """(path, cursor parameter, property holding the items, property of the next cursor) of
    the operation listing items, found by reading the document alone."""
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        cursor = next((p["name"] for p in get.get("parameters", [])
                       if p["in"] == "query" and "cursor" in p["name"]), None)  # fmt: skip
        answer = get["responses"].get("200", {}).get("content", {}).get("application/json")
        if cursor is None or answer is None:
            continue
        body = resolve(document, answer["schema"])
        records = [name for name, prop in body["properties"].items()
                   if resolve(document, prop).get("type") == "array"]  # fmt: skip
        following = [name for name in body["properties"] if "cursor" in name]
        if records == ["items"] and following:
            return path, cursor, records[0], following[0]
    raise AssertionError("the document describes no paged listing of items")


def harvest(base: str, between_pages=lambda page: None) -> list[str]:
    """Every item the document's listing gives, page after page; their identifiers."""
    with httpx.Client(timeout=30) as client:
        document = client.get(f"{base}/api/openapi.json").raise_for_status().json()
        server = document["servers"][0]["url"]
        path, cursor_name, records, next_cursor = items_listing(document)
        seen, cursor, page = [], None, 0
        while True:
            params = {cursor_name: cursor} if cursor else {}
            answer = client.get(f"{server}{path}", params={**params, "limit": LIMIT})
            answer.raise_for_status()
            body = answer.json()
            seen += [record["identifier"] for record in body[records]]
            cursor = body[next_cursor]
            if cursor is None:
                return seen
            page += 1
            between_pages(page)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api-client")
    with live_archive(folder) as (base_url, app):
        with app.app_context():
            for n in range(PUBLIC):
                made = items.create(identifier=f"PAGED-{n:02d}", title=f"شهادة {n}",
                                    type="testimony", user=None)  # fmt: skip
                items.describe(made, {"access": "public"}, user=None)
                items.publish(made, user=None)
            db.session.remove()
        yield base_url, app


def test_a_script_reading_only_the_document_gets_every_item_once(live):
    base, app = live
    expected = {f"PAGED-{n:02d}" for n in range(PUBLIC)} | {identifier("PUB")}
    seen = harvest(base)
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert len(seen) > 3 * LIMIT  # it took several pages


def test_every_item_once_while_items_change_between_pages(live):
    base, app = live
    created = []

    def edit(page: int) -> None:
        with app.app_context():
            # Items already listed and items still to come are edited (they do not move) ...
            for n in (page, PUBLIC - page):
                items.describe(items.find_item(f"PAGED-{n:02d}"),
                               {"title": f"عدلت في الصفحة {page}"}, user=None)  # fmt: skip
            # ... and a new public item comes at the end, in time to be listed.
            if page in (1, 3):
                made = items.create(identifier=f"LATE-{page}", title="جديد", type="poem",
                                    user=None)  # fmt: skip
                items.describe(made, {"access": "public"}, user=None)
                items.publish(made, user=None)
                created.append(made.identifier)
            db.session.remove()

    seen = harvest(base, edit)
    expected = {f"PAGED-{n:02d}" for n in range(PUBLIC)} | {identifier("PUB")} | set(created)
    assert created and len(seen) == len(set(seen)), "an item came twice"
    assert set(seen) == expected, "an item was missed"
