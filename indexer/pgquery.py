"""The query language compiled to PostgreSQL ``tsquery`` text (see :mod:`indexer.query`).

The same :func:`indexer.query.parse` reads what a researcher types; each clause becomes one
``tsquery`` on ``search_items.document``, OR-ing its leaves: a word is a lexeme per field it is
searched in (``'t|سجن' | 'x|سجن' | ...``), a phrase lexemes that follow one another
(``'x|اضراب' <-> 'x|طعام'``; a word with several readings an OR group at its position:
``('x|سجون' | 'x|سجن') <-> 'x|نفحه'``), a prefix a lexeme with ``:*``. A clause that says something of
the transcript also has a ``tsquery`` of plain terms for the passages of long transcripts.
Every lexeme is made by our analyzers and quoted, so nothing a visitor types is read as
``tsquery`` syntax.

>>> c = compile_clauses(parse('سجن "hunger strike" type:poem -عسقلان'), restricted_text=False)
>>> c.groups[0].document
"'t|سجن' | 'd|سجن' | 'g|سجن' | 'c|سجن' | 'x|سجن' | 'n|سجن' | 'p|سجن'"
>>> c.groups[1].passages, c.required[0].document, c.excluded.passages
("'hunger' <-> 'strike'", "'y|poem'", "'عسقلان'")
"""

from dataclasses import dataclass, field

from . import query
from .normalization import normalize
from .pgschema import FIELDS, RESTRICTED, pairs, quote
from .query import (  # noqa: F401
    SCOPES,
    Atom,
    Parsed,
    _mark,
    _text_prefix,
    analyze,
    parse,
    positions,
)
from .stemming import MAX_WORD

TEXT_FIELDS = ("title", "description", "tag", "collection", "transcript")
NAME_FIELDS = ("names", "place")
TRANSCRIPTS = ("transcript", "transcript_restricted")


@dataclass
class Clause:
    """The leaves of one clause: ``tsquery`` parts on the item documents and on passages."""

    leaves: list[str] = field(default_factory=list)
    passage_leaves: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # what ranks items: see search_terms

    @property
    def document(self) -> str | None:
        return " | ".join(self.leaves) or None

    @property
    def passages(self) -> str | None:
        return " | ".join(dict.fromkeys(self.passage_leaves)) or None

    def extend(self, other: "Clause") -> None:
        self.leaves += other.leaves
        self.passage_leaves += other.passage_leaves
        self.terms += [t for t in other.terms if t not in self.terms]


@dataclass
class Compiled:
    """A parsed query as clauses (see :class:`indexer.query.Compiled`)."""

    groups: list[Clause]  # clauses with words: AND-first, then fewer
    required: list[Clause]  # clauses of field scopes only: each must match
    excluded: Clause  # every excluded clause in one
    marks: list[tuple[str, object]]  # transcript clauses: see indexer.moments.mark
    words: list[tuple[Atom, Clause]]  # plain words, for "did you mean"
    partial: bool = False


def compile_clauses(parsed: Parsed, restricted_text: bool, budget=None) -> Compiled:
    """Compile ``parsed`` as :func:`indexer.query.compile_query` does for Whoosh: field scopes
    narrow, words rank AND-first, stop words count only when the query is nothing else (and
    then among names). Restricted transcript text is searched only when ``restricted_text``.
    A prefix costs a leaf per field it is looked for in, a word or phrase one leaf; past
    :data:`indexer.query.MAX_LEAVES` the rest is left out and the result marked partial."""
    positives = [a for g in parsed.groups for a in g] + parsed.excluded
    names_only = bool(positives) and all(
        a.scope is not None or not analyze(query._TEXT, a.text) for a in positives
    )
    context = _Context(restricted_text, names_only)
    compiled = Compiled([], [], Clause(), [], [])
    for group in parsed.groups:
        clause, meaningful = Clause(), False
        for atom in group:
            if budget is not None and budget.over():
                context.partial = True
                break
            found = context.leaves(atom)
            if found is None:  # a stop word: the clause does not count
                continue
            meaningful = True
            clause.extend(found)
            if atom.scope is None and not names_only:
                compiled.marks.append(_mark(atom))
                if atom.kind == "word":
                    compiled.words.append((atom, found))
        if meaningful:
            scoped = all(atom.scope is not None for atom in group)
            (compiled.required if scoped else compiled.groups).append(clause)
    for atom in parsed.excluded:
        compiled.excluded.extend(context.leaves(atom) or Clause())
    compiled.partial = context.partial
    return compiled


def lexemes(fieldname: str | None, terms: list, prefix: bool = False) -> str:
    """The ``tsquery`` of ``terms`` following one another in a field (None: plain terms); a
    position with several readings (a tuple) is an OR group at that position.

    >>> print(lexemes("transcript", [("ذكري", "ذكر"), ("طعام",)]))
    ('x|ذكري' | 'x|ذكر') <-> 'x|طعام'
    """
    code = f"{FIELDS[fieldname]}|" if fieldname else ""
    if prefix:
        return quote(code + _first(terms[0])) + ":*"
    return " <-> ".join(_either(code, term) for term in terms)


def _first(term) -> str:
    return term if isinstance(term, str) else term[0]


def _either(code: str, readings) -> str:
    """One position's lexeme, or its readings OR-ed."""
    if isinstance(readings, str):
        return quote(code + readings)
    if len(readings) == 1:
        return quote(code + readings[0])
    return "(" + " | ".join(quote(code + r) for r in readings) + ")"


@dataclass
class _Context:
    restricted_text: bool
    names_only: bool
    partial: bool = False
    count: int = 0  # leaves made so far

    def leaves(self, atom: Atom) -> Clause | None:
        """The leaves of one atom (maybe none); None when it is only stop words."""
        found = self._leaves(atom)
        if found is None:
            return None
        cost = len(found.leaves) if atom.kind == "prefix" else min(1, len(found.leaves))
        if self.count + cost > query.MAX_LEAVES:
            self.partial = True
            return Clause()
        self.count += cost
        return found

    def _leaves(self, atom: Atom) -> Clause | None:
        if atom.scope is not None:
            return self.scoped(atom)
        fields = () if self.names_only else TEXT_FIELDS
        if self.restricted_text and fields:
            fields += ("transcript_restricted",)
        clause = Clause()
        if atom.kind == "prefix":
            text_prefix, name_prefix = _text_prefix(atom.text), normalize(atom.text)[:MAX_WORD]
            for name in fields:
                self.add(clause, name, [(text_prefix,)], prefix=True)
            for name in NAME_FIELDS:
                self.add(clause, name, [(name_prefix,)], prefix=True)
            return clause
        text_terms = positions(query._TEXT, atom.text)
        name_terms = [(t,) for t in analyze(query._NAME, atom.text)]
        if not text_terms and not self.names_only:
            return None
        for name in fields:
            self.add(clause, name, text_terms)
        for name in NAME_FIELDS:
            self.add(clause, name, name_terms)
        text_flat = [t for readings in text_terms for t in readings]
        ranking = (text_flat if fields else []) + [t for (t,) in name_terms]
        if "transcript_restricted" in fields:
            ranking += [RESTRICTED + term for term in text_flat]
        clause.terms = list(dict.fromkeys(ranking[: 3 * query.MAX_PHRASE]))
        return clause

    def scoped(self, atom: Atom) -> Clause:
        kind, value, clause = SCOPES[atom.scope], atom.text.strip(), Clause()
        if kind in ("id", "decade"):
            value = normalize(value).replace(" ", "")
            if kind == "decade":
                value = value.rstrip("s")
                if atom.kind != "prefix" and len(value) == 4 and value.isdigit():
                    value = str(int(value) // 10 * 10)
            if value:
                self.add(clause, atom.scope, [(value,)], prefix=atom.kind == "prefix")
        elif atom.kind == "prefix":
            prefix = normalize(atom.text) if kind == "name" else _text_prefix(atom.text)
            self.add(clause, atom.scope, [(prefix[:MAX_WORD],)], prefix=True)
        elif kind == "name":
            self.add(clause, atom.scope, [(t,) for t in analyze(query._NAME, atom.text)])
        else:
            self.add(clause, atom.scope, positions(query._TEXT, atom.text))
        return clause

    def add(
        self, clause: Clause, name: str, terms: list[tuple[str, ...]], prefix: bool = False
    ) -> None:
        """A leaf for ``terms`` (the readings of each position) in field ``name``; a
        transcript's also for the passages."""
        if prefix and len(terms[0][0]) < query.MIN_PREFIX:
            return
        if len(terms) > query.MAX_PHRASE:
            self.partial, terms = True, terms[: query.MAX_PHRASE]
        if not terms:
            return
        leaf = lexemes(name, terms, prefix)
        if f"{name}_pairs" in FIELDS and len(terms) > 1:  # the pairs: the index answers them
            paired = " & ".join(lexemes(f"{name}_pairs", [pair]) for pair in pairs(terms))
            leaf = paired if len(terms) == 2 else f"{paired} & ({leaf})"
        clause.leaves.append(leaf)
        if name in TRANSCRIPTS:
            clause.passage_leaves.append(lexemes(None, terms, prefix))
