"""The query language: what a researcher types, parsed into clauses and compiled to Whoosh.

Plain words, ``"phrases"``, ``OR`` between two clauses, ``-exclusion``, ``prefix*`` and field
scopes named like the facets (``narrator:حمدونة``, ``decade:1980``, ``tag:"الحركة الأسيرة"``).
Parsing never fails: whatever is not understood is read as plain words.

>>> q = parse('اسرى OR معتقلين "سجن نفحة" -عسقلان narrator:حمدونة تعليم*')
>>> [[(a.kind, a.scope, a.text) for a in group] for group in q.groups]
[[('word', None, 'اسرى'), ('word', None, 'معتقلين')], [('phrase', None, 'سجن نفحة')], [('word', 'narrator', 'حمدونة')], [('prefix', None, 'تعليم')]]
>>> [(a.kind, a.text) for a in q.excluded]
[('word', 'عسقلان')]
>>> [[a.text for a in group] for group in parse("#الحرية_للأسرى").groups]
[['الحرية'], ['للأسرى']]
>>> parse('"unclosed type: (( AND OR *').groups
[[Atom(kind='word', text='unclosed', scope=None, span=(1, 9))], [Atom(kind='word', text='type', scope=None, span=(10, 14))]]
"""

import re
from dataclasses import dataclass, field
from itertools import islice, product

from whoosh import query as wq

from .analysis import arabic_analyzer, name_analyzer
from .normalization import normalize
from .schema import FACETS
from .stemming import ARABIC_LETTERS, MAX_WORD, strip_article

#: Fields plain words are searched in, with their boosts, by analyzer.
TEXT_FIELDS = {"title": 3.0, "description": 1.5, "tag": 2.0, "collection": 1.5, "transcript": 1.0}
NAME_FIELDS = {"names": 3.0, "place": 2.0}
#: What a field scope searches, and how its value is analyzed.
SCOPES = {
    "type": "id",
    "language": "id",
    "decade": "decade",
    "narrator": "name",
    "place": "name",
    "tag": "text",
    "collection": "text",
}
assert set(SCOPES) == set(FACETS)

# The work one query may cause is bounded (a hostile query is short but costly): what is left
# out by a bound marks the result partial (see indexer.search.Budget).
MAX_QUERY = 500  # characters read from a query
MAX_CLAUSES = 24  # clauses kept from a query
MIN_PREFIX = 2  # letters a prefix needs before the *
MAX_EXPANSION = 128  # terms a prefix stands for in one field, the most frequent first
MAX_PREFIX_SCAN = 4000  # terms of one field read to find a prefix's most frequent ones
MAX_LEAVES = 600  # leaves (term or phrase in one field) of one query
MAX_PHRASE = 16  # terms of a phrase that are matched
MAX_READINGS = 8  # phrases one phrase stands for when its words have several readings

_TOKEN = re.compile(
    r"""
    (?P<space>[\s()]+)
  | (?P<neg>-)?(?P<scope>[A-Za-z_]+):"(?P<scoped>[^"]*)"
  | (?P<neg2>-)?"(?P<phrase>[^"]*)"
  | (?P<quote>")
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)

_TEXT = arabic_analyzer()
_NAME = name_analyzer()


@dataclass(frozen=True)
class Atom:
    """One clause: a word, phrase or prefix, optionally scoped to a facet field."""

    kind: str  # "word" | "phrase" | "prefix"
    text: str
    scope: str | None
    span: tuple[int, int]


@dataclass
class Parsed:
    """Positive clauses as groups (AND of ORs) and excluded clauses."""

    text: str
    groups: list[list[Atom]] = field(default_factory=list)
    excluded: list[Atom] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the query asks for nothing at all: browse everything."""
        return not self.groups and not self.excluded and not re.search(r"\w", self.text)


def parse(text: str) -> Parsed:
    """Parse a query; never raises. Unclosed quotes, empty scopes and stray operators fall back
    to plain words or are ignored."""
    text = (text or "")[:MAX_QUERY]
    parsed = Parsed(text)
    pending_or = negate_next = False
    for m in _TOKEN.finditer(text):
        if m.group("space") or m.group("quote"):
            continue
        atoms, negated = _atoms(m)
        if atoms is None:  # an operator
            op = m.group("word")
            if op in ("OR", "|", "||"):
                pending_or = bool(parsed.groups)
            elif op == "NOT":
                negate_next = True
            continue
        negated = negated or negate_next
        negate_next = False
        for atom in atoms:
            if negated:
                parsed.excluded.append(atom)
            elif pending_or:
                parsed.groups[-1].append(atom)
            else:
                parsed.groups.append([atom])
            pending_or = False
    del parsed.groups[MAX_CLAUSES:]
    del parsed.excluded[MAX_CLAUSES:]
    return parsed


def _atoms(m: re.Match) -> tuple[list[Atom] | None, bool]:
    """The atoms of one token (None for an operator) and whether they are excluded."""
    if m.group("scope") is not None:
        scope, value = m.group("scope").lower(), m.group("scoped")
        span = m.span("scoped")
        if scope in SCOPES:
            return ([Atom("phrase", value, scope, span)] if value.strip() else []), bool(
                m.group("neg")
            )
        return [Atom("phrase", value, None, span)], bool(m.group("neg"))
    if m.group("phrase") is not None:
        return [Atom("phrase", m.group("phrase"), None, m.span("phrase"))], bool(m.group("neg2"))
    word, start = m.group("word"), m.start("word")
    if word in ("OR", "|", "||", "AND", "&&", "NOT", "+"):
        return None, False
    negated = word.startswith("-")
    stripped = word.lstrip("-+")
    start += len(word) - len(stripped)
    atoms = []
    scope, sep, value = stripped.partition(":")
    if sep and scope.lower() in SCOPES and value.strip(":*"):
        return [_word(value, scope.lower(), start + len(scope) + 1)], negated
    # Not a scope (or an empty one): every part is a plain word, and so is every word of a
    # hashtag («#الحرية_للأسرى» is «الحرية» «للأسرى»: its writer named a subject, not a phrase);
    # an excluded hashtag stays one clause, so that only the hashtag's phrase is excluded.
    for part in re.finditer(r"[^:]+" if negated else r"[^:#_]+", stripped):
        if part.group().strip("*"):
            atoms.append(_word(part.group(), None, start + part.start()))
    return atoms, negated


def _word(word: str, scope: str | None, start: int) -> Atom:
    span = (start, start + len(word))
    if word.endswith("*"):
        stem = word.rstrip("*")
        if len(normalize(stem)) >= MIN_PREFIX and "*" not in stem:
            return Atom("prefix", stem, scope, (start, start + len(stem)))
        return Atom("word", stem.replace("*", " "), scope, (start, start + len(stem)))
    return Atom("word", word.replace("*", " "), scope, span)


def analyze(analyzer, text: str) -> list[str]:
    """The terms ``analyzer`` makes of ``text`` (every reading of a word)."""
    return [t.text for t in analyzer(text)]


def positions(analyzer, text: str) -> list[tuple[str, ...]]:
    """The terms ``analyzer`` makes of ``text``, position by position: the readings of each
    word (see :class:`indexer.analysis.ArabicStemFilter`), the main one first.

    >>> positions(_TEXT, "ذكرى الأسرى في السجون")
    [('ذكري',), ('اسري', 'اسير'), ('سجون', 'سجن')]
    """
    found: dict[int, list[str]] = {}
    for t in analyzer(text, positions=True):
        readings = found.setdefault(t.pos, [])
        if t.text not in readings:
            readings.append(t.text)
    return [tuple(found[p]) for p in sorted(found)]


@dataclass
class Compiled:
    """A parsed query for one searcher and one caller.

    Each clause is a list of *leaves*: single-field Term or Phrase queries on item documents
    (a word is one leaf per field it is searched in, a prefix one per term it stands for); a
    clause matches an item when one of its leaves does.
    """

    groups: list[list[wq.Query]]  # clauses with words: AND-first, then fewer
    required: list[list[wq.Query]]  # clauses of field scopes only: each must match
    excluded: list[wq.Query]  # leaves of the excluded clauses
    marks: list[tuple[str, object]]  # transcript clauses: see indexer.moments.mark
    words: list[tuple[Atom, list[wq.Query]]]  # plain words, for "did you mean"
    partial: bool = False  # a bound or the time budget left something out


def compile_query(parsed: Parsed, reader, restricted_text: bool, budget=None) -> Compiled:
    """Compile ``parsed`` into leaves on item documents and clauses for marking transcripts.

    Field scopes narrow, like facets: a clause of scopes only must match. Clauses with words
    rank items AND-first but do not have to match. Leaves of terms the index does not hold
    are left out.

    Stop words are dropped from plain words unless the whole query is stop words, which are then
    looked for among names only («علي» is a stop word in text and a name).

    ``budget`` (an :class:`indexer.search.Budget`): once spent, the clauses left are skipped;
    the leaves of one query stop at :data:`MAX_LEAVES`. Either marks the result partial.
    """
    text_fields = dict(TEXT_FIELDS)
    if restricted_text:
        text_fields["transcript_restricted"] = 1.0
    positives = [a for g in parsed.groups for a in g] + parsed.excluded
    names_only = bool(positives) and all(
        a.scope is not None or not analyze(_TEXT, a.text) for a in positives
    )
    c = Compiled([], [], [], [], [])
    ctx = _Context(reader, text_fields, names_only)
    for group in parsed.groups:
        leaves, meaningful = [], False
        for atom in group:
            if budget is not None and budget.over():
                ctx.partial = True
                break
            found = ctx.leaves(atom)
            if found is None:  # a stop word: the clause does not count
                continue
            meaningful = True
            leaves += found
            if atom.scope is None and not names_only:
                c.marks.append(_mark(atom))
                if atom.kind == "word":
                    c.words.append((atom, found))
        if meaningful:
            scoped = all(atom.scope is not None for atom in group)
            (c.required if scoped else c.groups).append(leaves)
    for atom in parsed.excluded:
        c.excluded += ctx.leaves(atom) or []
    c.partial = ctx.partial
    return c


def _mark(atom: Atom) -> tuple[str, object]:
    """The clause :func:`indexer.moments.mark` looks for in transcripts."""
    if atom.kind == "prefix":
        return ("prefix", _text_prefix(atom.text))
    groups = positions(_TEXT, atom.text)
    if len(groups) == 1:
        return ("words", set(groups[0]))
    return ("phrase", tuple(groups[:MAX_PHRASE]))


@dataclass
class _Context:
    reader: object
    text_fields: dict
    names_only: bool
    partial: bool = False
    count: int = 0  # leaves made so far

    def leaves(self, atom: Atom) -> list[wq.Query] | None:
        """The leaves of one atom (maybe none); None when it is only stop words."""
        found = self._leaves(atom)
        if found and self.count + len(found) > MAX_LEAVES:
            self.partial = True
            found = found[: max(0, MAX_LEAVES - self.count)]
        self.count += len(found or ())
        return found

    def _leaves(self, atom: Atom) -> list[wq.Query] | None:
        if atom.scope is not None:
            return self.scoped(atom)
        fields = {} if self.names_only else self.text_fields
        if atom.kind == "prefix":
            text_prefix, name_prefix = _text_prefix(atom.text), normalize(atom.text)
            leaves = [q for f, b in fields.items() for q in self.prefix(f, text_prefix, b)]
            return leaves + [
                q for f, b in NAME_FIELDS.items() for q in self.prefix(f, name_prefix, b)
            ]
        text_terms = positions(_TEXT, atom.text)
        name_terms = [(t,) for t in analyze(_NAME, atom.text)]
        if not text_terms and not self.names_only:
            return None
        leaves = [q for f, b in fields.items() for q in self.terms(f, text_terms, b)]
        return leaves + [q for f, b in NAME_FIELDS.items() for q in self.terms(f, name_terms, b)]

    def scoped(self, atom: Atom) -> list[wq.Query]:
        kind, value = SCOPES[atom.scope], atom.text.strip()
        if kind in ("id", "decade"):
            value = normalize(value).replace(" ", "")
            if kind == "decade":
                value = value.rstrip("s")
                if atom.kind != "prefix" and re.fullmatch(r"\d{4}", value):
                    value = str(int(value) // 10 * 10)
            if atom.kind == "prefix":
                return self.prefix(atom.scope, value)
            return self.terms(atom.scope, [(value,)] if value else [])
        elif atom.kind == "prefix":
            prefix = normalize(atom.text) if kind == "name" else _text_prefix(atom.text)
            return self.prefix(atom.scope, prefix)
        elif kind == "name":
            return self.terms(atom.scope, [(t,) for t in analyze(_NAME, atom.text)])
        return self.terms(atom.scope, positions(_TEXT, atom.text))

    def terms(
        self, fieldname: str, terms: list[tuple[str, ...]], boost: float = 1.0
    ) -> list[wq.Query]:
        """Terms (or Phrases of several positions) for the readings of each position, as many
        as there are readings the index holds (so that an item saying the word as written,
        which holds its other readings too, scores higher); none when the index lacks every
        reading of one position. A phrase whose words have several readings stands for at most
        :data:`MAX_READINGS` phrases, the main readings first."""
        if len(terms) > MAX_PHRASE:
            self.partial, terms = True, terms[:MAX_PHRASE]
        held = [[t for t in readings if (fieldname, t) in self.reader] for readings in terms]
        if not held or not all(held):
            return []
        if len(held) == 1:
            return [wq.Term(fieldname, t, boost=boost) for t in held[0]]
        return [
            wq.Phrase(fieldname, list(words), boost=boost)
            for words in islice(product(*held), MAX_READINGS)
        ]

    def prefix(self, fieldname: str, prefix: str, boost: float = 1.0) -> list[wq.Query]:
        """Terms of ``fieldname`` beginning with ``prefix``, the most frequent first."""
        if len(prefix) < MIN_PREFIX:
            return []
        found = []
        for t, info in self.reader.iter_prefix(fieldname, prefix[:MAX_WORD]):
            if len(found) == MAX_PREFIX_SCAN:
                self.partial = True
                break
            found.append((info.doc_frequency(), t))
        found.sort(key=lambda pair: -pair[0])
        return [
            wq.Term(fieldname, t.decode("utf-8"), boost=boost) for _, t in found[:MAX_EXPANSION]
        ]


def _text_prefix(text: str) -> str:
    """A prefix as the transcript fields hold it: normalized, the article taken off.

    >>> _text_prefix("الأسير"), _text_prefix("Prison")
    ('اسير', 'prison')
    """
    prefix = normalize(text).strip()[:MAX_WORD]
    if prefix and prefix[0] in ARABIC_LETTERS:
        prefix = strip_article(prefix)
    return prefix
