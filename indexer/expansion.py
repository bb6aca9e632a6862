"""Query-time expansion: a query also searches the other ways of saying what it names.

Two sources, both of words the searcher may see:

- the thesaurus (:mod:`indexer.thesaurus`): a run of query words naming a concept also
  searches the concept's other labels, in Arabic, English and French ("hunger strike" also
  searches «الإضراب عن الطعام»);
- names across scripts (:mod:`indexer.transliteration`): a word in Latin letters also searches
  the words of the index's vocabulary in Arabic letters with the same consonant key, and the
  reverse (Barghouti → «البرغوثي», «عوفر» → Ofer), the most frequent first, a few at most.

Expansions are alternatives in the group of the words they stand for (OR), so an item saying
only the other form is found; the search gives their leaves a lower boost, so exact matches
rank first. Quoted words and phrases, prefixes and field scopes are never expanded.

>>> from indexer.query import parse
>>> from indexer.thesaurus import Concept, Thesaurus
>>> t = Thesaurus([Concept(["الإضراب عن الطعام"], ["hunger strike"], [])])
>>> e = expand(parse('hunger strike "Ofer"'), t, lambda word: [])
>>> e.also_searched
[('hunger strike', ['الإضراب عن الطعام'])]
>>> [[a.text for a in g] for g in e.parsed.groups]
[['hunger', 'الإضراب عن الطعام'], ['strike', 'الإضراب عن الطعام'], ['Ofer']]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .analysis import terms
from .normalization import normalize
from .query import Atom, Parsed
from .thesaurus import Thesaurus
from .transliteration import fitting, key

#: Forms one query word may also search by its transliteration key, the most frequent first.
MAX_NAME_FORMS = 3
#: Forms one run of words may also search from the thesaurus.
MAX_CONCEPT_FORMS = 8
#: The boost of an expansion's leaves, relative to the words typed.
EXPANSION_BOOST = 0.3
_ARABIC = re.compile(r"[\u0600-\u06ff]")


@dataclass
class Expanded:
    """The expanded query, what was also searched (query words, forms) in the order of the
    query, and the atoms added."""

    parsed: Parsed
    also_searched: list[tuple[str, list[str]]] = field(default_factory=list)
    added: set[Atom] = field(default_factory=set)


def arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


def name_candidates(word: str) -> tuple[str, bool] | None:
    """The key under which ``word``'s spellings in the other script are looked up, and whether
    those are Arabic; None for a word too short or in neither script.

    A word in Latin letters is taken for a name when it is capitalized or has four consonants
    or more: a short lower-case word is more often English or French («asylum», «mère») than a
    name, and its consonants meet unrelated Arabic words.

    >>> name_candidates("Barghouti"), name_candidates("عوفر"), name_candidates("in")
    (('BRGT', True), ('FR', False), None)
    >>> name_candidates("Ofer"), name_candidates("ofer"), name_candidates("barghouti")
    (('FR', True), None, ('BRGT', True))
    """
    k = key(word)
    if not k or " " in k or len(k) < 2 or not terms(word):  # stop words are not names
        return None
    if not arabic(word) and not word[:1].isupper() and len(k) < 4:
        return None
    return k, not arabic(word)


def expand(
    parsed: Parsed,
    thesaurus: Thesaurus | None,
    names: Callable[[str], Iterable[str]] | None = None,
    allowed: Callable[[str, str], bool] | None = None,
) -> Expanded:
    """``parsed`` with the thesaurus's and the names' other forms of its unquoted words added;
    ``thesaurus`` None: nothing is expanded (an empty :class:`Thesaurus` expands names only).

    ``names(word)``: spellings of ``word`` in the other script the searcher may see, the most
    frequent first. ``allowed(form, source)``: whether a thesaurus form from ``source``
    ("glossary", "tag", "person", "place", "collection") may be searched and shown to the
    searcher (None: all)."""
    groups = [list(g) for g in parsed.groups]
    result = Expanded(Parsed(parsed.text, groups, list(parsed.excluded)))
    if thesaurus is None:  # no expansion asked for: the query as typed
        return result
    # plain words: groups of one unquoted, unscoped word, in runs the thesaurus may name
    plain = [i for i, g in enumerate(groups) if len(g) == 1 and _plain(g[0])]
    runs, run = [], []
    for i in plain:
        if run and i != run[-1] + 1:
            runs.append(run)
            run = []
        run.append(i)
    if run:
        runs.append(run)
    covered: set[int] = set()
    found: list[tuple[int, str, list[str]]] = []
    if len(thesaurus):
        for run in runs:
            words = [groups[i][0].text for i in run]
            for e in thesaurus.find(words):
                sources = e.sources or ("glossary",) * len(e.also)
                forms = [
                    f
                    for f, s in zip(e.also, sources, strict=False)
                    if allowed is None or allowed(f, s)
                ][:MAX_CONCEPT_FORMS]
                if not forms:
                    continue
                members = run[e.start : e.end]
                # a stop word of the run («عن» of «الإضراب عن الطعام») is no clause of its own
                for i in [i for i in members if terms(groups[i][0].text)] or members:
                    first = groups[i][0]
                    for form in forms:
                        atom = Atom("phrase", form, None, first.span)
                        groups[i].append(atom)
                        result.added.add(atom)
                covered.update(members)
                found.append((members[0], " ".join(words[e.start : e.end]), forms))
    if names is not None:
        for i, group in enumerate(parsed.groups):
            if i in covered:
                continue
            for atom in group:
                if not _plain(atom) or " " in atom.text.strip():
                    continue
                forms = [f for f in names(atom.text) if f != atom.text][:MAX_NAME_FORMS]
                if not forms:
                    continue
                for form in forms:
                    added = Atom("phrase", form, None, atom.span)
                    groups[i].append(added)
                    result.added.add(added)
                found.append((i, atom.text, forms))
    result.also_searched = [(words, forms) for _, words, forms in sorted(found, key=lambda f: f[0])]
    return result


def _plain(atom: Atom) -> bool:
    return atom.kind == "word" and atom.scope is None and bool(atom.text.strip())


#: Sources of thesaurus forms that are public by nature (the shipped glossary); a form from a
#: tag, person, place or collection is searched and shown only when its words are said in an
#: item the searcher may see (a tag or a name of restricted items only stays unknown).
PUBLIC_SOURCES = frozenset({"glossary"})


def form_allowed(visible_words: Callable[[list[str]], list[str]]):
    """``allowed`` for :func:`expand`: public sources, or forms whose normalized words are all
    among ``visible_words(words)`` (those of them the searcher may see)."""

    def allowed(form: str, source: str) -> bool:
        if source in PUBLIC_SOURCES:
            return True
        words = [w for w in normalize(form).split() if terms(w)]  # stop words: not in vocab
        return bool(words) and len(set(visible_words(words))) == len(set(words))

    return allowed


#: word -> its consonant key, kept across index generations
_KEYS: dict[str, str] = {}


class NameKeys:
    """Words of the index's vocabulary by consonant key, built once per index generation:
    for each key, the most frequent words of each script (bounded)."""

    #: words kept per key and script (more than are searched: :meth:`lookup` drops those whose
    #: long vowels do not fit the word asked for)
    PER_KEY = 12
    #: words read from the vocabulary at most
    MAX_WORDS = 300_000

    def __init__(self, words: Iterable[tuple[str, int]]):
        kept: dict[tuple[str, bool], list[tuple[int, str]]] = {}
        for n, (word, frequency) in enumerate(words):
            if n >= self.MAX_WORDS:
                break
            if len(word) < 3 or not word.isalpha():
                continue
            k = _KEYS.get(word)
            if k is None:
                k = key(word)
                if len(_KEYS) < self.MAX_WORDS:  # the next generation's words are mostly these
                    _KEYS[word] = k
            if not k or len(k) < 2:
                continue
            bucket = kept.setdefault((k, arabic(word)), [])
            bucket.append((-frequency, word))
            if len(bucket) > 4 * self.PER_KEY:
                bucket.sort()
                del bucket[self.PER_KEY :]
        self._by_key = {
            k: tuple(w for _, w in sorted(bucket)[: self.PER_KEY]) for k, bucket in kept.items()
        }

    def __len__(self) -> int:
        return len(self._by_key)

    def lookup(self, word: str) -> tuple[str, ...]:
        """Words of the other script with the key of ``word`` and long vowels that fit it
        (:func:`indexer.transliteration.fits`), the most frequent first."""
        found = name_candidates(word)
        if found is None:
            return ()
        k, want_arabic = found
        return fitting(word, (w for w in self._by_key.get((k, want_arabic), ()) if terms(w)))
