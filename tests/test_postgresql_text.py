"""Arabic text, case and order give the same answers on SQLite and on PostgreSQL.

Each test runs three times: on SQLite (the embedded default), on a PostgreSQL database with the
server's default locale, and on one made with an Arabic ICU collation (``ar``), as an archive's
database administrator may well make it, under which PostgreSQL's own order of text puts hamza
forms, harakat, case and spaces elsewhere than code point order. Both PostgreSQL databases are
this module's own, made by the archive's migrations on the server at 127.0.0.1:5432 (or the one
``ARCHIVE_TEST_DATABASE`` names); those runs are skipped, saying so, when it does not answer.
"""

from __future__ import annotations

import shutil
import threading

import pytest
from sqlalchemy import select, text

from archive import create_app, migrate
from archive.accounts.users import create_user, find_user, register
from archive.catalogue import authority, items
from archive.db import db
from archive.errors import ArchiveError, NotFound
from archive.models import Item, Tag
from tests.conftest import DATABASE, PASSWORD, app_config
from tests.databases import ON_POSTGRESQL, SETTING, PostgresCopies

SERVER = SETTING if ON_POSTGRESQL else "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Spellings that must come back exactly as written: harakat, tatweel, zero-width non-joiner,
# the hamza forms, alef maksura and teh marbuta, a Persian keheh, and combining marks.
KEPT = [
    "شَهَادَةُ الأَسِيرِ",
    "نفــــحة",
    "مي\u200cخواهم",
    "أ إ آ ء ؤ ئ ا",
    "مستشفى الرملة",
    "کتاب",
    "Émile Ḥabībī",
]


@pytest.fixture(scope="module")
def server():
    try:
        copies = PostgresCopies(SERVER)
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL at {SERVER} does not answer ({exc})")
    yield copies
    copies.drop_all()


def migrated(copies: PostgresCopies, folder, create_sql: str = "") -> str:
    """A database on ``copies``' server, made with ``create_sql`` (or plainly), migrated."""
    if create_sql:
        copies.count += 1
        name = f"{copies.prefix}{copies.count}"
        with copies.engine.connect() as connection:
            connection.execute(text(create_sql.format(name=name)))
        copies.made.append(name)
    else:
        name = copies.create()
    app = create_app(app_config(folder / "instance", copies.url(name)))
    with app.app_context():
        migrate.upgrade()
        db.session.remove()
        db.engine.dispose()
    return name


@pytest.fixture(scope="module")
def templates(server, tmp_path_factory):
    """The module's migrated databases: the server's default locale, and an Arabic one."""
    arabic = (
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
        "LOCALE_PROVIDER icu ICU_LOCALE 'ar' LOCALE 'C.UTF-8'"
    )
    return {
        "postgresql": migrated(server, tmp_path_factory.mktemp("plain")),
        "postgresql-arabic": migrated(server, tmp_path_factory.mktemp("arabic"), arabic),
    }


@pytest.fixture(params=["sqlite", "postgresql", "postgresql-arabic"])
def app(request, tmp_path, migrated_database):
    instance = tmp_path / "instance"
    instance.mkdir()
    url = ""
    if request.param == "sqlite":
        shutil.copyfile(migrated_database, instance / DATABASE)
    else:
        server = request.getfixturevalue("server")
        url = server.url(
            server.create(template=request.getfixturevalue("templates")[request.param])
        )
    app = create_app(app_config(instance, url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def fresh():
    """Forget every loaded object: what follows is read from the database again."""
    db.session.remove()


# --- stored as written ------------------------------------------------------------------------


def test_arabic_text_is_stored_and_read_back_byte_for_byte(app):
    item = items.create(identifier="TEXT-1", title=KEPT[0], title_en="Testimony", type="poem",
                        user=None)  # fmt: skip
    items.describe(
        item,
        {"description": "\n".join(KEPT), "narrators": KEPT[:3], "tags": KEPT[1:4],
         "collections": KEPT[4:], "prisons": KEPT[1:2]},
        user=None,
    )  # fmt: skip
    fresh()
    item = items.find_item("TEXT-1")
    assert item.title.encode() == KEPT[0].encode()
    assert item.description.encode() == "\n".join(KEPT).encode()
    assert [p.name for p in item.people_in("narrator")] == KEPT[:3]
    assert sorted(t.label for t in item.tags) == sorted(KEPT[1:4])
    assert sorted(c.title for c in item.collections) == sorted(KEPT[4:])
    raw = db.session.execute(text("SELECT title, description FROM items")).one()
    assert tuple(raw) == (KEPT[0], "\n".join(KEPT))
    lengths = db.session.execute(text("SELECT length(title) FROM items")).scalar_one()
    assert lengths == len(KEPT[0])  # characters, not bytes, on both


# --- people and their names -------------------------------------------------------------------


def test_people_are_found_by_their_exact_names_and_variants(app):
    saadat = authority.person_for("أحمد سعدات")
    authority.update_person(saadat, {"name_latin": "Ahmad Saadat"}, ["ابو غسان", "أحمد  سعادات"],
                            user=None)  # fmt: skip
    habibi = authority.person_for("Émile Ḥabībī")
    db.session.commit()
    saadat, habibi = saadat.id, habibi.id
    fresh()
    found = {name: getattr(authority.find_person(name), "id", None) for name in (
        "  أحمد   سعدات ", "ابو غسان", "أحمد سعادات", "ahmad saadat", "AHMAD SAADAT",
        "émile ḥabībī", "ÉMILE ḤABĪBĪ", "احمد سعدات", "أَحمد سعدات", "أحمد سعدات\u200c",
        "ابو  غسان", "أبو غسان", "Ahmad",
    )}  # fmt: skip
    assert found == {
        "  أحمد   سعدات ": saadat,  # spaces trimmed and collapsed
        "ابو غسان": saadat,
        "أحمد سعادات": saadat,  # the variant as cleaned when recorded
        "ahmad saadat": saadat,  # Latin names whatever the case
        "AHMAD SAADAT": saadat,
        "émile ḥabībī": habibi,  # beyond ASCII too
        "ÉMILE ḤABĪBĪ": habibi,
        "احمد سعدات": None,  # another spelling is a variant to record, never guessed
        "أَحمد سعدات": None,
        "أحمد سعدات\u200c": None,
        "ابو  غسان": saadat,
        "أبو غسان": None,
        "Ahmad": None,
    }


def test_naming_a_person_twice_makes_one_record_and_a_new_spelling_another(app):
    item = items.create(identifier="PEOPLE-1", title="شهادة", type="testimony", user=None)
    items.describe(item, {"narrators": ["أحمد سعدات", " أحمد  سعدات", "احمد سعدات"]}, user=None)
    items.describe(item, {"interviewers": ["Émile Ḥabībī", "émile ḥabībī"]}, user=None)
    fresh()
    item = items.find_item("PEOPLE-1")
    assert [p.name for p in item.people_in("narrator")] == ["أحمد سعدات", "احمد سعدات"]
    assert [p.name for p in item.people_in("interviewer")] == ["Émile Ḥabībī"]


def test_people_are_listed_and_suggested_in_code_point_order(app):
    names = ["مروان البرغوثي", "أحمد سعدات", "إبراهيم", "آمنة", "احمد", "وليد دقة", "ابراهيم",
             "Émile Ḥabībī", "ahmad", "Zaid", "ئ", "عائشة", "أَحمد"]  # fmt: skip
    for name in names:
        authority.person_for(name)
    db.session.commit()
    fresh()
    listed = [p.name for p in authority.people_page(1, per_page=100).items]
    assert listed == sorted(names)
    assert authority.suggest("people", "حمد") == sorted(n for n in names if "حمد" in n)
    assert authority.suggest("people", "AHMAD") == ["ahmad"]
    assert authority.suggest("people", "émile") == ["Émile Ḥabībī"]


# --- tags, collections, places ----------------------------------------------------------------

TAGS = {
    "إضراب عن الطعام": "Hunger strike",
    "الإضراب": "Strike",
    "اضراب مفتوح": "Open strike",
    "PFLP": "",
    "نفحة": "Nafha",
    "التعليم في السجن": "Education in prison",
    "أسرى": "Prisoners",
    "اسرى": "",
    "Étude": "Études",
}


def tagged():
    for label, label_en in TAGS.items():
        tag = authority.tag_for(label)
        tag.label_en = label_en
    db.session.commit()
    fresh()


def by_length(labels):
    return sorted(labels, key=lambda label: (len(label), label))


def test_tag_suggestions_agree_on_case_spelling_and_order(app):
    tagged()
    assert [t.label for t in authority.suggest_tags("إضراب")] == by_length(
        ["إضراب عن الطعام", "الإضراب"]
    )  # the hamza as typed: «اضراب» is another tag
    assert authority.suggest("tags", "اضراب") == ["اضراب مفتوح"]
    assert authority.suggest("tags", "strike") == by_length(
        ["إضراب عن الطعام", "الإضراب", "اضراب مفتوح"]
    )
    assert authority.suggest("tags", "HUNGER") == ["إضراب عن الطعام"]
    assert authority.suggest("tags", "pflp") == ["PFLP"]  # an Arabic label in Latin letters
    assert authority.suggest("tags", "étude") == ["Étude"]
    assert authority.suggest("tags", "ÉTUDES") == ["Étude"]
    assert authority.suggest("tags", "سرى") == by_length(["أسرى", "اسرى"])
    assert authority.suggest("tags", "%") == []  # literal, not a wildcard
    assert authority.suggest("tags", "_") == []


def test_tags_collections_and_places_are_listed_in_code_point_order(app):
    tagged()
    item = items.create(identifier="ORDER-1", title="قصيدة", type="poem", user=None)
    labels = list(TAGS)
    titles = ["مجموعة نفحة", "أرشيف عسقلان", "ارشيف الجنيد", "Anthology", "anthologie"]
    places = ["نفحة", "عسقلان", "الرملة", "إيشل", "Ashkelon"]
    items.describe(item, {"tags": labels, "collections": titles, "prisons": places}, user=None)
    fresh()
    listed, counts = authority.tags_with_counts()
    assert [t.label for t in listed] == sorted(labels)
    assert [c.title for c in authority.all_collections()] == sorted(titles)
    item = items.find_item("ORDER-1")
    assert [t.label for t in item.tags] == sorted(labels)
    assert [c.title for c in item.collections] == sorted(titles)
    assert [p.name for p in item.prisons] == sorted(places)
    assert authority.suggest("collections", "ARCH") == []
    assert authority.suggest("collections", "ANTHOLOG") == sorted(["Anthology", "anthologie"])
    assert authority.suggest("collections", "رشيف") == sorted(["أرشيف عسقلان", "ارشيف الجنيد"])
    assert authority.suggest("places", "ashk") == ["Ashkelon"]


def test_a_tag_label_is_unique_exactly_as_written(app):
    authority.tag_for("أسرى")
    db.session.commit()
    assert authority.tag_for(" أسرى ").id == authority.tag_labelled("أسرى").id
    other = authority.tag_for("اسرى")  # another spelling: another tag
    db.session.commit()
    with pytest.raises(ArchiveError, match="already exists"):
        authority.update_tag(other, "أسرى", "", user=None)
    fresh()
    assert sorted(db.session.scalars(select(Tag.label))) == ["أسرى", "اسرى"]


def test_a_tag_made_by_another_host_at_the_same_moment_is_taken_not_refused(app, request):
    """Two hosts tag with a new label at once: the one whose insert loses to the unique
    constraint takes the other's tag, and its own work goes on in the same transaction."""
    if request.node.callspec.params["app"] == "sqlite":
        pytest.skip("one SQLite writer at a time: the race needs a server database")
    other = db.engine.connect()
    other.execute(text("INSERT INTO tags (label, label_en) VALUES ('تزامن', '')"))  # not committed
    threading.Timer(0.5, other.commit).start()  # commits while our insert waits on it
    made = authority.tag_for("تزامن").id
    authority.tag_for("بعده")  # the transaction is still usable
    db.session.commit()
    other.close()
    fresh()
    assert sorted(db.session.scalars(select(Tag.label))) == ["بعده", "تزامن"]
    assert made == authority.tag_labelled("تزامن").id


# --- accounts and identifiers -----------------------------------------------------------------


def test_email_addresses_are_found_whatever_their_case_or_width(app):
    made = create_user("Researcher.Nafha@Example.ORG", PASSWORD, "researcher", approved=True)
    db.session.commit()
    made = made.id
    fresh()
    for spelling in ("researcher.nafha@example.org", "RESEARCHER.NAFHA@EXAMPLE.ORG",
                     " Researcher.Nafha@Example.ORG ", "ｒｅｓｅａｒｃｈｅｒ.nafha@example.org"):  # fmt: skip
        assert find_user(spelling).id == made, spelling
    again = register(name="مها", email="RESEARCHER.nafha@example.org", password=PASSWORD,
                     confirmation=PASSWORD, affiliation="جامعة بيرزيت", purpose="بحث")  # fmt: skip
    assert again is None  # the address has an account already
    fresh()
    assert find_user("researcher.nafha@example.org").email == "researcher.nafha@example.org"


def test_identifiers_are_matched_exactly_and_listed_in_code_point_order(app):
    for identifier in ("AR-10", "AR-9", "ar-1", "AR-1", "AR_2", "AR.3", "b-1"):
        items.create(identifier=identifier, title="عنوان", type="poem", user=None)
    fresh()
    assert items.find_item("AR-1").identifier == "AR-1"
    with pytest.raises(NotFound):
        items.find_item("Ar-1")
    with pytest.raises(ArchiveError, match="already exists"):
        items.create(identifier="AR-1", title="مكرر", type="poem", user=None)
    listed = [i.identifier for i in items.catalogue_page(1, per_page=50).items]
    assert sorted(listed) == sorted(["AR-10", "AR-9", "ar-1", "AR-1", "AR_2", "AR.3", "b-1"])


def test_arabic_titles_are_ordered_alike(app):
    titles = ["نفحة", "أنشودة", "إضراب", "آخر الليل", "الأسرى", "اسرى", "شهادة", "Zeitoun",
              "أَسرى", "ﻻ", "لا"]  # fmt: skip
    for n, title in enumerate(titles):
        items.create(identifier=f"T-{n}", title=title, type="poem", user=None)
    fresh()
    from archive.db import by_code_point

    ordered = db.session.scalars(select(Item.title).order_by(by_code_point(Item.title), Item.id))
    assert list(ordered) == sorted(titles)


def test_the_pool_size_setting_reaches_the_engine(server, tmp_path):
    config = app_config(tmp_path / "instance", server.url(server.create()))
    config["DATABASE"] = {"POOL_SIZE": 3}
    app = create_app(config)
    with app.app_context():
        assert db.engine.pool.size() == 3
        assert db.engine.pool._max_overflow == 3
        assert db.engine.pool._pre_ping
        db.engine.dispose()
