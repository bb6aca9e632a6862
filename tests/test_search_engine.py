"""Searching the index: Arabic spellings, the query language, ranking, moments and their marks,
facets, sorting, pages, "did you mean", and above all who may see what.

One small archive is indexed once for the module and backend (searches do not change it): Whoosh
on a temporary folder and PostgreSQL in a throwaway database (tests/search_backends.py); plain
Python, no Flask.
"""

from datetime import datetime

import pytest

from indexer import Access, SearchResult
from tests.search_backends import BACKENDS, new_index, search_server  # noqa: F401 (a fixture)

NOW = datetime(2025, 1, 1)
PUBLIC = Access.public(NOW)
STAFF = Access.staff(NOW)
RESEARCHER = Access.for_levels(("public", "researchers"), NOW)


def item(identifier, segments=(), **fields):
    """A published public item; ``segments`` are (start, end, text[, restricted]) tuples."""
    return {
        "identifier": identifier,
        "type": "testimony",
        "title": "",
        "title_en": "",
        "description": "",
        "description_en": "",
        "people": [],
        "tags": [],
        "collections": [],
        "places": [],
        "languages": ["ar"],
        "date": "",
        "access": "public",
        "status": "published",
        "embargo_until": None,
        "created_at": NOW,
        "transcripts": [
            {
                "id": 1,
                "language": fields.get("languages", ["ar"])[0],
                "restricted": False,
                "segments": [
                    {
                        "id": n,
                        "start": s[0],
                        "end": s[1],
                        "text": s[2],
                        "restricted": s[3:] == (True,),
                    }
                    for n, s in enumerate(segments)
                ],
            }
        ],
    } | fields


HAMDOUNA = {
    "role": "narrator",
    "name": "رأفت حمدونة",
    "label_en": "Raafat Hamdouna",
    "names": ["رأفت حمدونة", "Raafat Hamdouna", "Ra'fat Hamdona"],
}
ARCHIVE = [
    item(
        "T-1",
        [
            (0.0, 12.5, "وَقَالَ الأَسْرَى في سجنِ نفحــة: بدأنا الإضراب عن الطعام"),
            (12.5, 20.0, "كنا نتعلم في الزنزانة كل يوم <script>alert(1)</script>"),
            (20.0, 30.0, "في سنة ١٩٨٠ نقلونا إلى عسقلان"),
            (30.0, 40.0, "واسم المحقق كان زنبرك", True),
        ],
        title="شهادة رأفت حمدونة",
        people=[HAMDOUNA, {"role": "interviewer", "name": "سعاد", "label_en": "Suad"}],
        tags=[{"label": "التعليم", "label_en": "Education"}],
        collections=[{"title": "شهادات الأسرى", "title_en": "Prisoners' testimonies"}],
        places=[{"name": "نفحة", "label_en": "Nafha"}],
        date="1988-04",
    ),
    item(
        "P-1",
        [(None, None, "يا أسرى الحرية صبراً، يا أسرى")],
        type="poem",
        title="أسرى الحرية",
        tags=[{"label": "الشعر", "label_en": "Poetry"}],
        date="circa ١٩٧٥",
    ),
    item(
        "I-1",
        [(3.0, 9.0, "The hunger strike began in Nafha in 1992")],
        type="interview",
        title_en="An interview on the hunger strike",
        languages=["en"],
        date="1992",
    ),
    item("N-1", title="أوراق بلا تاريخ", type="poem", transcripts=[]),
    item(
        "E-2",
        [(0.0, 5.0, "رائحة البرتقال في الزيارة")],
        type="event",
        date="2001",
        embargo_until=datetime(2020, 1, 1),
    ),
    # What an anonymous visitor must never see, in any form.
    item(
        "S-1",
        [(0.0, 5.0, "وثيقة عن قرنفل في سجن نفحة")],
        type="lecture",
        access="staff",
        tags=[{"label": "سري", "label_en": "Secret"}],
        date="1960",
    ),
    item("D-1", [(0.0, 5.0, "مسودة عن بنفسج في نفحة")], type="song", status="draft"),
    item("W-1", [(0.0, 5.0, "سحبت عن ريحان في نفحة")], type="song", status="withdrawn"),
    item(
        "E-1",
        [(0.0, 5.0, "ياسمين في سجن نفحة")],
        type="event",
        date="1999",
        embargo_until=datetime(2030, 1, 1),
    ),
    item("R-1", [(0.0, 5.0, "زيتون في سجن نفحة")], type="lecture", access="researchers"),
]
HIDDEN = {"S-1", "D-1", "W-1", "E-1", "R-1"}


@pytest.fixture(scope="module", params=BACKENDS)
def index(request, tmp_path_factory, search_server):  # noqa: F811
    with new_index(request.param, tmp_path_factory.mktemp("search"), search_server) as index:
        index.update(ARCHIVE)
        yield index


def ids(result: SearchResult) -> list[str]:
    return [r["identifier"] for r in result.results]


def search(index, query, access=PUBLIC, **options) -> SearchResult:
    return index.search(query, access=access, **options)


# Arabic spellings and moments


@pytest.mark.parametrize(
    "query",
    ["اسرى نفحه", "الأسرى نفحة", "الاسري نفحه", "والأَسْرَى نَفْحَة", "الاســرى نفحـة", "أسري"],
)
def test_spelling_variants_find_the_vocalized_passage(index, query):
    result = search(index, query)
    (testimony,) = [r for r in result.results if r["identifier"] == "T-1"]
    first = testimony["hits"][0]
    assert (first["start"], first["end"]) == (0.0, 12.5)
    assert "<mark>الأَسْرَى</mark>" in first["text"]


def test_marks_cover_the_original_words_and_escape_the_rest(index):
    hit = search(index, "نفحة").results[0]["hits"][0]
    assert hit["text"] == ("وَقَالَ الأَسْرَى في سجنِ <mark>نفحــة</mark>: بدأنا الإضراب عن الطعام")
    hit = search(index, "الزنزانه").results[0]["hits"][0]
    assert hit["text"] == (
        "كنا نتعلم في <mark>الزنزانة</mark> كل يوم &lt;script&gt;alert(1)&lt;/script&gt;"
    )


def test_arabic_indic_digits_meet_ascii_ones(index):
    hit = search(index, "1980").results[0]["hits"][0]
    assert (hit["start"], hit["text"]) == (20.0, "في سنة <mark>١٩٨٠</mark> نقلونا إلى عسقلان")


def test_untimed_text_and_metadata_only_items(index):
    poem = search(index, "صبرا").results[0]
    assert poem["identifier"] == "P-1"
    assert poem["hits"][0]["start"] is None and poem["hits"][0]["end"] is None
    undated = search(index, "أوراق")
    assert [(r["identifier"], r["hits"]) for r in undated.results] == [("N-1", [])]


def test_hits_per_item_and_best_moment_first(index):
    result = search(index, "اسرى نفحه عسقلان", hits_per_item=2)
    hits = result.results[0]["hits"]
    assert [h["start"] for h in hits] == [0.0, 20.0]  # two clauses matched before one
    assert search(index, "اسرى", hits_per_item=0).results[0]["hits"] == []


def test_english_text_is_searched_too(index):
    result = search(index, "strikes")
    assert ids(result) == ["I-1"]
    assert result.results[0]["hits"][0]["text"].startswith("The hunger <mark>strike</mark>")


# Ranking


def test_items_with_all_the_words_rank_first(index):
    # P-1 says «أسرى» three times (title and twice in its text) but not «عسقلان».
    assert ids(search(index, "اسرى عسقلان")) == ["T-1", "P-1"]
    assert ids(search(index, "عسقلان اسرى")) == ["T-1", "P-1"]


def test_a_word_found_nowhere_does_not_empty_the_results(index):
    assert ids(search(index, "اسرى كلمةلاتوجد")) == ["P-1", "T-1"]


# The query language


def test_phrases(index):
    result = search(index, '"الإضراب عن الطعام"')
    assert ids(result) == ["T-1"]
    assert "<mark>الإضراب</mark> عن <mark>الطعام</mark>" in result.results[0]["hits"][0]["text"]
    assert ids(search(index, '"الطعام الإضراب"')) == []
    assert ids(search(index, '"hunger strike"')) == ["I-1"]


def test_or(index):
    assert sorted(ids(search(index, "عسقلان OR صبرا"))) == ["P-1", "T-1"]


def test_exclusion(index):
    assert ids(search(index, "اسرى -عسقلان")) == ["P-1"]
    assert ids(search(index, 'اسرى -"سجن نفحة"')) == ["P-1"]
    assert "T-1" not in ids(search(index, "-عسقلان"))


def test_prefix(index):
    result = search(index, "زنزا*")
    assert ids(result) == ["T-1"]
    assert "<mark>الزنزانة</mark>" in result.results[0]["hits"][0]["text"]
    assert ids(search(index, "الزنزا*")) == ["T-1"]  # the article is taken off the prefix
    assert ids(search(index, "Hamd*")) == ["T-1"]  # names too


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("narrator:حمدونه", ["T-1"]),
        ("narrator:Hamdona", ["T-1"]),
        ('narrator:"رأفت حمدونة"', ["T-1"]),
        ("narrator:سعاد", []),  # the interviewer is not a narrator
        ("type:poem", ["N-1", "P-1"]),
        ("type:POEM صبرا", ["P-1"]),  # scopes narrow
        ("type:poem OR type:interview", ["I-1", "N-1", "P-1"]),
        ("type:poem narrator:حمدونة", []),
        ("tag:تعليم", ["T-1"]),
        ("tag:education", ["T-1"]),
        ("collection:شهادات", ["T-1"]),
        ("language:en", ["I-1"]),
        ("decade:1970", ["P-1"]),
        ("decade:1988", ["T-1"]),
        ("place:نفحه", ["T-1"]),
        ("place:Nafha", ["T-1"]),
    ],
)
def test_field_scopes(index, query, expected):
    assert sorted(ids(search(index, query))) == expected


def test_names_are_found_by_plain_words_in_any_spelling(index):
    assert ids(search(index, "حمدونه")) == ["T-1"]
    assert ids(search(index, "Hamdouna")) == ["T-1"]


@pytest.mark.parametrize(
    "query",
    [
        '"unclosed',
        "type:",
        "((",
        "AND OR",
        "*",
        "OR",
        "-",
        '"',
        'narrator:"',
        ")(",
        "***",
        "a:b:c",
        '-"',
        "NOT",
        "decade:abc",
        "\x00",
        "ا*",
        "type:*",
        "-*",
        "OR OR اسرى",
        "x" * 2000,
    ],
)
def test_bad_syntax_never_raises(index, query):
    result = search(index, query)
    assert isinstance(result, SearchResult)
    assert not HIDDEN & set(ids(result))


def test_bad_syntax_falls_back_to_plain_words(index):
    assert ids(search(index, '"عسقلان')) == ["T-1"]
    assert ids(search(index, "عسقلان type:")) == ["T-1"]
    assert ids(search(index, "((عسقلان")) == ["T-1"]


# Facets, sorting, pages


def counts(result, facet):
    return {f["value"]: f["count"] for f in result.facets[facet]}


def test_facets_count_visible_items(index):
    result = search(index, "")
    assert result.total == 5
    assert counts(result, "type") == {"testimony": 1, "poem": 2, "interview": 1, "event": 1}
    assert counts(result, "decade") == {"1970": 1, "1980": 1, "1990": 1, "2000": 1}
    assert counts(result, "language") == {"ar": 4, "en": 1}
    assert result.facets["narrator"] == [
        {"value": "رأفت حمدونة", "label": "رأفت حمدونة", "label_en": "Raafat Hamdouna", "count": 1}
    ]
    assert counts(result, "tag") == {"التعليم": 1, "الشعر": 1}
    assert counts(result, "place") == {"نفحة": 1}
    assert counts(result, "collection") == {"شهادات الأسرى": 1}
    assert [f["value"] for f in result.facets["type"]] == [
        "poem",
        "event",
        "interview",
        "testimony",
    ]


def test_filters_combine(index):
    result = search(index, "", filters={"type": ["poem", "testimony"]})
    assert sorted(ids(result)) == ["N-1", "P-1", "T-1"]
    # A facet is counted with the other facets' filters, not its own: values stay choosable.
    assert counts(result, "type") == {"testimony": 1, "poem": 2, "interview": 1, "event": 1}
    both = search(index, "", filters={"type": ["poem", "testimony"], "decade": ["1980"]})
    assert ids(both) == ["T-1"]
    assert counts(both, "decade") == {"1970": 1, "1980": 1}
    assert counts(both, "type") == {"testimony": 1}
    assert ids(search(index, "اسرى", filters={"tag": ["الشعر"]})) == ["P-1"]
    assert ids(search(index, "", filters={"narrator": ["رأفت حمدونة"], "place": ["نفحة"]})) == [
        "T-1"
    ]
    assert search(index, "", filters={"type": ["lecture"]}).total == 0  # hidden items only


def test_sort_by_date(index):
    assert ids(search(index, "", sort="date")) == ["P-1", "T-1", "I-1", "E-2", "N-1"]
    assert ids(search(index, "", sort="-date")) == ["E-2", "I-1", "T-1", "P-1", "N-1"]
    by_date = search(index, "اسرى", sort="date")
    assert ids(by_date) == ["P-1", "T-1"] and by_date.results[0]["score"] > 0


def test_pagination(index):
    everything = ids(search(index, "", sort="date"))
    pages = [search(index, "", sort="date", page=p, per_page=2) for p in (1, 2, 3)]
    assert [ids(p) for p in pages] == [everything[:2], everything[2:4], everything[4:]]
    beyond = search(index, "", page=9, per_page=2)
    assert (beyond.results, beyond.total, beyond.page) == ([], 5, 9)
    ranked = [ids(search(index, "اسرى عسقلان", page=p, per_page=1)) for p in (1, 2, 3)]
    assert ranked == [["T-1"], ["P-1"], []]


def test_result_shape(index):
    data = search(index, "hunger").to_dict()
    assert set(data) == {
        *("query", "total", "page", "per_page", "suggestion", "results", "facets", "partial"),
        "also_searched",
    }
    (result,) = data["results"]
    assert set(result) == {"identifier", "title", "type", "score", "url", "hits"}
    assert result["url"] == "/items/I-1"
    assert result["title"] == "An interview on the hunger strike"  # no Arabic title
    assert set(result["hits"][0]) == {"start", "end", "text"}
    assert set(data["facets"]) == {
        "type",
        "narrator",
        "tag",
        "collection",
        "language",
        "decade",
        "place",
    }


# Did you mean


def test_did_you_mean_from_the_vocabulary(index):
    result = search(index, "سجن نفخة")
    assert result.suggestion == "سجن نفحه"
    assert ids(search(index, result.suggestion)) == ["T-1"]
    assert search(index, "Hamdoune").suggestion == "hamdouna"
    assert search(index, "نفحة").suggestion is None


# Access


@pytest.mark.parametrize("word", ["قرنفل", "بنفسج", "ريحان", "ياسمين", "زيتون", "زنبرك", "المحقق"])
def test_hidden_items_and_restricted_passages_never_match(index, word):
    result = search(index, word)
    assert (result.total, result.results, result.suggestion) == (0, [], None)
    assert all(values == [] for values in result.facets.values())


def test_totals_and_facets_leave_hidden_items_out(index):
    result = search(index, "نفحة")  # every hidden item says it
    assert ids(result) == ["T-1"] and result.total == 1
    assert counts(result, "type") == {"testimony": 1}
    assert "سري" not in counts(search(index, ""), "tag")
    staff = search(index, "نفحة", STAFF)
    assert sorted(ids(staff)) == ["D-1", "E-1", "R-1", "S-1", "T-1", "W-1"]
    assert counts(staff, "type")["lecture"] == 2


def test_a_restricted_segment_never_shows(index):
    result = search(index, "نفحة زنبرك المحقق")
    assert ids(result) == ["T-1"]
    assert all("زنبرك" not in h["text"] for h in result.results[0]["hits"])
    staff = search(index, "زنبرك", STAFF)
    assert staff.results[0]["hits"] == [
        {"start": 30.0, "end": 40.0, "text": "واسم المحقق كان <mark>زنبرك</mark>"}
    ]


def test_researchers_see_their_level(index):
    assert ids(search(index, "زيتون", RESEARCHER)) == ["R-1"]
    assert ids(search(index, "قرنفل", RESEARCHER)) == []


def test_words_of_hidden_text_are_never_suggested(index):
    for typo, word in [("قرنفك", "قرنفل"), ("زنبرق", "زنبرك"), ("ياسمبن", "ياسمين")]:
        assert search(index, typo).suggestion is None
        assert search(index, typo, STAFF).suggestion == word


def test_an_embargo_that_ends_needs_no_reindex(index):
    assert search(index, "ياسمين").total == 0
    later = Access.public(datetime(2030, 1, 1, 0, 0, 1))
    assert ids(search(index, "ياسمين", later)) == ["E-1"]
    assert counts(search(index, "", later), "type")["event"] == 2
    assert search(index, "ياسمين").total == 0  # and back: the visible set follows the clock
    assert ids(search(index, "البرتقال")) == ["E-2"]  # an embargo already over
