"""The work of one search is bounded, and one visitor cannot starve the others.

Hostile but short queries (one Arabic "word" of hundreds of letters, many clitic letters, many
wildcards) are cut to what the index can hold; "did you mean" skips words no one types; a time
budget answers with what was found so far, marked ``partial``; and an anonymous address runs
at most ``[SEARCH] CONCURRENT_PER_ADDRESS`` searches at once, counted by every worker (lock
files in the instance folder), the next one answered 429 with ``Retry-After``.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime

import pytest

import indexer.search
from archive.catalogue import items
from archive.discovery import limits
from indexer import Access
from indexer import query as query_language
from indexer.stemming import MAX_WORD
from tests.search_backends import BACKENDS, new_index, search_server  # noqa: F401 (a fixture)
from tests.test_search_engine import item

NOW = datetime(2025, 1, 1)
PUBLIC = Access.public(NOW)
LONG_WORD = "الاسرىوالمعتقلينفيسجوننفحة" * 18  # ~480 letters, no spaces
HOSTILE = (
    LONG_WORD,
    "و" * 240 + "بالسجن",
    " ".join(f"{a}{b}*" for a in "اسمت" for b in "لعبن"),
)


@pytest.fixture(scope="module", params=BACKENDS)
def index(request, tmp_path_factory, search_server):  # noqa: F811
    with new_index(request.param, tmp_path_factory.mktemp("limits"), search_server) as ix:
        ix.update(
            [
                item("L-1", [(0, 5, "كان الأسرى في سجن نفحة يتعلمون"), (5, 9, "الإضراب عن الطعام")],
                     title="شهادة عن سجن نفحة"),
                item("L-2", [(0, 4, "سنوات الاعتقال في عسقلان والمعتقلات")], title="عسقلان"),
                item("L-3", [(0, 4, LONG_WORD)], title="ووووووووووووووووووووووووووووووووووووووو"),
            ]
        )  # fmt: skip
        yield ix


def test_a_long_word_meets_itself_and_costs_no_suggestions(index, monkeypatch):
    looked_up = []
    real = indexer.search.edits
    monkeypatch.setattr(indexer.search, "edits", lambda w: looked_up.append(w) or real(w))
    found = index.search(LONG_WORD, access=PUBLIC)
    assert [r["identifier"] for r in found.results] == ["L-3"]  # cut alike in text and query
    missing = index.search("ظ" * 400, access=PUBLIC)
    assert (missing.total, missing.suggestion) == (0, None)
    assert all(len(w) <= indexer.search.MAX_SUGGEST for w in looked_up), looked_up
    assert index.search("نفخة", access=PUBLIC).suggestion == "نفحه"  # short words still do


def test_hostile_queries_answer_in_shape(index):
    for text in HOSTILE:
        result = index.search(text, access=PUBLIC, budget=5.0)
        data = result.to_dict()
        assert set(data) >= {"query", "total", "results", "facets", "suggestion", "partial"}
        assert all(len(term) <= MAX_WORD for term in indexer.terms(text))


def test_leaves_of_one_query_are_bounded(index, monkeypatch):
    monkeypatch.setattr(query_language, "MAX_LEAVES", 3)
    wide = index.search("سج* نف* عس* ال* مع*", access=PUBLIC)
    assert wide.partial
    assert not index.search("سجن", access=PUBLIC).partial


def test_a_spent_budget_answers_with_what_it_has(index):
    whole = index.search("سجن نفحة", access=PUBLIC)
    assert not whole.partial and whole.total == 1
    cut = index.search("سجن نفحة", access=PUBLIC, budget=1e-9)
    assert cut.partial and cut.to_dict()["partial"] is True
    assert cut.total <= whole.total and cut.suggestion is None
    # Exclusions hold even when time is up: an excluded item never comes back.
    assert "L-1" not in [r["identifier"] for r in index.search("-نفحة", access=PUBLIC,
                                                                budget=1e-9).results]  # fmt: skip


# --- the archive: the budget on the page, and the per-address limit ---------------------------


@pytest.fixture
def published(app):
    with app.app_context():
        made = items.create(identifier="LIM-1", title="شهادة عن سجن نفحة", type="poem", user=None)
        items.describe(made, {"access": "public"}, user=None)
        items.publish(made, user=None)


def test_the_page_says_when_a_search_was_cut_short(app, client, published):
    assert client.get("/api/search?q=نفحة").get_json()["partial"] is False
    app.config["SEARCH"]["TIME_BUDGET"] = 1e-9
    assert client.get("/api/search?q=نفحة").get_json()["partial"] is True
    page = client.get("/search?q=نفحة&lang=en").get_data(as_text=True)
    assert "This search took too long: these are the results found so far." in page


def hold_slots(app, address: str, count: int) -> ExitStack:
    """Take ``count`` of ``address``'s search slots, as searches running in other workers do."""
    stack = ExitStack()
    with app.test_request_context():
        for _ in range(count):
            assert stack.enter_context(limits.search_slot(address))
    return stack


def test_one_address_runs_a_bounded_number_of_searches(app, client, auth, published):
    allowed = app.config["SEARCH"]["CONCURRENT_PER_ADDRESS"]
    assert allowed >= 1
    with hold_slots(app, "127.0.0.1", allowed):
        for url in ("/api/search?q=نفحة", "/search?q=نفحة&lang=en"):
            refused = client.get(url)
            assert refused.status_code == 429, url
            assert int(refused.headers["Retry-After"]) >= 1
        assert "error" in client.get("/api/search?q=x").get_json()
        assert "Too many searches at once" in client.get("/search?lang=en").get_data(as_text=True)
        other = app.test_client().get(
            "/api/search?q=نفحة", environ_base={"REMOTE_ADDR": "10.9.8.7"}
        )
        assert other.status_code == 200  # another visitor is not held up
        auth.login("researcher@example.org")
        assert client.get("/api/search?q=نفحة").status_code == 200  # logged-in users are not
        auth.logout()
    assert client.get("/api/search?q=نفحة").status_code == 200  # the slots are free again


def test_one_ipv6_visitor_is_its_network(app):
    with hold_slots(app, "2001:db8:5:6::1", app.config["SEARCH"]["CONCURRENT_PER_ADDRESS"]):
        with app.test_request_context(), limits.search_slot("2001:db8:5:6:ffff::2") as slot:
            assert slot is False  # the same /64
        with app.test_request_context(), limits.search_slot("2001:db8:5:7::1") as slot:
            assert slot is True
