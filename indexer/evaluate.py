"""Measure Arabic search quality: recall@10 and MRR of our analyzer beside two baselines.

Three in-memory indexes over the same passages (tests/data/arabic/passages.jsonl) answer the same
queries (tests/data/eval/queries.jsonl), each written with spelling variants of the passage text:

- Whoosh with :func:`indexer.arabic_analyzer`;
- Whoosh with its own ``StandardAnalyzer``;
- SQLite FTS5 with ``tokenize="unicode61 remove_diacritics 2"``.

Queries are plain words ranked OR-ishly, passages holding all the words first: Whoosh parses
with ``OrGroup.factory(0.9)``, FTS5 joins the words with ``OR`` and orders by ``bm25``.
Run ``python -m indexer.evaluate``; it prints one table by system and one by variant, then the
same systems on tests/data/eval/limitations.jsonl: known misses of our stemmer (broken plurals
it does not fold), measured so that they stay visible rather than being left out of the set.
"""

import argparse
import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import fields
from whoosh.analysis import StandardAnalyzer
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import OrGroup, QueryParser

from .analysis import arabic_analyzer

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


def systems(passages):
    """The systems compared, by display name."""
    return {
        "whoosh + arabic_analyzer": WhooshSearch(passages, arabic_analyzer()),
        "whoosh + StandardAnalyzer": WhooshSearch(passages, StandardAnalyzer()),
        "sqlite fts5 unicode61 rd=2": Fts5Search(passages),
    }


def evaluate(passages, queries):
    """Run every query on every system; return ``{system name: Scores}``."""
    results = {}
    for name, search in systems(passages).items():
        scores = Scores()
        for query in queries:
            scores.add(query, search(query["query"]))
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
    parser.add_argument("--missed", action="store_true", help="list the queries each system missed")
    args = parser.parse_args(argv)
    passages, queries = load_jsonl(args.passages), load_jsonl(args.queries)
    results = evaluate(passages, queries)
    print(f"{len(passages)} passages, {len(queries)} queries, cutoff {CUTOFF}\n")
    print(format_table(results))
    if args.limitations.exists():
        limits = evaluate(passages, load_jsonl(args.limitations))
        print(
            f"\nknown limitations ({len(load_jsonl(args.limitations))} queries, not held to 1.0):"
        )
        print(format_table(limits).split("\n\n")[0])
    if args.missed:
        for name, scores in results.items():
            print(f"\nmissed by {name}:")
            for query, ids in scores.missed:
                print(f"  {query}  ->  {' '.join(ids)}")


if __name__ == "__main__":
    main()
