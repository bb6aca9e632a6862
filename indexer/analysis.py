"""The Whoosh analyzers for Arabic (and English) text, composed the way Whoosh composes its own.

:func:`arabic_analyzer` is a tokenizer piped into small filters, one rule each::

    ArabicTokenizer() | NormalizeFilter() | StopFilter(STOP_WORDS) | ArabicStemFilter()
                      | LatinStemFilter()

The tokenizer reads the *original* text, so token offsets (``chars=True``) slice back to the
word as it was written, harakat and tatweel included, and the app can highlight it. Every filter
is a plain class with no closures, so the analyzer pickles into a Whoosh schema.

>>> terms("وَقَالَ الأسرى في سجنِ نفحة: «الحريةُ قادمة» - Prisoners freed in 1980")
['قال', 'اسري', 'اسير', 'سجن', 'نفحه', 'حريه', 'قادم', 'prison', 'freed', '1980']

An Arabic word gives one term per reading, all at its position: «الأسرى» is the plural
«أسرى» and the singular «أسير» (see :class:`ArabicStemFilter`).
"""

import re
from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer, StemFilter, StopFilter, Token, Tokenizer

from .lexicon import key
from .morphology import misspelling, pieces, readings
from .normalization import normalize
from .stemming import ARABIC_LETTERS, MAX_WORD
from .stopwords import STOP_WORDS

#: Between the readings of one word where terms are written out as text (the analyzed
#: transcript streams, :func:`indexer.schema.text_tokens`): «ذكري|ذكر». No term holds it: the
#: tokenizer's words never do.
READINGS = "|"

#: The longest run-together word (folded letters) that is tried as a hashtag of several words
#: (:func:`indexer.morphology.pieces`); the work of splitting grows with the cube of its length.
MAX_RUN_TOGETHER = 24

# Characters that live *inside* an Arabic word without being letters: harakat and Quranic
# marks, tatweel, and the invisible format characters that normalization drops (a ZWNJ or a
# tatweel in the middle of a word must not split it). Python's \w matches none of the marks,
# which is why Whoosh's default pattern cuts «كَتَبَ» into «ك», «ت», «ب».
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u08d3-\u08ff\ufe70-\ufe7f"
_INVISIBLES = "\u200b-\u200f\u061c\u202a-\u202e\u2060\u2066-\u2069\ufeff\u00ad"
_ARABIC_LETTER = "\u0620-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef"
_ARABIC_LETTER += "\u06fa-\u06fc\u06ff\u0750-\u077f\u08a0-\u08c9\ufb50-\ufd3d\ufd50-\ufdfb"
_ARABIC_LETTER += "\ufe80-\ufefc"
_ARABIC_WORD = f"[{_ARABIC_LETTER}][{_ARABIC_LETTER}{_MARKS}\u0640{_INVISIBLES}]*"
# Any other run of letters and digits (Latin, digits of any script), with Latin combining
# accents. Arabic letters are excluded so that «1987م» splits into «1987» and «م».
_OTHER_CHAR = f"[^\\W_{_ARABIC_LETTER}\u0640]"
_OTHER_WORD = f"{_OTHER_CHAR}(?:{_OTHER_CHAR}|[\u0300-\u036f{_INVISIBLES}])*"

#: A word: an Arabic letter followed by letters, marks, tatweel and invisibles; or a run of
#: other letters and digits. Everything else (spaces, ، ؛ ؟ « » and ASCII punctuation) separates.
WORD_PATTERN = f"{_ARABIC_WORD}|{_OTHER_WORD}"


class ArabicTokenizer(RegexTokenizer):
    """Splits text into words without splitting vocalized Arabic words.

    >>> [t.text for t in ArabicTokenizer()("كَتَبَ، فلسطــين؟ mp3 «1987م»")]
    ['كَتَبَ', 'فلسطــين', 'mp3', '1987', 'م']
    """

    def __init__(self):
        super().__init__(WORD_PATTERN)


class NormalizeFilter(Filter):
    """Folds each token with :func:`indexer.normalize` and cuts it to :data:`MAX_WORD` letters
    (so that every later filter, on the text and on the query alike, works on a bounded word).

    >>> [t.text for t in (ArabicTokenizer() | NormalizeFilter())("أسْرَى ١٩٨٧ Nafha")]
    ['اسري', '1987', 'nafha']
    >>> [len(t.text) for t in (ArabicTokenizer() | NormalizeFilter())("ب" * 1000)]
    [64]

    The word as written is kept on the token as ``written`` (for :class:`ArabicStemFilter`,
    whose lexicon tells «إلهام» from «الهام» by its hamza).
    """

    def __call__(self, tokens):
        for t in tokens:
            t.written = t.text
            t.text = normalized_word(t.text)
            if t.text:
                yield t


def normalized_word(word: str) -> str:
    """:func:`indexer.normalize` of ``word`` cut to :data:`MAX_WORD` letters, reading no more
    of a long word than it needs (normalization folds letter by letter, so the first letters of
    the folded word are those of its beginning folded): a word of 80,000 letters costs what
    one of a few hundred does.

    >>> normalized_word("وَ" * 100_000) == "و" * MAX_WORD
    True
    """
    if len(word) > 4 * MAX_WORD:
        folded = normalize(word[: 4 * MAX_WORD])
        if len(folded) >= MAX_WORD:
            return folded[:MAX_WORD]
    return normalize(word)[:MAX_WORD]


class ArabicStemFilter(Filter):
    """The terms of tokens written in Arabic letters, read with the lexicon (see
    :mod:`indexer.morphology` and :func:`arabic_terms`): a word with several readings gives
    several tokens at one position («ذكري» → «ذكري», «ذكر»; «زنازين» → «زنازين», «زنزانه»), and
    a run-together word whose pieces are words gives one position per piece («#كلناغزة» →
    «كلنا» «غزه», «كلنا» a stop word and dropped), the positions after it moved on; the word
    read whole («كلناغز») stays beside its first piece, so that it still meets itself.

    >>> [(t.text, t.pos) for t in (ArabicTokenizer() | NormalizeFilter() | ArabicStemFilter())(
    ...     "والزنازين #كلناغزة the prisons", positions=True)]
    [('زنازين', 0), ('زنزانه', 0), ('غزه', 1), ('كلناغز', 1), ('the', 2), ('prisons', 3)]
    """

    is_morph = True

    def __call__(self, tokens):
        shift = 0
        for t in tokens:
            if t.stopped or t.text[0] not in ARABIC_LETTERS:
                if t.positions:
                    t.pos += shift
                yield t
                continue
            groups = arabic_terms(getattr(t, "written", t.text))
            if not groups:  # every piece of a run-together word is a stop word
                shift -= 1
                continue
            shift += len(groups) - 1
            if t.positions:
                last = t.pos + shift
                first = last - len(groups) + 1
            for i, group in enumerate(groups):
                for reading in group:
                    t.text = reading
                    if t.positions:
                        t.pos = first + i
                    yield t


class LatinStemFilter(StemFilter):
    """Whoosh's Porter stemmer, applied to tokens written in Latin letters only.

    >>> [t.text for t in (ArabicTokenizer() | LatinStemFilter())("prisoners السجون")]
    ['prison', 'السجون']
    """

    def __call__(self, tokens):
        stem_latin = self._stem
        for t in tokens:
            if not t.stopped and t.text[0] < "\u0250" and not t.text[0].isdigit():
                t.text = stem_latin(t.text)
            yield t


def arabic_terms(written: str) -> tuple[tuple[str, ...], ...]:
    """The terms of one Arabic word as written: one tuple of readings per position (the main
    reading first); a run-together word whose pieces are words gives one per piece that is not
    a stop word, the first with the readings of the word whole. A word one edit away from a
    word of the lexicon is a misspelling (:func:`indexer.morphology.misspelling`), not split.

    >>> arabic_terms("ذكري"), arabic_terms("كتاب"), arabic_terms("كلناغزة")
    ((('ذكري', 'ذكر'),), (('كتاب',),), (('غزه', 'كلناغز'),))
    """
    return tuple(found for found, _, _ in arabic_positions(written))


def arabic_positions(written: str) -> tuple[tuple[tuple[str, ...], int, int], ...]:
    """(readings, start, end) of each position of one Arabic word as written: :func:`arabic_terms`
    with the slice of ``written`` each comes from (a piece of a run-together word its own).

    >>> arabic_positions("كلناغزة"), arabic_positions("والأسرى")
    (((('غزه', 'كلناغز'), 4, 7),), ((('اسري', 'اسير'), 0, 7),))
    >>> arabic_positions("الحريةللأسرى")
    ((('حريه', 'حريهللاسر'), 0, 6), (('اسري', 'اسير'), 6, 12))
    """
    return _arabic_positions(written[: 4 * MAX_WORD])


@lru_cache(maxsize=65536)
def _arabic_positions(written: str) -> tuple[tuple[tuple[str, ...], int, int], ...]:
    if 0 < len(key(written)) <= MAX_RUN_TOGETHER:
        split = pieces(written)
        if split and misspelling(written) is None:
            whole, found, start = readings(written), [], 0
            for piece in split:
                read = readings(piece)
                if normalize(piece) not in STOP_WORDS and not STOP_WORDS.issuperset(read):
                    if not found:  # the word as a whole too: a word no lexicon has still
                        read = tuple(dict.fromkeys(read + whole))  # meets itself
                    found.append((read, start, start + len(piece)))
                start += len(piece)
            if found:
                return tuple(found)
    return ((readings(written), 0, len(written)),)


class ReadingsTokenizer(Tokenizer):
    """Reads terms written out as text (the transcript streams of :mod:`indexer.schema`):
    words between spaces, the readings of one word (joined by :data:`READINGS`) at one position.

    >>> [(t.text, t.pos) for t in ReadingsTokenizer()("ذكري|ذكر قال", positions=True)]
    [('ذكري', 0), ('ذكر', 0), ('قال', 1)]
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):  # fmt: skip
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for match in _SPACED.finditer(value):
            for reading in match.group().split(READINGS):
                if not reading:
                    continue
                t.text = t.original = reading
                t.boost = 1.0
                t.stopped = False
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start_char + match.start()
                    t.endchar = start_char + match.end()
                yield t
            pos += 1


_SPACED = re.compile(r"[^ \t\r\n]+")


def arabic_analyzer(stem_latin: bool = True):
    """The analyzer of transcripts and texts: tokenize, normalize, drop stop words, stem
    (words in Latin letters by Porter's stemmer unless ``stem_latin`` is false).

    >>> [t.text for t in arabic_analyzer()("وَالأَسْرَى في السُّجُونِ")]
    ['اسري', 'اسير', 'سجون', 'سجن']
    """
    analyzer = (
        ArabicTokenizer()
        | NormalizeFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | ArabicStemFilter()
    )
    return analyzer | LatinStemFilter() if stem_latin else analyzer


def name_analyzer():
    """The analyzer of names of people and places: tokenize and normalize, nothing stripped.

    >>> [t.text for t in name_analyzer()("رأفت حمدونة Raafat Hamdouna")]
    ['رافت', 'حمدونه', 'raafat', 'hamdouna']
    """
    return ArabicTokenizer() | NormalizeFilter()


_ANALYZER = arabic_analyzer()


def terms(text: str) -> list[str]:
    """The index terms of ``text`` in order, duplicates kept, stop words dropped.

    >>> terms("الأسير والأسرى، والأسيرات!")
    ['اسير', 'اسري', 'اسير', 'اسير']
    """
    return [t.text for t in _ANALYZER(text)]
