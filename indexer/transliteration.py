"""Names across scripts: one consonant key for a name written in Arabic or in Latin letters.

People, places and prisons of this archive are written in Arabic and, in English and French
material, in as many Latin spellings as there are transliteration habits: «البرغوثي» is
Barghouti, Barghouthi, Bargouti, al-Barghuthi; «عوفر» is Ofer or Ofer; «أبو فراس» is Abu Firas
or Abou Firas. A table of equivalences between letters cannot pick one spelling, but both
scripts agree on the *consonants* once the ones that transliteration confuses are folded
together, and the vowels (which Arabic does not write short, and Latin writes as each
language hears them) are left out. :func:`key` makes that skeleton:

>>> key("البرغوثي"), key("Barghouti"), key("al-Barghouthi"), key("Bargouti")
('BRGT', 'BRGT', 'BRGT', 'BRGT')
>>> key("عوفر"), key("Ofer"), key("نفحة"), key("Nafha"), key("Nafhah")
('FR', 'FR', 'NF', 'NF', 'NF')
>>> key("أبو فراس"), key("Abou Firas"), key("Abu Firas")
('B FRS', 'B FRS', 'B FRS')

The classes fold what the two scripts blur: «ث ت ط» and t, th; «ذ د ض ظ» and d, dh; «س ص» s;
«ق ك» q, k, c (the Palestinian «ق» is often said as a hamza or a k); «ح ه ة» h; «خ» kh;
«غ ج» gh, g, j, dj (the «ج» is a g in Egypt and in Hebrew place names); «ش» sh, ch. The
letters of the guttural and glottal stops («ع», «ء», ', `) and the long vowels («ا و ي»,
a e i o u y w) are dropped, but a «و» or «ي» that begins a word is a consonant (Walid,
Yasser). The Arabic article («ال», al-, el-) is dropped, and a final H (Ramla, Ramleh).
A key matches only another key; :mod:`indexer.query` uses it to find, in the index's own
vocabulary, the spellings of a name in the other script.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from .lexicon import key as spelled
from .normalization import normalize

#: Arabic letters (normalized: «ة» is «ه», «ى» is «ي», hamza seats bare) to consonant classes;
#: "" drops the letter, "*" marks a letter that is a vowel or a consonant by position.
ARABIC = {
    "ب": "B", "ت": "T", "ث": "T", "ج": "G", "ح": "H", "خ": "K", "د": "D", "ذ": "D",
    "ر": "R", "ز": "Z", "س": "S", "ش": "X", "ص": "S", "ض": "D", "ط": "T", "ظ": "D",
    "ع": "", "غ": "G", "ف": "F", "ق": "K", "ك": "K", "ل": "L", "م": "M", "ن": "N",
    "ه": "H", "و": "*", "ي": "*", "ا": "", "ء": "", "پ": "B", "چ": "J", "ڤ": "F", "گ": "G",
}  # fmt: skip

#: Latin letter groups, longest first, to the same classes.
LATIN = (
    ("sch", "X"), ("dj", "G"), ("dh", "D"), ("th", "T"), ("kh", "K"), ("gh", "G"),
    ("sh", "X"), ("ch", "X"), ("ph", "F"), ("ou", "*"), ("oo", "*"), ("ee", "*"),
    ("b", "B"), ("p", "B"), ("t", "T"), ("j", "G"), ("h", "H"), ("d", "D"), ("r", "R"),
    ("z", "Z"), ("s", "S"), ("c", "K"), ("k", "K"), ("q", "K"), ("g", "G"), ("f", "F"),
    ("v", "F"), ("l", "L"), ("m", "M"), ("n", "N"), ("x", "KS"), ("w", "*"), ("y", "*"),
    ("a", ""), ("e", ""), ("i", ""), ("o", ""), ("u", ""),
)  # fmt: skip

_LATIN_PATTERN = re.compile("|".join(re.escape(letters) for letters, _ in LATIN))
_LATIN_CLASS = dict(LATIN)
_ARTICLE = re.compile(r"^(?:al|el|ul|il)[-\s']+|^(?:al|el)(?=[bcdfghjklmnpqrstvwxz]{2})")


def key(name: str) -> str:
    """The consonant key of ``name`` in either script; words stay apart, separated by a space.
    Other scripts and digits give nothing.

    >>> key("Walid"), key("وليد"), key("Yasser"), key("ياسر"), key("Marwan"), key("مروان")
    ('WLD', 'WLD', 'YSR', 'YSR', 'MRN', 'MRN')
    >>> key("Khalida Jarrar"), key("خالدة جرار"), key("Megiddo"), key("مجدو")
    ('KLD GRR', 'KLD GRR', 'MGD', 'MGD')

    A doubled Latin letter is one consonant written twice for the «ّ» Arabic does not write
    («Abbas», «عباس»); two letters Arabic writes are two consonants, whatever stands between
    them («مدد» madad, «مسرور» masrur):

    >>> key("Abbas"), key("عباس"), key("مدد"), key("madad"), key("مسرور"), key("Misr")
    ('BS', 'BS', 'MDD', 'MDD', 'MSRR', 'MSR')
    >>> key("إلهام"), key("Ilham"), key("الهام"), key("ألم")
    ('LHM', 'LHM', 'HM', 'LM')
    """
    return " ".join(k for k in ("".join(c.cls for c in s) for s in _skeletons(name)) if k)


def fits(name: str, other: str) -> bool:
    """Whether two spellings of one key, one in each script, also agree where the key folds:
    a long vowel Arabic writes between two consonants («ا», «و», «ي») is a vowel in any Latin
    spelling of the word, while a Latin vowel may be a short one Arabic does not write; and a
    Latin letter group that names one Arabic letter is not another of its class (gh is «غ»,
    never «ج»; kh is «خ»; j is «ج»; q is «ق»). So «مصر» is Misr and «المصير» (destiny) is not,
    though both have the key MSR; «أغمات» is Aghmat and «الجمعيات» is not. A gap that holds «ع» or
    «ء» says nothing (Latin writes them as a vowel, an apostrophe or nothing).

    >>> fits("Misr", "مصر"), fits("Misr", "المصير"), fits("Masir", "المصير")
    (True, False, True)
    >>> fits("Barghouti", "البرغوثي"), fits("Jarrar", "جرار"), fits("Said", "سعيد")
    (True, True, True)
    >>> fits("Aghmat", "أغمات"), fits("Aghmat", "الجمعيات"), fits("Jenin", "جنين")
    (True, False, True)
    """
    return _fit(_skeletons(name), _skeletons(other))


def fitting(name: str, others) -> tuple[str, ...]:
    """Those of ``others`` that :func:`fits` ``name``, in their order.

    >>> fitting("Misr", ["المصير", "مصر"])
    ('مصر',)
    """
    mine = _skeletons(name)
    return tuple(other for other in others if _fit(mine, _skeletons(other)))


def _fit(mine: list[list[_Consonant]], theirs: list[list[_Consonant]]) -> bool:
    if len(mine) != len(theirs):
        return True  # not spellings of one another word by word: nothing to compare
    for a, b in zip(mine, theirs, strict=True):
        if len(a) != len(b):
            return True
        for first, (x, y) in enumerate(zip(a, b, strict=True)):
            if first and {x.gap, y.gap} == {LONG, NONE}:
                return False
            if y.letters in NEVER.get(x.letters, "") or x.letters in NEVER.get(y.letters, ""):
                return False
    return True


#: Latin letter groups and the Arabic letters of their class they never write.
NEVER = {"gh": "ج", "kh": "قك", "j": "غ", "dj": "غ", "q": "خ"}

#: What stands before a consonant of a skeleton: a long vowel Arabic writes, a vowel Latin
#: writes, nothing, or letters that say nothing («ع», «ء»).
LONG, VOWEL, NONE, ANY = "long", "vowel", "none", "any"


class _Consonant(NamedTuple):
    cls: str  # the class letter of :data:`ARABIC` and :data:`LATIN`
    gap: str  # what stands before it (:data:`LONG` ...)
    letters: str  # as written: an Arabic letter, a Latin letter group


def _skeletons(name: str) -> list[list[_Consonant]]:
    """Each word's consonants, with what stands before each (see :data:`LONG`)."""
    words = [w for w in re.split(r"[\s\-_'’`ʿʾ.]+", name.strip()) if w]
    # the article written apart: «al-Barghouthi», «el Khalil», «ال قدس»
    words = [
        w for i, w in enumerate(words) if not (w.casefold() in ARTICLES and i + 1 < len(words))
    ]
    return [s for s in map(_word_skeleton, words) if s]


ARTICLES = {"al", "el", "ul", "il", "ال"}


def _word_skeleton(word: str) -> list[_Consonant]:
    if "\u0600" <= word[0] <= "\u06ff":
        # «إلهام», «ألم»: an alef with a hamza before «ل» is no article (Ilham, not Ham)
        article = not spelled(word).startswith(("أل", "إل", "آل"))
        return _final(_arabic_skeleton(normalize(word), article))
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)
    ).casefold()
    if not plain.isascii() or not plain.isalpha():
        return []
    return _final(_latin_skeleton(plain))


def _arabic_skeleton(word: str, article: bool = True) -> list[_Consonant]:
    if article and word.startswith("ال") and len(word) > 3:
        word = word[2:]
    start = 1 if word.startswith("ا") else 0  # «إيشل», «أحمد»: the alef carries the vowel
    out, gap = [], NONE
    for i, letter in enumerate(word[start:]):
        cls = ARABIC.get(letter)
        if cls is None:
            return []
        if cls == "*":  # «و», «ي»: a consonant at the start of a word, else a long vowel
            if i == 0 and not start:
                out.append(_Consonant("W" if letter == "و" else "Y", gap, letter))
            elif gap != ANY:
                gap = LONG
            continue
        if cls == "":  # «ا» a long vowel; «ع», «ء» stops Latin writes as it likes
            gap = ANY if letter in "عء" else (LONG if gap != ANY else ANY)
            continue
        out.append(_Consonant(cls, gap, letter))
        gap = NONE
    return out


def _latin_skeleton(word: str) -> list[_Consonant]:
    word = _ARTICLE.sub("", word)
    out, gap = [], NONE
    for match in _LATIN_PATTERN.finditer(word):
        letters = match.group()
        cls = _LATIN_CLASS[letters]
        if cls == "*" and match.start() == 0 and letters in ("w", "y"):
            cls = letters.upper()  # w, y: a consonant at the start of a word
        if cls in ("*", ""):  # ou, oo, ee, a, e, i, o, u
            gap = VOWEL
            continue
        for c in cls:
            if not (out and out[-1].cls == c and gap == NONE):  # «rr», «ss»: one consonant
                out.append(_Consonant(c, gap, letters))
            gap = NONE
    return out


def _final(skeleton: list[_Consonant]) -> list[_Consonant]:
    """No final H: Latin spellings drop the «ة» and keep or drop the «ه» at will (Ramla,
    Ramleh; Nafha, Nafhah; «نفحة»)."""
    end = len(skeleton)
    while end > 1 and skeleton[end - 1].cls == "H":
        end -= 1
    return skeleton[:end]
