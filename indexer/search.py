"""Searching the index: who may see what, ranked items, the moments they were said, facets,
and "did you mean". Takes plain values, returns plain values; Whoosh stays inside.

Ranking is AND-first: items holding every clause of the query come first, then those holding
one clause fewer, and so on; within a tier, by BM25F score. A word found nowhere never empties
the result, it only leaves the first tier empty.
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from whoosh import query as wq

from .catalogue import Catalogue
from .expansion import EXPANSION_BOOST, NameKeys, expand, form_allowed
from .matching import ItemMatcher, ScoreCache
from .moments import find_hits
from .query import Compiled, Parsed, compile_query, parse
from .schema import FACETS, naive_utc, text_tokens

SORTS = ("relevance", "date", "-date")
MAX_PER_PAGE = 100  # the largest page of results any caller gets (pages, API, CLI)
MAX_SUGGEST = 24  # letters of the longest word "did you mean" looks for (29 × 2n candidates)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Access:
    """What a caller may see: statuses and levels (None: no restriction), at time ``now``.

    ``granted``: identifiers of items the caller was granted one by one; each is seen too,
    whatever its level, when its status is allowed and its embargo has ended.
    ``hidden``: identifiers of items never shown nor counted, whatever the index says of them
    (the app names those the index may not show as they are now).
    """

    statuses: tuple[str, ...] | None
    levels: tuple[str, ...] | None
    now: datetime
    restricted_text: bool = False
    granted: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def __post_init__(self):
        object.__setattr__(self, "now", naive_utc(self.now) or utcnow())
        object.__setattr__(self, "granted", frozenset(self.granted or ()))
        object.__setattr__(self, "hidden", frozenset(self.hidden or ()))
        for name in ("statuses", "levels"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    @classmethod
    def staff(cls, now: datetime | None = None) -> "Access":
        """Archivists and admins: everything, restricted transcripts included."""
        return cls(None, None, now, restricted_text=True)

    @classmethod
    def public(cls, now: datetime | None = None) -> "Access":
        """Anonymous visitors: published public items whose embargo has ended."""
        return cls(("published",), ("public",), now)

    @classmethod
    def for_levels(cls, levels, now: datetime | None = None, granted=()) -> "Access":
        """From ``archive.access.rules.levels_for(user)``: None means staff; ``granted`` from
        ``archive.access.rules.granted_identifiers(user)``."""
        if levels is None:
            return cls.staff(now)
        return cls(("published",), tuple(levels), now, granted=frozenset(granted))


class Budget:
    """The time one search may take; once spent, it answers with what it has (``partial``).

    ``seconds`` None or 0: no limit.
    """

    def __init__(self, seconds: float | None = None):
        self.deadline = time.monotonic() + seconds if seconds else None
        self.spent = False

    def over(self) -> bool:
        """True (from now on) once the time is up."""
        if not self.spent and self.deadline is not None and time.monotonic() > self.deadline:
            self.spent = True
        return self.spent


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    suggestion: str | None
    results: list[dict] = field(default_factory=list)
    facets: dict[str, list[dict]] = field(default_factory=dict)
    partial: bool = False  # a bound or the time budget cut the work short
    #: what the query also searched: [{"words": query words, "forms": [other forms]}]
    also_searched: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON shape of ``GET /api/search`` (DESIGN.md).

        Built by hand: ``dataclasses.asdict`` deep-copies every facet entry, which cost more
        than the search itself on a large archive."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "suggestion": self.suggestion,
            "results": [
                {
                    "identifier": r["identifier"],
                    "title": r["title"] or r["title_en"],
                    "type": r["type"],
                    "score": r["score"],
                    "url": f"/items/{r['identifier']}",
                    "hits": [dict(h) for h in r["hits"]],
                }
                for r in self.results
            ],
            "facets": {name: [dict(e) for e in entries] for name, entries in self.facets.items()},
            "partial": self.partial,
            "also_searched": [
                {"words": e["words"], "forms": list(e["forms"])} for e in self.also_searched
            ],
        }


class View:
    """A searcher, the catalogue of its item documents and their layout column."""

    def __init__(self, searcher, catalogue: Catalogue):
        self.searcher = searcher
        self.catalogue = catalogue
        self.scores = ScoreCache()
        self._layouts = None
        self._names = None

    @property
    def names(self) -> NameKeys:
        """The vocabulary's words by consonant key (see :mod:`indexer.expansion`), read once
        per searcher (an index generation) from the open words of the vocab documents."""
        if self._names is None:
            counts: dict[bytes, int] = {}
            # each segment's terms in order, counts added up: a multi-segment reader's
            # iter_field looks every term up in every segment, five times slower
            for leaf, _ in self.searcher.reader().leaf_readers():
                for term, info in leaf.iter_field("spell"):
                    counts[term] = counts.get(term, 0) + info.doc_frequency()
            self._names = NameKeys((t.decode("utf-8"), n) for t, n in sorted(counts.items()))
        return self._names

    @property
    def layouts(self):
        """Item docnum -> where each segment starts in its transcript (see schema)."""
        if self._layouts is None:
            self._layouts = self.searcher.reader().column_reader("layout")
        return self._layouts


def run(
    view: View,
    query: str,
    *,
    access: Access,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    filters: dict[str, list[str]] | None = None,
    hits_per_item: int = 3,
    budget: float | None = None,
    thesaurus=None,
) -> SearchResult:
    """Search ``view`` as ``access`` may; see :meth:`indexer.Index.search`."""
    page = max(1, int(page or 1))
    per_page = min(MAX_PER_PAGE, max(1, int(per_page or 20)))
    sort = sort if sort in SORTS else "relevance"
    searcher, catalogue = view.searcher, view.catalogue
    spending = Budget(budget)
    parsed = parse(query)
    visible = catalogue.visible(access)
    expanded = expand(
        parsed,
        thesaurus,
        lambda word: _visible_words(view, view.names.lookup(word), access),
        form_allowed(lambda words: _visible_words(view, words, access)),
    )
    compiled = compile_query(expanded.parsed, searcher.reader(), access.restricted_text, spending)
    typed_groups = None  # each clause's leaves of the words typed, when expansions were added
    if expanded.added:
        typed_groups = _lower_expansions(
            compiled, parsed, searcher.reader(), access.restricted_text
        )
    matcher = ItemMatcher(searcher, visible, view.scores, catalogue.cache, spending)

    group_docs = [matcher.clause(leaves) for leaves in compiled.groups]
    if compiled.groups:
        matched = set().union(*group_docs)
    elif compiled.required or parsed.empty or (parsed.excluded and not parsed.groups):
        matched = set(visible)  # scopes only, browsing, or only exclusions
    else:
        matched = set()  # words that were all stop words
    for leaves in compiled.required:
        matched &= matcher.clause(leaves)
    if matched:
        matched -= matcher.clause(compiled.excluded, whole=True)

    allowed = catalogue.filtered(filters)
    selected = _narrow(matched, allowed.values())
    # Each facet is counted with the filters of the others: its own values stay choosable.
    facets = catalogue.counts(selected, [name for name in FACETS if name not in allowed])
    for name in allowed:
        others = _narrow(matched, [docs for f, docs in allowed.items() if f != name])
        facets |= catalogue.counts(others, [name])
    facets = {name: facets[name] for name in FACETS}

    leaves = [leaf for clause in compiled.groups + compiled.required for leaf in clause]
    start, end = (page - 1) * per_page, page * per_page
    if start >= len(selected):
        ranked = []
    elif sort != "relevance":
        ordered = catalogue.by_date(selected, newest_first=sort == "-date")[start:end]
        scores = matcher.scores(leaves, set(ordered))
        ranked = [(d, scores[d]) for d in ordered]
    elif leaves:
        typed_docs = None
        if typed_groups is not None:
            typed_docs = [matcher.clause(typed) for typed in typed_groups]
        tiers = _tiers(selected, group_docs, typed_docs)
        ranked = _by_relevance(matcher, leaves, tiers, start, end)
    else:
        ordered = sorted(selected, key=lambda d: catalogue.items[d].identifier)[start:end]
        ranked = [(d, 0.0) for d in ordered]

    results = [_result(catalogue.items[d], score) for d, score in ranked]
    if compiled.marks and hits_per_item > 0 and ranked:
        docnums = [d for d, _ in ranked]
        found = find_hits(
            view, compiled.marks, docnums, hits_per_item, access.restricted_text, spending
        )
        for docnum, result in zip(docnums, results, strict=True):
            result["hits"] = found.get(docnum, [])
    if expanded.added:  # a word searched in other forms too needs no "did you mean"
        spans = {atom.span for atom in expanded.added}
        compiled.words = [(atom, found) for atom, found in compiled.words if atom.span not in spans]
    suggestion = None if spending.over() else _suggestion(view, matcher, parsed, compiled, access)
    return SearchResult(
        query=query,
        total=len(selected),
        page=page,
        per_page=per_page,
        suggestion=suggestion,
        results=results,
        facets=facets,
        partial=compiled.partial or spending.over(),
        also_searched=[{"words": w, "forms": f} for w, f in expanded.also_searched],
    )


def _visible_words(view: View, words, access) -> list[str]:
    """Those of ``words`` said in an item ``access`` may see (open text: the words of
    restricted passages are never offered)."""
    if not words:
        return []
    reader = view.searcher.reader()
    vocab = view.catalogue.visible(access, "vocab")
    return [
        w
        for w in words
        if ("spell", w) in reader and any(d in vocab for d in reader.postings("spell", w).all_ids())
    ]


def _leaf_key(leaf) -> tuple:
    return (type(leaf).__name__, leaf.fieldname, getattr(leaf, "text", None),
            tuple(getattr(leaf, "words", ()) or ()))  # fmt: skip


def _lower_expansions(
    compiled: Compiled, parsed: Parsed, reader, restricted_text: bool
) -> list[list[wq.Query]]:
    """Lower the boost of the leaves only the expansions brought, and return each clause's
    leaves of the words typed (items saying them rank first: see :func:`_tiers`)."""
    typed = compile_query(parsed, reader, restricted_text)
    original = {_leaf_key(leaf) for clause in typed.groups + typed.required for leaf in clause}
    typed_groups = []
    for clause in compiled.groups:
        typed_groups.append([])
        for leaf in clause:
            if _leaf_key(leaf) in original:
                typed_groups[-1].append(leaf)
            else:
                leaf.boost = leaf.boost * EXPANSION_BOOST
    return typed_groups


def _narrow(docs: set[int], filters) -> set[int]:
    for allowed in sorted(filters, key=len):
        docs = docs & allowed
    return docs


def _tiers(
    selected: set[int], group_docs: list[set[int]], typed_docs: list[set[int]] | None = None
) -> list[set[int]]:
    """``selected`` by the number of word clauses each item matches, most first; with
    ``typed_docs`` (the items each clause's typed words match, when the query was expanded),
    then by the number it matches by the words typed: exact forms before expansions."""
    if len(group_docs) <= 1 and typed_docs is None:
        return [selected]
    matched_clauses = dict.fromkeys(selected, 0)
    for docs in group_docs:
        for d in docs & selected:
            matched_clauses[d] += 1
    for docs in typed_docs or ():
        for d in docs & selected:
            matched_clauses[d] += 1 / (len(typed_docs) + 1)
    by_count = {}
    for d, count in matched_clauses.items():
        by_count.setdefault(count, set()).add(d)
    return [by_count[c] for c in sorted(by_count, reverse=True)]


def _by_relevance(matcher, leaves, tiers, start: int, end: int) -> list[tuple[int, float]]:
    """The page ``start:end`` of the tiers, each ranked by score; only the tiers that overlap
    the page are scored."""
    ranked, position = [], 0
    for tier in tiers:
        if position + len(tier) > start:
            scores = matcher.scores(leaves, tier)
            ranked += sorted(scores.items(), key=lambda ds: (-ds[1], ds[0]))
        else:
            ranked += [(None, 0.0)] * len(tier)  # before the page: never looked at
        position += len(tier)
        if position >= end:
            break
    return ranked[start:end]


def _result(info, score: float) -> dict:
    return {
        "identifier": info.identifier,
        "title": info.title,
        "title_en": info.title_en,
        "type": info.type,
        "score": round(float(score or 0.0), 4),
        "date": info.date,
        "hits": [],
    }


def _suggestion(view: View, matcher, parsed: Parsed, compiled: Compiled, access) -> str | None:
    """The query with each word that matches nothing the caller may see replaced by the most
    common word one edit away that does; None when no word needs it or one has no such word.

    Candidates come from the vocab documents the caller may see (``spell``, and
    ``spell_restricted`` for staff), and a candidate is kept only when, searched as the caller
    searches, it finds an item the caller may see: the words of hidden items and restricted
    passages are never suggested.
    """
    replacements = []
    for atom, leaves in compiled.words:
        if matcher.any(leaves):
            continue
        tokens = text_tokens(atom.text)
        if len(tokens) != 1:
            return None
        _, start, end, word = tokens[0]
        if not 3 <= len(word) <= MAX_SUGGEST or not (set(word) <= _ARABIC or set(word) <= _LATIN):
            return None
        better = _closest(view, matcher, word, access)
        if better is None:
            return None
        replacements.append(((atom.span[0] + start, atom.span[0] + end), better))
    if not replacements:
        return None
    text = parsed.text
    for (start, end), better in sorted(replacements, reverse=True):
        text = text[:start] + better + text[end:]
    return text


def _closest(view: View, matcher, word: str, access) -> str | None:
    """The word one edit away from ``word`` (a letter deleted, added, replaced, or two
    swapped) in most vocab documents the caller may see, that finds an item they may see."""
    reader = view.searcher.reader()
    fields = ("spell", "spell_restricted") if access.restricted_text else ("spell",)
    vocab = view.catalogue.visible(access, "vocab")
    candidates = []
    for candidate in edits(word):
        if matcher.budget.over():
            return None
        seen = 0
        for fieldname in fields:
            if (fieldname, candidate) in reader:
                postings = reader.postings(fieldname, candidate)
                seen += sum(1 for d in postings.all_ids() if d in vocab)
        if seen:
            candidates.append((-seen, candidate))
    for _, candidate in sorted(candidates):
        compiled = compile_query(parse(candidate), reader, access.restricted_text)
        if compiled.groups and matcher.any(compiled.groups[0]):
            return candidate
    return None


ARABIC_ALPHABET = "ءابتثجحخدذرزسشصضطظعغفقكلمنهوي"
LATIN_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_ARABIC, _LATIN = set(ARABIC_ALPHABET), set(LATIN_ALPHABET)


def edits(word: str) -> set[str]:
    """The normalized words one edit away from ``word``, in its own script.

    >>> "نفحه" in edits("نفخه"), "سجون" in edits("سجنو"), "حمدونه" in edits("حمدونا")
    (True, True, True)
    """
    alphabet = LATIN_ALPHABET if word[0] in LATIN_ALPHABET else ARABIC_ALPHABET
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    found |= {a + c + b for a, b in splits for c in alphabet}
    found.discard(word)
    return found
