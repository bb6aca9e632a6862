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
    ('KLD GR', 'KLD GR', 'MGD', 'MGD')
    """
    words = [w for w in re.split(r"[\s\-_'’`ʿʾ.]+", name.strip()) if w]
    # the article written apart: «al-Barghouthi», «el Khalil», «ال قدس»
    words = [
        w for i, w in enumerate(words) if not (w.casefold() in ARTICLES and i + 1 < len(words))
    ]
    return " ".join(k for k in map(_word_key, words) if k)


ARTICLES = {"al", "el", "ul", "il", "ال"}


def _word_key(word: str) -> str:
    if "\u0600" <= word[0] <= "\u06ff":
        return _final(_arabic_key(normalize(word)))
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)
    ).casefold()
    if not plain.isascii() or not plain.isalpha():
        return ""
    return _final(_latin_key(plain))


def _arabic_key(word: str) -> str:
    if word.startswith("ال") and len(word) > 3:
        word = word[2:]
    start = 1 if word.startswith("ا") else 0  # «إيشل», «أحمد»: the alef carries the vowel
    out = []
    for i, letter in enumerate(word[start:]):
        cls = ARABIC.get(letter)
        if cls is None:
            return ""
        if cls == "*":  # «و», «ي»: a consonant at the start of a word, else a long vowel
            if i == 0 and not start:
                out.append("W" if letter == "و" else "Y")
            continue
        out.append(cls)
    return "".join(out)


def _latin_key(word: str) -> str:
    word = _ARTICLE.sub("", word)
    out = []
    for match in _LATIN_PATTERN.finditer(word):
        letters = match.group()
        cls = _LATIN_CLASS[letters]
        if cls == "*":  # w, y: a consonant at the start of a word; ou, oo, ee: vowels
            if match.start() == 0 and letters in ("w", "y"):
                out.append(letters.upper())
            continue
        out.append(cls)
    return "".join(out)


def _final(skeleton: str) -> str:
    """Doubled consonants (a shadda, «ss», «tt») count once, and a final H not at all: Latin
    spellings drop the «ة» and keep or drop the «ه» at will (Ramla, Ramleh; Nafha, Nafhah)."""
    squeezed = re.sub(r"(.)\1+", r"\1", skeleton)
    return squeezed[:-1] if squeezed.endswith("H") and len(squeezed) > 1 else squeezed
