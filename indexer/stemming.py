"""A light Arabic stemmer: strip clitics and affixes, and fold a few broken-plural patterns.

It works on *normalized* words (see :mod:`indexer.normalization`): «ة» is already «ه», «ى» is
«ي», every hamza seat is its bare letter. Light stemming takes off what is attached to a word
without guessing its root, in the tradition of Larkey's *light10* (the stemmer behind Lucene's
and Elasticsearch's Arabic analyzers), with these changes:

- pronoun suffixes come off before the number/gender endings, and the spelling a pronoun
  changes is restored in between (teh marbuta, alef maqsura, hamza seats), so «حريته» meets
  «حرية» and «أبنائهم» meets «أبناء»;
- a proclitic (و ف ب ك ل) comes off only when enough of the word is left *after* its suffixes,
  and the same rule runs after the article, so «وطنه» keeps its «و» as «وطن» and «الوطن» do;
- three common broken-plural patterns are folded (فُعول, فَعيل/فُعَلاء/فَعْلى, فَعائل), so «سجون»
  meets «سجن» and «أسرى» meets «أسير».

The same function runs on the text and on the query, so a word always meets itself; a rule is
worth having when it makes two spellings of one word meet without making two words collide.
docs/arabic-search.md lists what is and is not handled.

>>> [stem(w) for w in "الاسري اسير والسجون بسجنهم المعتقلين معتقلات".split()]
['اسر', 'اسر', 'سجن', 'سجن', 'معتقل', 'معتقل']
"""

from functools import lru_cache

#: The definite article alone or after و ف (and) and ب ك ل (with, like, to); «لل» is ل + ال.
#: Longest first; each must leave two letters.
ARTICLES = ("وبال", "فبال", "وكال", "فكال", "ولل", "فلل", "وال", "فال", "بال", "كال", "لل", "ال")

#: Conjunctions (and, so) and prepositions (in/with, like, to/for) written onto the next word,
#: with the stem length (after its suffixes) each must leave. «ف» begins many words of its own
#: («فلسطين», «فراس», «فندق»), so it needs four letters left.
CONJUNCTIONS = {"و": 3, "ف": 4}
PREPOSITIONS = {"ب": 3, "ك": 3, "ل": 3}

#: The two-letter nouns: «وأمي» is «و» + «أمي» and «لأمهات» is «ل» + «أمهات» although «أم» is
#: short. Not after «ب», which would read «باب» (door) as «ب» + «أب».
BILITERAL = frozenset({"اب", "اخ", "ام", "يد", "دم", "فم"})
BILITERAL_AFTER = frozenset({"و", "ف", "ل"})

#: Possessive and object pronouns, each leaving two letters. «كم», «ني» and «تم» are left on:
#: they end too many words of their own («محاكم», «فلسطيني», «ختم»).
PRONOUNS = ("هما", "هم", "هن", "نا", "ها", "ه", "ي")

#: Number, gender and nisba endings with the letters each must leave, taken off until none is
#: left («فلسطينيين» → «فلسطيني» → «فلسطين» → «فلسط»): feminine plural, masculine plural, dual
#: (four letters left, sparing «زنزان», «انسان»), the «ـاء» of «شهداء», verbal «ـوا», teh marbuta
#: (now «ه»), «ي», and the alef of the accusative «ـاً» («عاماً», «أسيراً»), whose tanween
#: normalization already took off.
ENDINGS = (
    ("ات", 3),
    ("ون", 3),
    ("ين", 3),
    ("ان", 4),
    ("اء", 3),
    ("وا", 3),
    ("ه", 2),
    ("ي", 2),
    ("ا", 3),
)

#: Word forms kept whole: the name of God, which the article rule would cut to «له».
PROTECTED = {w: "الله" for w in ("الله", "لله", "بالله", "والله", "فالله", "تالله", "اللهم")}

#: Stems whose first letters look like clitics: «والد» (father, parent) is not و + ال + د.
LEXICAL = frozenset({"والد"})

ARABIC_LETTERS = frozenset(chr(c) for c in range(0x0621, 0x064B)) - {"\u0640"}

#: The longest word the stemmer (and the analyzer, see :mod:`indexer.analysis`) works on; the
#: rest of a longer one is cut off. The longest Arabic words are under twenty letters; without a
#: cap, each clitic letter of «ووو…» re-slices the whole word and a word of n letters costs n².
MAX_WORD = 64


def stem(word: str) -> str:
    """Return the light stem of a normalized Arabic ``word``; other words come back unchanged.

    A word longer than :data:`MAX_WORD` is cut to its first :data:`MAX_WORD` letters first.

    >>> [stem(w) for w in ("والدته", "الوالدين", "وطنه", "الوطنيه", "حريته", "الله", "nafha")]
    ['والد', 'والد', 'وطن', 'وطن', 'حر', 'الله', 'nafha']
    >>> stem("س" * 80_000) == "س" * MAX_WORD
    True
    """
    return _stem(word[:MAX_WORD])


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    if len(word) < 3 or word[0] not in ARABIC_LETTERS:
        return word
    if word in PROTECTED:
        return PROTECTED[word]
    return fold_plural(strip_suffixes(strip_proclitics(strip_article(word))))


def strip_article(word: str) -> str:
    """Take off the definite article and what is written before it.

    >>> [strip_article(w) for w in ("الاسري", "والاسري", "للاسري", "بالحب", "الم", "والده")]
    ['اسري', 'اسري', 'اسري', 'حب', 'الم', 'والده']
    """
    if strip_suffixes(word) in LEXICAL:
        return word
    for article in ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            return word[len(article) :]
    return word


def strip_proclitics(word: str) -> str:
    """Take off conjunctions, then prepositions, while enough of the stem is left.

    What is left is measured after its suffixes, so «وطنه» keeps its «و» like «وطن» does.
    After a preposition, three letters ending in «ت» before a pronoun may hide a teh marbuta:
    «كلمته» keeps its «ك» (and «ببيته» its first «ب»).

    >>> [strip_proclitics(w) for w in ("وسجن", "وطنه", "بزنزانته", "كلمته", "وامي", "فندق")]
    ['سجن', 'وطنه', 'زنزانته', 'كلمته', 'امي', 'فندق']
    """
    for clitics in (CONJUNCTIONS, PREPOSITIONS):
        while word[0] in clitics and strip_suffixes(word) not in LEXICAL:
            rest = strip_suffixes(word[1:])
            if clitics is PREPOSITIONS and _ambiguous_teh(word[1:], rest):
                break
            if len(rest) < clitics[word[0]] and not (
                word[0] in BILITERAL_AFTER and rest in BILITERAL
            ):
                break
            word = word[1:]
    return word


def _ambiguous_teh(word: str, stem: str) -> bool:
    """True when a pronoun left three letters ending in «ت» (بيت, or the «ت» of a «ة»)."""
    return len(stem) == 3 and stem.endswith("ت") and word.endswith(PRONOUNS) and word != stem


def strip_suffixes(word: str) -> str:
    """Take off one pronoun suffix, then number/gender endings until none is left.

    The feminine dual «ـتين»/«ـتان» is read as «ة» + dual, so «سنتين» meets «سنة».

    >>> [strip_suffixes(w) for w in ("حريته", "حياته", "ذكرياته", "اسرانا", "ابنايهم", "سنتين")]
    ['حر', 'حيا', 'ذكر', 'اسر', 'ابن', 'سن']
    """
    for suffix in PRONOUNS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = _restore_before_pronoun(word[: -len(suffix)], suffix)
            break
    if word.endswith(("تين", "تان")) and len(word) - 3 >= 2:  # «سنتين», «بطانيتين»: dual of «ة»
        word = word[:-3] + "ه"
    stripped = True
    while stripped:
        stripped = False
        for suffix, keep in ENDINGS:
            if word.endswith(suffix) and len(word) - len(suffix) >= keep:
                word = word[: -len(suffix)]
                stripped = True
                break
    return word


def _restore_before_pronoun(word: str, pronoun: str) -> str:
    """Undo what a pronoun suffix does to spelling: ت → ة, ا → ى, او/اي → اء.

    «ـاه» is read as «ـاة» (حياة, صلاة) rather than «ى» + «ه».
    """
    if len(word) >= 4 and word.endswith("ت"):
        if not (word.endswith("ات") and len(word) - 2 >= 3):  # «ساعاته» is a plural
            return word[:-1] + "ه"
    elif len(word) >= 4 and word.endswith("ا") and pronoun != "ه":
        return word[:-1] + "ي"
    elif len(word) >= 5 and word.endswith(("او", "اي")):
        return word[:-2] + "اء"
    return word


def fold_plural(word: str) -> str:
    """Fold three broken-plural patterns onto three letters.

    فُعول (سجون, قيود, بيوت) and فَعيل (اسير, سجين, شهيد, whose plurals «اسري», «سجناء»,
    «شهداء» already lost «ي»/«اء» as endings) keep the three letters around the long vowel;
    so does فَعائل (قصايد, وثايق), the plural of فَعيلة (قصيدة, وثيقة).

    >>> [fold_plural(w) for w in ("سجون", "اسير", "قصايد", "وثيق", "سجن", "كتاب")]
    ['سجن', 'اسر', 'قصد', 'وثق', 'سجن', 'كتاب']
    """
    if len(word) == 4 and word[2] in "وي":
        return word[:2] + word[3]
    if len(word) == 5 and word[2:4] == "اي":
        return word[:2] + word[4]
    return word
