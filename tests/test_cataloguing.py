"""Describing items: bilingual fields, people and their names, tags, collections, recordings."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from archive.catalogue import authority, items
from archive.db import db
from archive.errors import ArchiveError
from archive.models import AuditEvent, Item, Person, Recording, Tag
from tests.test_upload import make_tone, upload

VOCALIZED = "شَهَادَةُ الأَسِيرِ المُحَرَّرِ ـــ في سجن نفحة"


@pytest.fixture
def staff(client, auth):
    auth.login("archivist@example.org")
    return auth.csrf("/manage/")


def new_item(client, token, **form):
    data = {"identifier": "PMA-0001", "title": "قصيدة", "title_en": "", "type": "poem"}
    data.update(form)
    data["csrf_token"] = token
    return client.post("/manage/items/new", data=data)


def describe(client, token, identifier="PMA-0001", **fields):
    data = {"title": "قصيدة", "type": "poem", "access": "staff", "languages": "ar"}
    data.update(fields)
    data["csrf_token"] = token
    return client.post(f"/manage/items/{identifier}", data=data)


def get_item(identifier="PMA-0001") -> Item:
    return db.session.scalar(select(Item).where(Item.identifier == identifier))


def test_item_without_media_described_in_full(app, client, staff):
    assert new_item(client, staff).status_code == 302
    response = describe(
        client,
        staff,
        title=VOCALIZED,
        title_en="Testimony of a freed prisoner",
        description="نص\nبأسطر",
        languages="ar|en",
        date="circa 1990",
        place="غزة",
        prisons="نفحة | النقب",
        narrators="رأفت حمدونة",
        interviewers="Jane Doe",
        poets="أبو فراس الحمداني",
        tags="الإضراب عن الطعام | التعليم",
        collections="شهادات الأسرى",
        rights="CC-BY-NC-4.0",
        download="1",
        notes="ملاحظة",
    )
    assert response.status_code == 302
    with app.app_context():
        item = get_item()
        assert item.title == VOCALIZED  # stored exactly: harakat and tatweel kept
        assert item.languages == "ar|en" and item.date == "circa 1990"
        assert [p.name for p in item.prisons] == ["النقب", "نفحة"]
        assert [p.name for p in item.people_in("narrator")] == ["رأفت حمدونة"]
        assert [p.name_latin for p in item.people_in("interviewer")] == ["Jane Doe"]
        assert [t.label for t in item.tags] == ["الإضراب عن الطعام", "التعليم"]
        assert [c.title for c in item.collections] == ["شهادات الأسرى"]
        assert item.rights == "CC-BY-NC-4.0" and item.download is True
        assert item.recordings == []
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.item_id == item.id))
        describe_event = [e for e in events if e.action == "describe"][0]
        assert describe_event.user.email == "archivist@example.org"
        assert "narrators" in describe_event.details["changes"]
    page = client.get("/manage/items/PMA-0001").get_data(as_text=True)
    assert "رأفت حمدونة" in page and "describe" in page  # the form and the history


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("date", "1988-02-30", "does not exist"),
        ("date", "April 1988", "is not YYYY"),
        ("date", "circa 1990-04", "is not YYYY"),
        ("type", "novel", "Unknown type"),
        ("access", "secret", "Unknown access level"),
        ("rights", "all-mine", "Unknown rights"),
        ("languages", "Arabic", "not a language code"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(app, client, staff, field, value, message):
    new_item(client, staff)
    response = describe(client, staff, **{field: value, "narrators": "someone new"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert get_item().credits == []
        assert db.session.scalar(select(Person)) is None


@pytest.mark.parametrize("date", ["1988", "1988-04", "1988-04-17", "circa 1990", ""])
def test_partial_and_approximate_dates(app, date):
    with app.app_context():
        items.check_date(date) if date else None
        assert items.check_field("date", date) == date


def test_people_match_by_any_variant_and_merge(app, client, staff):
    with app.app_context():
        person = authority.person_for("رأفت حمدونة")
        authority.update_person(
            person,
            {"name_latin": "Raafat Hamdouna"},
            ["Ra'fat Hamdona", "رأفت حمدونه"],
            user=None,
        )
        person_id = person.id
    new_item(client, staff)
    describe(client, staff, narrators="Ra'fat Hamdona | raafat hamdouna")
    new_item(client, staff, identifier="PMA-0002")
    describe(client, staff, identifier="PMA-0002", narrators="ابو علي", interviewers="رأفت حمدونه")
    with app.app_context():
        assert [p.id for p in get_item().people_in("narrator")] == [person_id]  # one person
        duplicate = authority.find_person("ابو علي")
        assert duplicate.id != person_id
        survivor = authority.merge_people(db.session.get(Person, person_id), duplicate, user=None)
        assert "ابو علي" in survivor.all_names
        assert {c.item.identifier for c in survivor.credits} == {"PMA-0001", "PMA-0002"}
        duplicate_id = duplicate.id
        # a researcher-visible page: publish both so the public person page lists them
        for identifier in ("PMA-0001", "PMA-0002"):
            item = get_item(identifier)
            items.describe(item, {"access": "public"}, user=None)
            items.publish(item, user=None)
    old = client.get(f"/people/{duplicate_id}")
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/people/{person_id}")
    page = client.get(f"/people/{person_id}?lang=en").get_data(as_text=True)
    assert "Raafat Hamdouna" in page and "PMA-0001" in page and "PMA-0002" in page


def test_person_page_shows_only_visible_items(app, client, auth, staff):
    new_item(client, staff)
    describe(client, staff, narrators="رأفت حمدونة", title="مسودة سرية")
    with app.app_context():
        person_id = authority.find_person("رأفت حمدونة").id
    auth.logout()
    page = client.get(f"/people/{person_id}").get_data(as_text=True)
    assert "مسودة سرية" not in page and "PMA-0001" not in page


def test_tags_suggest_and_merge(app, client, staff):
    new_item(client, staff)
    describe(client, staff, tags="الإضراب عن الطعام | التعليم")
    new_item(client, staff, identifier="PMA-0002")
    describe(client, staff, identifier="PMA-0002", tags="اضراب الطعام")
    suggestions = client.get("/manage/suggest/tags?q=الإضراب").get_json()
    assert suggestions == ["الإضراب عن الطعام"]
    with app.app_context():
        survivor = db.session.scalar(select(Tag).where(Tag.label == "الإضراب عن الطعام"))
        other = db.session.scalar(select(Tag).where(Tag.label == "اضراب الطعام"))
        survivor_id, other_id = survivor.id, other.id
    client.post(
        f"/manage/tags/{other_id}",
        data={"merge_into": "الإضراب عن الطعام", "csrf_token": staff},
    )
    with app.app_context():
        assert db.session.get(Tag, other_id) is None
        assert [t.id for t in get_item("PMA-0002").tags] == [survivor_id]


def test_second_recording_and_replacement(app, client, staff, tmp_path):
    new_item(client, staff)
    first = make_tone(tmp_path / "side-a.wav", seconds=1, freq=440)
    second = make_tone(tmp_path / "side-b.wav", seconds=1, freq=550)
    fixed = make_tone(tmp_path / "side-b-fixed.wav", seconds=1, freq=660)
    for path in (first, second):
        response = client.post(
            "/manage/upload?item=PMA-0001",
            data={"csrf_token": staff, "file": (io.BytesIO(path.read_bytes()), path.name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    with app.app_context():
        recordings = get_item().current_recordings
        assert [r.original_filename for r in recordings] == ["side-a.wav", "side-b.wav"]
        wrong_id = recordings[1].id
    response = upload(client, staff, fixed)  # raw body, as the page sends it
    client.post(
        f"/manage/upload?replace={wrong_id}",
        data={"csrf_token": staff, "file": (io.BytesIO(fixed.read_bytes()), "b2.wav")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        # the standalone upload above made its own item; the replacement is refused as a duplicate
        assert get_item().current_recordings[1].original_filename == "side-b.wav"
    other = make_tone(tmp_path / "side-b-real.wav", seconds=1, freq=770)
    client.post(
        f"/manage/upload?replace={wrong_id}",
        data={"csrf_token": staff, "file": (io.BytesIO(other.read_bytes()), "side-b-real.wav")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        item = get_item()
        assert [r.original_filename for r in item.current_recordings] == [
            "side-a.wav",
            "side-b-real.wav",
        ]
        wrong = db.session.get(Recording, wrong_id)
        assert wrong.superseded_at is not None and wrong.original is not None
        stored = app.config["MEDIA"]["ROOT"] + "/" + wrong.original.relpath
        with open(stored, "rb") as kept:
            assert kept.read() == second.read_bytes()  # the replaced original stays
    assert response.status_code == 201


def test_describe_refuses_an_item_without_any_title(app):
    with app.app_context():
        item = items.create(identifier="X-1", title="عنوان", type="poem", user=None)
        with pytest.raises(ArchiveError, match="needs a title"):
            items.describe(item, {"title": " ", "title_en": ""}, user=None)
