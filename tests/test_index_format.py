"""An index written by an older version (its documents lack what the search reads now) is
noticed, and ``archive init`` rebuilds it."""

from __future__ import annotations

from pathlib import Path

import pytest

import indexer
from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.cli.instance import init as init_command
from archive.db import db
from archive.discovery import indexing, search
from tests.databases import SEARCH_BACKEND

pytestmark = pytest.mark.skipif(
    SEARCH_BACKEND != "whoosh",
    reason="a Whoosh index folder of an older format (PostgreSQL: tests/test_index_postgres.py)",
)


def live_folder(app) -> Path:
    root = Path(app.config["INDEX"]["DIR"])
    return root / (root / "current").readlink()


def test_init_rebuilds_an_index_of_an_older_format(app, runner):
    with app.app_context():
        item = items.create(identifier="FMT-1", title="شهادة", type="testimony", user=None)
        items.describe(item, {"access": "public"}, user=None)
        transcripts.attach(
            item, [ParsedSegment(0.0, 2.0, "كنا في سجن نفحة")], language="ar", user=None
        )
        items.publish(item, user=None)
        before = search.search("نفحه", user=None)
        assert before["results"][0]["hits"]
        assert not indexer.outdated(indexing.index_root())
        db.session.remove()

    (live_folder(app) / indexer.index.FORMAT_FILE).write_text("1\n")  # as an older version left it
    with app.app_context():
        assert indexer.outdated(indexing.index_root())
    result = runner.invoke(init_command)
    assert result.exit_code == 0, result.output
    assert "rebuilding" in result.output
    with app.app_context():
        assert not indexer.outdated(indexing.index_root())
        after = search.search("نفحه", user=None)
        assert [(r["identifier"], r["hits"]) for r in after["results"]] == [
            (r["identifier"], r["hits"]) for r in before["results"]
        ]
    again = runner.invoke(init_command)
    assert "rebuilding" not in again.output  # only once
