"""What the search needs to know about every item document, held in memory per searcher.

Access filtering, facet counts, facet filters and date sorting all run over this table instead
of Whoosh fields: an item's access, status, embargo and facet values are read once from its
stored ``info`` when its index segment is first seen, and kept for as long as that segment
lives (segments never change, so an update only costs reading the new segment's items).

Which items a caller may see depends on the clock only through embargoes, so the visible set
is cached together with the interval of time over which it holds: an embargo that ends is
noticed at the next search, with no reindex.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from threading import Lock

from .schema import FACETS

_NEVER = datetime.max
_ALWAYS = datetime.min


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """One item document: what results show, who may see it, its facet values."""

    identifier: str
    title: str
    title_en: str
    type: str
    date: str
    year: int | None
    access: str
    status: str
    embargo: datetime | None
    facets: dict  # facet -> tuple of values

    @classmethod
    def from_stored(cls, info: dict, labels: dict) -> "ItemInfo":
        facets = {}
        for name in FACETS:
            entries = info["facets"].get(name) or ()
            facets[name] = tuple(value for value, _, _ in entries)
            for value, label, label_en in entries:
                labels[name].setdefault(value, (label, label_en))
        return cls(
            info["identifier"],
            info["title"],
            info["title_en"],
            info["type"],
            info["date"],
            info["year"],
            info["access"],
            info["status"],
            info["embargo"],
            facets,
        )

    def date_key(self) -> tuple:
        return (self.year, self.date, self.identifier)


@dataclass(frozen=True, slots=True)
class VocabInfo:
    """Who may see the words of one vocab document (of one item, or of a kind of access)."""

    access: str
    status: str
    embargo: datetime | None
    identifier: str = ""  # the item's, when the document holds the words of one item


@dataclass
class Leaf:
    """The item and vocab documents of one index segment, by local docnum."""

    items: dict[int, ItemInfo]
    labels: dict[str, dict]
    vocab: dict[int, VocabInfo]
    lengths: dict[str, dict[int, int]] = field(default_factory=dict)  # field -> docnum -> length


class LeafCache:
    """Leaves by segment id, shared by the successive searchers of one index."""

    def __init__(self):
        self._leaves: dict[str, Leaf] = {}
        self._lock = Lock()

    def leaf(self, reader) -> Leaf:
        segid = reader.segment().segment_id()
        with self._lock:
            if segid in self._leaves:
                return self._leaves[segid]
        labels = {name: {} for name in FACETS}
        items, vocab = {}, {}
        for docnum in _docs(reader, "item"):
            items[docnum] = ItemInfo.from_stored(reader.stored_fields(docnum)["info"], labels)
        for docnum in _docs(reader, "vocab"):
            vocab[docnum] = VocabInfo(**reader.stored_fields(docnum)["vocab"])
        # The transcript is in every query and long: read its lengths at once (others as met).
        lengths = {d: reader.doc_field_length(d, "transcript", 1) for d in items}
        leaf = Leaf(items, labels, vocab, {"transcript": lengths})
        with self._lock:
            self._leaves[segid] = leaf
        return leaf

    def lengths(self, reader, fieldname: str) -> dict[int, int]:
        """Docnum -> length of ``fieldname`` in one segment, filled in as documents are met
        (a segment never changes, so its lengths hold as long as it lives)."""
        return self.leaf(reader).lengths.setdefault(fieldname, {})

    def keep(self, segids: set[str]) -> None:
        """Forget segments that are gone (merged away or deleted)."""
        with self._lock:
            for segid in set(self._leaves) - segids:
                del self._leaves[segid]


def _docs(reader, kind: str):
    """Live documents of ``kind`` in a segment reader (postings leave deleted ones out)."""
    if ("kind", kind) not in reader:
        return ()
    return reader.postings("kind", kind).all_ids()


class Catalogue:
    """The live item and vocab documents of one searcher, by global docnum."""

    def __init__(self, reader, cache: LeafCache):
        self.cache = cache
        self.items: dict[int, ItemInfo] = {}
        # The (facet, value) pairs of each item, as numbers: counting small ints is cheap.
        self.pairs: dict[int, tuple[int, ...]] = {}
        self.pair_numbers: dict[tuple[str, str], int] = {}
        self.pair_list: list[tuple[str, str]] = []
        self.vocab: dict[int, VocabInfo] = {}
        self.labels: dict[str, dict] = {name: {} for name in FACETS}
        self.postings: dict[str, dict[str, set[int]]] = {name: defaultdict(set) for name in FACETS}
        segids = set()
        for leaf_reader, offset in reader.leaf_readers():
            if leaf_reader.segment() is None:  # an empty index
                continue
            segids.add(leaf_reader.segment().segment_id())
            leaf = cache.leaf(leaf_reader)
            for docnum in _docs(leaf_reader, "item"):
                info = leaf.items[docnum]
                self.items[docnum + offset] = info
                self.pairs[docnum + offset] = tuple(
                    self._number((name, value))
                    for name, values in info.facets.items()
                    for value in values
                )
                for name, values in info.facets.items():
                    for value in values:
                        self.postings[name][value].add(docnum + offset)
            for docnum in _docs(leaf_reader, "vocab"):
                self.vocab[docnum + offset] = leaf.vocab[docnum]
            for name in FACETS:
                for value, pair in leaf.labels[name].items():
                    self.labels[name].setdefault(value, pair)
        cache.keep(segids)
        self._visible: dict[tuple, tuple[frozenset, datetime, datetime]] = {}
        self._by_identifier: dict[str, int] | None = None
        self._lock = Lock()

    def _number(self, pair: tuple[str, str]) -> int:
        number = self.pair_numbers.get(pair)
        if number is None:
            number = self.pair_numbers[pair] = len(self.pair_list)
            self.pair_list.append(pair)
        return number

    def visible(self, access, table: str = "items") -> frozenset[int]:
        """Docnums of the item (or vocab) documents ``access`` may see at ``access.now``:
        those of its levels, and those of the items it was granted one by one; never those of
        ``access.hidden``."""
        docs = self._visible_by_level(access, table)
        if access.granted and access.levels is not None:
            granted = self._granted(access, table)
            if not granted <= docs:
                docs = docs | granted
        if access.hidden:
            docs = docs - self._of_items(access.hidden, table)
        return docs

    def docnum(self, identifier: str) -> int | None:
        """The docnum of the item document of ``identifier``, None when there is none."""
        if self._by_identifier is None:
            self._by_identifier = {info.identifier: d for d, info in self.items.items()}
        return self._by_identifier.get(identifier)

    def _of_items(self, identifiers: frozenset[str], table: str) -> frozenset[int]:
        """The item documents of ``identifiers`` (or, for "vocab", their own vocab documents)."""
        if table == "items":
            return frozenset(d for d in map(self.docnum, identifiers) if d is not None)
        return frozenset(d for d, v in self.vocab.items() if v.identifier in identifiers)

    def _granted(self, access, table: str) -> frozenset[int]:
        """The granted items whose status is allowed and embargo ended (or, for "vocab", the
        words of those items: their own documents, or those of their kind of access)."""
        items, identifiers, keys = set(), set(), set()
        for identifier in access.granted:
            docnum = self.docnum(identifier)
            if docnum is None:
                continue
            info = self.items[docnum]
            if access.statuses is not None and info.status not in access.statuses:
                continue
            if info.embargo is not None and info.embargo > access.now:
                continue
            items.add(docnum)
            identifiers.add(identifier)
            keys.add((info.access, info.status, info.embargo))
        if table == "items":
            return frozenset(items)
        return frozenset(
            d
            for d, v in self.vocab.items()
            if v.identifier in identifiers
            or (not v.identifier and (v.access, v.status, v.embargo) in keys)
        )

    def _visible_by_level(self, access, table: str) -> frozenset[int]:
        key = (table, access.statuses, access.levels)
        now = access.now
        with self._lock:
            cached = self._visible.get(key)
        if cached and cached[1] <= now < cached[2]:
            return cached[0]
        docs, since, until = set(), _ALWAYS, _NEVER
        for docnum, info in getattr(self, table).items():
            if access.statuses is not None and info.status not in access.statuses:
                continue
            if access.levels is not None:
                if info.access not in access.levels:
                    continue
                if info.embargo is not None:
                    if info.embargo > now:
                        until = min(until, info.embargo)
                        continue
                    since = max(since, info.embargo)
            docs.add(docnum)
        result = frozenset(docs)
        with self._lock:
            self._visible[key] = (result, since, until)
        return result

    def filtered(self, filters: dict[str, list[str]] | None) -> dict[str, set[int]]:
        """Docnums allowed by each facet filter: values of one facet OR-ed."""
        allowed = {}
        for name, values in (filters or {}).items():
            if name not in self.postings or not values:
                continue
            if isinstance(values, str):
                values = [values]
            docs = set()
            for value in values:
                docs |= self.postings[name].get(_facet_value(name, value), set())
            allowed[name] = docs
        return allowed

    def counts(self, docs, names) -> dict[str, list[dict]]:
        """Facets ``names`` over ``docs``: value, labels and count, most frequent first."""
        counters = {name: Counter() for name in names}
        pair_list = self.pair_list
        for number, count in Counter(chain.from_iterable(map(self.pairs.get, docs))).items():
            name, value = pair_list[number]
            if name in counters:
                counters[name][value] = count
        return {name: self._entries(name, counter) for name, counter in counters.items()}

    def _entries(self, name: str, counter: Counter) -> list[dict]:
        labels = self.labels[name]
        entries = []
        for value, count in sorted(counter.items(), key=lambda vc: (-vc[1], vc[0])):
            label, label_en = labels.get(value, (value, value))
            entries.append({"value": value, "label": label, "label_en": label_en, "count": count})
        return entries

    def by_date(self, docs, newest_first: bool = False) -> list[int]:
        """``docs`` by year then catalogued date; undated items last either way."""
        dated = [d for d in docs if self.items[d].year is not None]
        undated = [d for d in docs if self.items[d].year is None]
        dated.sort(key=lambda d: self.items[d].date_key(), reverse=newest_first)
        undated.sort(key=lambda d: self.items[d].identifier)
        return dated + undated


def _facet_value(name: str, value: str) -> str:
    value = str(value)
    return value.lower() if name in ("type", "language") else value
