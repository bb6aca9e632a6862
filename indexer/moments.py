"""The moments where an item says what was searched: its best matching segments, marked.

Only the items of the page shown are looked at. Each item's ``layout`` column maps every term
of its transcript to the segments that say it (see :mod:`indexer.schema`); segments are ranked
by how many clauses of the query they match, then by the IDF-weighted count of matches; the
best are read from their segment documents and their words marked in the original text (a
phrase is checked word by word there, so a segment holding its words apart is passed over).
"""

from html import escape

from whoosh import query as wq

from .analysis import READINGS
from .schema import read_spans, text_tokens

STREAMS = (("transcript", "open"), ("transcript_restricted", "restricted"))


def find_hits(
    view, clauses, docnums, per_item: int, restricted_text: bool, budget=None
) -> dict[int, list]:
    """Docnum -> up to ``per_item`` hits ({"start", "end", "text"}) for each item docnum.

    ``clauses`` are those of :func:`mark`. Restricted text is looked at only when
    ``restricted_text``. Once ``budget`` (:class:`indexer.search.Budget`) is spent, the items
    left get no hits.
    """
    streams = STREAMS if restricted_text else STREAMS[:1]
    weights = _Weights(view.searcher)
    hits = {}
    for docnum in docnums:
        if budget is not None and budget.over():
            break
        layout = view.layouts[docnum]
        if not layout or not layout.get("segments"):
            continue
        ranked = _rank(weights, clauses, layout, streams)
        identifier = view.catalogue.items[docnum].identifier
        found = []
        for number in ranked:
            segment = _segment(view.searcher, docnum, identifier, layout, number)
            if segment is None or (segment["restricted"] and not restricted_text):
                continue
            text = mark(segment["text"], clauses, segment.get("spans"))
            if text is None:
                continue
            found.append({"start": segment["start"], "end": segment["end"], "text": text})
            if len(found) == per_item:
                break
        hits[docnum] = found
    return hits


def _rank(weights, clauses, layout: dict, streams) -> list[int]:
    """Segment numbers of one item that may match, best first."""
    scores = {}  # segment number -> [set of clause numbers, weight]

    def add(numbers, clause, weight):
        for number in numbers:
            entry = scores.get(number)
            if entry is None:
                scores[number] = [{clause}, weight]
            else:
                entry[0].add(clause)
                entry[1] += weight

    for fieldname, stream in streams:
        said = layout.get(stream)
        if not said or not isinstance(said, str):  # none, or an older index: no moments
            continue
        for c, (kind, value) in enumerate(clauses):
            if kind == "phrase":  # segments holding every word; mark() checks their order
                holding = None
                for readings in value:  # a word of the phrase: any of its readings
                    saying = {n for term in readings for n in segments_saying(said, term)}
                    holding = saying if holding is None else holding & saying
                if holding:
                    weight = sum(max(weights.idf(fieldname, t) for t in r) for r in value)
                    add(holding, c, weight)
                continue
            terms = terms_starting(said, value) if kind == "prefix" else value
            for term in terms:
                numbers = segments_saying(said, term)
                if numbers:
                    add(numbers, c, weights.idf(fieldname, term))
    return sorted(scores, key=lambda n: (-len(scores[n][0]), -scores[n][1], n))


def segments_saying(said: str, term: str) -> list[int]:
    """Numbers of the segments saying ``term`` (once per time said), from
    :func:`indexer.schema.said_lines`.

    >>> segments_saying("\\nقال\\t0 2 2\\nسجن\\t1\\n", "قال"), segments_saying("\\nقال\\t0\\n", "قا")
    ([0, 2, 2], [])
    """
    key = f"\n{term}\t"
    at = said.find(key)
    if at < 0:
        return []
    start = at + len(key)
    return [int(n) for n in said[start : said.index("\n", start)].split()]


def terms_starting(said: str, prefix: str) -> list[str]:
    """The terms of :func:`indexer.schema.said_lines` that start with ``prefix``.

    >>> terms_starting("\\nسجن\\t0\\nسجان\\t1\\nقال\\t2\\n", "سج")
    ['سجن', 'سجان']
    """
    found, key = [], f"\n{prefix}"
    at = said.find(key)
    while at >= 0:
        tab = said.index("\t", at + 1)
        found.append(said[at + 1 : tab])
        at = said.find(key, tab)
    return found


class _Weights:
    """The IDF of the terms met, each asked of the searcher once per search."""

    def __init__(self, searcher):
        self.searcher = searcher
        self._idf = {}

    def idf(self, fieldname: str, term: str) -> float:
        key = (fieldname, term)
        if key not in self._idf:
            self._idf[key] = self.searcher.idf(fieldname, term)
        return self._idf[key]


def _segment(searcher, docnum: int, identifier: str, layout: dict, number: int) -> dict | None:
    """The stored segment ``number`` of the item at ``docnum``.

    An item's segment documents are added just before it, in order, and stay so through
    merges; the stored identifier and number are checked all the same, and looked up by
    identifier if that ever failed.
    """
    guess = docnum - layout["segments"] + number
    if guess >= 0 and not searcher.reader().is_deleted(guess):  # an old version is deleted
        segment = searcher.stored_fields(guess).get("segment")
        if segment and segment["identifier"] == identifier and segment["number"] == number:
            return segment
    for other in searcher.docs_for_query(wq.Term("identifier", identifier)):
        segment = searcher.stored_fields(other).get("segment")
        if segment and segment["identifier"] == identifier and segment["number"] == number:
            return segment
    return None


def mark(text: str, clauses, stored: str | None = None) -> str | None:
    """``text`` HTML-escaped, with the words that match ``clauses`` wrapped in ``<mark>`` as
    written (harakat and tatweel intact); None when no clause matches. ``stored``: the spans
    of ``text`` written at index time (:func:`indexer.schema.spans`), else it is analysed here.

    Clauses are ("words", set of terms), ("prefix", term prefix) or ("phrase", tuple of the
    readings of each word, the words following one another). A word matches when one of its
    readings does.

    >>> mark("قال: <الأَسْرَى> في نفحــة", [("words", {"اسير", "نفحه"})])
    'قال: &lt;<mark>الأَسْرَى</mark>&gt; في <mark>نفحــة</mark>'
    >>> mark("الإضراب عن الطعام، والطعام", [("phrase", (("اضراب",), ("طعام",)))])
    '<mark>الإضراب</mark> عن <mark>الطعام</mark>، والطعام'
    >>> mark("الطعام ثم الإضراب", [("phrase", (("اضراب",), ("طعام",)))]) is None
    True
    """
    tokens = read_spans(stored) if stored is not None else text_tokens(text)
    terms = [frozenset(t[0].split(READINGS)) for t in tokens]
    marked = set()
    for kind, value in clauses:
        if kind == "words":
            marked.update(i for i, term in enumerate(terms) if not term.isdisjoint(value))
        elif kind == "prefix":
            marked.update(
                i for i, term in enumerate(terms) if any(r.startswith(value) for r in term)
            )
        else:
            n = len(value)
            for i in range(len(terms) - n + 1):
                if all(not terms[i + k].isdisjoint(value[k]) for k in range(n)):
                    marked.update(range(i, i + n))
    if not marked:
        return None
    out, last = [], 0
    for i in sorted(marked):
        start, end = tokens[i][1:3]
        out.append(escape(text[last:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return "".join(out)
