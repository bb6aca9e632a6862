"""The data files the Arabic search reads: the lexicon supplement and the field's glossary.

Both are written by hand (indexer/data/README.md), and a slip in either is silent: a stray space
makes a name no lexicon word, a wrong entry keeps a clitic on every form that carries one, a
Latin letter in an Arabic cell gives a concept a key nobody types. These tests read the files as
the search reads them and say which lines are wrong.
"""

import re
import unicodedata
from pathlib import Path

import pytest

from indexer import normalize, terms
from indexer.lexicon import SUPPLEMENT, key
from indexer.morphology import readings
from indexer.thesaurus import GLOSSARY, phrase_key, read_glossary

LATIN = re.compile("[A-Za-z]")
ARABIC = re.compile("[\u0600-\u06ff]")
#: An Arabic word as the lexicon wants it: letters only (no marks, no tatweel, no digits).
ARABIC_WORD = re.compile("^[\u0621-\u063a\u0641-\u064a]{2,}$")


def data_lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each line that is not blank or a comment."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            found.append((number, line.split("\t")))
    return found


def variants(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(";") if v.strip()]


# The lexicon supplement: word<TAB>broken plurals<TAB>what it is.

LEXICON = data_lines(SUPPLEMENT)


def test_lexicon_lines_have_three_cells():
    wrong = [number for number, cells in LEXICON if len(cells) != 3]
    assert not wrong, f"lines without exactly three tab-separated cells: {wrong}"


def test_lexicon_words_are_plain_arabic():
    """Each word and plural is Arabic letters in NFC, with no marks, stray spaces or Latin."""
    wrong = []
    for number, (word, plurals, note) in ((n, c) for n, c in LEXICON if len(c) == 3):
        forms = [*word.split(" "), *plurals.split(";")] if plurals else word.split(" ")
        if not all(ARABIC_WORD.match(form) for form in forms):
            wrong.append((number, word, plurals))
        if unicodedata.normalize("NFC", word + plurals + note) != word + plurals + note:
            wrong.append((number, "not NFC"))
        if not note.strip():
            wrong.append((number, "no note"))
    assert not wrong


def test_lexicon_has_no_duplicates():
    seen: dict[str, int] = {}
    duplicates = []
    for number, cells in LEXICON:
        folded = key(cells[0])
        if folded in seen:
            duplicates.append((cells[0], seen[folded], number))
        seen.setdefault(folded, number)
    assert not duplicates


def test_lexicon_words_stay_whole():
    """A word the lexicon lists is read as itself: the stemmer takes no letter off it, the
    first letter of «فراس», «وليد», «بسام», «كمال», «لينا» above all. A line that fails here
    is either a wrong entry or a rule of the stemmer to look at."""
    cut = []
    for _, cells in LEXICON:
        for word in cells[0].split():
            main = readings(word)[0]
            if normalize(main) != normalize(word):
                cut.append((word, main))
    assert not cut, f"lexicon words the stemmer cuts: {cut}"


@pytest.mark.parametrize(
    ("written", "word"),
    [("وفراس", "فراس"), ("لوليد", "وليد"), ("وبسام", "بسام"), ("بكمال", "كمال"),
     ("ولينا", "لينا"), ("بالدهيشة", "دهيشة"), ("للجلزون", "جلزون"), ("بعوفر", "عوفر"),
     ("ومجدو", "مجدو"), ("والناصرة", "ناصرة"), ("فهيك", "هيك"), ("وكتير", "كتير")],
)  # fmt: skip
def test_a_clitic_comes_off_a_listed_word(written, word):
    """What the supplement is for: a conjunction, preposition or article before a name or
    word arramooz lacks comes off, and the form meets the word alone."""
    assert normalize(word) in readings(written)


# The glossary: ar<TAB>en<TAB>fr<TAB>note, the first three cells ;-separated variants.

GLOSSARY_LINES = data_lines(GLOSSARY)


def test_glossary_lines_have_four_cells_and_three_languages():
    wrong = [
        number
        for number, cells in GLOSSARY_LINES
        if len(cells) != 4 or not all(variants(cell) for cell in cells[:3])
    ]
    assert not wrong, f"lines without ar, en and fr variants and a note cell: {wrong}"


def test_glossary_is_nfc_and_each_language_in_its_script():
    wrong = []
    for number, cells in GLOSSARY_LINES:
        line = "\t".join(cells)
        if unicodedata.normalize("NFC", line) != line:
            wrong.append((number, "not NFC"))
        arabic, english, french = (cells + ["", "", ""])[:3]
        if LATIN.search(arabic):
            wrong.append((number, "Latin letters in the Arabic cell"))
        if ARABIC.search(english + french):
            wrong.append((number, "Arabic letters in the English or French cell"))
        if any(v != v.strip() or "  " in v for v in arabic.split(";") + english.split(";")):
            wrong.append((number, "stray spaces"))
    assert not wrong


def test_every_arabic_variant_gives_index_terms():
    """A variant made only of stop words would never be searched."""
    empty = [
        variant
        for _, cells in GLOSSARY_LINES
        for variant in variants(cells[0])
        if not terms(variant)
    ]
    assert not empty


#: Keys two concepts share only because the analyzer of today folds a noun in «ة» to the word
#: without it: «مستوطنة» (settlement) to «مستوطن» (settler). indexer.morphology, with the
#: lexicon's «مستوطنة», keeps them apart; drop the entry once the analyzer reads by it.
ANALYZER_CLASHES = {("مستوطن",)}


def test_glossary_has_no_duplicates():
    """No variant twice in one language, and no two concepts with a variant the analyzer
    reads the same: a query would expand to both."""
    seen: dict[tuple[str, ...], int] = {}
    clashes = []
    for number, cells in GLOSSARY_LINES:
        for variant in {phrase_key(v) for cell in cells[:3] for v in variants(cell)}:
            if variant in seen and seen[variant] != number and variant not in ANALYZER_CLASHES:
                clashes.append((" ".join(variant), seen[variant], number))
            seen.setdefault(variant, number)
    assert not clashes, f"variants that name two concepts (key, lines): {clashes}"


def test_the_thesaurus_reads_every_concept():
    concepts = read_glossary()
    assert len(concepts) == len(GLOSSARY_LINES)
    hunger = next(c for c in concepts if "hunger strike" in c.english)
    assert "الإضراب عن الطعام" in hunger.arabic and "grève de la faim" in hunger.french
