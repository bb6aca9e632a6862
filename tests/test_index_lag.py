"""A busy index never fails a change, and a late index never shows what the catalogue hides.

The index writer lock is held by another thread (as a reindex or a long import in another
process would hold it) while an archivist unpublishes or withdraws an item: the change answers
at once and is committed, its indexing waits in the outbox, and meanwhile anonymous search
(results, total, facet counts, suggestion, hits' text) no longer shows the item. Once the lock
is released, the outbox drains.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from sqlalchemy import func, select

from archive.catalogue import items
from archive.db import db
from archive.discovery import indexing
from archive.models import IndexOutbox
from tests.test_withdrawal import TITLE, public_item  # noqa: F401 (a fixture)

WORD = "عسقلان"  # in the item's title and transcript
SPOKEN = "يتعلمون"  # only in its transcript
TYPO = "يتعلمزن"  # one letter from SPOKEN: "did you mean" offers SPOKEN while it is visible
WAIT = 0.3  # [INDEX] SYNC_WAIT in these tests


@contextmanager
def index_held(app):
    """Hold the index writer lock in another thread until the block ends."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        with app.app_context(), indexing.writer_lock():
            taken.set()
            release.wait(60)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(10)


def anonymous_view(app, query: str) -> dict:
    """Everything an anonymous visitor's search of ``query`` says, JSON and page."""
    visitor = app.test_client()
    data = visitor.get("/api/search", query_string={"q": query}).get_json()
    page = visitor.get("/search", query_string={"q": query}).get_data(as_text=True)
    return {"json": data, "page": page}


def shows(view: dict, identifier: str) -> list[str]:
    """Where the item (or its words) shows in ``view``."""
    data, where = view["json"], []
    if data["total"]:
        where.append("total")
    if any(r["identifier"] == identifier for r in data["results"]):
        where.append("results")
    if any(e["count"] for entries in data["facets"].values() for e in entries):
        where.append("facets")
    if data["suggestion"]:
        where.append("suggestion")
    page = view["page"]
    if identifier in page or TITLE in page or "<mark>" in page or "suggestion" in page:
        where.append("page")  # its identifier, title, hits or a "did you mean"
    return where


def outbox_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(IndexOutbox))


def test_unpublish_while_the_index_is_busy(app, client, auth, public_item):  # noqa: F811
    ident = public_item["identifier"]
    app.config["INDEX"]["SYNC_WAIT"] = WAIT
    assert shows(anonymous_view(app, WORD), ident) == ["total", "results", "facets", "page"]
    assert shows(anonymous_view(app, TYPO), ident) == ["suggestion", "page"]  # "did you mean"

    client.get("/?lang=en")  # the notice is flashed in the language of the POST
    auth.login("archivist@example.org")
    token = auth.csrf("/")
    with index_held(app):
        started = time.monotonic()
        answer = client.post(f"/manage/items/{ident}/unpublish", data={"csrf_token": token})
        seconds = time.monotonic() - started
        assert answer.status_code == 302, answer.status_code
        assert seconds < WAIT + 5, seconds  # not the 120 s of waiting for the writer
        notice = client.get(answer.headers["Location"] + "?lang=en").get_data(as_text=True)
        assert "The search will show this change in a moment." in notice
        with app.app_context():
            assert items.find_item(ident).status == "draft"  # committed
        assert outbox_rows(app) > 0  # its indexing waits
        # The index still says "published public"; nothing of it reaches a visitor.
        for query in (WORD, SPOKEN, TYPO, ""):
            assert shows(anonymous_view(app, query), ident) == [], query
        staff = client.get("/api/search", query_string={"q": WORD}).get_json()
        assert [r["identifier"] for r in staff["results"]] == [ident]  # staff see every item

    with app.app_context():
        assert indexing.sync() > 0  # the worker's recovery, or the next change, does this
    assert outbox_rows(app) == 0
    assert shows(anonymous_view(app, WORD), ident) == []


def test_withdraw_while_the_index_is_busy(app, client, auth, public_item):  # noqa: F811
    ident = public_item["identifier"]
    app.config["INDEX"]["SYNC_WAIT"] = WAIT
    assert all(path.is_file() for path in public_item["derivatives"])

    auth.login("archivist@example.org")
    token = auth.csrf("/")
    with index_held(app):
        started = time.monotonic()
        answer = client.post(
            f"/manage/items/{ident}/withdraw",
            data={"csrf_token": token, "reason": "consent withdrawn by the narrator"},
        )
        assert answer.status_code == 302, answer.status_code
        assert time.monotonic() - started < WAIT + 5
        with app.app_context():
            assert items.find_item(ident).status == "withdrawn"
        assert not any(path.exists() for path in public_item["derivatives"])  # copies deleted
        assert public_item["original"].is_file()  # the original is kept
        for query in (WORD, SPOKEN, TYPO, ""):
            assert shows(anonymous_view(app, query), ident) == [], query

    # The next change drains the outbox, the withdrawn item's rows with its own.
    with app.app_context():
        item = items.find_item(ident)
        items.describe(item, {"notes": "withdrawn on request"}, user=None)
    assert outbox_rows(app) == 0
    assert shows(anonymous_view(app, WORD), ident) == []
