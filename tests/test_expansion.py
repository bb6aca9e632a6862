"""Query-time expansion (indexer.expansion) on both search backends: English and French queries
find Arabic records through the thesaurus, names in Latin letters find their Arabic spellings
and the reverse, every expansion is reported in ``also_searched``, quotes turn it off, exact
forms rank first, and nothing only a restricted or draft item says is ever offered."""

from __future__ import annotations

import time

import pytest

from indexer.expansion import MAX_NAME_FORMS, NameKeys, expand
from indexer.query import parse
from indexer.thesaurus import Concept, Thesaurus, read_glossary
from tests.search_backends import new_index, search_server  # noqa: F401 (a fixture)
from tests.test_search_engine import NOW, PUBLIC, STAFF, item

THESAURUS = Thesaurus(
    [
        *read_glossary(),
        Concept(["الإضراب عن الطعام"], ["hunger strike"], ["grève de la faim"], "tag"),
        Concept(["مروان البرغوثي"], ["Marwan Barghouti"], [], "person"),
        Concept(["سرية الحارس"], ["Secret Person"], [], "person"),
    ]
)

ARCHIVE = [
    item(
        "HS-1",
        [(0.0, 5.0, "خاض الأسرى الإضراب عن الطعام في سجن عسقلان")],
        tags=[{"label": "الإضراب عن الطعام", "label_en": ""}],
    ),
    item("HS-2", [(0.0, 5.0, "The hunger strike lasted forty days")], languages=["en"]),
    item("AD-1", [(0.0, 5.0, "صدر بحقه أمر الاعتقال الإداري للمرة الثالثة")]),
    item("BR-1", [(0.0, 5.0, "تحدث البرغوثي عن سنوات السجن")]),
    item("BR-2", [(0.0, 5.0, "Barghouti spoke of the prison years")], languages=["en"]),
    item("OF-1", [(0.0, 5.0, "نقل إلى معسكر عوفر قرب رام الله")]),
    item("OF-2", [(0.0, 5.0, "He was taken to Ofer camp")], languages=["en"]),
    # one consonant key, MSR and GMT, and only one spelling each that fits the Latin name
    item("EG-1", [(0.0, 5.0, "سافر أخوه إلى مصر للعلاج")]),
    item("EG-2", [(0.0, 5.0, "لا نعرف المصير بعد الحكم")]),
    item("EG-3", [(0.0, 5.0, "كان مسرورا بالزيارة")]),
    item("AG-1", [(0.0, 5.0, "نفي المعتمد إلى أغمات")]),
    item("AG-2", [(0.0, 5.0, "زارته الجمعيات الحقوقية")]),
    item("PR-EN", [(0.0, 5.0, "The prisoners wrote letters home")], languages=["en"]),
    # a name said only in a restricted item, and only in a draft
    item("SECRET-1", [(0.0, 5.0, "زارنا زمخشري في الزنزانة")], access="researchers"),
    item("SECRET-2", [(0.0, 5.0, "قال قنطرجي كلاما")], status="draft"),
    item("SECRET-3", [(0.0, 5.0, "جلسنا مع سرية الحارس"), (5.0, 9.0, "شخص اخر", True)]),
    item("OPEN-1", [(0.0, 5.0, "كان الحديث عن الزيارة"), (5.0, 9.0, "قال كرمنجي شيئا", True)]),
]


@pytest.fixture(scope="module", params=["whoosh", "postgresql"])
def index(request, tmp_path_factory, search_server):  # noqa: F811
    with new_index(request.param, tmp_path_factory.mktemp("expansion"), search_server) as index:
        index.update(ARCHIVE)
        yield index


def search(index, query, access=PUBLIC, thesaurus=THESAURUS, **options):
    return index.search(query, access=access, thesaurus=thesaurus, **options)


def ids(result) -> list[str]:
    return [r["identifier"] for r in result.results]


def forms(result) -> list[str]:
    return [f for entry in result.also_searched for f in entry["forms"]]


# English and French queries


def test_english_query_finds_the_arabic_tag_and_transcripts(index):
    result = search(index, "hunger strike")
    assert {"HS-1", "HS-2"} <= set(ids(result))
    entry = result.to_dict()["also_searched"][0]
    assert entry["words"] == "hunger strike"
    assert {"الإضراب عن الطعام", "grève de la faim"} <= set(entry["forms"])
    # the exact words rank above the Arabic that only the expansion found
    assert ids(result).index("HS-2") < ids(result).index("HS-1")
    # the moment that says it in Arabic is marked
    hits = {r["identifier"]: r["hits"] for r in result.results}
    assert hits["HS-1"], hits


def test_french_query_from_the_glossary(index):
    result = search(index, "détention administrative")
    assert "AD-1" in ids(result)
    assert "الاعتقال الإداري" in forms(result)


def test_arabic_query_gains_the_english_label(index):
    result = search(index, "الإضراب عن الطعام")
    assert {"HS-1", "HS-2"} <= set(ids(result))
    assert ids(result)[0] == "HS-1"
    assert "hunger strike" in forms(result)


def test_without_a_thesaurus_nothing_is_expanded(index):
    result = search(index, "hunger strike", thesaurus=None)
    assert ids(result) == ["HS-2"]
    assert result.to_dict()["also_searched"] == []
    assert ids(search(index, "Ofer", thesaurus=None)) == ["OF-2"]


# Names in any script


@pytest.mark.parametrize(
    ("query", "arabic", "latin", "form"),
    [("Barghouti", "BR-1", "BR-2", "برغوثي"), ("Ofer", "OF-1", "OF-2", "عوفر")],
)
def test_latin_name_finds_the_arabic_spelling(index, query, arabic, latin, form):
    result = search(index, query, thesaurus=Thesaurus())
    assert {arabic, latin} <= set(ids(result))
    assert ids(result)[0] == latin  # the exact spelling first
    assert any(form in f for f in forms(result)), result.also_searched


def test_arabic_name_finds_the_latin_spelling(index):
    result = search(index, "عوفر", thesaurus=Thesaurus())
    assert {"OF-1", "OF-2"} <= set(ids(result))
    assert ids(result)[0] == "OF-1"
    assert "ofer" in forms(result)


def test_a_latin_name_finds_only_the_spellings_that_fit_it(index):
    """«مصر», «المصير» (destiny) and «مسرورا» (glad) share Misr's consonants, but only «مصر»
    has no long vowel where Misr has none; Aghmat's gh is «غ», never the «ج» of «الجمعيات»."""
    result = search(index, "Misr", thesaurus=Thesaurus())
    assert ids(result) == ["EG-1"]
    assert forms(result) == ["مصر"]
    result = search(index, "Aghmat", thesaurus=Thesaurus())
    assert ids(result) == ["AG-1"]


def test_english_words_name_their_own_concept_not_their_stems(index):
    """Porter makes one stem of "prison" and "prisoner"; the thesaurus keeps them apart."""
    prison = forms(search(index, "prison"))
    assert "سجن" in prison and "أسير" not in prison
    assert "أسير" in forms(search(index, "prisoners"))


def test_an_arabic_broken_plural_names_the_concept_of_its_singular(index):
    result = search(index, "الأسرى")  # read «اسري» and «اسير»: the concept is «أسير»
    assert "prisoner" in forms(result)
    assert "PR-EN" in ids(result)


def test_a_hashtag_searches_its_words_not_their_order(index):
    """«#الإضراب_عسقلان» names a subject: an item that says both words apart is found, first,
    and each word is expanded as if typed alone."""
    result = search(index, "#الإضراب_عسقلان")
    assert ids(result)[0] == "HS-1"
    assert [e["words"] for e in result.also_searched] == ["عسقلان"]  # Ashkelon, Ascalon...
    # excluded, a hashtag is one phrase: the item that says it is left out, not all its words
    assert "HS-1" not in ids(search(index, "الطعام -#سجن_عسقلان"))
    assert "HS-1" in ids(search(index, "الطعام -#الإضراب_عسقلان"))


def test_postgresql_reads_a_slow_vocabulary_again_without_making_a_visitor_wait(
    tmp_path,
    search_server,  # noqa: F811
    monkeypatch,
):
    """When reading the vocabulary by consonant key took long (seconds at a million
    segments), a search after a change uses the last reading while a thread reads it again."""
    from indexer import pgsearch

    with new_index("postgresql", tmp_path, search_server) as index:
        index.update([item("N-1", [(0.0, 5.0, "تحدث البرغوثي عن السجن")])])
        assert ids(search(index, "Barghouti", thesaurus=Thesaurus())) == ["N-1"]
        monkeypatch.setattr(pgsearch, "NAMES_WAIT", -1.0)  # every reading counts as slow
        index.update([item("N-2", [(0.0, 5.0, "نقل إلى معسكر عوفر")])])
        assert ids(search(index, "Ofer", thesaurus=Thesaurus())) == []  # the last reading
        for _ in range(100):  # the thread's reading, soon after
            found = ids(search(index, "Ofer", thesaurus=Thesaurus()))
            if found:
                break
            time.sleep(0.1)
        assert found == ["N-2"]


# Quotes


@pytest.mark.parametrize("query", ['"hunger strike"', '"Barghouti"', '"عوفر"'])
def test_quotes_turn_expansion_off(index, query):
    result = search(index, query)
    assert result.also_searched == []
    assert len(ids(result)) == 1


def test_quoting_one_word_expands_the_others(index):
    result = search(index, '"Ofer" Barghouti')
    assert [e["words"] for e in result.also_searched] == ["Barghouti"]


# Access: expansions never reveal what the searcher may not see


def test_a_name_only_a_restricted_item_says_is_never_offered_to_the_public(index):
    for query, hidden in [
        ("Zamakhshari", "زمخشري"),
        ("Qantarji", "قنطرجي"),
        ("Karmanji", "كرمنجي"),
    ]:
        result = search(index, query)
        assert result.total == 0, query
        assert not any(hidden in f for f in forms(result)), (query, result.also_searched)
        assert result.to_dict()["also_searched"] == []
    # staff see the restricted item, and its name is offered to them
    staff = search(index, "Zamakhshari", access=STAFF)
    assert any("زمخشري" in f for f in forms(staff))
    assert ids(staff) == ["SECRET-1"]


def test_a_person_form_is_offered_only_when_its_words_are_visible(index):
    # «سرية الحارس» is said in a public item: offered; a person name no visible item says is not
    result = search(index, "Secret Person")
    assert "سرية الحارس" in forms(result)
    result = search(index, "Marwan Barghouti")
    assert "مروان البرغوثي" not in forms(result)  # «مروان» is said nowhere


def test_draft_only_names_stay_hidden_even_from_researchers(index):
    from indexer.search import Access

    researcher = Access.for_levels(("public", "researchers"), NOW)
    result = search(index, "Qantarji", access=researcher)
    assert result.also_searched == [] and result.total == 0


# Bounds and the expansion itself


def test_expansions_per_word_are_bounded_most_frequent_first():
    words = [(f"برغ{'و' * n}ث", 100 - n) for n in range(10)] + [("بورغوث", 1000)]
    keys = NameKeys(words)
    found = keys.lookup("Barghouth")
    assert found[0] == "بورغوث"
    assert len(found) <= NameKeys.PER_KEY
    expanded = expand(parse("Barghouth"), Thesaurus(), keys.lookup)
    assert len(expanded.also_searched[0][1]) == MAX_NAME_FORMS
    assert len(expanded.parsed.groups[0]) == 1 + MAX_NAME_FORMS


def test_prefixes_scopes_and_exclusions_are_not_expanded():
    expanded = expand(parse("Ofer* narrator:Ofer -Ofer"), THESAURUS, lambda w: ["عوفر"])
    assert expanded.also_searched == []
    assert not expanded.added


def test_stop_words_are_not_taken_for_names():
    keys = NameKeys([("عوفر", 5), ("فر", 5)])
    assert keys.lookup("for") == () and keys.lookup("Ofer") == ("عوفر",)


def test_arabic_text_is_kept_as_typed():
    expanded = expand(parse("hunger strike"), THESAURUS, None)
    assert expanded.also_searched[0][1][0] == "الإضراب عن الطعام"


# Through the archive: the catalogue's vocabulary as thesaurus, the JSON API and the CLI


@pytest.fixture
def archive_catalogue(app):
    from archive.catalogue import authority
    from archive.db import db
    from tests.test_search_api import make

    with app.app_context():
        make("PUB-1", title="شهادة عن الإضراب", tags="الإضراب عن الطعام",
             text=["دخلنا الإضراب عن الطعام في نفحة"])  # fmt: skip
        make("STAFF-1", title="شهادة محظورة", access="staff", narrators="زكريا الزبيدي", tags="وسم مكتوم",
             text=["تحدث زكريا الزبيدي عن جنين"])  # fmt: skip
        make("DRAFT-1", title="مسودة", status="draft", text=["قال قنطرجي كلاما"])
        tag = authority.tag_labelled("الإضراب عن الطعام")
        authority.update_tag(tag, tag.label, "hunger strike", label_fr="grève de la faim",
                             user=None)  # fmt: skip
        authority.person_for("زكريا الزبيدي").name_latin = "Zakaria Zubeidi"
        hidden = authority.tag_labelled("وسم مكتوم")
        authority.update_tag(hidden, hidden.label, "muted label", user=None)
        db.session.commit()
    return app


def test_the_api_searches_the_tags_labels_and_says_so(archive_catalogue, client):
    data = client.get("/api/search", query_string={"q": "grève de la faim"}).get_json()
    assert [r["identifier"] for r in data["results"]] == ["PUB-1"]
    assert data["also_searched"][0]["words"] == "grève de la faim"
    assert "الإضراب عن الطعام" in data["also_searched"][0]["forms"]
    v1 = client.get("/api/v1/search", query_string={"q": "grève de la faim"}).get_json()
    assert v1["also_searched"] == data["also_searched"]
    quoted = client.get("/api/search", query_string={"q": '"grève de la faim"'}).get_json()
    assert quoted["total"] == 0 and quoted["also_searched"] == []


def test_a_name_of_a_staff_only_item_is_never_shown_to_the_public(archive_catalogue, client, auth):
    for q in ("Zakaria Zubeidi", "Zubeidi", "Qantarji", "muted label"):
        data = client.get("/api/search", query_string={"q": q}).get_json()
        assert data["total"] == 0 and data["also_searched"] == [], (q, data)
        page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        assert "الزبيدي" not in page and "قنطرجي" not in page and "مكتوم" not in page
    auth.login("archivist@example.org")
    data = client.get("/api/search", query_string={"q": "Zakaria Zubeidi"}).get_json()
    assert [r["identifier"] for r in data["results"]] == ["STAFF-1"]
    assert "زكريا الزبيدي" in data["also_searched"][0]["forms"]
    data = client.get("/api/search", query_string={"q": "muted label"}).get_json()
    assert data["also_searched"][0]["forms"] == ["وسم مكتوم"]


def test_the_results_page_and_the_cli_list_the_forms(archive_catalogue, client):
    from archive.cli.instance import search as search_command

    page = client.get("/search", query_string={"q": "hunger strike"}).get_data(as_text=True)
    assert 'class="also-searched"' in page
    assert "/search?q=%22%D8%A7%D9%84%D8%A5%D8%B6%D8%B1%D8%A7%D8%A8" in page  # «"الإضراب…"»
    runner = archive_catalogue.test_cli_runner()
    out = runner.invoke(search_command, ["hunger strike"]).output
    assert "Also searched for hunger strike: " in out and "الإضراب عن الطعام" in out
    assert "PUB-1" in out
