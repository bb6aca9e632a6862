"""Matching and scoring item documents leaf by leaf (see :class:`indexer.query.Compiled`).

Which items match is worked out with sets: each leaf's documents come straight from its
postings, clauses are unions, the query is set algebra over them. Only the items that may end
up on the page shown are scored. Whoosh's own compound matchers walk every document through
a tree of Python objects, which costs far more once a common word matches most of the archive.

A phrase is matched from positions: the items holding all its terms, then those where they
follow one another.
"""

from collections import OrderedDict
from itertools import accumulate
from pickle import loads
from threading import Lock

from whoosh import formats
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher

B, K1 = 0.75, 1.2  # BM25F's parameters, Whoosh's defaults
CACHE_POSTINGS = 150_000  # scores the cache of one searcher may hold (~15 MB)


class ScoreCache:
    """Every document of a leaf with its score, kept per searcher, least recently used out.

    A common word matches most items and costs the most to score; it is also the word most
    often searched again. Scores do not depend on the caller: access is applied afterwards.
    """

    def __init__(self, limit: int = CACHE_POSTINGS):
        self.limit = limit
        self._scores: OrderedDict[wq.Query, dict[int, float]] = OrderedDict()
        self._size = 0
        self._lock = Lock()

    def get(self, leaf: wq.Query, compute) -> dict[int, float]:
        with self._lock:
            if leaf in self._scores:
                self._scores.move_to_end(leaf)
                return self._scores[leaf]
        scores = compute(leaf)
        with self._lock:
            if leaf not in self._scores:
                self._scores[leaf] = scores
                self._size += len(scores)
                while self._size > self.limit and len(self._scores) > 1:
                    _, dropped = self._scores.popitem(last=False)
                    self._size -= len(dropped)
        return scores


class ItemMatcher:
    """Documents and scores of leaves for one search, restricted to the ``visible`` items."""

    def __init__(self, searcher, visible: frozenset[int], cache: ScoreCache, leaves, budget):
        self.searcher = searcher
        self.visible = visible
        self.cache = cache
        self.leaves = leaves  # catalogue.LeafCache, for field lengths
        self.budget = budget  # indexer.search.Budget: once spent, the leaves left are skipped
        self._docs: dict[wq.Query, set[int]] = {}

    def docs(self, leaf: wq.Query) -> set[int]:
        """Visible item documents matching one leaf."""
        if leaf not in self._docs:
            self._docs[leaf] = self.visible.intersection(self._all(leaf))
        return self._docs[leaf]

    def clause(self, leaves: list[wq.Query], *, whole: bool = False) -> set[int]:
        """Visible item documents matching any of ``leaves``: those looked at in time, or all
        of them when ``whole`` (an exclusion must never be skipped)."""
        found = set()
        for leaf in leaves:
            if not whole and self.budget.over():
                break
            found |= self.docs(leaf)
        return found

    def any(self, leaves: list[wq.Query]) -> bool:
        return any(self.docs(leaf) for leaf in leaves if not self.budget.over())

    def scores(self, leaves: list[wq.Query], within: set[int]) -> dict[int, float]:
        """Docnum -> summed score of ``leaves`` (BM25F), for the documents ``within``."""
        total = dict.fromkeys(within, 0.0)
        for leaf in leaves:
            if self.budget.over():
                break
            scores = self._all(leaf)
            if len(scores) < len(total):
                for docnum, score in scores.items():
                    if docnum in total:
                        total[docnum] += score
            else:
                for docnum in total:
                    total[docnum] += scores.get(docnum, 0.0)
        return total

    def _all(self, leaf: wq.Query) -> dict[int, float]:
        return self.cache.get(leaf, self._score)

    def _score(self, leaf: wq.Query) -> dict[int, float]:
        """Docnum -> score of every item document matching ``leaf``, whoever may see it."""
        if isinstance(leaf, wq.Phrase):
            weight = leaf.boost * sum(self.searcher.idf(leaf.fieldname, t) for t in leaf.words)
            return {
                docnum: weight * count * (K1 + 1) / (count + K1)
                for docnum, count in self._phrase(leaf).items()
            }
        if not self.searcher.schema[leaf.fieldname].scorable:
            return dict(self.searcher.search(leaf, limit=None).items())
        return self._bm25f(leaf)

    def _bm25f(self, leaf: wq.Term) -> dict[int, float]:
        """Whoosh's BM25F score of a term in every document, in one loop over its postings.

        Whoosh's collector reads each document's field length from disk as it scores it; here
        the lengths of a segment are read once and kept while the segment lives.
        """
        fieldname, text = leaf.fieldname, leaf.text
        idf = self.searcher.idf(fieldname, text)
        avgfl = self.searcher.avg_field_length(fieldname) or 1
        weight = leaf.boost * idf * (K1 + 1)
        flat, per_length = K1 * (1 - B), K1 * B / avgfl
        scores = {}
        for reader, offset in self.searcher.reader().leaf_readers():
            if (fieldname, text) not in reader:
                continue
            lengths = self.leaves.lengths(reader, fieldname)
            for ids, weights, _ in blocks(reader.postings(fieldname, text)):
                for docnum, tf in zip(ids, weights, strict=True):
                    length = lengths.get(docnum)
                    if length is None:
                        length = lengths[docnum] = reader.doc_field_length(docnum, fieldname, 1)
                    scores[docnum + offset] = weight * tf / (tf + flat + per_length * length)
        return scores

    def _ids(self, fieldname: str, text: str) -> set[int]:
        """Docnums of every document holding a term (whoever may see it)."""
        found = set()
        for reader, offset in self.searcher.reader().leaf_readers():
            if (fieldname, text) in reader:
                for ids, _, _ in blocks(reader.postings(fieldname, text)):
                    found.update(d + offset for d in ids)
        return found

    def _phrase(self, leaf: wq.Phrase) -> dict[int, int]:
        """Docnum -> occurrences of the phrase, in the documents holding all its words."""
        words = list(leaf.words)
        candidates = None
        for word in dict.fromkeys(words):
            docs = self._ids(leaf.fieldname, word)
            candidates = docs if candidates is None else candidates & docs
        positions = Positions(self.searcher.reader(), sorted(candidates))
        found = {}
        for docnum in candidates:
            starts = set(positions.at(leaf.fieldname, words[0], docnum))
            for i, word in enumerate(words[1:], 1):
                starts.intersection_update(
                    [p - i for p in positions.at(leaf.fieldname, word, docnum)]
                )
                if not starts:
                    break
            if starts:
                found[docnum] = len(starts)
        return found


class Positions:
    """Positions of terms in some documents, each term's postings read once, in order."""

    def __init__(self, reader, docnums: list[int]):
        self.reader = reader
        self.docnums = docnums
        self._wanted = set(docnums)
        self._found: dict[tuple[str, str], dict[int, list[int]]] = {}

    def at(self, fieldname: str, term: str, docnum: int):
        key = (fieldname, term)
        if key not in self._found:
            self._found[key] = self._read(fieldname, term)
        return self._found[key].get(docnum, ())

    def _read(self, fieldname: str, term: str) -> dict[int, list[int]]:
        found = {}
        if not self.docnums or (fieldname, term) not in self.reader:
            return found
        dense = len(self.docnums) * 8 > self.reader.doc_frequency(fieldname, term)
        for leaf, offset in self.reader.leaf_readers():
            if (fieldname, term) not in leaf:
                continue
            matcher = leaf.postings(fieldname, term)
            if dense:  # most postings are wanted: walk them all, a block at a time
                wanted = self._wanted
                for ids, _, values in blocks(matcher):
                    for i, local in enumerate(ids):
                        if local + offset in wanted:
                            found[local + offset] = decode_positions(values()[i])
                continue
            for docnum in self.docnums:  # a few: jump to each
                local = docnum - offset
                if local < 0:
                    continue
                if not matcher.is_active():
                    break
                if matcher.id() < local:
                    matcher.skip_to(local)
                    if not matcher.is_active():
                        break
                if matcher.id() == local:
                    found[docnum] = decode_positions(matcher.value())
        return found


def blocks(matcher):
    """(ids, weights, values) of a term's postings a block at a time, from where ``matcher``
    stands; ``values()`` loads the block's values only when called.

    Whoosh's matcher costs three method calls per posting; a common word has a posting in
    most items. With the codec the index is written with, the block arrays are read whole.
    """
    if type(matcher) is not W3LeafMatcher:  # another codec: one posting at a time
        while matcher.is_active():
            value = matcher.value()
            yield (matcher.id(),), (matcher.weight(),), lambda value=value: (value,)
            matcher.next()
        return
    while matcher.is_active():
        start = matcher._i
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        ids, weights = matcher._ids[start:], matcher._weights[start:]

        def values(matcher=matcher, start=start, kept=[]):  # noqa: B006 (one list per block)
            if not kept:
                if matcher._values is None:
                    matcher._read_values()
                kept.append(matcher._values[start:])
            return kept[0]

        yield ids, weights, values
        matcher._next_block()


def decode_positions(value: bytes) -> list[int]:
    """The positions of one posting of a field with positions (Whoosh's ``Positions`` format:
    a count, then the pickled deltas), decoded without a Python loop."""
    if not value.endswith(b"."):
        value += b"."
    return list(accumulate(loads(value[4:])))


def _check_decoder():
    """Fall back to Whoosh's own decoder if its encoding ever differs from the one above."""
    global decode_positions
    sample = [0, 3, 4, 90, 70000]
    encoded = formats.Positions().encode(sample)
    try:
        same = decode_positions(encoded) == sample and decode_positions(encoded[:-1]) == sample
    except Exception:
        same = False
    if not same:
        decode_positions = formats.Positions().decode_positions


_check_decoder()
