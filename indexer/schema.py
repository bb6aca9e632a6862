"""The Whoosh schema of the archive's index, and the documents one catalogue item becomes.

Three kinds of document share the schema:

- an **item** document (``kind`` "item"): metadata, people, tags, collections, places and the
  item's whole transcript with word positions, so that items are matched, ranked, counted and
  faceted as wholes. Its ``layout`` column maps each term of the transcript to the numbers of
  the segments that say it, which is how the best moments of the items shown are found (one
  read per item shown, instead of the postings of every query term);
- a **segment** document per transcript segment with words: its item's identifier, and stored
  its number, start, end, language, original text (for highlighting), access, status and
  embargo. An item's segment documents are added just before its item document;
- a **vocab** document: the normalized (unstemmed) words "did you mean" may suggest, with the
  access, status and embargo of the items they come from; one per item on update, one per batch
  and kind of access on rebuild.

Item documents carry ``access``, ``status`` and ``embargo`` as fields, segment and vocab
documents as stored values; searches filter on them at query time. Restricted text (a
restricted transcript or segment) goes into its own ``*_restricted`` fields, which only staff
searches name, so it can never match, count or be suggested for anyone else.

Transcripts are analyzed once, here, into the terms of :func:`indexer.arabic_analyzer`
(:func:`text_tokens`), and indexed already analyzed: the transcript fields split on spaces, the readings of one word
(«سجون|سجن») at one position (:class:`indexer.analysis.ReadingsTokenizer`).

>>> docs, words = item_documents({"identifier": "PMA-1", "title": "أسرى نفحة", "date": "c. ١٩٨٧",
...     "transcripts": [{"language": "ar", "segments": [{"start": 1.0, "text": "قالوا في السجون"}]}]})
>>> [(d.get("kind", "segment"), d["identifier"]) for d in docs]
[('segment', 'PMA-1'), ('item', 'PMA-1')]
>>> docs[1]["decade"], docs[1]["transcript"], docs[1]["layout"], sorted(words[0])
('1980', 'قال سجون|سجن', {'segments': 1, 'open': '\\nقال\\t0\\nسجون\\t0\\nسجن\\t0\\n', 'restricted': '\\n'}, ['اسري', 'السجون', 'قالوا', 'نفحه'])
"""

import re
from datetime import UTC, datetime

from whoosh import columns, fields

from .analysis import (
    READINGS,
    WORD_PATTERN,
    ReadingsTokenizer,
    arabic_analyzer,
    arabic_positions,
    name_analyzer,
    normalized_word,
)
from .normalization import DIGIT_FOLDS
from .stemming import ARABIC_LETTERS, MAX_WORD
from .stopwords import STOP_WORDS

#: The facets of a search, in the order pages show them; also the field scopes of the query
#: language (``narrator:حمدونة``, ``decade:1980``).
FACETS = ("type", "narrator", "tag", "collection", "language", "decade", "place")

_DIGITS = str.maketrans(DIGIT_FOLDS)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_WORD = re.compile(WORD_PATTERN)
_TEXT = arabic_analyzer()
#: word as written -> ((term, start, end) of each of its positions, normalized word)
_KNOWN: dict[str, tuple[tuple[tuple[str, int, int], ...], str]] = {}
_KNOWN_MAX = 300_000


def build_schema() -> fields.Schema:
    """The schema of the index (item, segment and vocab documents share it)."""
    text = arabic_analyzer()
    names = name_analyzer()
    analyzed = ReadingsTokenizer()  # transcripts come analyzed by text_tokens()
    return fields.Schema(
        kind=fields.ID(),
        identifier=fields.ID(),
        access=fields.ID(),
        status=fields.ID(),
        embargo=fields.ID(),
        type=fields.ID(),
        language=fields.KEYWORD(lowercase=True),
        decade=fields.ID(),
        title=fields.TEXT(analyzer=text),
        description=fields.TEXT(analyzer=text),
        tag=fields.TEXT(analyzer=text),
        collection=fields.TEXT(analyzer=text),
        names=fields.TEXT(analyzer=names),
        narrator=fields.TEXT(analyzer=names),
        place=fields.TEXT(analyzer=names),
        transcript=fields.TEXT(analyzer=analyzed),
        transcript_restricted=fields.TEXT(analyzer=analyzed),
        layout=fields.COLUMN(columns.PickleColumn(columns.VarBytesColumn())),
        info=fields.STORED(),
        segment=fields.STORED(),
        spell=fields.KEYWORD(scorable=True),
        spell_restricted=fields.KEYWORD(scorable=True),
        vocab=fields.STORED(),
    )


def text_tokens(text: str) -> list[tuple[str, int, int, str]]:
    """(term, start, end, normalized word) of each position of ``text`` (each word that is not
    a stop word; each piece of a run-together word).

    The terms are those of :func:`indexer.terms`, the readings of one word joined by
    :data:`~indexer.analysis.READINGS` (every filter of the analyzer reads one word at a time,
    so each distinct spelling is analyzed once and remembered); start and end are offsets into
    ``text``, the word (or piece) as written.

    >>> from indexer import terms
    >>> sample = "وَقَالَ الأسرى في سجنِ نفحــة: «الحريةُ قادمة» - Prisoners freed in ١٩٨٠م #كلناغزة"
    >>> [r for t in text_tokens(sample) for r in t[0].split("|")] == terms(sample)
    True
    >>> text_tokens("في نفحــة ذكرى")
    [('نفحه', 3, 9, 'نفحه'), ('ذكري', 10, 14, 'ذكري')]
    """
    found = []
    for match in _WORD.finditer(text):
        parts, word = _KNOWN.get(match.group()) or _learn(match.group())
        for term, start, end in parts:
            found.append((term, match.start() + start, match.start() + end, word))
    return found


def spans(tokens) -> str:
    """The (term, start, end) of :func:`text_tokens`' tokens as one string, stored with a
    segment so that its words are marked without analysing its text again at search time
    (a word no search has met costs milliseconds to analyse).

    >>> spans(text_tokens("في نفحــة ذكرى"))
    'نفحه 3 9 ذكري 10 14'
    """
    return " ".join(f"{term} {start} {end}" for term, start, end, _ in tokens)


def read_spans(stored: str) -> list[tuple[str, int, int]]:
    """The (term, start, end) of each position :func:`spans` wrote.

    >>> read_spans("نفحه 3 9 ذكري|ذكر 10 14")
    [('نفحه', 3, 9), ('ذكري|ذكر', 10, 14)]
    """
    parts = stored.split()
    return [(parts[i], int(parts[i + 1]), int(parts[i + 2])) for i in range(0, len(parts) - 2, 3)]


def index_terms(text: str) -> tuple[list[str], list[str]]:
    """The terms of ``text`` (as :func:`text_tokens`) and its normalized words, without offsets.

    >>> index_terms("وَقَالَ الأسرى في سجنِ نفحة")
    (['قال', 'اسري|اسير', 'سجن', 'نفحه'], ['وقال', 'الاسري', 'سجن', 'نفحه'])
    """
    known = [_KNOWN.get(w) or _learn(w) for w in _WORD.findall(text)]
    return [t[0] for k in known for t in k[0]], [k[1] for k in known if k[0]]


def _learn(written: str) -> tuple[tuple[tuple[str, int, int], ...], str]:
    word = normalized_word(written)
    if word and word[0] in ARABIC_LETTERS and word not in STOP_WORDS:
        parts = tuple(
            (READINGS.join(found), start, end) for found, start, end in arabic_positions(written)
        )
    else:
        parts = tuple((t.text, 0, len(written)) for t in _TEXT(written))[:1]
    known = (parts, word)
    if len(_KNOWN) < _KNOWN_MAX and len(written) <= 4 * MAX_WORD:  # not a flood of letters
        _KNOWN[written] = known
    return known


def item_documents(item: dict) -> tuple[list[dict], tuple[set[str], set[str]]]:
    """The segment documents of ``item`` then its item document, and the words of its open and
    restricted text (for :func:`vocab_document`)."""
    identifier = item["identifier"]
    access = item.get("access") or "staff"
    status = item.get("status") or "draft"
    embargo = naive_utc(item.get("embargo_until"))

    streams = {False: [], True: []}  # restricted? -> terms of each segment, in order
    where = {False: {}, True: {}}  # restricted? -> term -> number of each segment saying it
    words = {False: set(), True: set()}
    segment_docs = []
    for transcript in item.get("transcripts") or ():
        closed = bool(transcript.get("restricted"))
        language = transcript.get("language") or ""
        for segment in transcript.get("segments") or ():
            body = segment.get("text") or ""
            tokens = text_tokens(body)
            if not tokens:
                continue
            terms = [t[0] for t in tokens]
            restricted = closed or bool(segment.get("restricted"))
            number = len(segment_docs)
            said = where[restricted]
            for term in terms:
                for reading in term.split(READINGS):
                    if reading in said:
                        said[reading].append(number)
                    else:
                        said[reading] = [number]
            streams[restricted].append(" ".join(terms))
            words[restricted].update(t[3] for t in tokens)
            segment_docs.append(
                {
                    "identifier": identifier,
                    "segment": {
                        "identifier": identifier,
                        "number": number,
                        "id": segment.get("id"),
                        "start": segment.get("start"),
                        "end": segment.get("end"),
                        "text": body,
                        "spans": spans(tokens),
                        "language": language,
                        "restricted": restricted,
                        "access": access,
                        "status": status,
                        "embargo": embargo,
                    },
                }
            )

    people = item.get("people") or ()
    narrators = [p for p in people if p.get("role") == "narrator"]
    tags = item.get("tags") or ()
    collections = item.get("collections") or ()
    places = item.get("places") or ()
    languages = list(item.get("languages") or ())
    if not languages:
        languages = [t.get("language") for t in item.get("transcripts") or () if t.get("language")]
    item_type = (item.get("type") or "").lower()
    year = year_of(item.get("date"))
    decade = str(year // 10 * 10) if year is not None else ""
    doc = {
        "kind": "item",
        "identifier": identifier,
        "access": access,
        "status": status,
        "embargo": embargo.isoformat() if embargo else "",
        "type": item_type,
        "language": " ".join(dict.fromkeys(code.lower() for code in languages)),
        "decade": decade,
        "title": _join(item.get("title"), item.get("title_en")),
        "description": _join(item.get("description"), item.get("description_en")),
        "names": _join(*(n for p in people for n in _person_names(p))),
        "narrator": _join(*(n for p in narrators for n in _person_names(p))),
        "tag": _join(*(part for t in tags for part in (t.get("label"), t.get("label_en")))),
        "collection": _join(
            *(part for c in collections for part in (c.get("title"), c.get("title_en")))
        ),
        "place": _join(*(part for p in places for part in (p.get("name"), p.get("label_en")))),
        "transcript": " ".join(streams[False]),
        "transcript_restricted": " ".join(streams[True]),
        "layout": {
            "segments": len(segment_docs),
            "open": said_lines(where[False]),
            "restricted": said_lines(where[True]),
        },
        "info": {
            "identifier": identifier,
            "title": item.get("title") or "",
            "title_en": item.get("title_en") or "",
            "type": item_type,
            "date": str(item.get("date") or ""),
            "year": year,
            "access": access,
            "status": status,
            "embargo": embargo,
            "facets": {
                "type": _values([item_type]),
                "narrator": _labelled(narrators, "name", "label_en"),
                "tag": _labelled(tags, "label", "label_en"),
                "collection": _labelled(collections, "title", "title_en"),
                "language": _values(code.lower() for code in languages),
                "decade": _values([decade]),
                "place": _labelled(places, "name", "label_en"),
            },
        },
    }
    for name in ("title", "description", "names", "tag", "collection", "place"):
        words[False].update(index_terms(doc[name])[1])
    return segment_docs + [_without_empty(doc)], (words[False], words[True] - words[False])


def said_lines(said: dict[str, list[int]]) -> str:
    """Term -> numbers of the segments saying it, as one string ("\\nterm\\t0 0 3\\n..."):
    a string is read back from the index at once, and a term found in it with ``str.find``
    (see :func:`indexer.moments.segments_saying`); a dict of a long transcript's terms costs
    far more to unpickle for every item shown."""
    lines = [f"{term}\t{' '.join(map(str, numbers))}" for term, numbers in said.items()]
    return "\n" + "".join(line + "\n" for line in lines)


def visibility(item: dict) -> tuple[str, str, datetime | None]:
    """(access, status, embargo) of an item, the key vocab documents are grouped by."""
    return (
        item.get("access") or "staff",
        item.get("status") or "draft",
        naive_utc(item.get("embargo_until")),
    )


def vocab_document(words, restricted_words, key, identifier: str = "") -> dict:
    """A vocab document: words that may be suggested, seen by whoever sees items of ``key``."""
    access, status, embargo = key
    return _without_empty(
        {
            "kind": "vocab",
            "identifier": identifier,
            "spell": " ".join(sorted(words)),
            "spell_restricted": " ".join(sorted(restricted_words)),
            "vocab": {
                "access": access,
                "status": status,
                "embargo": embargo,
                "identifier": identifier,
            },
        }
    )


def year_of(date) -> int | None:
    """The first four-digit year in a catalogued date, in any digits; None when there is none.

    >>> year_of("1988-04"), year_of("circa ١٩٩٠"), year_of("حوالي 1975م"), year_of("")
    (1988, 1990, 1975, None)
    """
    match = _YEAR.search(str(date or "").translate(_DIGITS))
    return int(match.group(1)) if match else None


def naive_utc(moment) -> datetime | None:
    """A datetime as naive UTC (an aware one is converted); None stays None."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _person_names(person: dict) -> list[str]:
    return [person.get("name"), person.get("label_en"), *(person.get("names") or ())]


def _labelled(entries, key: str, key_en: str) -> list[tuple[str, str, str]]:
    """(value, label, label_en) of each entry: the value is the Arabic name, else the English."""
    seen = {}
    for entry in entries:
        label, label_en = entry.get(key) or "", entry.get(key_en) or ""
        value = label or label_en
        if value and value not in seen:
            seen[value] = (value, label or label_en, label_en or label)
    return list(seen.values())


def _values(codes) -> list[tuple[str, str, str]]:
    return [(code, code, code) for code in dict.fromkeys(c for c in codes if c)]


def _join(*parts) -> str:
    return "\n".join(p for p in parts if p)


def _without_empty(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if v not in ("", None)}
