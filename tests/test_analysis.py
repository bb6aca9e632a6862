"""The Arabic analysis rules one by one: normalization, tokenization, stemming, analyzers."""

import doctest
import pickle
import random

import pytest
from whoosh import fields, highlight
from whoosh.analysis import RegexTokenizer, StandardAnalyzer
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser

import indexer
from indexer import (
    analysis,
    lexicon,
    morphology,
    normalization,
    query,
    stemming,
    stopwords,
    thesaurus,
    transliteration,
)
from indexer.stopwords import ARABIC_STOP_WORDS, STOP_WORDS


@pytest.mark.parametrize(
    "module",
    [analysis, lexicon, morphology, normalization, stemming, stopwords, thesaurus, transliteration],
)
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0


# Normalization: one rule, one example each.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("كَتَبَ", "كتب"),  # fatha
        ("كُتُبٌ", "كتب"),  # damma, dammatan
        ("بِكِتَابٍ", "بكتاب"),  # kasra, kasratan
        ("شُكْراً", "شكرا"),  # sukun, fathatan
        ("الحُرِّيَّة", "الحريه"),  # shadda
        ("هٰذا", "هذا"),  # superscript alef U+0670
        ("بِسْمِ ٱللَّهِ", "بسم الله"),  # alef wasla, shadda
        ("الرَّحِيمِ ۝", "الرحيم "),  # end of ayah U+06DD
        ("ذَٰلِكَ ٱلْكِتَٰبُ لَا رَيْبَ ۛ فِيهِ", "ذلك الكتب لا ريب  فيه"),  # dagger alef, U+06DB
        ("صلى الله عليه\u0610", "صلي الله عليه"),  # U+0610
        ("فلسطــــين", "فلسطين"),  # tatweel
        ("أسير", "اسير"),
        ("إضراب", "اضراب"),
        ("آلام", "الام"),
        ("ٱلحمد", "الحمد"),
        ("مؤبد", "موبد"),
        ("لاجئ", "لاجي"),
        ("سماء", "سماء"),  # a standalone hamza stays
        ("شيء", "شيء"),
        ("أسرى", "اسري"),  # alef maqsura
        ("زنزانة", "زنزانه"),  # teh marbuta
        ("١٩٨٧", "1987"),  # Arabic-Indic digits
        ("۱۹۹۲", "1992"),  # Eastern Arabic-Indic digits
        ("کتاب", "كتاب"),  # Persian keheh
        ("یوم", "يوم"),  # Persian yeh
        ("Nafha PRISON", "nafha prison"),  # Latin casefold
        ("Straße", "strasse"),
        ("ﻻ ﺍﻟﺴﺠﻦ", "لا السجن"),  # presentation forms from old PDFs
        ("ا\u0654سير", "اسير"),  # decomposed hamza above
    ],
)
def test_normalize_rule(text, expected):
    assert indexer.normalize(text) == expected


@pytest.mark.parametrize(
    "char",
    [
        "\u200c",  # ZWNJ
        "\u200d",  # ZWJ
        "\u200b",  # ZWSP
        "\u200e",  # LRM
        "\u200f",  # RLM
        "\u061c",  # ALM
        "\u202a",  # LRE
        "\u202b",  # RLE
        "\u202c",  # PDF
        "\u202d",  # LRO
        "\u202e",  # RLO
        "\u2066",  # LRI
        "\u2067",  # RLI
        "\u2068",  # FSI
        "\u2069",  # PDI
        "\ufeff",  # BOM
    ],
)
def test_normalize_drops_invisible(char):
    assert indexer.normalize(f"مي{char}زان") == "ميزان"


def test_normalize_keeps_spaces_punctuation_hamza_and_ascii_digits():
    text = "سماء، 1980! (test) - ء؟ «نص»"
    assert indexer.normalize(text) == "سماء، 1980! (test) - ء؟ «نص»"


def test_normalize_is_idempotent():
    alphabet = (
        "أإآٱؤئءاىيةهکیکabcABC ٠١٢٣٩۰۹0123،؛؟«».-\u0640\u200c\u200f\u064b\u064e\u0651\u0652"
        "\u0670\u06d6\u0610ﻻﺍﻟﺴﺠﻦﷲßİ"
    )
    rng = random.Random(1948)
    samples = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(500)]
    samples += [p for p in ("أُمُّ الأَسيرِ", "ﷲ أكبر", "İstanbul")]
    for text in samples:
        once = indexer.normalize(text)
        assert indexer.normalize(once) == once, repr(text)


# Tokenization.


def _texts(tokenizer, text, **kwargs):
    return [t.text for t in tokenizer(text, **kwargs)]


def test_whoosh_default_tokenizer_splits_vocalized_words():
    # The reason for ArabicTokenizer: combining marks are not \w, so \w+ cuts at every haraka.
    assert _texts(RegexTokenizer(), "كَتَبَ") == ["ك", "ت", "ب"]
    assert _texts(analysis.ArabicTokenizer(), "كَتَبَ") == ["كَتَبَ"]


def test_tatweel_and_zwnj_inside_a_word_do_not_split_it():
    tokenize = analysis.ArabicTokenizer()
    assert _texts(tokenize, "فلسطــين") == ["فلسطــين"]
    assert _texts(tokenize, "مي\u200cزان") == ["مي\u200cزان"]
    assert indexer.terms("فلسطــين") == indexer.terms("فلسطين")


@pytest.mark.parametrize("separator", ["،", "؛", "؟", "«", "»", ",", ".", "!", ":", "(", '"', "-"])
def test_punctuation_splits(separator):
    assert _texts(analysis.ArabicTokenizer(), f"سجن{separator}نفحة") == ["سجن", "نفحة"]


def test_arabic_latin_and_digits_in_one_text():
    text = "زار Nafha سنة 1980 و١٩٩٢ «mp3» ٢٠١٧م"
    assert _texts(analysis.ArabicTokenizer(), text) == [
        "زار", "Nafha", "سنة", "1980", "و", "١٩٩٢", "mp3", "٢٠١٧", "م",
    ]  # fmt: skip
    assert indexer.terms(text) == ["زار", "nafha", "سنه", "1980", "1992", "mp3", "2017"]


def test_offsets_slice_back_to_the_original_vocalized_words():
    text = "قَالَتْ أُمُّ الأَسِيرِ: انتظرتُه ٢٠ سنةً في فلسطــين"
    tokens = [
        (t.text, text[t.startchar : t.endchar])
        for t in indexer.arabic_analyzer()(text, chars=True, positions=True)
    ]
    assert [original for _, original in tokens] == [
        "قَالَتْ", "أُمُّ", "الأَسِيرِ", "انتظرتُه", "٢٠", "سنةً", "فلسطــين",
    ]  # fmt: skip
    assert [term for term, _ in tokens] == ["قال", "ام", "اسير", "انتظر", "20", "سنه", "فلسطين"]


def test_positions_count_stop_words_out():
    tokens = indexer.arabic_analyzer()("الأسرى في سجن نفحة", positions=True)
    assert [(t.text, t.pos) for t in tokens] == [("اسري", 0), ("اسير", 0), ("سجن", 1), ("نفحه", 2)]


def test_a_run_together_word_takes_a_position_per_piece():
    tokens = indexer.arabic_analyzer()("#الحريةللأسرى في #كلناغزة اليوم", positions=True)
    assert [(t.text, t.pos) for t in tokens] == [
        ("حريه", 0), ("حريهللاسر", 0), ("اسري", 1), ("اسير", 1), ("غزه", 2), ("كلناغز", 2),
        ("يوم", 3),
    ]  # fmt: skip


def test_highlight_marks_the_original_vocalized_word():
    schema = fields.Schema(text=fields.TEXT(analyzer=indexer.arabic_analyzer(), stored=True))
    ix = RamStorage().create_index(schema)
    text = "كَتَبَ الأَسِيرُ عَلَى جِدَارِ الزِّنْزَانَةِ"
    with ix.writer() as writer:
        writer.add_document(text=text)
    with ix.searcher() as searcher:
        hits = searcher.search(QueryParser("text", schema).parse("الزنزانه"))
        hits.formatter = highlight.HtmlFormatter(tagname="mark")
        assert "الزِّنْزَانَةِ</mark>" in hits[0].highlights("text")


def test_phrase_query_across_stop_words_and_spelling():
    schema = fields.Schema(text=fields.TEXT(analyzer=indexer.arabic_analyzer()))
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        writer.add_document(text="اعتقلوه في سجنِ نفحةَ الصحراوي")
        writer.add_document(text="نفحة بعيدة عن السجن")
    with ix.searcher() as searcher:
        context = query._Context(searcher.reader(), {"text": 1.0}, False)
        phrases = context.terms("text", query.positions(query._TEXT, "السجن نفحه"))
        assert [len(searcher.search(p)) for p in phrases] == [1]
        # a word of several readings: a phrase per reading the index holds
        phrases = context.terms("text", query.positions(query._TEXT, "السجون نفحة"))
        assert [p.words for p in phrases] == [["سجن", "نفحه"]]
        assert [len(searcher.search(p)) for p in phrases] == [1]


# Stemming.


@pytest.mark.parametrize(
    "words",
    [
        "أسير أسرى الأسرى الأسير للأسرى والأسرى بالأسرى أسيرة الأسيرات أسرانا أسراهم",
        "سجن سجون السجن السجون بالسجن وسجن سجنه سجنهم بسجون للسجون",
        "معتقل معتقلات المعتقلين المعتقل معتقلون بالمعتقل ومعتقلات",
        "سجين السجين سجناء السجناء",
        "شهيد شهداء الشهداء الشهيد شهدائنا شهداؤنا",
        "حرية الحرية حريته حريتي وللحرية",
        "زنزانة الزنزانة زنزانتي بزنزانة زنزانته الزنزانات",
        "والد والده والدي والدة والدتي الوالدة الوالدين والدته ووالدي بوالده",
        "وطن الوطن وطنه وطني الوطنية ووطني",
        "فلسطين فلسطيني الفلسطينيين فلسطينية الفلسطينيات بفلسطين لفلسطين",
        "قصيدة قصائد القصيدة قصيدته القصائد",
        "أم الأم أمي أمه أمهات الأمهات وأمي لأمهات",
        "حياة الحياة حياته حياتي",
        "ذكرى الذكرى ذكريات ذكرياته",
        "أبناء الأبناء أبناؤه أبنائهم أبنائي",
        "قيد قيود القيود بالقيد",
        "محرر المحررين محررون محررة",
        "عام عاماً",
        "سنة سنتين",
        "بطانية البطانيات بطانيتين",
        "لبنان ولبنان بلبنان",
    ],
)
def test_stemming_brings_forms_together(words):
    stems = {word: stemming.stem(indexer.normalize(word)) for word in words.split()}
    assert len(set(stems.values())) == 1, stems


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # short words keep their letters
        ("حب", "حب"),
        ("يد", "يد"),
        ("وطن", "وطن"),
        ("ولد", "ولد"),
        ("بيت", "بيت"),
        ("باب", "باب"),  # not ب + أب
        ("بنت", "بنت"),
        ("كتب", "كتب"),
        ("وقت", "وقت"),
        # names and words that begin or end like affixes
        ("فراس", "فراس"),
        ("فلسطين", "فلسط"),  # consistent with فلسطيني, but not cut to «لسط»
        ("فندق", "فندق"),
        ("انسان", "انسان"),
        ("سلطان", "سلطان"),
        ("الله", "الله"),
        ("لله", "الله"),
        ("والده", "والد"),  # not و + ال + ده
        ("كلمته", "كلم"),  # not ك + لمته
        ("ساعاته", "ساع"),
        ("nafha", "nafha"),
        ("1980", "1980"),
    ],
)
def test_stem_is_not_too_greedy(word, expected):
    assert stemming.stem(indexer.normalize(word)) == expected


def test_distinct_words_stay_distinct():
    pairs = [("سجن", "سجل"), ("وطن", "طن"), ("بيت", "بيع"), ("امي", "اسم"), ("محكمة", "محاكم")]
    for a, b in pairs:
        assert stemming.stem(indexer.normalize(a)) != stemming.stem(indexer.normalize(b))


# Stop words.


def test_stop_words_are_normalized_and_dropped():
    assert all(indexer.normalize(w) == w for w in ARABIC_STOP_WORDS)
    assert len(ARABIC_STOP_WORDS) >= 250
    assert indexer.terms("في هذا الذي كان على إلى من عن مع the of and") == []
    assert indexer.terms("هو في السجن") == ["سجن"]


def test_content_words_that_look_like_function_words_are_kept():
    assert {"ام", "نفس", "ظل", "سجن", "اسير"}.isdisjoint(STOP_WORDS)
    assert indexer.terms("أم الأسير") == ["ام", "اسير"]


# English and mixed text.


def test_english_tokens_get_porter_stemming_and_arabic_tokens_arabic_stemming():
    assert indexer.terms("Prisoners were visiting the prisons") == [
        "prison", "were", "visit", "prison",
    ]  # fmt: skip
    assert indexer.terms("visited السجون in Nafha والأسرى") == [
        "visit", "سجون", "سجن", "nafha", "اسري", "اسير",
    ]  # fmt: skip


def test_terms_keeps_order_and_duplicates():
    assert indexer.terms("السجن ثم السجون ثم سجن") == ["سجن", "سجون", "سجن", "سجن"]


# The analyzers as Whoosh objects.


def test_analyzer_pickles_with_identical_terms():
    text = "وَالأَسْرَى في سجون الاحتلال ١٩٨٠ Prisoners فلسطــين"
    analyzer = indexer.arabic_analyzer()
    restored = pickle.loads(pickle.dumps(analyzer))
    assert [t.text for t in restored(text)] == [t.text for t in analyzer(text)]
    names = indexer.name_analyzer()
    assert [t.text for t in pickle.loads(pickle.dumps(names))(text)] == [
        t.text for t in names(text)
    ]


def test_analyzer_in_a_schema_survives_an_index_on_disk(tmp_path):
    from whoosh import index

    schema = fields.Schema(text=fields.TEXT(analyzer=indexer.arabic_analyzer()))
    index.create_in(tmp_path, schema)
    reopened = index.open_dir(tmp_path)
    assert [t.text for t in reopened.schema["text"].analyzer("الأسرى")] == ["اسري", "اسير"]


def test_query_mode_gives_the_same_terms():
    analyzer = indexer.arabic_analyzer()
    text = "بالزنزانة الانفرادية"
    assert [t.text for t in analyzer(text, mode="query")] == indexer.terms(text)


def test_name_analyzer_normalizes_without_stemming_or_stop_words():
    names = indexer.name_analyzer()
    assert [t.text for t in names("رأفت حمدونة")] == ["رافت", "حمدونه"]
    assert [t.text for t in names("حمدونه")] == [t.text for t in names("حمدونة")]
    assert [t.text for t in names("Raafat HAMDOUNA")] == ["raafat", "hamdouna"]
    assert [t.text for t in names("علي")] == ["علي"]  # a stop word in transcripts, a name here
    assert [t.text for t in names("الفلسطيني")] == ["الفلسطيني"]


def test_name_field_finds_a_name_in_another_spelling():
    schema = fields.Schema(
        id=fields.ID(stored=True), narrator=fields.TEXT(analyzer=indexer.name_analyzer())
    )
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        writer.add_document(id="1", narrator="رأفت حمدونة Raafat Hamdouna")
        writer.add_document(id="2", narrator="Hamdan")
    with ix.searcher() as searcher:
        parser = QueryParser("narrator", schema)
        assert [h["id"] for h in searcher.search(parser.parse("حمدونه"))] == ["1"]
        assert [h["id"] for h in searcher.search(parser.parse("Hamdouna"))] == ["1"]


def test_standard_analyzer_is_the_baseline_we_beat():
    # Whoosh's own analyzer neither folds hamza nor keeps vocalized words whole.
    standard = [t.text for t in StandardAnalyzer()("أَسْرَى")]
    assert standard != ["اسري"]
    assert indexer.terms("أَسْرَى") == indexer.terms("اسرى") == ["اسري", "اسير"]


def test_the_lexicon_cache_holds_what_building_makes(tmp_path, monkeypatch):
    import marshal

    built = lexicon._build()
    thawed = lexicon._thaw(marshal.loads(marshal.dumps(lexicon._freeze(built))))
    for name in ("words", "nouns", "nouns_in_teh"):
        assert getattr(thawed, name).exact == getattr(built, name).exact
        assert getattr(thawed, name).loose == getattr(built, name).loose
    assert thawed.singulars == built.singulars
    # the cache is named by what it is made from, under XDG_CACHE_HOME; off when asked
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert lexicon.cache_path().parent == tmp_path / "prisoners-archive"
    monkeypatch.setenv("ARCHIVE_LEXICON_CACHE", "off")
    assert lexicon.cache_path() is None
