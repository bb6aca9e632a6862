"""Character folding for Arabic search: the same text at index time and at query time.

Each rule is a row of the folding table below; :func:`normalize` applies them all. It folds
characters only: it never strips an affix, never splits or joins words, and leaves spaces,
punctuation, the standalone hamza ``ء`` and ASCII digits alone. Applying it twice changes nothing.

>>> normalize("أَسْرَى الحُرِّيَّةِ")
'اسري الحريه'
"""

import unicodedata

#: Harakat, tanween, shadda, sukun and the other combining marks of U+064B–U+065F (the combining
#: hamza above/below U+0654/U+0655 and maddah U+0653 among them, so a decomposed «أ» folds like «أ»),
#: the superscript (dagger) alef U+0670, and the Quranic annotation signs U+0610–U+061A and
#: U+06D6–U+06ED.
DIACRITICS = (
    [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670"]
    + [chr(c) for c in range(0x0610, 0x061B)]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
)

#: Tatweel (kashida), the letter-stretching stroke: «فلسطــين».
TATWEEL = "\u0640"

#: Invisible format characters: zero-width space / non-joiner / joiner, the bidi marks (LRM, RLM,
#: ALM), embeddings and overrides (LRE, RLE, PDF, LRO, RLO), isolates (LRI, RLI, FSI, PDI), the
#: word joiner, the soft hyphen and the byte order mark (ZWNBSP).
INVISIBLES = (
    "\u200b\u200c\u200d\u200e\u200f\u061c"
    "\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069"
    "\u2060\u00ad\ufeff"
)

#: Letter folds, one spelling per sound as people type it.
LETTER_FOLDS = {
    # hamza and madda forms of alef, alef wasla, and the rarer Persian/Urdu alefs -> bare alef
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "\u0672": "ا",
    "\u0673": "ا",
    "\u0675": "ا",
    # hamza on a waw or yeh seat -> the seat (the standalone ء is kept)
    "ؤ": "و",
    "ئ": "ي",
    # alef maqsura -> yeh, teh marbuta -> heh
    "ى": "ي",
    "ة": "ه",
    # Persian and Urdu letter shapes found in copied text
    "ک": "ك",
    "ی": "ي",
    "\u06c0": "ه",  # ۀ heh with yeh above
    "\u06c1": "ه",  # ہ heh goal
    "\u06be": "ه",  # ھ heh doachashmee
    "\u06c3": "ه",  # ۃ teh marbuta goal
}

#: Arabic-Indic ٠-٩ and Eastern Arabic-Indic (Persian) ۰-۹ digits -> ASCII 0-9.
DIGIT_FOLDS = {chr(0x0660 + i): str(i) for i in range(10)} | {
    chr(0x06F0 + i): str(i) for i in range(10)
}


def _base_table():
    table = {ord(c): None for c in DIACRITICS + [TATWEEL] + list(INVISIBLES)}
    table.update({ord(k): v for k, v in (LETTER_FOLDS | DIGIT_FOLDS).items()})
    return table


def _presentation_forms(base):
    """Map Arabic presentation forms (old PDFs, «ﻻ» ligatures) to plain folded letters.

    A form whose compatibility decomposition holds a space (the spacing tashkeel forms, the
    phrase ligatures such as ﷺ) is dropped when only marks remain and otherwise left alone, so
    that folding never splits or joins words.
    """
    forms = {}
    for start, end in ((0xFB50, 0xFDFF), (0xFE70, 0xFEFC)):
        for code in range(start, end + 1):
            char = chr(code)
            plain = unicodedata.normalize("NFKC", char)
            if plain == char:
                continue
            folded = plain.translate(base)
            if not folded.strip():
                forms[code] = None
            elif " " not in folded:
                forms[code] = folded
    return forms


_TABLE = _base_table()
_TABLE.update(_presentation_forms(_TABLE))


def normalize(text: str) -> str:
    """Fold ``text`` for search: drop marks and invisibles, unify letter shapes, casefold.

    Diacritics (harakat, tanween, shadda, sukun, dagger alef, Quranic signs) go:

    >>> normalize("كَتَبَ الشِّعْرَ") == "كتب الشعر"
    True

    Tatweel and invisible format characters go, without joining or splitting words:

    >>> normalize("فلسطــــين") == "فلسطين"
    True
    >>> normalize("\\u200fمي\\u200cزان\\u200e") == "ميزان"
    True

    Hamza seats and alef forms fold; a standalone hamza stays:

    >>> normalize("أسير إضراب آلام ٱلحمد مؤتمر لاجئ سماء") == "اسير اضراب الام الحمد موتمر لاجي سماء"
    True

    Alef maqsura to yeh, teh marbuta to heh:

    >>> normalize("مستشفى حمدونة") == "مستشفي حمدونه"
    True

    Digits to ASCII, Persian letter shapes to Arabic, Latin casefolded:

    >>> normalize("سنة ١٩٨٧ و۱۹۹۲ Nafha کتاب یوم")
    'سنه 1987 و1992 nafha كتاب يوم'
    """
    return text.translate(_TABLE).casefold()
