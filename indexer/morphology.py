"""Light stemming that checks its cuts against a lexicon: the terms of one Arabic word.

A rule-only light stemmer (``light10`` and its kin) cuts what looks like an affix, and words
that mean different things meet: «كتاب» (book) loses its «ك» and meets «تاب» (repented),
«وفاء» (loyalty) its «و» and meets «فاء», «جميلة» (beautiful) its «ي» and meets «جمل» (camel).
Here a cut is made only when what is left is a word of :mod:`indexer.lexicon`, and what the
spelling leaves open is kept open:

1. **Proclitics** (the conjunctions «و» «ف», the prepositions «ب» «ك» «ل», the article «ال»,
   alone or chained: «وبال», «فلل») are tried fewest letters first, and the first reading whose
   stem is an attested word wins. So a word attested whole never loses a letter («كتاب»,
   «وفاء», «فراس»), and a clitic comes off whatever the length of what is left («وقدس» →
   «قدس», «بحيفا» → «حيفا»). A one-letter clitic never comes off a word whose rest is unknown:
   a name no lexicon holds keeps its letters.
2. **The article**: a bare «ال» that begins a word is the article, unless the whole word is
   a noun written so («التماس», petition, not «ال» + «تماس»); an «أل», «إل» or «آل» written
   with its hamza or madda is root letters («إلهام», «ألم», «آلام», «ألباب»), and the
   definite form meets it («الإلهام»). The lexicon keeps those hamzas, and a text that leaves
   one out elsewhere in a word still meets it (:func:`indexer.lexicon.compatible`).
3. **Suffixes** (a pronoun, then number and gender endings) come off one at a time, and the
   longest attested form wins: «حريته» → «حرية», never «حر» (free). A final «ة» is the
   feminine of an adjective («جميلة» → «جميل», «طالبة» → «طالب») unless the lexicon has the
   word in «ة» as a noun of its own («حرية», «جامعة», «زنزانة»); the feminine plural and dual go
   back to that «ة» («جامعات» → «جامعة», not «جامع», a mosque). A word written with a final «ه»
   may be a pronoun or a «ة» typed as «ه» («الحريه»): both readings are kept.
4. **Broken plurals** that the lexicon knows add their singular as a further term («زنازين»
   → «زنازين», «زنزانه»; «رسائل» → «رسايل», «رساله»): the exact form still ranks first, and the
   singular finds the plural.

A word no reading of which is attested falls back to :func:`indexer.stemming.strip_suffixes`
for its suffixes, and loses only the article. Terms come out normalized
(:func:`indexer.normalization.normalize`: «ة» is «ه», «ى» is «ي», hamza seats are bare).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from functools import lru_cache

from .lexicon import LOOSE, key, lexicon
from .stemming import ARABIC_LETTERS, MAX_WORD, PROTECTED, strip_suffixes

CONJUNCTIONS = ("و", "ف")
PREPOSITIONS = ("ب", "ك", "ل")
ARTICLE = "ال"
TEH = "ة"
MAQSURA = "ى"

#: Pronoun suffixes, each tried in turn; «ك» (your) and «ي» (my) too: the lexicon decides.
#: The possessive «ي» before the verbs' object «ني»: «ابني» is «ابن» + «ي», not «اب» + «ني».
PRONOUNS = ("كما", "هما", "كم", "كن", "هم", "هن", "نا", "ها", "ي", "ني", "ك", "ه")

#: Number and gender endings and what each leaves in its place, in the order they are tried:
#: the feminine dual and plural go back to «ة» first.
ENDINGS = (
    ("تين", (TEH,)),
    ("تان", (TEH,)),
    ("ات", (TEH, "")),
    ("ون", ("",)),
    ("ين", ("",)),
    ("ان", ("",)),
    ("وا", ("",)),
    ("تم", ("",)),
    ("ي", ("",)),
    ("ا", ("",)),
    ("ت", ("",)),
)


#: Endings only a verb takes (past tense: «ـت» she/you, «ـتم» you, «ـوا» they).
VERB_ENDINGS = ("ت", "تم", "وا")


def readings(written: str) -> tuple[str, ...]:
    """The terms of one Arabic word as written (harakat and tatweel may be left on), the main
    one first.

    >>> readings("كتاب"), readings("وقدس"), readings("بحيفا"), readings("جميلة")
    (('كتاب',), ('قدس',), ('حيفا',), ('جميل',))
    >>> readings("إلهام"), readings("الإلهام"), readings("التماس"), readings("الأم")
    (('الهام',), ('الهام',), ('التماس',), ('ام',))
    >>> readings("زنازين"), readings("حريته"), readings("جامعات"), readings("الحريه")
    (('زنازين', 'زنزانه'), ('حريه',), ('جامعه',), ('حري', 'حريه'))
    """
    folded = key(written)[:MAX_WORD]
    if len(folded) < 2 or folded[0] not in ARABIC_LETTERS:
        return (_term(folded),)
    term = _term(folded)
    if term in PROTECTED:
        return (PROTECTED[term],)
    folded, hamzas = _spelling(written, folded)
    found = _readings(folded, hamzas)
    if folded[0] == "ي" and folded[1:2] in ALEFS and len(folded) >= 4:
        found += tuple(t for t in _vocative(folded[1:]) if t not in found)
    return found


#: Nouns a person is called by, which the vocative «يا» is written onto in Quranic spelling
#: and in speech: «يٰأبانا» (folded «يأبانا»: the dagger alef of «يا» goes), «يابا» (O dad).
VOCATIVE_NOUNS = frozenset({"اب", "ام", "اخ", "اخت", "ابن"})
ALEFS = ("ا", "أ", "إ", "آ")


def _vocative(rest: str) -> tuple[str, ...]:
    """The readings of ``rest`` that are nouns of address (:data:`VOCATIVE_NOUNS`), after the
    vocative «ي(ا)» of a word: «يابا» is also «اب», never «ياسمين» «اسم».

    >>> readings("يابا"), readings("يَٰٓأَبَانَا"), readings("ياسمين")
    (('يابا', 'اب'), ('ياب', 'اب'), ('ياسمين',))
    """
    return tuple(t for t in _readings(rest, _hamza_alefs(rest)) if t in VOCATIVE_NOUNS)


def term(written: str) -> str:
    """The one index term of a written word: its main reading, or the first singular when
    that reading is a broken plural (so «زنازين» and «زنزانة» meet, «رسائل» and «رسالة»).

    >>> term("زنازين"), term("الزنزانة"), term("كتاب"), term("وقدس"), term("الإلهام")
    ('زنزانه', 'زنزانه', 'كتاب', 'قدس', 'الهام')
    """
    folded = key(written)[:MAX_WORD]
    if len(folded) < 2 or folded[0] not in ARABIC_LETTERS:
        return _term(folded)
    if _term(folded) in PROTECTED:
        return PROTECTED[_term(folded)]
    return _main_term(*_spelling(written, folded))


@lru_cache(maxsize=65536)
def _main_term(word: str, hamzas: str) -> str:
    found = _attested_readings(word, hamzas)
    if not found:
        return _term(_fallback(word, hamzas))
    # the shortest attested reading: «قلبي» is «قلب» + «ي» before the word «قلبي»
    stem = found[-1]
    if not any(word.endswith(s + ending) for s in found for ending in VERB_ENDINGS):
        for s in found:
            # only a form that cannot be anything but a plural: «اضراب» written without its
            # hamza is «إضراب» (strike) as well as «أضراب» (kinds), and stays itself
            known = lexicon().words.find(s)
            if known and all(k in lexicon().singulars for k in known):
                return _term(lexicon().singulars[known[0]][0])
    return _term(stem)


_TERM = str.maketrans({"ة": "ه", "ى": "ي", "أ": "ا", "إ": "ا", "آ": "ا"})
_HASH = str.maketrans({"أ": "#", "إ": "#", "آ": "#"})


def _term(form: str) -> str:
    """A lexicon form as the index holds it: folded as :func:`indexer.normalize` folds."""
    return form.translate(_TERM)


def _spelling(written: str, folded: str) -> tuple[str, str]:
    """The word to read for ``written`` (folded as :func:`key` folds it), and its hamzas
    (:func:`_hamza_alefs`): the word itself, or, when a hamza inside it sits on another seat
    than the lexicon's and the word is no word as written, the spelling the lexicon knows.

    The seat of a hamza inside a word is a matter of spelling habit: «مسئول» and «مسؤول», «شئون»
    and «شؤون», «مسءلة» and «مسألة», and the Quran's «رءيا», «قرءان» for «رؤيا», «قرآن». A word
    attested as written keeps its seat («بئر», a well, is not «بؤر», foci).

    >>> [_spelling(w, key(w))[0] for w in ("مسئولين", "شئون", "القرءان", "رءيا", "الذئب")]
    ['مسوولين', 'شوون', 'القرآن', 'رويا', 'الذيب']
    """
    hamzas = _hamza_alefs(written)[: len(folded)]
    if not any(c in SEATS for c in written) or _known(folded):
        return folded, hamzas
    variants = list(_seat_variants(folded, _seat_positions(written, folded)))
    for variant in variants:  # a word the lexicon has, whole or after its proclitics, first
        if _known(variant):
            return variant, variant.translate(_HASH)
    if not _attested_readings(folded, hamzas):  # then a word with its affixes read
        for variant in variants:
            if _attested_readings(variant, variant.translate(_HASH)):
                return variant, variant.translate(_HASH)
    return folded, hamzas


def _known(word: str) -> bool:
    """Whether the lexicon has ``word``, whole or after a chain of proclitics («الذئب»)."""
    words = lexicon()
    return words.attested(word) or any(
        word.startswith(spelled) and words.attested(word[len(spelled) :]) for _, spelled in CHAINS
    )


#: Letters a hamza inside a word is written with whose seat habits differ (on a waw, on a yeh,
#: on the line). An alef's hamza is not one: after a clitic it begins the word («الأم», «بأن»).
SEATS = "ؤئء"


def _seat_positions(written: str, folded: str) -> list[int]:
    """Where, in ``folded``, ``written`` has a hamza inside the word (at most two)."""
    found, at = [], 0
    for letter in written:
        if letter in SEATS and 0 < at < len(folded) - 1:
            found.append(at)
        at += len(key(letter))
    return found[:2]


def _seat_variants(folded: str, positions: list[int]):
    """``folded`` with the hamza at each of ``positions`` on each other seat; a hamza on the
    line before an alef as the madda it is («ءا» → «آ»)."""
    for at in positions:
        seat = folded[at]
        for other in ("و", "ي", "ء", "أ"):
            if other != seat:
                yield folded[:at] + other + folded[at + 1 :]
        if seat == "ء" and folded[at + 1 : at + 2] == "ا":
            yield folded[:at] + "آ" + folded[at + 2 :]


def _hamza_alefs(written: str) -> str:
    """``written`` letter for letter as :func:`key` folds it, with a «#» where an alef carries
    a hamza or madda."""
    return key(written).translate(_HASH)


@lru_cache(maxsize=65536)
def _readings(word: str, hamzas: str) -> tuple[str, ...]:
    found = _attested_readings(word, hamzas) or (_fallback(word, hamzas),)
    terms: list[str] = []
    for stem in found:
        # «كتبت» (she wrote) is the verb «كتب», not the books whose singular is «كتاب».
        verb = any(word.endswith(stem + ending) for ending in VERB_ENDINGS)
        for form in (stem, *(() if verb else _singulars(stem))):
            term = _term(form)
            if term not in terms:
                terms.append(term)
    return tuple(terms)


def _singulars(stem: str) -> tuple[str, ...]:
    """The singulars of ``stem`` when every form it may be is a broken plural: «زنازين» →
    «زنزانة»; but «اضراب» without its hamza may be «إضراب» (a strike) as well as «أضراب»
    (kinds), and is not read as «ضرب» (beating)."""
    known = lexicon().words.find(stem)
    if known and all(k in lexicon().singulars for k in known):
        return lexicon().singulars[known[0]]
    return ()


@lru_cache(maxsize=65536)
def _attested_readings(word: str, hamzas: str) -> tuple[str, ...]:
    """The stems of ``word``'s best reading whose stem is attested; none when no reading is.

    Readings are ranked by the letters they take off (the article not counted): «كتاب» stays
    whole rather than «ك» + «تاب», «بحيفا» loses its «ب», «ولينا» is «و» + «لينا» before
    «ولي» + «نا». At equal cost a reading whose clitic comes before an alef written with a
    hamza wins («لأبيه»: «ل» + «أبيه», not «لاب» + «يه»), then the one with fewer proclitic
    letters. A preposition is read only before a noun (and «ل» before a verb in the present
    tense too): «كتبوا» is never «ك» + «تبوا», nor «كانوا» «ك» + «انوا».
    """
    best = None
    for chain, taken, rest in _splits(word, hamzas):
        stems = _stems(rest)
        if not stems or not _may_follow(chain, rest, stems[0]):
            continue
        article = 2 if chain.endswith(ARTICLE) else 0
        cost = taken - article + len(rest) - len(stems[0])
        hamza = 0 if taken > article and hamzas[taken - article] == "#" else 1
        rank = (cost, hamza, taken)
        if best is None or rank < best[0]:
            best = (rank, chain, taken, rest, stems)
    if best is None:
        return ()
    _, chain, taken, rest, stems = best
    # A bare «ال» may be the article or root letters: a noun whole («التماس», petition;
    # «الهام», inspiration) keeps them, a verb whole («ألهم») does not keep «الهم» (the worry)
    # from being the article and «هم».
    if not chain.endswith(ARTICLE) and hamzas[taken : taken + 2] == ARTICLE and len(rest) >= 4:
        if not lexicon().noun(stems[0]):
            article = _stems(rest[2:])
            if article:
                return tuple(article)
    return tuple(stems)


def _may_follow(chain: str, rest: str, stem: str) -> bool:
    """Whether the proclitics ``chain`` may stand before ``rest`` (whose stem is ``stem``):
    the prepositions «ب» and «ك» go before nouns, «ل» before nouns and present-tense verbs."""
    if "ب" in chain or "ك" in chain:
        return chain.endswith(ARTICLE) or lexicon().noun(stem)
    if "ل" in chain.replace(ARTICLE, ""):
        return chain.endswith(ARTICLE) or lexicon().noun(stem) or rest[:1] in IMPERFECT
    return True


#: The fewest letters a run-together word needs before it is split, and the most pieces.
MIN_RUN_TOGETHER = 6
MAX_PIECES = 3


def pieces(written: str) -> list[str] | None:
    """The words of a run-together word, as in a hashtag («#كلناغزة» is «كلنا غزة»), or None.

    Only a word of which no reading is attested is split, into two or three pieces of two
    letters or more, each a stop word or a word with an attested reading; the fewest pieces
    win, then those with the fewest pieces read by taking letters off (the article aside),
    then those with the most pieces that begin with the article, then the most even. Pieces are slices of ``written`` (marks kept).

    >>> pieces("كلناغزة"), pieces("إضرابالكرامة"), pieces("كتاب"), pieces("زنزانة")
    (['كلنا', 'غزة'], ['إضراب', 'الكرامة'], None, None)
    """
    folded = key(written)
    if len(folded) < MIN_RUN_TOGETHER or len(folded) > MAX_WORD or folded[0] not in ARABIC_LETTERS:
        return None
    if _term(folded) in PROTECTED or _attested_readings(folded, _hamza_alefs(written)):
        return None
    cuts = _segment(folded, _hamza_alefs(written)[: len(folded)])
    if cuts is None:
        return None
    # map the cuts in the folded word back onto the written one (marks and tatweel kept)
    letters = [i for i, c in enumerate(written) if key(c)]
    bounds = [0, *(letters[c] for c in cuts), len(written)]
    return [written[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@lru_cache(maxsize=8192)
def _segment(word: str, hamzas: str) -> tuple[int, ...] | None:
    """Where to cut ``word`` into known pieces (see :func:`pieces`), or None."""
    costs_at: dict[tuple[int, int], int | None] = {}  # each slice is looked at once

    def cost(a: int, b: int) -> int | None:
        if (a, b) not in costs_at:
            costs_at[a, b] = _piece_cost(word[a:b], hamzas[a:b])
        return costs_at[a, b]

    for count in range(2, MAX_PIECES + 1):
        scored = []
        for cuts in _cut_points(len(word), count):
            bounds = (0, *cuts, len(word))
            costs = []
            for a, b in zip(bounds, bounds[1:], strict=False):
                costs.append(cost(a, b))
                if costs[-1] is None:
                    break
            if None not in costs:
                shortest = min(b - a for a, b in zip(bounds, bounds[1:], strict=False))
                articles = sum(word.startswith(ARTICLE, cut) for cut in cuts)
                scored.append((sum(costs), -articles, -shortest, cuts))
        if scored:
            return min(scored)[-1]
    return None


def _cut_points(n: int, count: int):
    """Every way to cut ``n`` letters into ``count`` pieces of two letters or more."""
    if count == 1:
        yield ()
        return
    for first in range(2, n - 2 * (count - 1) + 1):
        for rest in _cut_points(n - first, count - 1):
            yield (first, *(first + c for c in rest))


def _piece_cost(piece: str, hamzas: str) -> int | None:
    """None when ``piece`` is not a word; 0 for a stop word, or a word attested as it is or
    after the article; 1 for a word read by taking off other letters."""
    from .stopwords import STOP_WORDS

    if _term(piece) in STOP_WORDS:
        return 0
    stems = _attested_readings(piece, hamzas)
    if not stems:
        return None
    bare = piece[2:] if hamzas.startswith(ARTICLE) else piece
    return 0 if stems[0] in (piece, bare) else 1


#: The letters an edit may put in (folded as :func:`indexer.lexicon.key` folds).
_EDIT_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآؤئىة"
#: Endings a misspelled word's neighbour may carry beyond a word of the lexicon.
_NEAR_ENDINGS = ("ة", "ية", "ين", "ون", "ات", "ان", "ي", "ه")


def misspelling(written: str) -> str | None:
    """A word of the lexicon one edit (a letter put in, left out, changed, or two swapped) away
    from ``written`` (or from it without the article or «و»), or None: a word no reading of
    which is attested but that is so near a known one is a misspelling of it, not words run
    together («ياسمبن» is «ياسمين» mistyped, not «يا» «سم» «بن»).

    >>> misspelling("ياسمبن"), misspelling("والمعتقلبن"), misspelling("كلناغزة")
    ('ياسمين', 'معتقلان', None)
    """
    folded = key(written)[:MAX_WORD]
    rests = [folded] + [
        folded[len(spelled) :]
        for chain, spelled in CHAINS
        if (chain.endswith(ARTICLE) or chain == "و")
        and folded.startswith(spelled)
        and len(folded) - len(spelled) >= 4
    ]
    for rest in rests:
        for candidate in _edits(rest, _edit_positions(rest)):
            if _near(candidate):
                return candidate
    return None


class _OneEditKeys:
    """What the forms of the lexicon look like with one letter left out or changed, as
    hashes, so that the edits of a word worth trying are found by a few lookups instead of
    trying all ~75 per letter (each a lookup, and three more for the endings). Alefs with a
    hamza are folded bare on both sides (the lexicon's own lookup allows a bare alef for
    one): a key found only says an edit may meet a form, and the edit is then tried.
    Held as a sorted array of 64-bit hashes: a few MB, instead of tens in a set of strings."""

    def __init__(self, forms):
        hashes = set()
        for form in forms:
            loose = form.translate(LOOSE)
            for i in range(len(loose)):
                hashes.add(hash((loose[:i] + loose[i + 1 :], i)))  # a letter left out at i
                hashes.add(hash((loose[:i], loose[i + 1 :])))  # the letter at i changed
        self._hashes = array("q", sorted(hashes))

    def __contains__(self, key) -> bool:
        wanted = hash(key)
        at = bisect_left(self._hashes, wanted)
        return at < len(self._hashes) and self._hashes[at] == wanted


@lru_cache(maxsize=1)
def _one_edit_keys() -> _OneEditKeys:
    return _OneEditKeys(lexicon().words.exact)


def prepare() -> None:
    """Read the lexicon and make the keys of its misspellings now (most of a second), so
    that the first search with a mistyped word does not wait for them (a server's start)."""
    _one_edit_keys()


def _edit_positions(word: str) -> set[int]:
    """Where putting a letter in or changing one may make ``word`` a form :func:`_near`
    accepts (a word of the lexicon, or one with an ending of :data:`_NEAR_ENDINGS`)."""
    keys, words = _one_edit_keys(), lexicon().words
    loose = word.translate(LOOSE)
    found = set()
    heads = [loose] + [loose[: -len(e)] for e in _NEAR_ENDINGS if loose.endswith(e)]
    for head in heads:  # the edit in the word, or in the word before its ending
        found.update(i for i in range(len(head) + 1) if (head, i) in keys)
        found.update(i for i in range(len(head)) if (head[:i], head[i + 1 :]) in keys)
    for k in range(3, len(word) + 1):  # a word of the lexicon, then the edit in its ending
        tail = word[k:]
        if any(_one_edit_apart(tail, e) for e in _NEAR_ENDINGS) and word[:k] in words:
            found.update(range(k, len(word) + 1))
    return found


def _one_edit_apart(tail: str, ending: str) -> bool:
    """Whether ``ending`` is ``tail`` with a letter put in or changed."""
    if len(tail) == len(ending):
        return sum(a != b for a, b in zip(tail, ending, strict=True)) == 1
    return len(tail) + 1 == len(ending) and any(
        ending[:i] + ending[i + 1 :] == tail for i in range(len(ending))
    )


#: :data:`_NEAR_ENDINGS` by their last letter, so that a form tries only the endings it has.
_NEAR_BY_LAST = {
    last: tuple(e for e in _NEAR_ENDINGS if e.endswith(last))
    for last in {e[-1] for e in _NEAR_ENDINGS}
}


def _near(form: str) -> bool:
    words = lexicon().words
    if form in words:
        return True
    return any(
        form.endswith(e) and len(form) - len(e) >= 3 and form[: -len(e)] in words
        for e in _NEAR_BY_LAST.get(form[-1:], ())
    )


def _edits(word: str, positions=None):
    """The words one edit from ``word``: a letter put in, left out, changed, or two swapped;
    letters are put in or changed only at ``positions`` (all when None)."""
    for i in range(len(word) + 1):
        if positions is None or i in positions:
            for c in _EDIT_LETTERS:
                yield word[:i] + c + word[i:]
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]
        if positions is None or i in positions:
            for c in _EDIT_LETTERS:
                if c != word[i]:
                    yield word[:i] + c + word[i + 1 :]
    for i in range(len(word) - 1):
        yield word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _chains() -> list[tuple[str, str]]:
    """Every proclitic chain and how it is written («ل» + «ال» is «لل»), shortest first."""
    chains = []
    for conjunction in ("", *CONJUNCTIONS):
        for preposition in ("", *PREPOSITIONS):
            for article in ("", ARTICLE):
                chain = conjunction + preposition + article
                if chain:
                    spelled = chain[:-3] + "لل" if chain.endswith("ل" + ARTICLE) else chain
                    chains.append((chain, spelled))
    return sorted(chains, key=lambda c: len(c[1]))


CHAINS = _chains()
#: The chains that end with the article, as spelled, longest first.
_ARTICLE_CHAINS = sorted((s for c, s in CHAINS if c.endswith(ARTICLE)), key=len, reverse=True)


def _splits(word: str, hamzas: str):
    """(chain, letters taken, rest) readings of ``word``, the fewest letters taken first."""
    yield "", 0, word
    for chain, spelled in CHAINS:
        taken = len(spelled)
        if len(word) - taken < 2 or not word.startswith(spelled):
            continue
        if spelled.endswith(ARTICLE) and hamzas[taken - 2 : taken] != ARTICLE:
            continue  # «إلهام», «ألم», «وألم»: a hamza on the alef, the ل is the word's own
        yield chain, taken, word[taken:]


def _stems(rest: str) -> list[str]:
    """The attested stems of ``rest`` (what follows the proclitics), the main one first; none
    when nothing is attested. What the spelling leaves open gives two: a final «ه» may be a
    pronoun or a «ة» typed as «ه» («الحريه»), a final «ي» a «ى» typed as «ي», or the possessive
    «ي» of a word that is also a nisba adjective («وطني»: my homeland, national)."""
    stems = []
    stem = _attested_stem(rest)
    if stem is not None:
        stems.append(stem)
        # A feminine plural the lexicon lists as a word of its own is still that plural:
        # «معتقلات», «حريات» meet «معتقل», «حرية» too.
        if stem.endswith("ات") and len(stem) >= 5:
            singular = _attested_stem(stem[:-2] + TEH)
            if singular is not None and singular not in stems:
                stems.append(singular)
    for end, instead in (("ه", TEH), ("ي", MAQSURA)):
        if rest.endswith(end) and len(rest) >= 3:
            other = _attested_stem(rest[:-1] + instead)
            if other is not None and other not in stems:
                stems.append(other)
    if stems and stems[0] == rest and rest.endswith("ي") and len(rest) >= 3:
        mine = _attested_stem(rest[:-1])  # «روحي», «قلبي», «وطني»: also «my ...»
        if mine is not None and mine not in stems and lexicon().noun(mine):
            stems.append(mine)
    five = _five_nouns(rest)
    if five is not None and five not in stems:
        stems.insert(0, five) if not stems else stems.append(five)
    return stems


#: «أب», «أخ», «حم» take a long vowel before a pronoun: «أبوه», «أباه», «أبيه» are «أب» + «ه».
FIVE_NOUNS = ("اب", "اخ", "حم")


def _five_nouns(rest: str) -> str | None:
    plain = _term(rest)
    for noun in FIVE_NOUNS:
        for vowel in "اوي":
            base = noun + vowel
            if plain.startswith(base) and plain[len(base) :] in (*PRONOUNS, ""):
                if plain == base and vowel == "ا":
                    return None  # «ابا», «اخا» alone are other words
                return rest[: len(noun)]
    return None


def _attested_stem(rest: str) -> str | None:
    """The longest attested form of ``rest`` with suffixes taken off, or None."""
    known = lexicon().attested
    for form in _without_suffixes(rest):
        if known(form) or (form.endswith(TEH) and len(form) >= 4 and known(form[:-1])):
            return _feminine(form)
    return None


def _feminine(form: str) -> str:
    """A form in «ة» is its masculine unless the lexicon has it as a noun of its own."""
    if form.endswith(TEH) and form not in lexicon().nouns_in_teh:
        masculine = form[:-1]
        if lexicon().attested(masculine):
            return masculine
    return form


def _without_suffixes(word: str) -> list[str]:
    """``word`` and its forms without suffixes, in the order they are tried: the word whole;
    without a pronoun (the spelling it changed restored first: «حريته» → «حرية», «حريت»);
    those without number and gender endings; and last the word's own endings taken off.
    Endings come off one at a time, the longer forms first («جامعات» → «جامعة», «جامع»)."""
    forms = [word]
    for pronoun in PRONOUNS:
        if word.endswith(pronoun) and len(word) - len(pronoun) >= 2:
            base = word[: -len(pronoun)]
            bases = [*_restored(base), base]
            forms.extend(bases)
            forms.extend(_without_endings(bases))
    forms.extend(_without_endings([word]))
    return list(dict.fromkeys(forms))


def _without_endings(forms: list[str]) -> list[str]:
    found: list[str] = []
    level = forms
    while level:
        shorter = []
        for form in level:
            for ending, replacements in ENDINGS:
                if form.endswith(ending) and len(form) - len(ending) >= 2:
                    shorter.extend(form[: -len(ending)] + r for r in replacements)
        shorter = [f for f in dict.fromkeys(shorter) if f not in found]
        found.extend(shorter)
        level = shorter
    return found


def _restored(base: str) -> list[str]:
    """What a pronoun changed in the spelling before it: ت → ة, ا → ى (folded ي), او → اء."""
    if base.endswith("ت") and len(base) >= 3:
        return [base[:-1] + TEH]
    if base.endswith("ا") and len(base) >= 3:
        return [base[:-1] + "ي"]
    if base.endswith(("او", "اي")) and len(base) >= 4:
        return [base[:-1] + "ء"]
    return []


#: The prefixes of a verb in the present tense: a conjunction, «ل» or the future «س» written
#: before one is a clitic («ويقولون», «فنكتب», «ليعرف», «وسيعرفون»).
IMPERFECT = ("ي", "ت", "ن", "ا")


def _fallback(word: str, hamzas: str) -> str:
    """A word the lexicon cannot read: the article and suffixes by rule, with what is written
    before the article («بالاسترقاق», «وللاسترقاق» as «الاسترقاق»), four letters left; a
    one-letter clitic alone only before a verb's present-tense prefix, with four letters left.

    >>> [_fallback(w, w) for w in ("الاسترقاق", "بالاسترقاق", "وللاسترقاق", "بالتر", "استرقاق")]
    ['استرقاق', 'استرقاق', 'استرقاق', 'بالتر', 'استرقاق']
    """
    spelled = next((s for s in _ARTICLE_CHAINS if hamzas.startswith(s)), "")
    if spelled and len(word) - len(spelled) >= (2 if spelled in (ARTICLE, "لل") else 4):
        word = word[len(spelled) :]
    else:
        for clitics in (CONJUNCTIONS, ("ل", "س")):
            rest = word[1:]
            if word[0] in clitics and _verb_ahead(rest[1:] if rest[0] in "لس" else rest):
                word = rest
    return strip_suffixes(_term(word))


def _verb_ahead(rest: str) -> bool:
    return len(rest) >= 4 and rest[0] in IMPERFECT
