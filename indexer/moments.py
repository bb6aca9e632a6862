"""The moments where an item says what was searched: its best matching segments, marked.

Only the items of the page shown are looked at. The positions of the query terms in an item's
transcript (read from the postings, one pass per term over the page's items) are mapped to
segment numbers with the item's ``layout`` column; segments are ranked by how many clauses of
the query they match, then by the IDF-weighted count of matches; the best are read from their
segment documents and their words marked in the original text.
"""

from bisect import bisect_right
from html import escape

from whoosh import query as wq

from .matching import Positions
from .schema import text_tokens

MAX_PREFIX_TERMS = 64  # terms a prefix stands for when finding moments
STREAMS = (("transcript", "open"), ("transcript_restricted", "restricted"))


def find_hits(view, clauses, docnums, per_item: int, restricted_text: bool) -> dict[int, list]:
    """Docnum -> up to ``per_item`` hits ({"start", "end", "text"}) for each item docnum.

    ``clauses`` are those of :func:`mark`. Restricted text is looked at only when
    ``restricted_text``.
    """
    streams = STREAMS if restricted_text else STREAMS[:1]
    postings = _Positions(view.searcher, sorted(docnums))
    hits = {}
    for docnum in docnums:
        layout = view.layouts[docnum]
        if not layout or not layout.get("segments"):
            continue
        ranked = _rank(postings, clauses, docnum, layout, streams)
        identifier = view.catalogue.items[docnum].identifier
        found = []
        for number in ranked:
            segment = _segment(view.searcher, docnum, identifier, layout, number)
            if segment is None or (segment["restricted"] and not restricted_text):
                continue
            text = mark(segment["text"], clauses)
            if text is None:
                continue
            found.append({"start": segment["start"], "end": segment["end"], "text": text})
            if len(found) == per_item:
                break
        hits[docnum] = found
    return hits


def _rank(postings, clauses, docnum: int, layout: dict, streams) -> list[int]:
    """Segment numbers of one item, best first."""
    scores = {}  # segment number -> [set of clause numbers, weight]

    def add(number, clause, weight):
        entry = scores.setdefault(number, [set(), 0.0])
        entry[0].add(clause)
        entry[1] += weight

    for fieldname, stream in streams:
        starts, numbers = layout[stream]
        if not starts:
            continue

        def number_at(position, starts=starts, numbers=numbers):
            return numbers[bisect_right(starts, position) - 1]

        for c, (kind, value) in enumerate(clauses):
            if kind == "phrase":
                first = postings.at(fieldname, value[0], docnum)
                rest = [set(postings.at(fieldname, t, docnum)) for t in value[1:]]
                weight = sum(postings.idf(fieldname, t) for t in value)
                for p in first:
                    if all(p + i in following for i, following in enumerate(rest, 1)):
                        if number_at(p) == number_at(p + len(value) - 1):
                            add(number_at(p), c, weight)
                continue
            terms = postings.expand(fieldname, value) if kind == "prefix" else value
            for term in terms:
                weight = postings.idf(fieldname, term)
                for p in postings.at(fieldname, term, docnum):
                    add(number_at(p), c, weight)
    return sorted(scores, key=lambda n: (-len(scores[n][0]), -scores[n][1], n))


class _Positions(Positions):
    """Positions of the query terms in the page's items, with their IDF and prefix terms."""

    def __init__(self, searcher, docnums: list[int]):
        super().__init__(searcher.reader(), docnums)
        self.searcher = searcher
        self._idf = {}
        self._prefixes = {}

    def idf(self, fieldname: str, term: str) -> float:
        key = (fieldname, term)
        if key not in self._idf:
            self._idf[key] = self.searcher.idf(fieldname, term)
        return self._idf[key]

    def expand(self, fieldname: str, prefix: str) -> list[str]:
        key = (fieldname, prefix)
        if key not in self._prefixes:
            found = [
                (info.doc_frequency(), term.decode("utf-8"))
                for term, info in self.reader.iter_prefix(fieldname, prefix)
            ]
            found.sort(key=lambda pair: -pair[0])
            self._prefixes[key] = [term for _, term in found[:MAX_PREFIX_TERMS]]
        return self._prefixes[key]


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


def mark(text: str, clauses) -> str | None:
    """``text`` HTML-escaped, with the words that match ``clauses`` wrapped in ``<mark>`` as
    written (harakat and tatweel intact); None when no clause matches.

    Clauses are ("words", set of terms), ("prefix", term prefix) or ("phrase", tuple of terms
    that must follow one another).

    >>> mark("قال: <الأَسْرَى> في نفحــة", [("words", {"اسر", "نفح"})])
    'قال: &lt;<mark>الأَسْرَى</mark>&gt; في <mark>نفحــة</mark>'
    >>> mark("الإضراب عن الطعام، والطعام", [("phrase", ("اضراب", "طعام"))])
    '<mark>الإضراب</mark> عن <mark>الطعام</mark>، والطعام'
    >>> mark("الطعام ثم الإضراب", [("phrase", ("اضراب", "طعام"))]) is None
    True
    """
    tokens = text_tokens(text)
    terms = [t[0] for t in tokens]
    marked = set()
    for kind, value in clauses:
        if kind == "words":
            marked.update(i for i, term in enumerate(terms) if term in value)
        elif kind == "prefix":
            marked.update(i for i, term in enumerate(terms) if term.startswith(value))
        else:
            n = len(value)
            for i in range(len(terms) - n + 1):
                if tuple(terms[i : i + n]) == value:
                    marked.update(range(i, i + n))
    if not marked:
        return None
    out, last = [], 0
    for i in sorted(marked):
        _, start, end, _ = tokens[i]
        out.append(escape(text[last:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return "".join(out)
