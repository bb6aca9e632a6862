"""The Arabic words the stemmer knows: which forms are attested words, and the singulars of
broken plurals.

A light stemmer that cuts letters off by rule alone merges words that mean different things
(«كتاب», a book, read as «ك» + «تاب», repented). With a lexicon it cuts only where what is left
is still a word, and never where the whole form is a word of its own. The lexicon comes from
**arramooz** (``arramooz-pysqlite`` on PyPI, Taha Zerrouki's open Arabic dictionary, GPL), read
from its SQLite files the first time (about a second; then cached on the machine, see
:func:`lexicon`):

- its nouns (30,215 entries, singulars and broken plurals);
- its word-frequency list (37,714 words in common use, verbs in their dictionary form among
  them, and 5,346 proper names: «حيفا», «غزة»). Its verb table (13,942) is not read: the
  common verbs are in the frequency list, and a rare verb such as «وأم» would keep «وأمي»
  from being read as «و» + «أمي»;
- and, for the plurals, the singular that each broken-plural entry names, and the plurals
  each singular lists.

Beside it, ``data/lexicon.tsv`` holds the words of this archive's field that arramooz lacks
(prisons, towns and villages, first names, the words of prison life such as «زنزانة» and its
plural «زنازين»), written for the project. Every form is folded by :func:`key`
(as :func:`indexer.normalization.normalize` folds, but keeping «ة»).

A broken plural maps to its singulars only when the plural is not also a primitive noun of its
own (see :data:`PRIMITIVE`): «جمل» is a plural of «جملة» (sentence) but also «جمل» (camel), so
it maps to nothing, and «كتاب» (book) is never taken for the plural of «كاتب».
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .normalization import _TABLE

#: The common words of arramooz's frequency list: not its abbreviations («بي», B), and of its
#: proper names only those of a frequency a newspaper reader meets («حيفا» 16,259; not «وام»,
#: 3,123, a news agency that would keep «وأم» from being read as «و» + «أم»).
WORDFREQ = (
    "SELECT unvocalized, word_type FROM wordfreq WHERE word_type IN ('noun', 'verb', 'adj', 'adv')"
    " OR (word_type = 'noun_prop' AND freq >= 10000)"
)

#: arramooz's kinds of nouns that are words of their own, not forms derived by a pattern: a
#: broken plural spelled like one of them («جمل», camels, and «جمل», a camel; «كتاب», books
#: or writers, and «كتاب», a book; «جمال», camels, and «جمال», beauty) is not mapped to its
#: singular. arramooz lists many plurals as singular intensive adjectives or participles too
#: («قلوب», «منازل»): those do not count.
PRIMITIVE = frozenset({":جامد", "اسم:جامد", "مصدر:مصدر"})

SUPPLEMENT = Path(__file__).resolve().parent / "data" / "lexicon.tsv"

#: An Arabic word of two letters or more, once normalized (notes such as «(مؤ)» or «+ون(sûr)»
#: in arramooz's plural column are not words).
_WORD = re.compile("^[\u0621-\u064a]{2,}$")  # ة is U+0629, ى U+0649


#: The folding of :func:`indexer.normalization.normalize`, but for the letters that tell words
#: apart which people may or may not write: «ة» tells a noun of its own («حرية», freedom) from a
#: pronoun («كتابه», his book); «ى» a word («ذكرى», memory) from a possessive «ي»; and a hamza
#: or madda on an alef («أ إ آ») root letters from the article («إلهام», «آلام», «ألباب»
#: against «ال» + «هام», «أم», «باب»). The lexicon's forms keep them; a text that leaves them
#: out still meets them (see :meth:`Lexicon.attested`).
_KEPT = ("ة", "ى", "أ", "إ", "آ")
_KEY_TABLE = {code: folded for code, folded in _TABLE.items() if chr(code) not in _KEPT}
LOOSE = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})
HAMZA_ALEFS = "أإآ"


def key(text: str) -> str:
    """``text`` folded as the lexicon's forms are: as :func:`~indexer.normalize` does, but
    keeping «ة», «ى» and the hamza or madda on an alef.

    >>> key("الحُرِّيَّةُ وأسرى مؤتمر")
    'الحرية وأسرى موتمر'
    """
    return text.translate(_KEY_TABLE).casefold()


def compatible(written: str, form: str) -> bool:
    """Whether a text's ``written`` key may be the lexicon's ``form``: letter for letter the
    same, except that a bare alef in the text may stand for an alef with a hamza or madda
    (people often leave them out) — but not the alef of a bare «ال» that begins the word,
    which is the article («الباب» is «ال» + «باب», not «ألباب»).

    >>> compatible("اسير", "أسير"), compatible("أسير", "اسير"), compatible("الباب", "ألباب")
    (True, False, False)
    """
    if len(written) != len(form):
        return False
    for i, (a, b) in enumerate(zip(written, form, strict=True)):
        if a == b:
            continue
        if a != "ا" or b not in HAMZA_ALEFS or (i == 0 and written[1:2] == "ل"):
            return False
    return True


class _Forms:
    """A set of forms looked up as :func:`compatible` says."""

    def __init__(self, forms, loose: dict[str, tuple[str, ...]] | None = None):
        self.exact = frozenset(forms)
        if loose is None:
            found: dict[str, list[str]] = {}
            for form in self.exact:
                if any(c in HAMZA_ALEFS for c in form):
                    found.setdefault(form.translate(LOOSE), []).append(form)
            loose = {k: tuple(sorted(v)) for k, v in found.items()}
        self.loose = loose

    def find(self, written: str) -> list[str]:
        """The forms ``written`` may be, itself first."""
        found = [written] if written in self.exact else []
        if "ا" in written:
            found += [f for f in self.loose.get(written, ()) if compatible(written, f)]
        return found

    def __contains__(self, written: str) -> bool:  # find(), without building its list
        if written in self.exact:
            return True
        return "ا" in written and any(compatible(written, f) for f in self.loose.get(written, ()))

    def __len__(self) -> int:
        return len(self.exact)


@dataclass(frozen=True)
class Lexicon:
    words: _Forms  #: every attested form (see :func:`key`)
    nouns: _Forms  #: the attested forms that are nouns, adjectives or names
    nouns_in_teh: _Forms  #: nouns of their own that end in «ة» («حرية», «جامعة»)
    singulars: dict[str, tuple[str, ...]]  #: broken plural -> its singulars

    def attested(self, form: str) -> bool:
        return form in self.words

    def noun(self, form: str) -> bool:
        return form in self.nouns

    def singulars_of(self, form: str) -> tuple[str, ...]:
        for known in self.words.find(form):
            if known in self.singulars:
                return self.singulars[known]
        return ()


def _arramooz_data() -> Path:
    import arramooz

    return Path(arramooz.__file__).resolve().parent / "data"


def _fold(text: str) -> str:
    return key(text.strip())


_SEPARATORS = re.compile(r"[;،,]")
_NOTES = re.compile(r"\(.*?\)|[+]\S*")


def _forms(cell: str | None) -> list[str]:
    """The words of one of arramooz's cells: «شُهَدَاءُ;أَشْهَادٌ» -> ['شهداء', 'اشهاد']."""
    if not cell:
        return []
    if _WORD.match(word := _fold(cell)):  # most cells: one plain word
        return [word]
    found = []
    for part in _SEPARATORS.split(cell):
        found.extend(w for w in _fold(_NOTES.sub(" ", part)).split() if _WORD.match(w))
    return found


#: Bumped when what :func:`_build` makes changes, so that an older cache is not read.
CACHE_VERSION = "1"


@cache
def lexicon() -> Lexicon:
    """The lexicon, loaded once per process: from this machine's cache of it when that cache
    was made from the same arramooz files and supplement (a few hundredths of a second), else
    built from them (about a second) and cached (see :func:`cache_path`)."""
    path = cache_path()
    if path is not None:
        try:
            return _thaw(marshal.loads(path.read_bytes()))
        except (OSError, ValueError, EOFError, TypeError):
            pass  # none yet, or unreadable: build it
    made = _build()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as out:
                out.write(marshal.dumps(_freeze(made)))
            os.replace(out.name, path)
            for older in path.parent.glob("lexicon-*.marshal"):  # made from older sources
                if older != path:
                    older.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only home: built again by the next process
    return made


def cache_path() -> Path | None:
    """Where this machine keeps the built lexicon: ``$XDG_CACHE_HOME`` (or ``~/.cache``)
    ``/prisoners-archive/``, named by a digest of everything it is built from (arramooz's files,
    the supplement, :data:`CACHE_VERSION`), so that a change to any of them builds it again.
    ``ARCHIVE_LEXICON_CACHE=off`` builds it in every process. The cache holds only strings
    (``marshal``), never code."""
    if os.environ.get("ARCHIVE_LEXICON_CACHE", "").lower() in ("off", "0", "no"):
        return None
    digest = hashlib.sha256(CACHE_VERSION.encode())
    data = _arramooz_data()
    for source in (data / "arabicdictionary.sqlite", data / "wordfreq.sqlite"):
        stat = source.stat()
        digest.update(f"{source}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    digest.update(SUPPLEMENT.read_bytes())
    digest.update(Path(__file__).read_bytes())  # how it is built
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "prisoners-archive" / f"lexicon-{digest.hexdigest()[:16]}.marshal"


def _freeze(made: Lexicon) -> tuple:
    forms = (made.words, made.nouns, made.nouns_in_teh)
    return (*((f.exact, f.loose) for f in forms), made.singulars)


def _thaw(frozen: tuple) -> Lexicon:
    (words, nouns, teh, singulars) = frozen
    return Lexicon(_Forms(*words), _Forms(*nouns), _Forms(*teh), singulars)


def _build() -> Lexicon:
    """The lexicon, read from arramooz's SQLite files and the supplement."""
    data = _arramooz_data()
    words: set[str] = set()
    singular_forms: set[str] = set()
    plurals: dict[str, set[str]] = {}
    nouns_in_teh: set[str] = set()
    nouns: set[str] = set()

    with sqlite3.connect(f"file:{data / 'arabicdictionary.sqlite'}?mode=ro", uri=True) as db:
        for form, number, single, broken, kind in db.execute(
            "SELECT unvocalized, number, single, broken_plural, wordtype FROM nouns"
        ):
            (word,) = _forms(form) or [""]
            if not word:
                continue
            words.add(word)
            nouns.add(word)
            if number == "جمع تكسير":
                for singular in _forms(single):
                    if not _sound_plural(word, singular):
                        plurals.setdefault(word, set()).add(singular)
            else:
                if kind in PRIMITIVE:
                    singular_forms.add(word)
                if word.endswith("ة"):
                    nouns_in_teh.add(word)
                for plural in _forms(broken):
                    if not _sound_plural(plural, word):
                        words.add(plural)
                        plurals.setdefault(plural, set()).add(word)
    with sqlite3.connect(f"file:{data / 'wordfreq.sqlite'}?mode=ro", uri=True) as db:
        for form, kind in db.execute(WORDFREQ):
            found = [f for f in _forms(form) if not f.startswith("ال")]  # «الباب»: a name
            words.update(found)
            if kind != "verb":
                nouns.update(found)

    listed: set[str] = set()  # the supplement's plurals
    for line in SUPPLEMENT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        named = _forms(cells[0])  # a name may be two words: «بيت لحم»
        words.update(named)
        nouns.update(named)
        singular_forms.update(named)
        nouns_in_teh.update(w for w in named if w.endswith("ة"))
        for plural in _forms(cells[1] if len(cells) > 1 else ""):
            words.add(plural)
            plurals.setdefault(plural, set()).update(named[-1:])
            listed.add(plural)

    singulars = {}
    for plural, of in plurals.items():
        if plural in singular_forms and plural not in listed:  # the supplement decides
            continue
        kept = tuple(sorted(s for s in of if s != plural and _same_root(s, plural)))
        if kept:
            singulars[plural] = kept
    return Lexicon(_Forms(words), _Forms(nouns), _Forms(nouns_in_teh), singulars)


def _sound_plural(plural: str, singular: str) -> bool:
    """Whether ``plural`` is ``singular`` with a sound plural ending, which arramooz lists
    among the broken plurals at times («حريات» beside «حري»): the stemmer's endings read
    those, and «حريات» is the plural of «حرية» too. «أمهات» of «أم» is not.

    >>> _sound_plural("حريات", "حري"), _sound_plural("امهات", "ام")
    (True, False)
    """
    stem = singular.removesuffix("ة")
    return plural in (stem + "ات", stem + "يات", stem + "ون", stem + "ين")


_WEAK = str.maketrans("", "", "اويءأإآ")


def _same_root(singular: str, plural: str) -> bool:
    """Whether ``plural`` keeps the consonants of ``singular`` in order, as a broken plural
    does: «رسايل» those of «رسالة», «اولاد» those of «ولد» but not of «جدي» (arramooz lists
    «أولاد» under the young of animals too).

    >>> _same_root("رسالة", "رسايل"), _same_root("ولد", "اولاد"), _same_root("جدي", "اولاد")
    (True, True, False)
    """
    consonants = singular.removesuffix("ة").translate(_WEAK)
    letters = iter(plural.translate(_WEAK))
    return all(c in letters for c in consonants)
