"""The harder evaluation: queries written first, judged 0–2 on Arabic text we did not write.

The first set (:mod:`indexer.evaluate`) spells the words of our own passages differently and is
saturated. This one was built the other way round: queries of ten categories a user of the
archive would type (tests/data/eval/hard/queries.jsonl), then every passage of an outside corpus
(tests/data/eval/hard/passages.jsonl: UDHR, Quran, classical and modern poetry) that holds any
form of a query's words was judged by meaning, 2 = exactly what is asked, 1 = related or partial,
unlisted = 0. It prints, per category, nDCG@10, recall@10 and MRR of:

- ours: the archive's own search on Whoosh (:class:`indexer.evaluate.ArchiveSearch`): its
  analyzer (:func:`indexer.arabic_analyzer`, the lexicon's readings), query language, AND-first
  ranking and expansion (glossary, names in other scripts) as :meth:`indexer.Index.search` does;
- a plain light stemmer written here (:func:`light_stem`, after Larkey's light10), on our
  tokenizer, folding and stop words, so that only the stemmer differs;
- Snowball's Arabic stemmer (``pystemmer``), likewise on our tokenizer and folding;
- SQLite FTS5 (unicode61, remove_diacritics 2), and the PostgreSQL backend when a server answers.

Then how well each analyzer keeps apart the pairs of tests/data/pairs/must_not_match.tsv (words
that must never share an index term) and joins those of must_match.tsv.
Run ``python -m indexer.evaluate_hard`` (``make eval`` runs it after the first set).
"""

import argparse
import math
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from whoosh.analysis import Filter, StopFilter

from .analysis import ArabicTokenizer, LatinStemFilter, NormalizeFilter, arabic_analyzer
from .evaluate import (
    CUTOFF,
    DATA,
    POSTGRESQL,
    POSTGRESQL_NAME,
    ArchiveSearch,
    Fts5Search,
    PostgresSearch,
    WhooshSearch,
    load_jsonl,
)
from .stemming import ARABIC_LETTERS
from .stopwords import STOP_WORDS

HARD = DATA / "eval" / "hard"
PASSAGES = HARD / "passages.jsonl"
QUERIES = HARD / "queries.jsonl"
MUST_MATCH = DATA / "pairs" / "must_match.tsv"
MUST_NOT_MATCH = DATA / "pairs" / "must_not_match.tsv"
CATEGORIES = (
    "variant_spelling", "clitic_chain", "broken_plural", "feminine_plural", "latin_name",
    "english", "french", "hashtag", "dialect", "precision_trap",
)  # fmt: skip

OURS = "ours: archive search (whoosh)"
LIGHT = "plain light stemmer (eval only)"
SNOWBALL = "snowball arabic (pystemmer)"
FTS5 = "sqlite fts5 unicode61 rd=2"

# A plain light stemmer after Larkey, Ballesteros & Connell's light10 (2002), on text folded as
# ours folds it (ة→ه, ى→ي, hamza forms → ا): strip the article or one of its compounds, else one
# attached و ف ب ك ل; then go once through the suffixes, outermost first, stripping each that
# ends the word while two letters remain. light10 strips و alone and no pronoun suffix; the other
# one-letter prefixes and the pronouns are added, so that the baseline is an ordinary one.
_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
_ONE_LETTER = "وفبكل"
_SUFFIXES = (
    "هما",
    "كما",
    "ها",
    "هم",
    "هن",
    "كم",
    "كن",
    "نا",
    "ان",
    "ات",
    "ون",
    "ين",
    "يه",
    "ه",
    "ي",
)


def light_stem(word: str) -> str:
    """A plain light stemmer: strip the common prefixes and suffixes while letters remain.

    >>> [light_stem(w) for w in ["والمعتقلين", "بالسجن", "كتاب", "رسالتها", "لابيهم"]]
    ['معتقل', 'سجن', 'تاب', 'رسالت', 'اب']
    """
    for article in _ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            word = word[len(article) :]
            break
    else:
        if word[:1] in _ONE_LETTER and len(word) >= 4:
            word = word[1:]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


class LightStemFilter(Filter):
    """Applies :func:`light_stem` to tokens written in Arabic letters."""

    is_morph = True

    def stem(self, word):
        return light_stem(word)

    def __call__(self, tokens):
        for t in tokens:
            if not t.stopped and t.text[0] in ARABIC_LETTERS:
                t.text = self.stem(t.text)
            yield t


@cache
def _snowball():
    import Stemmer  # pystemmer, an extra of the `test` dependencies

    return Stemmer.Stemmer("arabic")


class SnowballStemFilter(LightStemFilter):
    """Applies Snowball's Arabic stemmer to tokens written in Arabic letters (the stemmer is
    made on first use, so that the filter pickles into a Whoosh schema)."""

    def stem(self, word):
        return _snowball().stemWord(word)


def baseline_analyzer(stem_filter):
    """Our tokenizer, folding, stop words and Latin stemmer around another Arabic stemmer."""
    return (
        ArabicTokenizer()
        | NormalizeFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | stem_filter
        | LatinStemFilter()
    )


def analyzers():
    """The analyzers compared, by system name (FTS5 and PostgreSQL bring their own)."""
    return {
        OURS: arabic_analyzer(),
        LIGHT: baseline_analyzer(LightStemFilter()),
        SNOWBALL: baseline_analyzer(SnowballStemFilter()),
    }


def systems(passages, postgresql: str | None = None):
    """Every system, by name, over ``passages``; PostgreSQL only when its server answers."""
    found = {OURS: ArchiveSearch(passages)}
    found.update(
        (name, WhooshSearch(passages, analyzer))
        for name, analyzer in analyzers().items()
        if name != OURS
    )
    found[FTS5] = Fts5Search(passages)
    if postgresql:
        try:
            found[POSTGRESQL_NAME] = PostgresSearch(passages, postgresql)
        except Exception as exc:  # noqa: BLE001 - no server: the others are still measured
            print(
                f"({POSTGRESQL_NAME} left out: {exc.__class__.__name__}: {str(exc).splitlines()[0]})"
            )
    return found


def ndcg(ranked, judgements, cutoff=CUTOFF):
    """nDCG@cutoff with the grades as gains and a log2 discount, over the ideal order."""
    dcg = sum(
        judgements.get(pid, 0) / math.log2(rank + 1) for rank, pid in enumerate(ranked[:cutoff], 1)
    )
    ideal = sorted(judgements.values(), reverse=True)[:cutoff]
    best = sum(grade / math.log2(rank + 1) for rank, grade in enumerate(ideal, 1))
    return dcg / best if best else 0.0


@dataclass
class GradedScores:
    """nDCG@10, recall@10 and reciprocal rank per query of one system, by category."""

    rows: dict = field(default_factory=lambda: defaultdict(list))  # category -> [(n, r, rr)]
    missed: list = field(default_factory=list)

    def add(self, query, ranked):
        judged = {pid: grade for pid, grade in query["judgements"].items() if grade > 0}
        top = ranked[:CUTOFF]
        found = [pid for pid in top if pid in judged]
        # Recall over at most ten relevant passages, so that 1.0 can be reached at 10.
        recall = len(found) / min(len(judged), CUTOFF)
        rr = next((1 / rank for rank, pid in enumerate(top, 1) if pid in judged), 0.0)
        self.rows[query["category"]].append((ndcg(top, judged), recall, rr))
        if recall < 1:
            self.missed.append((query["query"], sorted(set(judged) - set(found))))

    def means(self, category=None):
        rows = self.rows[category] if category else [r for v in self.rows.values() for r in v]
        return (
            tuple(sum(column) / len(rows) for column in zip(*rows, strict=True))
            if rows
            else (0, 0, 0)
        )


def evaluate(passages, queries, postgresql: str | None = None):
    """Run every query on every system; return ``{system name: GradedScores}``."""
    results = {}
    for name, search in systems(passages, postgresql).items():
        scores = GradedScores()
        try:
            for query in queries:
                scores.add(query, search(query["query"]))
        finally:
            if hasattr(search, "close"):
                search.close()
        results[name] = scores
    return results


def format_table(results, queries):
    """One line per category and system: nDCG@10, recall@10, MRR; the mean over all last."""
    names = list(results)
    count = defaultdict(int)
    for query in queries:
        count[query["category"]] += 1
    legend = "  ".join(f"({i + 1}) {n}" for i, n in enumerate(names))
    head = f"{'category':<17} {'n':>3} " + " ".join(
        f"{f'({i + 1}) nDCG R@10  MRR':>22}" for i in range(len(names))
    )
    lines = [legend, head]
    for category in [c for c in CATEGORIES if count[c]] + [None]:
        cells = " ".join(
            "{:>8.3f} {:>5.3f} {:>6.3f}".format(*results[n].means(category)) for n in names
        )
        label = category or "all"
        lines.append(f"{label:<17} {count[category] if category else len(queries):>3} {cells}")
    return "\n".join(lines)


def load_pairs(path):
    """The ``form1<TAB>form2<TAB>why`` lines of a pairs file (``#`` comments skipped)."""
    with open(path, encoding="utf-8") as lines:
        rows = [line.rstrip("\n").split("\t") for line in lines]
    return [(row[0], row[1], row[2]) for row in rows if row[0] and not row[0].startswith("#")]


def pair_matches(analyzer, first, second):
    """Whether two word forms share an index term under ``analyzer``."""
    return bool({t.text for t in analyzer(first)} & {t.text for t in analyzer(second)})


def fts5_pair_matches(pairs):
    """Whether FTS5 (unicode61, remove_diacritics 2) finds each pair's first form by its second."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE w USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')"
    )
    found = []
    for first, second, _ in pairs:
        db.execute("DELETE FROM w")
        db.execute("INSERT INTO w (text) VALUES (?)", (first,))
        match = '"' + second.replace('"', '""') + '"'
        found.append(bool(db.execute("SELECT 1 FROM w WHERE w MATCH ?", (match,)).fetchone()))
    return found


def pair_results(must_match, must_not_match):
    """``{system: (joined must-match pairs, kept-apart must-not pairs, their wrong pairs)}``."""
    results = {}
    checks = {name: (lambda pairs, a=a: [pair_matches(a, x, y) for x, y, _ in pairs])
              for name, a in analyzers().items()}  # fmt: skip
    checks[FTS5] = fts5_pair_matches
    for name, check in checks.items():
        joined, apart = check(must_match), [not m for m in check(must_not_match)]
        wrong = [p for p, ok in zip(must_match, joined, strict=True) if not ok]
        wrong += [p for p, ok in zip(must_not_match, apart, strict=True) if not ok]
        results[name] = (sum(joined), sum(apart), wrong)
    return results


def format_pairs(results, must_match, must_not_match):
    """The pair counts and rates of each system."""
    lines = [f"{'system':<32} {'must match joined':>20} {'must not: kept apart (precision)':>34}"]
    for name, (joined, apart, _) in results.items():
        lines.append(
            f"{name:<32} {joined:>5}/{len(must_match):<4} {joined / len(must_match):>6.1%}"
            f"       {apart:>5}/{len(must_not_match):<4} {apart / len(must_not_match):>6.1%}"
        )
    lines.append(f"({POSTGRESQL_NAME} indexes the terms of ours: its pairs are the same as ours)")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=Path, default=PASSAGES)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument(
        "--postgresql",
        default=POSTGRESQL,
        help="PostgreSQL server to measure the PostgreSQL backend on ('' to leave it out)",
    )
    parser.add_argument("--missed", action="store_true", help="list what each system missed")
    args = parser.parse_args(argv)
    passages, queries = load_jsonl(args.passages), load_jsonl(args.queries)
    results = evaluate(passages, queries, args.postgresql or None)
    print(
        f"hard set: {len(passages)} passages, {len(queries)} queries judged 0-2, cutoff {CUTOFF}\n"
    )
    print(format_table(results, queries))
    must_match, must_not_match = load_pairs(MUST_MATCH), load_pairs(MUST_NOT_MATCH)
    pairs = pair_results(must_match, must_not_match)
    print(f"\npairs: {len(must_match)} must match, {len(must_not_match)} must not match")
    print(format_pairs(pairs, must_match, must_not_match))
    if args.missed:
        for name, scores in results.items():
            print(f"\nmissed by {name}:")
            for query, ids in scores.missed:
                print(f"  {query}  ->  {' '.join(ids)}")
        for name, (_, _, wrong) in pairs.items():
            print(f"\npairs {name} gets wrong:")
            for first, second, why in wrong:
                print(f"  {first}\t{second}\t{why}")


if __name__ == "__main__":
    main()
