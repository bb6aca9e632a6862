"""The audio library's queue (JSON and page): order, roles, and nothing a visitor may not see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from archive.catalogue import items
from archive.db import db
from archive.models import Collection, Person, Tag
from tests.test_upload import make_tone, upload

# identifier: (title, access, published, embargo) — uploaded in this order, all in one collection
SONGS = {
    "SONG-1": ("يا ظلام السجن خيّم", "public", True, ""),
    "SONG-2": ("سجل أنا عربي", "public", True, ""),
    "SONG-3": ("أغنية سرية للباحثين", "researchers", True, ""),
    "SONG-4": ("مسودة لم تنشر", "public", False, ""),
    "SONG-5": ("أغنية تحت الحظر", "public", True, "2999-01-01"),
}
SECRETS = ("أغنية سرية للباحثين", "مسودة لم تنشر", "أغنية تحت الحظر", "SONG-3", "SONG-4", "SONG-5")


def make_songs(app, client, auth, tmp_path) -> dict:
    auth.login("archivist@example.org")
    for number, (identifier, (title, access, published, embargo)) in enumerate(SONGS.items()):
        tone = make_tone(tmp_path / f"{identifier}.wav", seconds=1, freq=300 + 100 * number)
        result = upload(client, auth.csrf("/manage/upload"), tone, type="song").get_json()
        made = result["results"][0]["item"]
        with app.app_context():
            item = items.find_item(made)
            fields = {
                "title": title,
                "title_en": f"English {identifier}",
                "access": access,
                "embargo_until": embargo,
                "date": f"198{number}",
                "poets": "توفيق زياد",
                "performers": "مارسيل خليفة" if number % 2 == 0 else "",
                "composers": "أحمد قعبور",
                "narrators": "",
                "collections": "مكتبة الأغاني",
                "tags": "أغاني السجن",
            }
            items.describe(item, fields, user=None)
            item.identifier = identifier
            db.session.commit()
            if published:
                items.publish(items.find_item(identifier), user=None)
    # An item with no recording at all: in the collection, never in a queue.
    with app.app_context():
        written = items.create(identifier="TEXT-1", title="قصيدة مكتوبة", type="poem", user=None)
        items.describe(
            written,
            {"access": "public", "collections": "مكتبة الأغاني", "poets": "توفيق زياد"},
            user=None,
        )
        items.publish(written, user=None)
        ids = {
            "collection": db.session.scalar(select(Collection.id)),
            "tag": db.session.scalar(select(Tag.id)),
            "poet": db.session.scalar(select(Person.id).where(Person.name == "توفيق زياد")),
            "performer": db.session.scalar(select(Person.id).where(Person.name == "مارسيل خليفة")),
        }
    auth.logout()
    return ids


@pytest.fixture
def songs(app, client, auth, tmp_path, catalogues):
    return catalogues.get("queue-songs", app, lambda: make_songs(app, client, auth, tmp_path))


def entries(client, query: str, status: int = 200) -> dict:
    response = client.get(f"/queue.json?{query}")
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_shared_list_keeps_its_order_and_gives_people_by_role(client, songs):
    data = entries(client, "items=SONG-2,SONG-1&i=1&lang=ar")
    assert [e["identifier"] for e in data["entries"]] == ["SONG-2", "SONG-1"]
    assert data["position"] == 1
    second, first = data["entries"]
    assert first["title"] == "يا ظلام السجن خيّم" and first["title_lang"] == "ar"
    assert first["people"] == {
        "poet": ["توفيق زياد"],
        "performer": ["مارسيل خليفة"],
        "composer": ["أحمد قعبور"],
    }
    assert "performer" not in second["people"]
    assert first["url"] == "/items/SONG-1"
    assert first["kind"] == "audio" and first["duration"] == pytest.approx(1, abs=0.2)
    media = client.get(first["media"])
    assert media.status_code == 200 and media.mimetype.startswith("audio/")
    media.close()
    assert data["share"] == "/queue?items=SONG-2,SONG-1"


def test_english_titles_in_english(client, songs):
    data = entries(client, "items=SONG-1&lang=en")
    assert data["entries"][0]["title"] == "English SONG-1"
    assert data["labels"]["poet"] == "Lyrics"


@pytest.mark.parametrize("source", ["collection", "tag"])
def test_a_collection_or_tag_plays_its_visible_recordings_in_page_order(client, songs, source):
    data = entries(client, f"{source}={songs[source]}")
    assert [e["identifier"] for e in data["entries"]] == ["SONG-1", "SONG-2"]
    body = client.get(f"/queue.json?{source}={songs[source]}").get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in body


def test_a_person_by_role(client, songs):
    assert [e["identifier"] for e in entries(client, f"person={songs['poet']}")["entries"]] == [
        "SONG-1",
        "SONG-2",
    ]
    performed = entries(client, f"person={songs['performer']}&role=performer")["entries"]
    assert [e["identifier"] for e in performed] == ["SONG-1"]
    assert entries(client, f"person={songs['poet']}&role=performer")["entries"] == []


def test_restricted_draft_and_embargoed_items_are_never_included_or_revealed(client, songs):
    response = client.get("/queue.json?items=SONG-3,SONG-1,SONG-4,SONG-5,NOPE-9")
    assert [e["identifier"] for e in response.get_json()["entries"]] == ["SONG-1"]
    page = client.get("/queue?items=SONG-3,SONG-1,SONG-4,SONG-5&i=0")
    assert page.status_code == 200
    for body in (response.get_data(as_text=True), page.get_data(as_text=True)):
        for secret in SECRETS:
            assert secret not in body
    assert "يا ظلام السجن خيّم" in page.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_researchers_hear_their_items_staff_hear_all_and_nothing_is_cached(client, auth, songs):
    auth.login("researcher@example.org")
    response = client.get("/queue.json?items=SONG-3,SONG-4,SONG-5,SONG-1")
    assert [e["identifier"] for e in response.get_json()["entries"]] == ["SONG-3", "SONG-1"]
    assert response.headers["Cache-Control"] == "private, no-store"
    auth.logout()
    auth.login("archivist@example.org")
    staff = entries(client, "items=SONG-3,SONG-4,SONG-5,SONG-1")["entries"]
    assert [e["identifier"] for e in staff] == ["SONG-3", "SONG-4", "SONG-5", "SONG-1"]


def test_an_item_without_a_recording_is_left_out(client, songs):
    assert entries(client, "items=TEXT-1,SONG-2")["entries"][0]["identifier"] == "SONG-2"
    assert len(entries(client, "items=TEXT-1,SONG-2")["entries"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "items=",
        "items=SONG-1&collection=1",
        "items=../etc/passwd",
        "items=" + ",".join(f"A{n}" for n in range(201)),
        "collection=abc",
        "person=1&role=king",
    ],
)
def test_bad_input_gets_a_clear_message(client, songs, query):
    if query == "person=1&role=king":
        query = f"person={songs['poet']}&role=king"
    data = entries(client, query, status=400)
    assert data["error"]
    page = client.get(f"/queue?{query}")
    assert page.status_code == 400
    assert data["error"] in page.get_data(as_text=True)


def test_a_subject_nobody_may_see_is_not_found(app, client, songs):
    with app.app_context():
        secret = items.create(identifier="HID-1", title="خفي", type="song", user=None)
        items.describe(secret, {"access": "staff", "collections": "مجموعة خفية"}, user=None)
        hidden = db.session.scalar(select(Collection.id).where(Collection.title == "مجموعة خفية"))
    assert client.get(f"/queue.json?collection={hidden}").status_code == 404
    assert client.get("/queue.json?collection=999999").status_code == 404


def test_play_all_links_on_the_pages(client, songs):
    for path, source in [
        (f"/collections/{songs['collection']}", f"collection={songs['collection']}"),
        (f"/tags/{songs['tag']}", f"tag={songs['tag']}"),
        (f"/people/{songs['performer']}", f"person={songs['performer']}&amp;role=performer"),
        ("/search?q=%D8%B3%D8%AC%D9%84", "items=SONG-2"),
    ]:
        page = client.get(path).get_data(as_text=True)
        assert f'href="/queue?{source}"' in page, path
        assert f'data-queue-src="/queue.json?{source}"' in page, path


def test_each_entry_names_its_small_rendition_and_the_server_reads_save_data(client, songs):
    """The queue plays the small rendition when data is saved, as the listening page does:
    each entry names it (and its type, for canPlayType), and the answer says whether the
    Save-Data header or the switch's cookie asks for it."""
    data = entries(client, "items=SONG-1,SONG-2")
    assert data["save_data"] is False
    for entry in data["entries"]:
        assert entry["small"] == entry["media"].rsplit("/", 1)[0] + "/small"
        assert entry["small_type"] == 'audio/webm; codecs="opus"'
        small = client.get(entry["small"])
        assert small.status_code == 200 and small.mimetype == "audio/webm"
        normal = client.get(entry["media"])
        assert len(small.get_data()) < len(normal.get_data())
        small.close()
        normal.close()
    response = client.get("/queue.json?items=SONG-1", headers={"Save-Data": "on"})
    assert response.get_json()["save_data"] is True
    assert "Save-Data" in response.headers["Vary"]  # a shared cache keeps the two apart
    client.set_cookie("save-data", "off")  # the visitor's own choice outweighs the header
    response = client.get("/queue.json?items=SONG-1", headers={"Save-Data": "on"})
    assert response.get_json()["save_data"] is False
    client.set_cookie("save-data", "on")
    assert entries(client, "items=SONG-1")["save_data"] is True


@pytest.mark.parametrize(
    "lang,shown,hidden,title_lang",
    [
        ("ar", "يا ظلام السجن خيّم", "English SONG-1", "ar"),
        ("en", "English SONG-1", "يا ظلام السجن خيّم", "en"),
        ("fr", "English SONG-1", "يا ظلام السجن خيّم", "en"),
    ],
)
def test_item_titles_follow_the_page_language(client, songs, lang, shown, hidden, title_lang):
    """The lists of items (a collection, a tag, a person, the home page) show the title in the
    page's language, marked with its own language, and the other one when there is no such
    title (the written poem has only an Arabic one)."""
    for path in (
        f"/collections/{songs['collection']}",
        f"/tags/{songs['tag']}",
        f"/people/{songs['poet']}",
        "/",
    ):
        page = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        assert f'lang="{title_lang}" dir="auto">{shown}</a>' in page, (path, lang)
        assert hidden not in page, (path, lang)
    listing = client.get(f"/collections/{songs['collection']}?lang={lang}").get_data(as_text=True)
    assert 'lang="ar" dir="auto">قصيدة مكتوبة</a>' in listing  # no English title: the Arabic
