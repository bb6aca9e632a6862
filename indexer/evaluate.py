"""Measure Arabic search quality: recall@10 and MRR of our analyzer beside two baselines.

Three indexes over the same passages (tests/data/arabic/passages.jsonl) answer the same
queries (tests/data/eval/queries.jsonl), each written with spelling variants of the passage text:

- the archive's own search (:class:`ArchiveSearch`): a Whoosh index made as the site makes it,
  searched with its query language, ranking and expansion (:func:`indexer.arabic_analyzer`'s
  terms, several readings of a word at one position);
- Whoosh with its own ``StandardAnalyzer``;
- SQLite FTS5 with ``tokenize="unicode61 remove_diacritics 2"``;
- and, when a PostgreSQL server answers (``--postgresql``, ``ARCHIVE_EVAL_POSTGRESQL``, by default
  127.0.0.1:5432), the archive's PostgreSQL backend on a scratch database, searched through its
  own query language and ranking.

Queries are plain words ranked OR-ishly, passages holding all the words first: the archive
ranks AND-first, the other Whoosh index parses with ``OrGroup.factory(0.9)``, FTS5 joins the words with ``OR`` and orders by ``bm25``.
Run ``python -m indexer.evaluate``; it prints one table by system and one by variant, then the
same systems on tests/data/eval/limitations.jsonl: known misses of our stemmer (broken plurals
it does not fold), measured so that they stay visible rather than being left out of the set;
then the harder set of :mod:`indexer.evaluate_hard` (``--first-only`` leaves it out).
"""

import argparse
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import fields
from whoosh.analysis import StandardAnalyzer
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import OrGroup, QueryParser

from .search import Access

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PASSAGES = DATA / "arabic" / "passages.jsonl"
QUERIES = DATA / "eval" / "queries.jsonl"
LIMITATIONS = DATA / "eval" / "limitations.jsonl"
CUTOFF = 10


@dataclass
class Scores:
    """Recall@10 and reciprocal rank per query of one system, with the queries it missed."""

    recall: dict = field(default_factory=dict)
    reciprocal_rank: dict = field(default_factory=dict)
    variant: dict = field(default_factory=dict)
    missed: list = field(default_factory=list)

    def add(self, query, ranked):
        relevant = set(query["relevant"])
        top = ranked[:CUTOFF]
        found = relevant.intersection(top)
        key = query["query"]
        self.recall[key] = len(found) / len(relevant)
        self.reciprocal_rank[key] = next(
            (1 / rank for rank, pid in enumerate(top, 1) if pid in relevant), 0.0
        )
        self.variant[key] = query["variant"]
        if len(found) < len(relevant):
            self.missed.append((key, sorted(relevant - found)))

    @property
    def mean_recall(self):
        return sum(self.recall.values()) / len(self.recall)

    @property
    def mrr(self):
        return sum(self.reciprocal_rank.values()) / len(self.reciprocal_rank)

    def recall_by_variant(self):
        by_variant = defaultdict(list)
        for key, value in self.recall.items():
            by_variant[self.variant[key]].append(value)
        return {v: sum(values) / len(values) for v, values in by_variant.items()}


def load_jsonl(path):
    """Read one JSON object per non-empty line."""
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


class WhooshSearch:
    """An in-memory Whoosh index of the passages with the given analyzer."""

    def __init__(self, passages, analyzer):
        schema = fields.Schema(id=fields.ID(stored=True), text=fields.TEXT(analyzer=analyzer))
        self.index = RamStorage().create_index(schema)
        with self.index.writer() as writer:
            for passage in passages:
                writer.add_document(id=passage["id"], text=passage["text"])
        self.parser = QueryParser("text", schema, group=OrGroup.factory(0.9))

    def __call__(self, text):
        with self.index.searcher() as searcher:
            hits = searcher.search(self.parser.parse(text), limit=CUTOFF)
            return [hit["id"] for hit in hits]


class Fts5Search:
    """An in-memory SQLite FTS5 table of the passages (unicode61, remove_diacritics 2)."""

    def __init__(self, passages):
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE passage USING fts5(id UNINDEXED, text,"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        self.db.executemany(
            "INSERT INTO passage (id, text) VALUES (?, ?)",
            [(p["id"], p["text"]) for p in passages],
        )

    def __call__(self, text):
        # Each word becomes an FTS5 string, so FTS5 tokenizes it exactly as it did the text.
        words = [w for w in re.split(r"[\s\"،؛؟«»!?.,:;()]+", text) if w]
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = self.db.execute(
            "SELECT id FROM passage WHERE passage MATCH ? ORDER BY bm25(passage) LIMIT ?",
            (match, CUTOFF),
        )
        return [pid for (pid,) in rows]


def _items(passages):
    """Each passage as a published item of one segment, as the archive indexes it."""
    for p in passages:
        yield {"identifier": p["id"], "status": "published", "access": "public",
               "transcripts": [{"segments": [{"text": p["text"]}]}]}  # fmt: skip


def _thesaurus():
    from .thesaurus import Thesaurus, read_glossary

    return Thesaurus(read_glossary())


class ArchiveSearch:
    """The archive's own search on a Whoosh index (:func:`indexer.rebuild`) of the passages in
    a scratch folder (removed by :meth:`close`): each passage is an item of one segment,
    searched as staff with the archive's query language, ranking and expansion
    (:mod:`indexer.expansion`, the shipped glossary as thesaurus), as :meth:`indexer.Index.search`
    answers the site."""

    def __init__(self, passages):
        from .index import open_index, rebuild

        self.folder = tempfile.mkdtemp(prefix="archive-eval-")
        rebuild(self.folder, _items(passages))
        self.index = open_index(self.folder)
        self.thesaurus = _thesaurus()

    def __call__(self, text):
        found = self.index.search(
            text, access=Access.staff(), per_page=CUTOFF, hits_per_item=0,
            thesaurus=self.thesaurus,
        )  # fmt: skip
        return [r["identifier"] for r in found.results]

    def close(self):
        self.index.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresSearch:
    """The archive's PostgreSQL backend (:func:`indexer.open_pg_index`) on a scratch database
    of the server at ``POSTGRESQL`` (dropped by :meth:`close`): each passage is an item of one
    segment, searched as staff with the archive's own query language and ranking."""

    def __init__(self, passages, server: str):
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        from .pgschema import metadata
        from .postgres import open_pg_index

        self.server = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.name = f"archive_eval_{os.getpid()}"
        with self.server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {self.name}"))
            connection.execute(text(f"CREATE DATABASE {self.name} ENCODING 'UTF8'"))
        url = make_url(server).set(database=self.name)
        self.index = open_pg_index(url.render_as_string(hide_password=False))
        metadata.create_all(self.index.engine)
        self.index.rebuild(_items(passages))
        self.thesaurus = _thesaurus()

    def __call__(self, text):
        found = self.index.search(
            text, access=Access.staff(), per_page=CUTOFF, hits_per_item=0,
            thesaurus=self.thesaurus,
        )  # fmt: skip
        return [r["identifier"] for r in found.results]

    def close(self):
        from sqlalchemy import text

        self.index.close()
        with self.server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
        self.server.dispose()


#: The PostgreSQL server ``make eval`` also measures the PostgreSQL backend on, when it answers.
POSTGRESQL = os.environ.get(
    "ARCHIVE_EVAL_POSTGRESQL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
POSTGRESQL_NAME = "postgresql + arabic_analyzer"
ARCHIVE_NAME = "archive search (whoosh)"


def systems(passages, postgresql: str | None = None):
    """The systems compared, by display name; with ``postgresql`` (a server's URL) also the
    archive's PostgreSQL backend, when that server answers."""
    found = {
        ARCHIVE_NAME: ArchiveSearch(passages),
        "whoosh + StandardAnalyzer": WhooshSearch(passages, StandardAnalyzer()),
        "sqlite fts5 unicode61 rd=2": Fts5Search(passages),
    }
    if postgresql:
        try:
            found[POSTGRESQL_NAME] = PostgresSearch(passages, postgresql)
        except Exception as exc:  # noqa: BLE001 - no server: the others are still measured
            print(
                f"({POSTGRESQL_NAME} left out: {exc.__class__.__name__}: {str(exc).splitlines()[0]})"
            )
    return found


def evaluate(passages, queries, postgresql: str | None = None):
    """Run every query on every system; return ``{system name: Scores}``."""
    results = {}
    for name, search in systems(passages, postgresql).items():
        scores = Scores()
        try:
            for query in queries:
                scores.add(query, search(query["query"]))
        finally:
            if hasattr(search, "close"):
                search.close()
        results[name] = scores
    return results


def format_table(results):
    """The results as two plain-text tables: by system, then recall@10 by variant."""
    names = list(results)
    lines = [f"{'system':<28} {'recall@10':>9} {'MRR':>7}"]
    for name in names:
        scores = results[name]
        lines.append(f"{name:<28} {scores.mean_recall:>9.3f} {scores.mrr:>7.3f}")
    variants = sorted(next(iter(results.values())).recall_by_variant())
    count = defaultdict(int)
    for variant in next(iter(results.values())).variant.values():
        count[variant] += 1
    lines += [
        "",
        "recall@10 by variant " + " | ".join(f"({i + 1}) {n}" for i, n in enumerate(names)),
    ]
    lines.append(
        f"{'variant':<14} {'queries':>7} "
        + " ".join(f"{f'({i + 1})':>7}" for i in range(len(names)))
    )
    for variant in variants:
        cells = " ".join(f"{results[n].recall_by_variant()[variant]:>7.3f}" for n in names)
        lines.append(f"{variant:<14} {count[variant]:>7} {cells}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=Path, default=PASSAGES)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--limitations", type=Path, default=LIMITATIONS)
    parser.add_argument(
        "--postgresql",
        default=POSTGRESQL,
        help="PostgreSQL server to measure the PostgreSQL backend on ('' to leave it out)",
    )
    parser.add_argument("--missed", action="store_true", help="list the queries each system missed")
    parser.add_argument(
        "--first-only", action="store_true", help="leave out the harder set (indexer.evaluate_hard)"
    )
    args = parser.parse_args(argv)
    passages, queries = load_jsonl(args.passages), load_jsonl(args.queries)
    results = evaluate(passages, queries, args.postgresql or None)
    print(f"{len(passages)} passages, {len(queries)} queries, cutoff {CUTOFF}\n")
    print(format_table(results))
    if args.limitations.exists():
        limits = evaluate(passages, load_jsonl(args.limitations), args.postgresql or None)
        print(
            f"\nknown limitations ({len(load_jsonl(args.limitations))} queries, not held to 1.0):"
        )
        print(format_table(limits).split("\n\n")[0])
    if args.missed:
        for name, scores in results.items():
            print(f"\nmissed by {name}:")
            for query, ids in scores.missed:
                print(f"  {query}  ->  {' '.join(ids)}")
    if not args.first_only:
        from . import evaluate_hard  # imports this module: imported here, not at the top

        print("\n")
        evaluate_hard.main(
            ["--postgresql", args.postgresql] + (["--missed"] if args.missed else [])
        )


if __name__ == "__main__":
    main()
