"""The tables of the PostgreSQL search backend, and the rows one catalogue item becomes.

Migrations 0009 and 0012 create these tables (their DDL is frozen there); the Core tables below
match them (``metadata.create_all`` makes the same, for a scratch database such as ``make
eval``'s).

- ``search_items``: one row per item. ``document`` is one ``tsvector`` holding every field's
  terms, each lexeme prefixed by its field's code (``t|سجن`` in the title, ``x|سجن`` in the open
  transcript, ``z|سجن`` in restricted text) with positions per field, so one GIN index
  answers every field, phrase and prefix; each field's pairs of consecutive terms are
  lexemes too (``w|سجن نفح`` in the transcript, ``T|اسر نفح`` in the title), so that a
  phrase of two words is one lexeme, and a longer one is checked against positions (the
  ``document`` read back) only in the items holding all its pairs. Facet values are an
  array of integers (see ``search_labels``), visibility is columns compared at query time.
  A row is kept narrow (about 200 bytes): a common word matches most items, and the rows of
  all of them are read, so every byte counts a thousand times.
- ``search_words``: the normalized words "did you mean" may offer, open and restricted, one
  row per item (kept apart: they would make the items' rows four times as wide).
- ``search_terms``: one row per item and term it holds, with the term's weight in the item
  (BM25F's saturated term frequency over the fields, each by its boost and length): what
  relevance ranking reads, an index-only scan per query term, instead of every matching item's
  ``document`` (a long transcript's ``tsvector`` is tens of kilobytes to read back and unpack).
  Restricted text's terms are kept apart (``z|term``), read only for staff.
- ``search_segments``: one row per transcript segment with words: original text, times, the
  restricted flag and its own terms, read only for the items of the page shown.
- ``search_passages``: the transcript of a long item (over :data:`MAX_POSITION` terms, where
  PostgreSQL stops counting positions) again in overlapping chunks with positions of their own,
  so that its words and phrases are found anywhere in it.
- ``search_labels``: each facet value, its label and its number ``id``: ``8 * n + k`` where
  ``k`` is the facet's place in :data:`indexer.schema.FACETS`, so that counting facets is
  counting small integers and ``id % 8`` says which facet a value is of. Numbers come from a
  sequence and are never reused. ``search_state``: the format the rows were written in.

Every term comes from our own analysis (:func:`indexer.terms` and the name analyzer), written
as a ``tsvector`` literal with each lexeme quoted: PostgreSQL adds no analysis of its own.

>>> row = item_rows({"identifier": "P-1", "title": "أسرى نفحة", "date": "1988",
...     "transcripts": [{"segments": [{"start": 1.0, "text": "قالوا: «في السجن»"}]}]})
>>> row.item["document"]
"'T|اسري نفحه' 'T|اسير نفحه' 'e|1980' 't|اسري':1 't|اسير':1 't|نفحه':2 'w|قال سجن' 'x|سجن':2 'x|قال':1"
>>> [(s["number"], s["terms"]) for s in row.segments]
[(0, "'سجن':2 'قال':1")]
"""

from dataclasses import dataclass, field

from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR

from .analysis import READINGS, arabic_analyzer, name_analyzer
from .query import positions as readings_by_position
from .schema import FACETS, item_documents, read_spans

#: What the rows hold; rows of another format are rebuilt by `archive init`.
#: 3: terms read with the lexicon, several readings of a word at one position (issue 15).
FORMAT = "5"

metadata = MetaData()
items = Table(
    "search_items",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("identifier", Text, nullable=False, unique=True),
    Column("access", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("embargo", DateTime),
    Column("type", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("date", Text, nullable=False),
    Column("year", Integer),
    Column("facets", ARRAY(Integer), nullable=False),
    Column("document", TSVECTOR, nullable=False),
    Column("long", Boolean, nullable=False),
    Index("ix_search_items_document", "document", postgresql_using="gin"),
    Index("ix_search_items_facets", "facets", postgresql_using="gin"),
)
words = Table(
    "search_words",
    metadata,
    Column(
        "item_id", BigInteger, ForeignKey("search_items.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("words", ARRAY(Text), nullable=False),
    Column("restricted_words", ARRAY(Text), nullable=False),
    Index("ix_search_words_words", "words", postgresql_using="gin"),
    Index("ix_search_words_restricted_words", "restricted_words", postgresql_using="gin"),
)
segments = Table(
    "search_segments",
    metadata,
    Column(
        "item_id", BigInteger, ForeignKey("search_items.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("number", Integer, primary_key=True),
    Column("start", Float),
    Column("end", Float),
    Column("text", Text, nullable=False),
    Column("restricted", Boolean, nullable=False),
    Column("terms", TSVECTOR, nullable=False),
    Column("spans", Text, nullable=False),
)
terms = Table(
    "search_terms",
    metadata,
    Column("term", Text(collation="C"), nullable=False),
    Column(
        "item_id", BigInteger, ForeignKey("search_items.id", ondelete="CASCADE"), nullable=False
    ),
    Column("weight", REAL, nullable=False),
    # The weight in the key's index: a term's rows are read from the index alone (its rows in
    # the table lie one per page, written item by item: 10,000 pages for a common word).
    PrimaryKeyConstraint("term", "item_id", postgresql_include=["weight"]),
    Index("ix_search_terms_item_id", "item_id"),
)
passages = Table(
    "search_passages",
    metadata,
    Column(
        "item_id", BigInteger, ForeignKey("search_items.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("number", Integer, primary_key=True),
    Column("restricted", Boolean, nullable=False),
    Column("terms", TSVECTOR, nullable=False),
    Index("ix_search_passages_terms", "terms", postgresql_using="gin"),
)
labels = Table(
    "search_labels",
    metadata,
    Column("id", Integer, nullable=False, unique=True),
    Column("facet", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    Column("label", Text, nullable=False),
    Column("label_en", Text, nullable=False),
)
label_numbers = Sequence("search_labels_number_seq", metadata=metadata)
FACET_CODES = {name: code for code, name in enumerate(FACETS)}  # value id % FACET_SPAN
FACET_SPAN = 8
assert len(FACETS) <= FACET_SPAN

state = Table(
    "search_state",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

#: Field -> the prefix of its lexemes in ``document``.
FIELDS = {
    "title": "t",
    "names": "n",
    "tag": "g",
    "place": "p",
    "description": "d",
    "collection": "c",
    "transcript": "x",
    "transcript_restricted": "z",
    "transcript_pairs": "w",
    "transcript_restricted_pairs": "v",
    "title_pairs": "T",
    "names_pairs": "N",
    "tag_pairs": "G",
    "place_pairs": "P",
    "description_pairs": "D",
    "collection_pairs": "C",
    "narrator_pairs": "R",
    "narrator": "r",
    "type": "y",
    "language": "l",
    "decade": "e",
}
TEXT_FIELDS = ("title", "description", "tag", "collection")
NAME_FIELDS = ("names", "narrator", "place")
ID_FIELDS = ("type", "language", "decade")

#: BM25F: the boost of each field searched by plain words, and a typical length of it (a
#: constant, so that a weight written with one item does not depend on the others).
BOOSTS = {"title": 3.0, "description": 1.5, "tag": 2.0, "collection": 1.5, "transcript": 1.0,
          "transcript_restricted": 1.0, "names": 3.0, "place": 2.0}  # fmt: skip
LENGTHS = {"title": 6, "description": 40, "tag": 4, "collection": 4, "transcript": 2000,
           "transcript_restricted": 2000, "names": 6, "place": 3}  # fmt: skip
K1, B = 1.2, 0.75
RESTRICTED = "z|"  # prefix of the terms of restricted text in search_terms

MAX_POSITION = 16383  # PostgreSQL's largest position in a tsvector
MAX_POSITIONS = 256  # positions it keeps per lexeme
MAX_DOCUMENT = 900_000  # bytes a document may take (a tsvector holds at most 1 MB)
PASSAGE = 16000  # terms of one passage of a long transcript
OVERLAP = 16  # terms passages share, so that a phrase across their border is found (MAX_PHRASE)

_TEXT = arabic_analyzer()
_NAME = name_analyzer()


@dataclass
class ItemRows:
    """The rows of one item (``item_id`` filled in when they are written)."""

    item: dict
    terms: dict[str, float] = field(default_factory=dict)
    segments: list[dict] = field(default_factory=list)
    passages: list[dict] = field(default_factory=list)
    words: tuple[list[str], list[str]] = ([], [])  # open and restricted, for "did you mean"
    labels: list[tuple[str, str, str, str]] = field(default_factory=list)  # item["facets"]: ids


def quote(lexeme: str) -> str:
    """A lexeme quoted for a ``tsvector`` or ``tsquery`` literal, whatever it holds.

    >>> print(quote("it's"), quote("a\\\\b"), quote("a:b & !c"))
    'it''s' 'a\\\\b' 'a:b & !c'
    """
    if "'" in lexeme or "\\" in lexeme:
        return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
    return f"'{lexeme}'"  # nearly every lexeme: nothing to escape


def vector(lexemes: dict[str, list[int]]) -> str:
    """A ``tsvector`` literal: lexeme -> positions; no positions: the lexeme alone."""
    parts = []
    for lexeme, positions in sorted(lexemes.items()):
        if positions:
            parts.append(f"{quote(lexeme)}:{','.join(map(str, positions))}")
        else:
            parts.append(quote(lexeme))
    return " ".join(parts)


def add_terms(lexemes: dict, prefix: str, terms, positions: bool = True):
    """Put ``terms`` (in order) into ``lexemes`` under ``prefix``, at positions 1, 2, ...
    (beyond :data:`MAX_POSITION` a term keeps the positions it had: still found, word for
    word; its phrases are found in the passages). A position is a term or a tuple of the
    readings of one word, all at that position."""
    for position, readings in enumerate(terms, 1):
        for term in (readings,) if isinstance(readings, str) else readings:
            key = prefix + term
            entry = lexemes.get(key)
            if entry is None:
                entry = lexemes[key] = []
            if positions and position <= MAX_POSITION and len(entry) < MAX_POSITIONS:
                if not entry or entry[-1] != position:
                    entry.append(position)


def item_rows(item: dict) -> ItemRows:
    """The rows of one item dict (as :meth:`indexer.Index.update` takes it)."""
    docs, (words, restricted_words) = item_documents(item)
    doc = docs[-1]
    info = doc["info"]
    lexemes: dict[str, list[int]] = {}
    fields = {}  # field -> its terms, in order
    for name in TEXT_FIELDS + NAME_FIELDS:
        if name in TEXT_FIELDS:
            fields[name] = readings_by_position(_TEXT, doc.get(name, ""))
        else:
            fields[name] = [(t.text,) for t in _NAME(doc.get(name, ""))]
        add_terms(lexemes, f"{FIELDS[name]}|", fields[name])
        add_terms(lexemes, f"{FIELDS[name + '_pairs']}|", pairs(fields[name]), positions=False)
    for name in ID_FIELDS:
        add_terms(lexemes, f"{FIELDS[name]}|", doc.get(name, "").split(), positions=False)

    rows = ItemRows(item={})
    long = False
    for name, restricted in (("transcript", False), ("transcript_restricted", True)):
        stream = fields[name] = _stream(doc.get(name, ""))
        if len(stream) > MAX_POSITION:
            long = True
            rows.passages += _passages(stream, restricted, len(rows.passages))
        add_terms(lexemes, f"{FIELDS[name]}|", stream, positions=len(stream) <= MAX_POSITION)
        add_terms(lexemes, f"{FIELDS[name + '_pairs']}|", pairs(stream), positions=False)
    document = vector(lexemes)
    if len(document.encode()) > MAX_DOCUMENT:  # a very long transcript: the passages hold it
        long = True
        kept = {k: v for k, v in lexemes.items() if k[0] not in "xzwv"}
        document = vector(kept)
        if not rows.passages:
            for name, restricted in (("transcript", False), ("transcript_restricted", True)):
                rows.passages += _passages(
                    _stream(doc.get(name, "")), restricted, len(rows.passages)
                )

    for segment_doc in docs[:-1]:
        segment = segment_doc["segment"]
        terms = [term for term, _, _ in read_spans(segment["spans"])]
        rows.segments.append(
            {
                "number": segment["number"],
                "start": segment["start"],
                "end": segment["end"],
                "text": segment["text"],
                "restricted": segment["restricted"],
                "spans": segment["spans"],
                "terms": vector(_positions([tuple(t.split(READINGS)) for t in terms])),
            }
        )
    for name in FACETS:
        for value, label, label_en in info["facets"].get(name) or ():
            rows.labels.append((name, value, label, label_en))
    rows.terms = term_weights(fields)
    rows.words = (sorted(words), sorted(restricted_words))
    rows.item = {
        "identifier": info["identifier"],
        "access": info["access"],
        "status": info["status"],
        "embargo": info["embargo"],
        "type": info["type"],
        "title": info["title"],
        "title_en": info["title_en"],
        "date": info["date"],
        "year": info["year"],
        "facets": None,  # the ids of rows.labels' values, given when the rows are written
        "document": document,
        "long": long,
    }
    return rows


def pairs(terms: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Each position with the next, as one lexeme (every reading of the one with every
    reading of the other): a phrase in a transcript is found from the GIN index alone, with
    no item's ``document`` read back to check positions.

    >>> pairs([("اضراب",), ("طعام",), ("نفحه", "نفح")])
    [('اضراب طعام',), ('طعام نفحه', 'طعام نفح')]
    """
    return [
        tuple(f"{a} {b}" for a in first for b in second)
        for first, second in zip(terms, terms[1:], strict=False)
    ]


def _stream(analyzed: str) -> list[tuple[str, ...]]:
    """An analyzed transcript stream (:mod:`indexer.schema`) as the readings of each position."""
    return [tuple(word.split(READINGS)) for word in analyzed.split()]


def term_weights(fields: dict[str, list[str]]) -> dict[str, float]:
    """Term -> its BM25F weight in one item: the frequencies in each field, by the field's
    boost and normalized by its length, summed, then saturated.

    >>> term_weights({"title": ["سجن"], "transcript": ["سجن", "نفح", "سجن"]})
    {'سجن': 2.0462, 'نفح': 1.6906}
    """
    frequencies: dict[str, float] = {}
    for name, found in fields.items():
        if name not in BOOSTS or not found:
            continue
        scale = BOOSTS[name] / (1 - B + B * len(found) / LENGTHS[name])
        prefix = RESTRICTED if name == "transcript_restricted" else ""
        for readings in found:
            for term in (readings,) if isinstance(readings, str) else readings:
                key = prefix + term
                frequencies[key] = frequencies.get(key, 0.0) + scale
    return {t: round(f * (K1 + 1) / (f + K1), 4) for t, f in frequencies.items()}


def _positions(terms: list[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    add_terms(found, "", terms)
    return found


def _passages(stream: list[str], restricted: bool, first: int) -> list[dict]:
    """Overlapping chunks of a long stream of terms, each with positions of its own."""
    found, step = [], PASSAGE - OVERLAP
    for number, start in enumerate(range(0, max(1, len(stream) - OVERLAP), step), first):
        chunk = stream[start : start + PASSAGE]
        found.append(
            {"number": number, "restricted": restricted, "terms": vector(_positions(chunk))}
        )
    return found
