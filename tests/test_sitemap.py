"""/sitemap.xml and /robots.txt: every public page once, nothing a visitor may not see."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import insert, select

from archive.catalogue import authority, items
from archive.db import db
from archive.exchange import sitemap
from archive.models import Collection, Item, Person, Place, Tag, utcnow
from tests.test_browse import CATALOGUE, add_item

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture
def catalogue(app):
    with app.app_context():
        for identifier, (type, access, published, fields) in CATALOGUE.items():
            add_item(identifier, type, access, published, fields)
        embargoed = add_item(
            "PMA-6", "testimony", "public", True, {"narrators": "راوي الحظر", "tags": "وسم الحظر"}
        )
        items.describe(
            embargoed,
            {"embargo_until": (utcnow() + timedelta(days=30)).date().isoformat()},
            user=None,
        )
        db.session.remove()


def locs(response) -> list[str]:
    root = ET.fromstring(response.data)
    return [loc.text for loc in root.iterfind(".//s:loc", NS)]


def paths(response) -> list[str]:
    return [urlsplit(url).path for url in locs(response)]


def ids(model, column, values) -> set[int]:
    return set(db.session.scalars(select(model.id).where(column.in_(values))))


def test_the_sitemap_lists_every_public_page_once_and_nothing_hidden(app, client, catalogue):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    found = paths(response)
    assert len(found) == len(set(found))
    assert {"/items/PMA-1", "/items/PMA-2"} <= set(found)
    for hidden in ("PMA-3", "PMA-4", "PMA-5", "PMA-6"):  # researchers, staff, draft, embargoed
        assert f"/items/{hidden}" not in found
    assert {"/", "/browse", "/collections", "/browse/people", "/figures"} <= set(found)
    assert "/types/testimony" in found and "/types/poem" in found
    assert "/types/song" not in found and "/types/lecture" not in found  # only hidden items
    assert (
        "/decades/1980" in found and "/decades/1970" not in found and "/decades/1960" not in found
    )
    with app.app_context():
        seen_people = ids(Person, Person.name, ["رأفت حمدونة", "أبو علي"])
        hidden_people = ids(
            Person, Person.name, ["سامر العيساوي", "شخص داخلي", "راوي المسودة", "راوي الحظر"]
        )
        seen_tags = ids(Tag, Tag.label, ["الإضراب عن الطعام", "الشعر"])
        hidden_tags = ids(Tag, Tag.label, ["موضوع داخلي", "وسم الحظر"])
        seen_places = ids(Place, Place.name, ["سجن نفحة", "سجن عسقلان"])
        hidden_places = ids(Place, Place.name, ["سجن داخلي"])
        collections = ids(Collection, Collection.title, ["شهادات نفحة"])
        hidden_collections = ids(Collection, Collection.title, ["مجموعة داخلية"])
    assert {f"/people/{n}" for n in seen_people} <= set(found)
    assert not {f"/people/{n}" for n in hidden_people} & set(found)
    assert {f"/tags/{n}" for n in seen_tags} <= set(found)
    assert not {f"/tags/{n}" for n in hidden_tags} & set(found)
    assert {f"/places/{n}" for n in seen_places} <= set(found)
    assert not {f"/places/{n}" for n in hidden_places} & set(found)
    assert {f"/collections/{n}" for n in collections} <= set(found)
    assert not {f"/collections/{n}" for n in hidden_collections} & set(found)


def test_every_listed_page_opens_for_an_anonymous_visitor(client, catalogue):
    for url in locs(client.get("/sitemap.xml")):
        assert client.get(urlsplit(url).path).status_code == 200, url


def test_urls_are_absolute_at_the_site_address_with_language_versions(app, client, catalogue):
    app.config["SERVER"]["BASE_URL"] = "https://archive.example.org/oral"
    root = ET.fromstring(client.get("/sitemap.xml").data)
    entry = next(
        url for url in root.iterfind("s:url", NS) if url.findtext("s:loc", "", NS).endswith("PMA-1")
    )
    assert entry.findtext("s:loc", "", NS) == "https://archive.example.org/oral/items/PMA-1"
    alternates = {link.get("hreflang"): link.get("href") for link in entry.iterfind("x:link", NS)}
    assert alternates == {
        "ar": "https://archive.example.org/oral/items/PMA-1",
        "en": "https://archive.example.org/oral/items/PMA-1?lang=en",
        "fr": "https://archive.example.org/oral/items/PMA-1?lang=fr",
    }
    assert entry.findtext("s:lastmod", "", NS).endswith("+00:00")


def test_lastmod_follows_a_change_and_an_ending_embargo(app, client, catalogue):
    """lastmod is the item's OAI-PMH datestamp: whole seconds, moved by any change to what the
    public sees of it, including a change to a tag it carries and an embargo that ends."""

    def lastmod(identifier):
        root = ET.fromstring(client.get("/sitemap.xml").data)
        for url in root.iterfind("s:url", NS):
            if url.findtext("s:loc", "", NS).endswith(f"/items/{identifier}"):
                return url.findtext("s:lastmod", None, NS)
        return None

    before = lastmod("PMA-1")
    assert before is not None and before.endswith("+00:00")
    assert lastmod("PMA-1") == before  # asked again, nothing changed
    time.sleep(1.1)  # datestamps are in whole seconds
    with app.app_context():
        items.describe(
            db.session.scalar(select(Item).where(Item.identifier == "PMA-1")),
            {"description": "وصف جديد"},
            user=None,
        )
    changed = lastmod("PMA-1")
    assert changed > before
    time.sleep(1.1)
    with app.app_context():
        tag = db.session.scalar(select(Tag).where(Tag.label == "الإضراب عن الطعام"))
        authority.update_tag(tag, tag.label, "Hunger strike", user=None)
    assert lastmod("PMA-1") > changed
    assert lastmod("PMA-6") is None
    with app.app_context():
        db.session.execute(
            Item.__table__.update()
            .where(Item.identifier == "PMA-6")
            .values(embargo_until=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    assert lastmod("PMA-6") >= changed


@pytest.mark.slow
def test_past_fifty_thousand_urls_the_sitemap_becomes_an_index(app, client):
    with app.app_context():
        now = utcnow()
        db.session.execute(
            insert(Item),
            [
                {
                    "identifier": f"BULK-{n:05d}",
                    "title": f"تسجيل {n}",
                    "access": "public",
                    "status": "published",
                    "created_at": now,
                    "updated_at": now,
                    "published_at": now,
                }
                for n in range(sitemap.URLS_PER_FILE + 10)
            ],
        )
        db.session.commit()
    index = client.get("/sitemap.xml")
    root = ET.fromstring(index.data)
    assert root.tag == f"{{{NS['s']}}}sitemapindex"
    files = [urlsplit(url).path for url in locs(index)]
    assert files == ["/sitemap-1.xml", "/sitemap-2.xml"]
    first, second = (paths(client.get(path)) for path in files)
    assert len(first) == sitemap.URLS_PER_FILE
    listed = first + second
    assert len(listed) == len(set(listed))
    assert sum(path.startswith("/items/BULK-") for path in listed) == sitemap.URLS_PER_FILE + 10
    assert client.get("/sitemap-3.xml").status_code == 404


def test_one_file_needs_no_numbered_pages(client, catalogue):
    assert client.get("/sitemap-1.xml").status_code == 404


def test_robots_points_to_the_sitemap_and_keeps_crawlers_out(app, client):
    app.config["SERVER"]["BASE_URL"] = "https://archive.example.org"
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "Sitemap: https://archive.example.org/sitemap.xml" in lines
    assert lines[0] == "User-agent: *"
    for path in ("/manage", "/search", "/media/"):
        assert f"Disallow: {path}" in lines
    assert not any(line in ("Disallow: /", "Disallow: /items/") for line in lines)
