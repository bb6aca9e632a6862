"""The search index in PostgreSQL: the same verbs as :class:`indexer.Index`, on the tables of
:mod:`indexer.pgschema` in the catalogue's own database.

Several web and worker hosts share it: every search reads the rows as committed, so there is
nothing to reopen or swap. Writes take one transaction-scoped advisory lock, so updates and
rebuilds never interleave; :func:`open_pg_index` may name a read replica, where searches go
while writes go to the primary (an update then waits, a bounded time, until the replica has
replayed it).
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from . import morphology, pgschema
from .index import IndexBusy
from .pgschema import ItemRows, item_rows
from .pgsearch import name_keys, run
from .search import Access, SearchResult

#: The advisory lock every writer of the search tables holds for its transaction.
WRITER_LOCK = zlib.crc32(b"archive search index writer")
REPLICA_WAIT = 10.0  # seconds an update waits for the replica to replay it
BATCH = 200  # items written per batch by a rebuild
SEARCH_WORK_MEM = "32MB"  # memory of one search's sorts and hashes (the server's default: 4MB)

log = logging.getLogger(__name__)

GIN_INDEXES = [i.name for t in pgschema.metadata.sorted_tables for i in t.indexes
               if i.dialect_options["postgresql"]["using"] == "gin"]  # fmt: skip
CHILDREN = ("search_terms", "search_words", "search_segments", "search_passages")  # of items
ITEM_COLUMNS = [c.name for c in pgschema.items.columns]
SEGMENT_COLUMNS = [c.name for c in pgschema.segments.columns]
PASSAGE_COLUMNS = [c.name for c in pgschema.passages.columns]


class NoTables(Exception):
    """The database lacks the search tables: run ``archive init`` (migration 0009)."""


def engine_for(url_or_engine) -> Engine:
    """An engine on ``url`` through psycopg (or the engine given)."""
    if isinstance(url_or_engine, Engine):
        return url_or_engine
    url = make_url(url_or_engine)
    if url.get_backend_name() != "postgresql":
        raise ValueError(
            f"the PostgreSQL search backend needs a PostgreSQL URL, not {url.drivername}"
        )
    return create_engine(url.set(drivername="postgresql+psycopg"), pool_pre_ping=True)


class PgIndex:
    """The search tables behind ``engine`` (and searches on ``replica``); use
    :func:`open_pg_index`. Safe to share between threads."""

    def __init__(self, engine: Engine, replica: Engine | None = None, own: tuple = ()):
        self.engine = engine
        self.replica = replica
        self._own = own  # engines made here, disposed by close()

    def update(self, items: list[dict], *, remove: Iterable[str] = (), timeout: float = 30.0):
        """Replace the rows of ``items`` and delete those of ``remove``, in one transaction.

        Waits up to ``timeout`` seconds for another writer; raises :class:`IndexBusy` after."""
        rows = [item_rows(item) for item in items]
        doomed = set(remove) | {r.item["identifier"] for r in rows}
        if not doomed:
            return
        with self.engine.begin() as connection:
            _lock(connection, timeout)
            connection.execute(
                pgschema.items.delete().where(pgschema.items.c.identifier.in_(sorted(doomed)))
            )
            _write(connection, rows, {})
            position = self._position(connection)
        self._wait_for_replica(position)

    def rebuild(self, items: Iterable[dict], *, timeout: float = 600.0) -> int:
        """Replace every row by those of ``items``, in one transaction: searches see the old
        rows until it commits, then the new. Returns the number of items written."""
        seen, labels = set(), {}  # labels: (facet, value) -> id, as numbered so far
        with self.engine.begin() as connection:
            _lock(connection, timeout)
            # New GIN entries gather in each index's pending list and are merged into the
            # index in large sorted runs: many times faster than one merge per 4 MB.
            connection.execute(text("SET LOCAL gin_pending_list_limit = '256MB'"))
            connection.execute(text("SET LOCAL work_mem = '256MB'"))
            for table in (*CHILDREN, "search_items", "search_labels"):
                connection.execute(text(f"DELETE FROM {table}"))
            for batch in _analysed(items, seen):
                _write(connection, batch, labels)
            for index in GIN_INDEXES:  # merged now: searches never scan a long pending list
                connection.execute(text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"),
                                   {"i": index})  # fmt: skip
            # Statistics of the new rows at once (autovacuum would take its time): the planner
            # then knows how many items a term or a facet value holds.
            connection.execute(text(f"ANALYZE {', '.join(('search_items', *CHILDREN))}"))
            connection.execute(
                text(
                    "INSERT INTO search_state (key, value) VALUES ('format', :format) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ),
                {"format": pgschema.FORMAT},
            )
            position = self._position(connection)
        _vacuum(self.engine)
        self._wait_for_replica(position)
        return len(seen)

    def outdated(self) -> bool:
        """True when the rows were written in another format, or never by a rebuild (an
        archive that just moved its search to PostgreSQL): rebuild them."""
        try:
            with self.engine.connect() as connection:
                found = connection.scalar(
                    select(pgschema.state.c.value).where(pgschema.state.c.key == "format")
                )
        except ProgrammingError as exc:  # the table is missing
            raise NoTables("the search tables are missing: run `archive init`") from exc
        return found != pgschema.FORMAT

    def search(self, query: str, *, access: Access, **options) -> SearchResult:
        """Items matching ``query`` that ``access`` may see; see :meth:`indexer.Index.search`."""
        with (self.replica or self.engine).connect() as connection:
            with connection.begin():
                connection.execute(text("SET TRANSACTION READ ONLY"))
                # Matching reads the GIN indexes only; a sequential scan would unpack every
                # item's document, which the planner does not count (it costs 100 times more).
                connection.execute(text("SET LOCAL enable_seqscan = off"))
                # That setting makes a plan that must scan a table cost 10^10, which would
                # start JIT compilation: half a second of compiling for a query of 10 ms.
                connection.execute(text("SET LOCAL jit = off"))
                # The matched items (a few MB at a million segments) stay in memory.
                connection.execute(text(f"SET LOCAL work_mem = '{SEARCH_WORK_MEM}'"))
                return run(connection, query or "", access=access, **options)

    def prepare(self) -> None:
        """Read what every search needs (the vocabulary by consonant key) now, so that the
        first visitor does not wait for it."""
        morphology.prepare()
        with (self.replica or self.engine).connect() as connection:
            name_keys(connection)

    def doc_count(self) -> int:
        """Number of item and segment rows."""
        with (self.replica or self.engine).connect() as connection:
            items = connection.scalar(select(func.count()).select_from(pgschema.items))
            segments = connection.scalar(select(func.count()).select_from(pgschema.segments))
        return items + segments

    def item_identifiers(self) -> set[str]:
        with (self.replica or self.engine).connect() as connection:
            return set(connection.scalars(select(pgschema.items.c.identifier)))

    def close(self) -> None:
        for engine in self._own:
            engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _position(self, connection) -> str | None:
        """Where the primary's WAL stands after a write, when searches read a replica."""
        if self.replica is None:
            return None
        return connection.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))

    def _wait_for_replica(self, position: str | None, wait: float = REPLICA_WAIT) -> None:
        """Return once the replica has replayed up to ``position`` (or after ``wait`` seconds):
        a change is searchable when the request that made it returns. A replica that is not
        a standby (a copy kept by other means) is not waited for."""
        if position is None:
            return
        deadline = time.monotonic() + wait
        try:
            with self.replica.connect() as connection:
                while time.monotonic() < deadline:
                    replayed = connection.scalar(
                        text(
                            "SELECT CASE WHEN pg_is_in_recovery() THEN "
                            "pg_last_wal_replay_lsn() >= CAST(:position AS pg_lsn) ELSE TRUE END"
                        ),
                        {"position": position},
                    )
                    connection.rollback()
                    if replayed:
                        return
                    time.sleep(0.01)
        except OperationalError:  # the replica is down: the write stands, searches will say so
            return


def open_pg_index(url, *, replica_url=None) -> PgIndex:
    """The search tables in the PostgreSQL database at ``url`` (a URL or a SQLAlchemy engine,
    which the caller keeps); searches read ``replica_url`` when given."""
    engine = engine_for(url)
    replica = engine_for(replica_url) if replica_url else None
    own = tuple(e for e, given in ((engine, url), (replica, replica_url)) if e is not None
                and not isinstance(given, Engine))  # fmt: skip
    return PgIndex(engine, replica, own)


def _vacuum(engine: Engine) -> None:
    """Vacuum the search tables after a rebuild: the old rows go, and the new are marked
    visible to all in the visibility map, without which ranking's index-only scans of
    ``search_terms`` read a table page per item instead (at a million segments, three times
    slower, until autovacuum came by). Outside the rebuild's transaction, as VACUUM must be:
    the rebuild is committed whatever happens here, so a failure is logged, not raised."""
    tables = ", ".join(("search_items", *CHILDREN))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM {tables}"))
    except (OperationalError, ProgrammingError):
        log.exception("vacuuming the search tables after a rebuild failed (autovacuum will)")


def _lock(connection, timeout: float) -> None:
    """Take the writer lock for this transaction, or raise :class:`IndexBusy`."""
    connection.execute(text(f"SET LOCAL lock_timeout = {max(1, int(timeout * 1000))}"))
    try:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})
    except OperationalError as exc:
        if "lock timeout" not in str(exc):
            raise
        raise IndexBusy(f"the search index writer stayed locked for {timeout:g} s") from None
    connection.execute(text("SET LOCAL lock_timeout = 0"))


def _analysed(items: Iterable[dict], seen: set) -> Iterator[list[ItemRows]]:
    """The rows of ``items`` (each identifier once, added to ``seen``) in batches, each made
    by a thread while the batch before it is written: the server writes one while Python
    analyses the next, on two cores. ``items`` is read here, in the caller's thread (a
    catalogue session belongs to its thread)."""

    def analyse(batch: list[dict]) -> list[ItemRows]:
        return [item_rows(item) for item in batch]

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-rows") as pool:
        pending, batch = None, []
        for item in items:
            if item["identifier"] in seen:
                continue
            seen.add(item["identifier"])
            batch.append(item)
            if len(batch) == BATCH:
                made, batch = pool.submit(analyse, batch), []
                if pending is not None:
                    yield pending.result()
                pending = made
        if pending is not None:
            yield pending.result()
        yield analyse(batch)


def _write(connection, rows: list[ItemRows], labels: dict) -> None:
    """Insert the rows of some items (ids taken from the table's sequence), with COPY.
    ``labels``: (facet, value) -> id of the values numbered so far in this transaction."""
    if not rows:
        return
    _number_labels(connection, rows, labels)
    ids = connection.scalars(
        text("SELECT nextval('search_items_id_seq') FROM generate_series(1, :n)"),
        {"n": len(rows)},
    ).all()
    items, terms, words, segments, passages = [], [], [], [], []
    for item_id, row in zip(ids, rows, strict=True):
        row.item["facets"] = sorted({labels[(f, v)] for f, v, _, _ in row.labels})
        items.append([item_id] + [row.item[c] for c in ITEM_COLUMNS[1:]])
        terms += [(term, item_id, weight) for term, weight in row.terms.items()]
        words.append((item_id, *row.words))
        segments += [[item_id] + [s[c] for c in SEGMENT_COLUMNS[1:]] for s in row.segments]
        passages += [[item_id] + [p[c] for c in PASSAGE_COLUMNS[1:]] for p in row.passages]
    _copy(connection, "search_items", ITEM_COLUMNS, items)
    _copy(connection, "search_terms", ["term", "item_id", "weight"], terms)
    _copy(connection, "search_words", ["item_id", "words", "restricted_words"], words)
    _copy(connection, "search_segments", SEGMENT_COLUMNS, segments)
    _copy(connection, "search_passages", PASSAGE_COLUMNS, passages)


def _copy(connection, table: str, columns: list[str], rows) -> None:
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _number_labels(connection, rows: list[ItemRows], labels: dict) -> None:
    """Add to ``labels`` the id of each facet value of ``rows``, writing the values not yet in
    ``search_labels`` (the first label written stays, as in Whoosh)."""
    given = {}
    for row in rows:
        for facet, value, label, label_en in row.labels:
            if (facet, value) not in labels:
                given.setdefault((facet, value), (label, label_en))
    if not given:
        return
    found = connection.execute(
        text(
            "WITH given AS (SELECT * FROM unnest(CAST(:facets AS text[]), CAST(:values AS "
            "text[]), CAST(:labels AS text[]), CAST(:labels_en AS text[]), CAST(:codes AS "
            "int[])) AS g(facet, value, label, label_en, code)), "
            "added AS (INSERT INTO search_labels (id, facet, value, label, label_en) "
            f"SELECT nextval('search_labels_number_seq') * {pgschema.FACET_SPAN} + code, facet, "
            "value, label, label_en FROM given ON CONFLICT (facet, value) DO NOTHING "
            "RETURNING facet, value, id) "
            "SELECT facet, value, id FROM added UNION ALL "
            "SELECT l.facet, l.value, l.id FROM search_labels l JOIN given g USING (facet, value)"
        ),
        {
            "facets": [f for f, _ in given],
            "values": [v for _, v in given],
            "labels": [label for label, _ in given.values()],
            "labels_en": [label_en for _, label_en in given.values()],
            "codes": [pgschema.FACET_CODES[f] for f, _ in given],
        },
    )
    labels.update({(facet, value): number for facet, value, number in found})
