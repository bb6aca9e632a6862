"""The Whoosh analyzers for Arabic (and English) text, composed the way Whoosh composes its own.

:func:`arabic_analyzer` is a tokenizer piped into small filters, one rule each::

    ArabicTokenizer() | NormalizeFilter() | StopFilter(STOP_WORDS) | ArabicStemFilter()
                      | LatinStemFilter()

The tokenizer reads the *original* text, so token offsets (``chars=True``) slice back to the
word as it was written, harakat and tatweel included, and the app can highlight it. Every filter
is a plain class with no closures, so the analyzer pickles into a Whoosh schema.

>>> terms("وَقَالَ الأسرى في سجنِ نفحة: «الحريةُ قادمة» - Prisoners freed in 1980")
['قال', 'اسر', 'سجن', 'نفح', 'حر', 'قادم', 'prison', 'freed', '1980']
"""

from whoosh.analysis import Filter, RegexTokenizer, StemFilter, StopFilter

from .normalization import normalize
from .stemming import ARABIC_LETTERS, MAX_WORD, stem
from .stopwords import STOP_WORDS

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
    """

    def __call__(self, tokens):
        for t in tokens:
            t.text = normalize(t.text)[:MAX_WORD]
            if t.text:
                yield t


class ArabicStemFilter(Filter):
    """Light-stems tokens written in Arabic letters (see :mod:`indexer.stemming`).

    >>> [t.text for t in (ArabicTokenizer() | ArabicStemFilter())("والسجون the prisons")]
    ['سجن', 'the', 'prisons']
    """

    is_morph = True

    def __call__(self, tokens):
        for t in tokens:
            if not t.stopped and t.text[0] in ARABIC_LETTERS:
                t.text = stem(t.text)
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


def arabic_analyzer():
    """The analyzer of transcripts and texts: tokenize, normalize, drop stop words, stem.

    >>> [t.text for t in arabic_analyzer()("وَالأَسْرَى في السُّجُونِ")]
    ['اسر', 'سجن']
    """
    return (
        ArabicTokenizer()
        | NormalizeFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | ArabicStemFilter()
        | LatinStemFilter()
    )


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
    ['اسر', 'اسر', 'اسر']
    """
    return [t.text for t in _ANALYZER(text)]
