"""The PostgreSQL search backend's own hazards: transcripts beyond what a ``tsvector`` holds,
terms that are ``tsquery`` syntax, writers at once, the writer lock, rebuilds under searches,
read replicas, and the app refusing it on SQLite.

Each test gets its own database on the server at 127.0.0.1:5432, made by the real migrations
(tests/search_backends.py); skipped, with the reason, when the server does not answer.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from archive import create_app
from archive.cli.instance import init, reindex
from archive.db import db
from indexer import Access, IndexBusy, open_pg_index
from indexer.pgquery import compile_clauses
from indexer.pgschema import FACET_CODES, FACET_SPAN, MAX_DOCUMENT, MAX_POSITION, metadata
from indexer.pgsearch import Statement, matches
from indexer.postgres import WRITER_LOCK
from indexer.query import parse
from tests.conftest import app_config
from tests.search_backends import BACKENDS, new_index, search_server, server_or_skip  # noqa: F401
from tests.test_index import item

NOW = datetime(2025, 1, 1)
PUBLIC = Access.public(NOW)
STAFF = Access.staff(NOW)


@pytest.fixture
def index(tmp_path, search_server):  # noqa: F811
    with new_index("postgresql", tmp_path, search_server) as index:
        yield index


def found(index, query, access=PUBLIC, **options):
    return [r["identifier"] for r in index.search(query, access=access, **options).results]


def filler(count: int, seed: int = 1) -> list[str]:
    """``count`` words that say nothing searched for here (none is a stop word)."""
    rng = random.Random(seed)
    return ["".join(rng.choice("بتثجحخدذرزسشصضطظعغفقكمن") for _ in range(5)) for _ in range(count)]


# --- transcripts beyond a tsvector's limits ----------------------------------------------


def test_a_long_testimony_is_found_word_for_word(index):
    words = filler(30_000)
    paragraphs = [" ".join(words[i : i + 100]) for i in range(0, len(words), 100)]
    paragraphs[250] += " زنبرك عسقلان"  # word 25,100 or so: past the last position (16,383)
    paragraphs[-1] += " الإضراب عن الطعام"
    index.update([item("LONG-1", *paragraphs), item("SHORT-1", "الإضراب في نفحة")])
    with index.engine.connect() as connection:
        assert connection.scalar(text("SELECT long FROM search_items WHERE identifier = 'LONG-1'"))
    assert found(index, "زنبرك") == ["LONG-1"]
    assert found(index, '"زنبرك عسقلان"') == ["LONG-1"]  # a phrase past the cap
    assert found(index, '"عسقلان زنبرك"') == []
    assert found(index, '"الإضراب عن الطعام"') == ["LONG-1"]
    assert found(index, "زنبر*") == ["LONG-1"]
    hit = index.search("زنبرك", access=PUBLIC).results[0]["hits"][0]
    assert hit["start"] == 2500.0 and "<mark>زنبرك</mark> <mark>عسقلان</mark>" not in hit["text"]
    assert hit["text"].endswith("<mark>زنبرك</mark> عسقلان")
    assert len(words) > MAX_POSITION


def test_a_transcript_too_big_for_one_tsvector_is_still_found(index):
    words = filler(80_000, seed=2)  # about as many distinct words: well over a megabyte
    paragraphs = [" ".join(words[i : i + 200]) for i in range(0, len(words), 200)]
    paragraphs[390] += " ياسمين"
    index.update([item("HUGE-1", *paragraphs, title="شهادة طويلة جدا")])
    with index.engine.connect() as connection:
        size = connection.scalar(text("SELECT pg_column_size(document) FROM search_items"))
    assert size < MAX_DOCUMENT
    assert found(index, "ياسمين") == ["HUGE-1"]
    assert found(index, words[-1]) == ["HUGE-1"]
    assert found(index, "طويلة") == ["HUGE-1"]
    assert index.search("ياسمين", access=PUBLIC).results[0]["hits"][0]["start"] == 3900.0


def test_restricted_text_of_a_long_transcript_stays_restricted(index):
    words = filler(20_000, seed=3)
    long = item("LONG-2", *[" ".join(words[i : i + 100]) for i in range(0, len(words), 100)])
    long["transcripts"].append(
        {"id": 2, "language": "ar", "restricted": True,
         "segments": [{"id": 9, "start": 1.0, "end": 2.0, "text": " ".join(words) + " قرنفل"}]}
    )  # fmt: skip
    index.update([long])
    assert found(index, "قرنفل") == [] and found(index, '"قرنفل"') == []
    assert found(index, "قرنفل", STAFF) == ["LONG-2"]


# --- terms that are tsquery syntax ---------------------------------------------------------

ODD = [
    "it's", "'", "''", ":", "a:b", "&", "\\", "\\'", "!", "!!x", "|", "a|b", "<->", "(", ")",
    "':*", "x:*A", "' | '", "'; DROP TABLE search_items; --", "\x00", "نفحة'", "«نفحة»",
]  # fmt: skip


@pytest.mark.parametrize("query", ODD)
def test_odd_terms_are_quoted_never_read_as_syntax(index, query):
    index.update(
        [item("Q-1", "قال: it's Ra'fat's \\ story & more! a:b | c", title="O'Brien's «نفحة»",
              tags=[{"label": "it's", "label_en": "a:b & c!"}])]
    )  # fmt: skip
    result = index.search(query, access=PUBLIC, filters={"tag": [query]})
    assert result.total == 0  # no such tag
    index.search(query, access=PUBLIC, sort="date")
    index.search(f'"{query}" -{query} {query}*', access=STAFF)
    assert index.item_identifiers() == {"Q-1"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_words_next_to_odd_characters_are_found_and_marked(backend, tmp_path, search_server):  # noqa: F811
    with new_index(backend, tmp_path, search_server) as index:
        odd_words_are_found(index)


def odd_words_are_found(index):
    """The same answers on both backends."""
    index.update([item("Q-1", "قال: it's Ra'fat's \\ story & more!", title="O'Brien")])
    assert found(index, "it's") == []  # "it" and "s" are stop words: looked for among names
    assert found(index, "Ra'fat") == ["Q-1"]
    assert found(index, "o'brien") == ["Q-1"]
    assert found(index, "story & more") == ["Q-1"]
    assert found(index, "tag:it's") == []
    (hit,) = index.search("stories", access=PUBLIC).results[0]["hits"]
    assert hit["text"] == "قال: it&#x27;s Ra&#x27;fat&#x27;s \\ <mark>story</mark> &amp; more!"
    index.update([item("Q-2", "x", tags=[{"label": "it's", "label_en": ""}])])
    assert found(index, "", filters={"tag": ["it's"]}) == ["Q-2"]


# --- what keeps a large archive fast ----------------------------------------------------------


def rechecked(index, query: str) -> int:
    """Items whose ``document`` PostgreSQL read back to check positions, matching ``query``."""
    sql = Statement()
    condition = matches(compile_clauses(parse(query), False).groups, sql, False)
    with index.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        plan = connection.execute(
            text(
                f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT i.id FROM search_items i WHERE {condition}"
            ),
            sql.params,
        ).scalar()
    return plan[0]["Plan"].get("Rows Removed by Index Recheck", 0)


def test_a_phrase_of_two_words_in_any_field_is_answered_by_the_index_alone(index):
    index.update(
        [item("P-1", "كلام", title="أسرى سجن نفحة", tags=[{"label": "إضراب طويل", "label_en": ""}]),
         item("P-2", "كلام", title="نفحة سجن أسرى", tags=[{"label": "طويل إضراب", "label_en": ""}])]
    )  # fmt: skip
    assert found(index, '"سجن نفحة"') == ["P-1"]
    assert found(index, '"نفحة سجن"') == ["P-2"]
    assert found(index, 'tag:"إضراب طويل"') == ["P-1"]
    # P-2 holds both words of the title, in the other order: its pair tells, no position does
    assert rechecked(index, '"سجن نفحة"') == 0
    assert found(index, '"أسرى سجن نفحة"') == ["P-1"]  # longer: pairs, then positions


def test_facet_values_are_numbered_with_their_facet(index):
    tags = [{"label": "الشعر", "label_en": "Poetry"}]
    index.update([item("F-1", "نفحة", type="poem", tags=tags), item("F-2", "نفحة")])
    with index.engine.connect() as connection:
        numbered = connection.execute(text("SELECT facet, id FROM search_labels")).all()
    assert {facet for facet, _ in numbered} >= {"type", "tag", "decade", "language"}
    assert all(number % FACET_SPAN == FACET_CODES[facet] for facet, number in numbered)
    for rebuilt in (False, True):
        result = index.search("نفحة", access=PUBLIC, filters={"tag": ["الشعر"]})
        assert [r["identifier"] for r in result.results] == ["F-1"]
        assert result.facets["tag"] == [
            {"value": "الشعر", "label": "الشعر", "label_en": "Poetry", "count": 1}
        ]
        assert {e["value"]: e["count"] for e in result.facets["type"]} == {"poem": 1}
        if not rebuilt:
            index.rebuild([item("F-1", "نفحة", type="poem", tags=tags), item("F-2", "نفحة")])
    with index.engine.connect() as connection:
        renumbered = connection.execute(text("SELECT facet, id FROM search_labels")).all()
    assert not set(renumbered) & set(numbered)  # numbers are never reused


# --- writers at once, the writer lock, rebuilds under searches --------------------------------


def test_threads_updating_the_same_and_other_items_at_once_all_land(index):
    errors = []

    def write(prefix):
        try:
            for n in range(8):
                index.update([item(f"{prefix}-{n}", "نفحة"), item("SHARED", f"كلمة {prefix}")])
        except Exception as error:  # pragma: no cover - the failure being tested
            errors.append(error)

    threads = [threading.Thread(target=write, args=(p,)) for p in "ABCD"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    expected = {f"{p}-{n}" for p in "ABCD" for n in range(8)} | {"SHARED"}
    assert index.item_identifiers() == expected
    assert index.doc_count() == 2 * len(expected)  # one row per item and per segment
    assert found(index, "كلمة") == ["SHARED"]


def _update_many(url, prefix):
    with open_pg_index(url) as index:
        for n in range(6):
            index.update([item(f"{prefix}-{n}-{k}", "نفحة") for k in range(3)], timeout=60)


def test_two_processes_updating_at_once_both_land(index):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_update_many, args=(index.url, p)) for p in "XY"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    expected = {f"{p}-{n}-{k}" for p in "XY" for n in range(6) for k in range(3)}
    assert index.item_identifiers() == expected
    assert index.search("نفحة", access=PUBLIC).total == len(expected)


def held_writer_lock(url):
    """A connection of another session holding the writer lock (as a rebuild elsewhere)."""
    engine = create_engine(url, poolclass=NullPool)
    connection = engine.connect()
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": WRITER_LOCK})
    return engine, connection


def test_update_raises_index_busy_when_the_lock_stays_held(index):
    engine, connection = held_writer_lock(index.url)
    try:
        started = time.monotonic()
        with pytest.raises(IndexBusy):
            index.update([item("A-1", "نفحة")], timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 5
        releaser = threading.Timer(0.3, connection.close)
        releaser.start()
        index.update([item("A-1", "نفحة")], timeout=10)  # waits for a lock held briefly
        releaser.join()
    finally:
        connection.close()
        engine.dispose()
    assert index.item_identifiers() == {"A-1"}


def test_searches_during_rebuilds_see_one_version_or_the_other(index):
    index.update([item(f"OLD-{i}", "كلمة") for i in range(5)])
    seen, errors, done = set(), [], threading.Event()

    def search_all_the_time():
        while not done.is_set():
            try:
                seen.add(frozenset(found(index, "كلمة")))
            except Exception as error:  # pragma: no cover - the failure being tested
                errors.append(error)

    searcher = threading.Thread(target=search_all_the_time)
    searcher.start()
    try:
        for round in range(3):
            assert index.rebuild([item(f"NEW{round}-{i}", "كلمة") for i in range(5)]) == 5
    finally:
        done.set()
        searcher.join()
    assert errors == []
    allowed = {frozenset(f"OLD-{i}" for i in range(5))}
    allowed |= {frozenset(f"NEW{r}-{i}" for i in range(5)) for r in range(3)}
    assert seen <= allowed
    assert set(found(index, "كلمة")) == {f"NEW2-{i}" for i in range(5)}


def test_outdated_until_a_rebuild_fills_the_tables(index):
    assert index.outdated()  # never rebuilt: an archive whose search just moved here
    index.update([item("A-1", "نفحة")])
    assert index.outdated()
    assert index.rebuild([item("A-1", "نفحة")]) == 1
    assert not index.outdated()
    with index.engine.begin() as connection:
        connection.execute(text("UPDATE search_state SET value = '0' WHERE key = 'format'"))
    assert index.outdated()


def test_a_rebuild_leaves_its_rows_vacuumed_for_index_only_scans(index):
    """Ranking reads a term's weights from the key of ``search_terms`` alone, which holds only
    on pages the visibility map marks all-visible: the rebuild vacuums, no waiting for
    autovacuum (the old rows are gone too)."""
    index.rebuild([item(f"A-{n}", f"نفحة {' '.join(filler(300, n))}") for n in range(40)])
    index.rebuild([item(f"A-{n}", f"عسقلان {' '.join(filler(300, n))}") for n in range(40)])
    with index.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))  # the plan searches make
        connection.execute(text("SET enable_bitmapscan = off"))
        pages, visible = connection.execute(
            text("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'search_terms'")
        ).one()
        dead = connection.scalar(
            text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'search_terms'")
        )
        plan = connection.execute(
            text(
                "EXPLAIN (ANALYZE, FORMAT JSON) SELECT item_id, weight FROM search_terms "
                "WHERE term = ANY(ARRAY['عسقلان'])"
            )
        ).scalar()
    assert pages > 1 and visible == pages and dead == 0
    node = plan[0]["Plan"]
    scan = (node["Node Type"], node["Heap Fetches"], node["Actual Rows"])
    assert scan == ("Index Only Scan", 0, 40)
    assert found(index, "عسقلان", per_page=50) and not found(index, "نفحة")


# --- read replicas ---------------------------------------------------------------------------


def test_searches_read_the_replica_and_writes_go_to_the_primary(tmp_path, search_server):  # noqa: F811
    """The replica here is a second database the test copies the primary into (PostgreSQL's
    streaming replication is not set up by the tests): what matters is which one each verb
    reads and writes. A replica that is not a standby is not waited for."""
    server = server_or_skip(search_server)
    with new_index("postgresql", tmp_path, server) as primary:
        replica_name = server.migrated(tmp_path)
        replica_url = server.database_url(replica_name)
        with open_pg_index(primary.url, replica_url=replica_url) as index:
            index.update([item("A-1", "نفحة")])
            assert found(primary, "نفحة") == ["A-1"]  # written to the primary
            assert found(index, "نفحة") == [] and index.item_identifiers() == set()
            index.engine.dispose()  # a template database may have no connection
            primary.engine.dispose()
            with server.engine.connect() as connection:  # "replicate": copy the primary over
                connection.execute(text(f"DROP DATABASE {replica_name} WITH (FORCE)"))
                connection.execute(
                    text(f"CREATE DATABASE {replica_name} TEMPLATE {primary.url.rsplit('/', 1)[1]}")
                )
            index.replica.dispose()
            assert found(index, "نفحة") == ["A-1"]
            with pytest.raises(Exception, match="read-only"):  # searches never write
                with index.replica.connect() as connection, connection.begin():
                    connection.execute(text("SET TRANSACTION READ ONLY"))
                    connection.execute(text("DELETE FROM search_items"))


def test_the_core_tables_match_the_migrations(index):
    """The indexer's tables are those the frozen migrations made (what ``make eval`` creates
    with ``metadata.create_all`` is what the archive runs on)."""
    with index.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: kind != "table" or name.startswith("search_"),
            },
        )
        assert compare_metadata(context, metadata) == []


# --- the app ---------------------------------------------------------------------------------


def test_the_app_refuses_postgresql_search_on_an_sqlite_catalogue(tmp_path):
    config = app_config(tmp_path / "instance") | {
        "DATABASE_URL": "",
        "SEARCH": {"BACKEND": "postgresql"},
    }
    app = create_app(config)
    result = app.test_cli_runner().invoke(init)
    assert result.exit_code != 0
    message = result.output.strip().splitlines()
    assert message == [
        'Error: [SEARCH] BACKEND = "postgresql" needs the catalogue on PostgreSQL '
        '(DATABASE_URL = "postgresql+psycopg://..."); it is on sqlite.'
    ]


def test_the_app_searches_and_rebuilds_the_postgresql_tables(tmp_path, search_server):  # noqa: F811
    from tests.test_search_api import make

    server = server_or_skip(search_server)
    url = server.database_url(server.migrated(tmp_path))
    config = app_config(tmp_path / "instance", url) | {"SEARCH": {"BACKEND": "postgresql"}}
    app = create_app(config)
    runner = app.test_cli_runner()
    result = runner.invoke(init)
    assert result.exit_code == 0, result.output
    assert "rebuilding" in result.output  # the empty tables were never filled by a rebuild
    assert "rebuilding" not in runner.invoke(init).output
    with app.app_context():
        make("PG-1", title="شهادة عن سجن نفحة", text=["دخلنا الإضراب في نفحة"])
        assert db.session.execute(text("SELECT count(*) FROM search_items")).scalar() == 1
    client = app.test_client()
    data = client.get("/api/search?q=نفحه").get_json()  # searchable when the operation returned
    assert [r["identifier"] for r in data["results"]] == ["PG-1"]
    assert data["results"][0]["hits"][0]["text"] == "دخلنا الإضراب في <mark>نفحة</mark>"
    assert not (tmp_path / "instance" / "index" / "current").exists()  # no Whoosh index
    result = runner.invoke(reindex)
    assert result.exit_code == 0 and "Indexed 1 item(s)" in result.output
    assert client.get("/api/search?q=نفحه").get_json() == data
    with app.app_context():  # vacuumed after the command's own reading was done
        pages, visible = db.session.execute(
            text("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'search_terms'")
        ).one()
        assert pages >= 1 and visible == pages
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
