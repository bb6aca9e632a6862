"""Concepts in three languages: a query in one language also searches the words of the others.

A researcher types "hunger strike"; the testimonies say «الإضراب عن الطعام». A
:class:`Thesaurus` holds *concepts*, each a set of ways to say one thing in Arabic, English and
French (``data/glossary.tsv`` ships the field's common terms; the archive adds its own: tags
with their Arabic and English labels, people and places with their Latin names, the
archivists' entries). :meth:`Thesaurus.find` reads a query's words and says which runs of them
name a concept, and what else to search for each.

Matching is done on *keys*: Arabic words analyzed as the index analyzes them (light stems),
English and French words lower-cased, without accents and in the singular (not Porter's stems,
which make one word of "prison" and "prisoner", of "detention" and "detent"), so "hunger
strikes", "Hunger-Strike" and «إضرابات عن الطعام» all name the concept of «الإضراب عن الطعام».
Longer runs win: "administrative detention" is one concept, not "detention" alone. Quoted words are never expanded (the caller
leaves them out).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .analysis import arabic_analyzer

GLOSSARY = Path(__file__).resolve().parent / "data" / "glossary.tsv"

#: The longest run of query words looked up as one concept.
MAX_RUN = 6

#: The index's analyzer without its Porter stemmer: Latin words are folded by :func:`singular`.
_ANALYZER = arabic_analyzer(stem_latin=False)

#: French function words, left out of keys as the analyzer leaves out Arabic and English ones.
FRENCH_STOP_WORDS = frozenset(
    "a au aux d de des du en et l la le les ou par pour sur un une dans".split()
)


def phrase_key(text: str) -> tuple[str, ...]:
    """The key of a phrase: its index terms in order, stop words left out, French accents off
    (every reading of a word that has several, in the analyzer's order).

    >>> phrase_key("Hunger strikes"), phrase_key("الإضراب عن الطعام"), phrase_key("Grève de la faim")
    (('hunger', 'strike'), ('اضراب', 'طعام'), ('greve', 'faim'))
    """
    return tuple(term for position in readings(text) for term in position)


def readings(text: str) -> list[tuple[str, ...]]:
    """The readings of each word of ``text`` as the thesaurus keys it, position by position.

    >>> readings("الأسرى في السجون")
    [('اسري', 'اسير'), ('سجون', 'سجن')]
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    plain = unicodedata.normalize("NFC", plain).replace("'", " ").replace("’", " ")
    positions: dict[int, list[str]] = {}
    for t in _ANALYZER(plain, positions=True):
        if t.text not in FRENCH_STOP_WORDS:
            term = singular(t.text) if "a" <= t.text[0] <= "z" else t.text
            found = positions.setdefault(t.pos, [])
            if term not in found:
                found.append(term)
    return [tuple(found) for _, found in sorted(positions.items())]


#: Keys one phrase is looked up by at most: one per way of choosing a reading of each word.
MAX_KEYS = 16


def keys(positions: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The keys of a phrase whose words have several readings: one reading of each word, in
    every combination (at most :data:`MAX_KEYS`), so that «الأسرى» (read «اسري» and «اسير»)
    names the concept of «أسير» and «أحلام» that of «حلم».

    >>> keys(readings("الأسرى في السجون"))
    [('اسري', 'سجون'), ('اسري', 'سجن'), ('اسير', 'سجون'), ('اسير', 'سجن')]
    """
    if not positions:
        return []
    return list(itertools.islice(itertools.product(*positions), MAX_KEYS))


def singular(word: str) -> str:
    """An English or French word (lower case, no accents) without its plural ending: the only
    inflection a label and a query disagree on often enough to matter, and one that never
    makes two words one, as a stemmer does.

    >>> [singular(w) for w in ("prisoners", "prison", "families", "searches", "journaux", "detenus")]
    ['prisoner', 'prison', 'family', 'search', 'journal', 'detenu']
    """
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("aux") and len(word) > 4:
        return word[:-3] + "al"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass
class Concept:
    """One thing said in several ways; ``source`` says where the concept comes from."""

    arabic: list[str] = field(default_factory=list)
    english: list[str] = field(default_factory=list)
    french: list[str] = field(default_factory=list)
    source: str = "glossary"

    @property
    def forms(self) -> list[str]:
        return [*self.arabic, *self.english, *self.french]


@dataclass(frozen=True)
class Expansion:
    """Query words ``start``..``end`` (exclusive) name a concept; ``also`` are the other ways
    of saying it, to be searched as phrases beside the words themselves."""

    start: int
    end: int
    also: tuple[str, ...]
    #: where each form of ``also`` comes from (a :attr:`Concept.source`)
    sources: tuple[str, ...] = ()


class Thesaurus:
    """Concepts looked up by the keys of their forms."""

    def __init__(self, concepts: Iterable[Concept] = ()):
        self.concepts: list[Concept] = []
        self._by_key: dict[tuple[str, ...], list[int]] = {}
        self._form_keys: dict[str, frozenset[tuple[str, ...]]] = {}  # form -> its keys
        for concept in concepts:
            self.add(concept)

    def add(self, concept: Concept) -> None:
        number = len(self.concepts)
        self.concepts.append(concept)
        for form in concept.forms:
            if form not in self._form_keys:
                self._form_keys[form] = frozenset(keys(readings(form)))
            for phrase in self._form_keys[form]:
                if number not in self._by_key.setdefault(phrase, []):
                    self._by_key[phrase].append(number)

    def __len__(self) -> int:
        return len(self.concepts)

    def find(self, words: list[str]) -> list[Expansion]:
        """The concepts named by runs of ``words`` (a query's unquoted words, in order), the
        longest run first at each place; each word belongs to one run at most.

        >>> t = Thesaurus([Concept(["الإضراب عن الطعام"], ["hunger strike"], ["grève de la faim"])])
        >>> t.find(["long", "hunger", "strikes"])
        [Expansion(start=1, end=3, also=('الإضراب عن الطعام', 'grève de la faim'), sources=('glossary', 'glossary'))]
        """
        words_readings = [readings(word) for word in words]
        found = []
        start = 0
        while start < len(words):
            for end in range(min(len(words), start + MAX_RUN), start, -1):
                if not words_readings[start] or not words_readings[end - 1]:
                    continue
                run = keys([r for w in words_readings[start:end] for r in w])
                concepts = list(
                    dict.fromkeys(n for k in run for n in self._by_key.get(k, ()))
                )  # in the order the keys were tried, each once
                if concepts:
                    said = set(run)
                    also, sources = [], []
                    for number in concepts:
                        concept = self.concepts[number]
                        for form in concept.forms:
                            if said.isdisjoint(self._form_keys[form]) and form not in also:
                                also.append(form)
                                sources.append(concept.source)
                    if also:
                        found.append(Expansion(start, end, tuple(also), tuple(sources)))
                        start = end - 1
                    break
            start += 1
        return found


def read_glossary(path: Path = GLOSSARY) -> list[Concept]:
    """The concepts of a glossary file: ``ar<TAB>en<TAB>fr<TAB>note`` a line, each of the
    first three cells ;-separated variants; lines starting with # are comments."""
    concepts = []
    if not path.exists():
        return concepts
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = (line.split("\t") + ["", "", ""])[:3]
        arabic, english, french = ([v.strip() for v in c.split(";") if v.strip()] for c in cells)
        if arabic or english or french:
            concepts.append(Concept(arabic, english, french, source="glossary"))
    return concepts
