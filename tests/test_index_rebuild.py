"""The search index is disposable: delete its folder, `archive reindex`, and every answer is the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from archive.cli.instance import reindex
from archive.db import db
from tests.test_search_api import make

QUERIES = [
    {"q": ""},
    {"q": "نفحة"},
    {"q": "نفحه الاسري"},  # other spellings of the same words
    {"q": '"الإضراب عن الطعام"'},
    {"q": "الحري*"},
    {"q": "نفحة OR الحرية", "sort": "date"},
    {"q": "نفحة -الليل", "sort": "-date"},
    {"q": "narrator:حمدونه"},
    {"q": "decade:1980"},
    {"q": "", "type": "poem"},
    {"q": "", "tag": "الإضراب عن الطعام"},
    {"q": "نفحة", "per_page": 1, "page": 2},
    {"q": "نفحى"},  # a "did you mean"
    {"q": "كلمةسريةجدا"},
]


@pytest.fixture
def catalogue(app):
    with app.app_context():
        make(
            "PUB-1",
            title="شهادة عن سجن نفحة",
            narrators="رأفت حمدونة",
            tags="الإضراب عن الطعام",
            date="1988-04",
            place="نفحة",
            collections="شهادات نفحة",
            text=["دخلنا الإضرابَ عن الطعام في نفحة", "وكانت الأسرى صامدين"],
        )
        make(
            "PUB-2",
            title="قصيدة الحرية",
            type="poem",
            narrators="أبو علي",
            date="1992",
            text=["الحرية قادمة", "يا نفحة يا ليل السجن"],
        )
        make(
            "PUB-3",
            title="Lecture on Nafha",
            title_en="Lecture on Nafha",
            type="lecture",
            languages="en",
            date="circa 1990",
            text=["The Nafha hunger strike of 1980"],
        )
        make(
            "RES-1",
            title="شهادة للباحثين عن نفحة",
            access="researchers",
            narrators="أبو علي",
            date="1985",
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
        make("DRAFT-1", title="مسودة عن نفحة", status="draft", text=["زنزانةمسودة في نفحة"])
    # fmt: skip


def answers(client) -> list[dict]:
    found = []
    for params in QUERIES:
        response = client.get("/api/search", query_string=params)
        assert response.status_code == 200, params
        found.append(response.get_json())
    return found


def delete_and_rebuild(app, runner) -> None:
    index_dir = Path(app.config["INDEX"]["DIR"])
    with app.app_context():
        app.extensions.pop("archive.index", None)  # let go of the open index before deleting it
    if app.config["SEARCH"]["BACKEND"] == "postgresql":  # the search tables are the index
        with app.app_context():
            db.session.execute(text("DELETE FROM search_items"))
            db.session.commit()
    else:
        shutil.rmtree(index_dir)
        assert not index_dir.exists()
    result = runner.invoke(reindex)
    assert result.exit_code == 0, result.output
    assert "Indexed 6 item(s)" in result.output


def test_deleted_index_is_rebuilt_with_identical_results(app, client, auth, runner, catalogue):
    delete_and_rebuild(app, runner)  # an index built in one pass, to compare like with like
    anonymous = answers(client)
    auth.login("researcher@example.org")
    researcher = answers(client)
    auth.logout()
    assert anonymous[0]["total"] == 3 and researcher[0]["total"] == 4  # not an empty index

    delete_and_rebuild(app, runner)
    assert answers(client) == anonymous
    auth.login("researcher@example.org")
    assert answers(client) == researcher


def test_rebuilt_index_finds_what_the_incremental_one_found(app, client, runner, catalogue):
    """Items, order, moments and facet counts match; only scores may differ (BM25 statistics
    of an index that was updated in place still count the documents it replaced)."""

    def without_scores(bodies):
        for body in bodies:
            for result in body["results"]:
                result.pop("score")
        return bodies

    before = without_scores(answers(client))
    delete_and_rebuild(app, runner)
    assert without_scores(answers(client)) == before
