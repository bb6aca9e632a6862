"""Browsing, the collection in figures and the home page: every count is what the visitor may see."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from archive.catalogue import authority, items
from archive.db import db
from archive.discovery import browse
from archive.models import ITEM_TYPES, Collection, Person, Tag, User
from tests.test_upload import make_tone

# identifier: (type, access, published, description)
CATALOGUE = {
    "PMA-1": ("testimony", "public", True, {
        "narrators": "رأفت حمدونة", "tags": "الإضراب عن الطعام", "collections": "شهادات نفحة",
        "prisons": "سجن نفحة", "date": "1988-04"}),
    "PMA-2": ("poem", "public", True, {
        "narrators": "أبو علي", "poets": "رأفت حمدونة", "tags": "الإضراب عن الطعام | الشعر",
        "collections": "شهادات نفحة", "prisons": "سجن عسقلان", "date": "circa 1990"}),
    "PMA-3": ("song", "researchers", True, {
        "narrators": "سامر العيساوي", "tags": "الشعر", "prisons": "سجن نفحة", "date": "1975"}),
    "PMA-4": ("lecture", "staff", True, {
        "narrators": "شخص داخلي", "tags": "موضوع داخلي", "collections": "مجموعة داخلية",
        "prisons": "سجن داخلي", "date": "1968"}),
    "PMA-5": ("event", "public", False, {
        "narrators": "راوي المسودة", "tags": "الشعر", "date": "1988"}),
}  # fmt: skip


def add_item(identifier, type, access, published, fields, title=None):
    """An item made, described and (maybe) published through the real operations."""
    item = items.create(
        identifier=identifier,
        title=title or f"عنوان {identifier}",
        title_en=f"Title {identifier}",
        type=type,
        user=None,
    )
    items.describe(item, {"access": access, **fields}, user=None)
    if published:
        items.publish(item, user=None)
    return item


@pytest.fixture
def catalogue(app):
    with app.app_context():
        for identifier, (type, access, published, fields) in CATALOGUE.items():
            add_item(identifier, type, access, published, fields)
        collection = db.session.scalar(select(Collection).where(Collection.title == "شهادات نفحة"))
        authority.update_collection(
            collection,
            {
                "title_en": "Nafha testimonies",
                "description": "شهادات أسرى سجن نفحة عن إضراب 1980.",
                "description_en": "Testimonies of Nafha prisoners on the 1980 strike.",
            },
            user=None,
        )
        db.session.remove()


def record_id(model, **where):
    column, value = next(iter(where.items()))
    return db.session.scalar(select(model.id).where(getattr(model, column) == value))


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def listed(page: str) -> dict[str, int]:
    """{label: count} of the values a browsing page lists with their counts."""
    pairs = re.findall(r'>([^<>]+)</a>\s*<bdi class="count">(\d+)</bdi>', page)
    pairs += re.findall(
        r'<th scope="row"><a [^>]*>([^<>]+)</a></th>.*?<td class="count"><bdi>(\d+)</bdi>',
        page,
        flags=re.S,
    )
    return {label.strip(): int(count) for label, count in pairs}


def figure(page: str, name: str) -> str:
    return re.search(rf'id="figure-{name}"><(?:bdi|a [^>]*><bdi)>([^<]+)</bdi>', page).group(1)


def test_facet_counts_count_only_what_the_visitor_may_see(app, client, auth, catalogue):
    types = listed(page_of(client, "/browse/types?lang=en"))
    assert types == {"Testimony": 1, "Poem": 1}
    assert listed(page_of(client, "/browse/decades?lang=en")) == {"1980s": 1, "1990s": 1}
    assert listed(page_of(client, "/browse/tags?lang=ar")) == {"الإضراب عن الطعام": 2, "الشعر": 1}
    assert listed(page_of(client, "/browse/places?lang=ar")) == {"سجن نفحة": 1, "سجن عسقلان": 1}
    assert listed(page_of(client, "/collections?lang=ar")) == {"شهادات نفحة": 2}
    people = listed(page_of(client, "/browse/people?lang=ar"))
    assert people == {"رأفت حمدونة": 2, "أبو علي": 1}  # narrator and poet of PMA-2: one item
    index = page_of(client, "/browse?lang=ar")
    for hidden in ("موضوع داخلي", "مجموعة داخلية", "سجن داخلي", "شخص داخلي", "راوي المسودة"):
        assert hidden not in index

    auth.login("researcher@example.org")
    assert listed(page_of(client, "/browse/types?lang=en")) == {
        "Testimony": 1,
        "Poem": 1,
        "Song": 1,
    }
    assert listed(page_of(client, "/browse/tags?lang=ar"))["الشعر"] == 2
    assert listed(page_of(client, "/browse/decades?lang=en")) == {
        "1970s": 1,
        "1980s": 1,
        "1990s": 1,
    }
    assert "شخص داخلي" not in page_of(client, "/browse/people?lang=ar")

    auth.logout()
    auth.login("archivist@example.org")
    tags = listed(page_of(client, "/browse/tags?lang=ar"))
    assert tags == {"الإضراب عن الطعام": 2, "الشعر": 3, "موضوع داخلي": 1}


def test_browse_counts_agree_with_the_search_facets(app, client, auth, catalogue):
    for login in (None, "researcher@example.org"):
        if login:
            auth.login(login)
        facets = client.get("/api/search?q=").get_json()["facets"]
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == login)) if login else None
            assert browse.type_counts(user) == [
                (e["value"], e["count"])
                for e in sorted(facets["type"], key=lambda e: ITEM_TYPES.index(e["value"]))
            ]
            assert browse.decade_counts(user) == sorted(
                (int(e["value"]), e["count"]) for e in facets["decade"]
            )
            tags = {t.id: t.label for t in db.session.scalars(select(Tag))}
            assert {tags[k]: n for k, n in browse.subject_counts("tags", user).items()} == {
                e["value"]: e["count"] for e in facets["tag"]
            }


def test_subject_pages_list_their_items_and_hide_restricted_subjects(app, client, auth, catalogue):
    with app.app_context():
        hunger = record_id(Tag, label="الإضراب عن الطعام")
        inner = record_id(Tag, label="موضوع داخلي")
        inner_person = record_id(Person, name="شخص داخلي")
    page = page_of(client, f"/tags/{hunger}")
    assert "PMA-1" in page and "PMA-2" in page and "PMA-5" not in page
    link = re.search(r'href="(/search\?tag=[^"]+)"', page).group(1)  # search within them
    assert client.get(link.replace("/search", "/api/search")).get_json()["total"] == 2
    assert "موضوع داخلي" not in page_of(client, "/browse/tags?lang=ar")
    assert client.get(f"/tags/{inner}").status_code == 404
    assert client.get(f"/people/{inner_person}").status_code == 404
    assert client.get("/tags/9999").status_code == 404
    assert client.get("/types/nonsense").status_code == 404
    assert client.get("/decades/1985").status_code == 404
    type_page = page_of(client, "/types/poem")
    assert "PMA-2" in type_page and "PMA-5" not in type_page
    decade = page_of(client, "/decades/1980")
    assert "PMA-1" in decade and "PMA-5" not in decade  # the draft of 1988 stays hidden
    assert "PMA-2" in page_of(client, "/decades/1990")  # "circa 1990"
    auth.login("archivist@example.org")
    assert "PMA-4" in page_of(client, f"/tags/{inner}")
    assert "PMA-4" in page_of(client, "/decades/1960")


def test_person_page_by_role(app, client, catalogue):
    with app.app_context():
        person = record_id(Person, name="رأفت حمدونة")
    page = page_of(client, f"/people/{person}?lang=en")
    narrator, poet = page.index("<h2>Narrator</h2>"), page.index("<h2>Poet</h2>")
    assert narrator < page.index("PMA-1") < poet < page.index("PMA-2")


def test_figures_for_anonymous_and_staff(app, client, auth, catalogue, tmp_path):
    auth.login("archivist@example.org")
    csrf = auth.csrf("/manage/upload")

    def post(path, query):
        response = client.post(
            f"/manage/upload?{query}",
            data=path.read_bytes(),
            headers={
                "X-CSRFToken": csrf,
                "X-Filename": path.name,
                "Content-Type": "application/octet-stream",
                "Accept": "application/json",
            },
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["results"][0]

    post(make_tone(tmp_path / "a.wav", seconds=3, freq=440), "item=PMA-1")  # public
    post(make_tone(tmp_path / "b.wav", seconds=2, freq=550), "item=PMA-4")  # staff only
    with app.app_context():
        first = items.find_item("PMA-1").recordings[0].id
    post(make_tone(tmp_path / "c.wav", seconds=5, freq=660), f"replace={first}")  # 3 s → 5 s

    with app.app_context():
        archivist = db.session.scalar(select(User).where(User.email == "archivist@example.org"))
        public, everything = browse.totals(None), browse.totals(archivist)
    assert public["seconds"] == pytest.approx(5, abs=0.1)  # the superseded 3 s not counted
    assert everything["seconds"] == pytest.approx(7, abs=0.1)

    staff_page = page_of(client, "/figures?lang=en")
    assert figure(staff_page, "items") == "5" and figure(staff_page, "narrators") == "5"
    auth.logout()
    page = page_of(client, "/figures?lang=en")
    assert figure(page, "items") == "2"
    assert figure(page, "narrators") == "2"  # رأفت حمدونة and أبو علي
    assert figure(page, "hours") == "0.0"
    assert re.search(r'id="figure-hours">.*?0:00:0[45]', page, flags=re.S)
    assert figure(page, "collections") == "1"
    assert page.count("<svg") >= 3  # bars for types and places, columns for decades
    assert "/decades/1980" in page and "/decades/1960" not in page
    assert "سجن نفحة" in page and "سجن داخلي" not in page
    assert "Lecture" not in page and "Song" not in page
    # CSP: default-src 'self' (scripts only from files)
    assert 'style="' not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)

    auth.login("researcher@example.org")
    page = page_of(client, "/figures?lang=en")
    assert figure(page, "items") == "3" and "/decades/1970" in page


def test_listings_are_paginated(app, client, catalogue):
    app.config["ITEMS_PER_PAGE"] = 2
    with app.app_context():
        add_item("PMA-6", "testimony", "public", True, {"tags": "الإضراب عن الطعام",
                 "narrators": "رأفت حمدونة", "date": "1989"})  # fmt: skip
        hunger = record_id(Tag, label="الإضراب عن الطعام")
        person = record_id(Person, name="رأفت حمدونة")
    first = page_of(client, f"/tags/{hunger}?lang=en")
    assert "3 items" in first and "Page 1 of 2" in first
    assert f'href="/tags/{hunger}?page=2"' in first
    second = page_of(client, f"/tags/{hunger}?page=2")
    shown = [i for i in ("PMA-1", "PMA-2", "PMA-6") if i in first]
    assert len(shown) == 2 and sum(i in second for i in ("PMA-1", "PMA-2", "PMA-6")) == 1
    people = page_of(client, "/browse/people?lang=ar")
    assert "/browse/people?page=2" not in people  # two people fit on one page
    assert "/browse/tags?page=2" not in page_of(client, "/browse/tags?lang=ar")
    person_page = page_of(client, f"/people/{person}")
    assert f'href="/people/{person}?page=2"' in person_page
    assert "PMA-2" in page_of(client, f"/people/{person}?page=2")  # as poet, after narrators
    assert page_of(client, "/?lang=en").count('class="pager"') == 1


def test_collection_page_in_each_language(app, client, catalogue):
    with app.app_context():
        collection = record_id(Collection, title="شهادات نفحة")
    arabic = page_of(client, f"/collections/{collection}?lang=ar")
    assert '<html lang="ar" dir="rtl">' in arabic
    assert "شهادات أسرى سجن نفحة عن إضراب 1980." in arabic
    assert "Testimonies of Nafha prisoners" not in arabic
    for lang in ("en", "fr"):
        page = page_of(client, f"/collections/{collection}?lang={lang}")
        assert f'<html lang="{lang}" dir="ltr">' in page
        assert '<h1 dir="auto">Nafha testimonies</h1>' in page
        assert "Testimonies of Nafha prisoners on the 1980 strike." in page
        assert "شهادات أسرى سجن نفحة" not in page
    with app.app_context():
        record = db.session.get(Collection, collection)
        authority.update_collection(record, {"description_en": ""}, user=None)
    assert "شهادات أسرى سجن نفحة" in page_of(client, f"/collections/{collection}?lang=en")


def test_home_shows_collections_and_figures(app, client, catalogue):
    page = page_of(client, "/?lang=en")
    assert 'name="q"' in page and 'action="/search"' in page
    assert "Nafha testimonies" in page and "مجموعة داخلية" not in page
    assert "2 items" in page and 'href="/figures"' in page and 'href="/browse"' in page


@pytest.mark.parametrize(("lang", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_pages_render_in_each_language(app, client, catalogue, lang, direction):
    with app.app_context():
        ids = {
            "tags": record_id(Tag, label="الشعر"),
            "collections": record_id(Collection, title="شهادات نفحة"),
            "people": record_id(Person, name="أبو علي"),
        }
    urls = [
        "/", "/browse", "/browse/types", "/browse/decades", "/browse/people", "/browse/tags",
        "/browse/places", "/collections", "/figures", "/types/testimony", "/decades/1990",
        f"/tags/{ids['tags']}", f"/collections/{ids['collections']}", f"/people/{ids['people']}",
    ]  # fmt: skip
    for url in urls:
        page = page_of(client, f"{url}{'&' if '?' in url else '?'}lang={lang}")
        assert f'<html lang="{lang}" dir="{direction}">' in page, url
        assert 'href="/browse"' in page and 'href="/figures"' in page, url  # the main nav
        assert 'style="' not in page, url


def test_empty_archive(client):
    for url in ("/", "/browse", "/browse/types", "/browse/people", "/figures", "/collections"):
        page = page_of(client, url)
        assert "<html" in page
    assert client.get("/tags/1").status_code == 404
