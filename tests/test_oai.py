"""OAI-PMH 2.0 at ``/oai``: harvested by real harvesters (Sickle, oaipmh-scythe) from a live
server, every response validated against the protocol's XML Schemas, and only what an
anonymous visitor may see ever told.

The catalogue (made once, copied for each test) holds 262 public items (two with real audio and
video access copies), items that were never public (draft, researchers-only, staff-only,
embargoed, withdrawn before any harvest; two of them alone in a collection), and four that were
public at a first harvest and then stopped being so (made researchers-only, unpublished,
withdrawn, deleted for good): those four are reported deleted; the others never appear, not
even their identifiers. The harvest records' datestamps are then spread over 2020, as if the
items had been made over the year, so that selective harvests have something to select and
every later change is dated after them.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig
from oaipmh_scythe.exceptions import NoRecordsMatch as ScytheNoRecordsMatch
from sickle import Sickle
from sickle.oaiexceptions import BadResumptionToken as SickleBadResumptionToken
from sickle.oaiexceptions import NoRecordsMatch as SickleNoRecordsMatch
from sqlalchemy import select, update
from werkzeug.serving import make_server

from archive import create_app
from archive.access.rules import visible_filter
from archive.catalogue import authority, items
from archive.catalogue.withdrawal import delete, withdraw
from archive.db import db
from archive.exchange import harvest
from archive.exchange.oai import make_token
from archive.holdings.ingest import ingest
from archive.holdings.storage import local
from archive.models import (
    ITEM_TYPES,
    Collection,
    Credit,
    HarvestRecord,
    IndexOutbox,
    Item,
    utcnow,
)
from archive.uow import unit_of_work
from archive.web.oai import repository
from tests.conftest import app_config
from tests.test_upload import make_tone, make_video

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {
    "o": OAI,
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "m": "http://www.loc.gov/mods/v3",
    "xlink": "http://www.w3.org/1999/xlink",
}
HOST = "127.0.0.1"  # BASE_URL's host in the tests: identifiers are oai:127.0.0.1:<identifier>
COUNT = 260  # public items without media (and two more with)
COLLECTIONS = ("مجموعة عسقلان", "مجموعة نفحة", "مجموعة النقب")
# Never public: (access, status, embargoed); each has marker words in every field.
NEVER = {
    "DRAFT": ("public", "draft", False),
    "RSRCH": ("researchers", "published", False),
    "STAFF": ("staff", "published", False),
    "EMBRG": ("public", "published", True),
    "GONE": ("public", "withdrawn", False),
}
LATER_HIDDEN = ("LATEPRIV", "LATEUNPUB", "LATEGONE", "LATEDEL")  # public, harvested, then not
HIDDEN_COLLECTION = "مجموعة مخفية HIDDENCOLL"  # only DRAFT and STAFF are in it
BASE = datetime(2020, 1, 1)


def oai_id(identifier: str) -> str:
    return f"oai:{HOST}:{identifier}"


def words(key: str) -> dict:
    return {
        "title": f"عنوان{key} TITLE{key}",
        "title_en": f"TITLEEN{key}",
        "description": f"DESC{key}",
        "narrators": [f"راوي NARR{key}"],
        "tags": [f"TAG{key}"],
        "prisons": [f"PRISON{key}"],
        "place": f"PLACE{key}",
    }


def secrets_of(key: str) -> list[str]:
    return ["TITLE" + key, "TITLEEN" + key, "DESC" + key, "NARR" + key, "TAG" + key,
            "PRISON" + key, "PLACE" + key]  # fmt: skip


# --- the schemas ------------------------------------------------------------------------------

SCHEMAS = Path(__file__).parent / "data" / "oai"
LOCAL = {  # each schema's published address, and our copy of it (see tests/data/oai/)
    "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd": "OAI-PMH.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc.xsd": "oai_dc.xsd",
    "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": "simpledc20021212.xsd",
    "http://www.w3.org/2001/03/xml.xsd": "xml.xsd",
    "http://www.loc.gov/mods/xml.xsd": "xml.xsd",
    "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd": "oai-identifier.xsd",
    "http://www.loc.gov/standards/mods/v3/mods-3-7.xsd": "mods-3-7-subset.xsd",
    "http://www.loc.gov/standards/xlink/xlink.xsd": "xlink.xsd",
}


class LocalSchemas(etree.Resolver):
    def resolve(self, url, public_id, context):
        name = LOCAL.get(url)
        return None if name is None else self.resolve_filename(str(SCHEMAS / name), context)


@functools.cache
def oai_schema() -> etree.XMLSchema:
    """OAI-PMH.xsd with every schema a response may use inside it (the metadata formats and
    the oai-identifier description are checked strictly, as the protocol's schema asks)."""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    namespaces = {
        OAI: "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
        NS["oai_dc"]: "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        NS["m"]: "http://www.loc.gov/standards/mods/v3/mods-3-7.xsd",
        "http://www.openarchives.org/OAI/2.0/oai-identifier": (
            "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
        ),
    }
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{url}"/>' for ns, url in namespaces.items()
    )
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper, parser))


def valid(body: bytes) -> etree._Element:
    """The parsed response, after checking it against the schemas."""
    root = etree.fromstring(body)
    schema = oai_schema()
    assert schema.validate(root), f"{schema.error_log}\n{body[:2000]!r}"
    return root


# --- the catalogue ------------------------------------------------------------------------------


def build(tmp: Path) -> dict:
    """The test catalogue (see the module's docstring), made through the real operations."""
    with unit_of_work():
        for n in range(COUNT):
            item = items.create(identifier=f"OA-{n:04d}", title=f"شهادة رقم {n}",
                                title_en=f"Testimony {n}", type=ITEM_TYPES[n % 6], user=None)  # fmt: skip
            items.describe(item, {
                "access": "public", "narrators": [f"راوي {n % 7}"], "interviewers": ["محاور"],
                "tags": ["الإضراب"], "collections": [COLLECTIONS[n % 3]] if n % 4 else [],
                "rights": "InC-EDU", "date": "1987", "languages": "ar",
            }, user=None)  # fmt: skip
            items.publish(item, user=None)
        for key, (access, status, embargoed) in NEVER.items():
            item = items.create(identifier=f"OA-{key}", title="", title_en="x", type="poem",
                                user=None)  # fmt: skip
            changes = {**words(key), "access": access}
            if key in ("DRAFT", "STAFF"):
                changes["collections"] = [HIDDEN_COLLECTION]
            if embargoed:
                changes["embargo_until"] = (utcnow() + timedelta(days=365)).date()
            items.describe(item, changes, user=None)
            if status != "draft":
                items.publish(item, user=None)
        for key in LATER_HIDDEN:
            item = items.create(identifier=f"OA-{key}", title="", title_en="x", type="lecture",
                                user=None)  # fmt: skip
            items.describe(item, {**words(key), "access": "public",
                                  "collections": [COLLECTIONS[0]]}, user=None)  # fmt: skip
            items.publish(item, user=None)
    gone = items.find_item("OA-GONE")
    withdraw(gone, "The narrator withdrew consent.", user=None)

    audio = ingest(local(make_tone(tmp / "song.wav", seconds=2)), user=None,
                   identifier="OA-AUDIO", title="أغنية الأسرى", type="song")  # fmt: skip
    video = ingest(local(make_video(tmp / "talk.mp4", seconds=1, size="160x120")), user=None,
                   identifier="OA-VIDEO", title="محاضرة مصورة", type="lecture")  # fmt: skip
    for done in (audio, video):
        assert done.job.state == "done", done.job.error
    song = items.find_item("OA-AUDIO")
    items.describe(song, {"access": "public", "poets": ["شاعر السجن"], "composers": ["ملحن"],
                          "performers": ["مغني"], "translators": ["مترجم"],
                          "title_en": "Song of the prisoners", "rights": "CC-BY-4.0",
                          "languages": "ar|en|apc"}, user=None)  # fmt: skip
    items.publish(song, user=None)
    talk = items.find_item("OA-VIDEO")
    items.describe(talk, {"access": "public", "narrators": ["راوي المحاضرة"]}, user=None)
    items.publish(talk, user=None)

    harvest.reconcile()  # the first harvest: the later hidden ones were public then
    items.describe(items.find_item("OA-LATEPRIV"), {"access": "researchers"}, user=None)
    items.unpublish(items.find_item("OA-LATEUNPUB"), user=None)
    withdraw(items.find_item("OA-LATEGONE"), "A takedown.", user=None)
    late = items.find_item("OA-LATEDEL")
    delete(late, user=None, confirm=late.identifier)
    harvest.reconcile()
    spread_datestamps()
    made = {"collections": {t: collection_id(t) for t in (*COLLECTIONS, HIDDEN_COLLECTION)}}
    db.session.remove()
    return made


def spread_datestamps() -> None:
    """Date the records as if made over 2020, one hour apart in identifier order (the deleted
    ones in December)."""
    rows = db.session.execute(
        select(HarvestRecord.id, HarvestRecord.deleted).order_by(HarvestRecord.identifier)
    ).all()
    for number, (record_id, deleted) in enumerate(rows):
        moment = BASE + timedelta(days=330 if deleted else 0, hours=number)
        db.session.execute(
            update(HarvestRecord).where(HarvestRecord.id == record_id).values(datestamp=moment)
        )
    db.session.commit()


def collection_id(title: str) -> int:
    return db.session.scalar(select(Collection.id).where(Collection.title == title))


@pytest.fixture
def catalogue(app, catalogues, tmp_path):
    """The test catalogue in this test's own instance folder; lists paged 50 at a time."""

    def build_here():
        with app.app_context():
            return build(tmp_path)

    made = catalogues.get("oai", app, build_here)
    app.config["OAI"]["PAGE_SIZE"] = 50
    return made


def visible_identifiers(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Item.identifier).where(visible_filter(None))))


DELETED = {f"OA-{key}" for key in LATER_HIDDEN}
# What must never be told, by item: the identifiers of those never public, and the words of all
# the hidden ones (those later hidden are told as deleted records, without their description).
NEVER_SHOWN = {
    **{key: [f"OA-{key}", *secrets_of(key)] for key in NEVER},
    **{key: secrets_of(key) for key in LATER_HIDDEN},
    "COLL": ["HIDDENCOLL"],
}
REQUEST = re.compile(rb"<request[^>]*>[^<]*</request>")


def assert_nothing_hidden(body: bytes, opened=()) -> None:
    """No word of a hidden item is in ``body``, save in the ``request`` element (which repeats
    the harvester's own arguments) and those of the items ``opened`` since."""
    text = REQUEST.sub(b"", body).decode()
    for key, hidden in NEVER_SHOWN.items():
        for word in hidden if key not in opened else ():
            assert word not in text, f"{word} was told"


# --- a live server, and what it answered ----------------------------------------------------------


class Recorder:
    """WSGI middleware keeping every body the app sent (the harvesters' view of the server)."""

    def __init__(self, wsgi):
        self.wsgi, self.bodies, self.lock = wsgi, [], threading.Lock()

    def __call__(self, environ, start_response):
        body = b"".join(self.wsgi(environ, start_response))
        with self.lock:
            self.bodies.append(body)
        return [body]


@contextmanager
def serving(app):
    """The app on a real threaded HTTP server: (the /oai URL, the bodies it answered)."""
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oai", recorder.bodies
    finally:
        server.shutdown()
        thread.join(10)
        app.wsgi_app = recorder.wsgi


def ask(client, method: str = "get", *, opened=(), **arguments) -> etree._Element:
    """The checked answer to an OAI-PMH request sent by the test client."""
    response = getattr(client, method)("/oai", **(
        {"query_string": arguments} if method == "get" else {"data": arguments}
    ))  # fmt: skip
    assert response.status_code == 200
    assert response.content_type == "text/xml; charset=utf-8"
    assert_nothing_hidden(response.data, opened)
    return valid(response.data)


def error_code(root) -> str | None:
    found = root.find("o:error", NS)
    return None if found is None else found.get("code")


def headers(root) -> dict[str, etree._Element]:
    return {h.findtext("o:identifier", namespaces=NS): h for h in root.iter(f"{{{OAI}}}header")}


def token_of(root) -> etree._Element | None:
    return next(root.iter(f"{{{OAI}}}resumptionToken"), None)


def harvest_all(client, **arguments) -> tuple[list[etree._Element], list[etree._Element]]:
    """Every page of a list request through the test client: (the pages, their headers)."""
    pages, found = [], []
    root = ask(client, **arguments)
    while True:
        pages.append(root)
        found += list(root.iter(f"{{{OAI}}}header"))
        token = token_of(root)
        if token is None or not token.text:
            return pages, found
        root = ask(client, verb=arguments["verb"], resumptionToken=token.text)


# --- whole harvests by real harvesters ---------------------------------------------------------


def test_sickle_harvests_every_public_record_once_and_the_deleted_ones(app, catalogue):
    expected = visible_identifiers(app)
    assert len(expected) == COUNT + 2
    with serving(app) as (url, bodies):
        records = list(Sickle(url).ListRecords(metadataPrefix="oai_dc"))
    identifiers = Counter(r.header.identifier for r in records)
    assert max(identifiers.values()) == 1
    assert set(identifiers) == {oai_id(i) for i in expected | DELETED}
    deleted = {r.header.identifier for r in records if r.header.deleted}
    assert deleted == {oai_id(i) for i in DELETED}
    for record in records:
        if record.header.deleted:
            assert record.xml.find(".//{*}metadata") is None
        else:
            assert record.metadata["identifier"][0].startswith("http://127.0.0.1:5000/items/OA-")
    assert len(bodies) == 6  # 266 records, 50 a page
    for body in bodies:
        assert_nothing_hidden(body)
        valid(body)
    last = valid(bodies[-1])
    token = token_of(last)
    assert token.text is None and token.get("completeListSize") == "266"
    assert token.get("cursor") == "250" and token.get("expirationDate") is None
    first = token_of(valid(bodies[0]))
    assert first.get("cursor") == "0" and first.get("completeListSize") == "266"
    assert first.get("expirationDate").endswith("Z")


def test_scythe_harvests_by_post_in_mods_and_identifiers(app, catalogue):
    expected = {oai_id(i) for i in visible_identifiers(app) | DELETED}
    config = HTTPConfig(http_method="POST")
    with serving(app) as (url, bodies), Scythe(url, http_config=config) as scythe:
        records = list(scythe.list_records(metadata_prefix="mods"))
        found = list(scythe.list_identifiers(metadata_prefix="mods"))
    assert Counter(r.header.identifier for r in records) == Counter(expected)
    assert Counter(h.identifier for h in found) == Counter(expected)
    assert {h.identifier for h in found if h.deleted} == {oai_id(i) for i in DELETED}
    song = next(r for r in records if r.header.identifier == oai_id("OA-AUDIO"))
    assert "Lyricist" in song.metadata["roleTerm"] and "lyr" in song.metadata["roleTerm"]
    for body in bodies:
        assert_nothing_hidden(body)
        valid(body)


def test_set_selective_harvests(app, catalogue):
    kept = catalogue["collections"]
    first = kept[COLLECTIONS[0]]
    with app.app_context():
        in_first = set(db.session.scalars(
            select(Item.identifier).join(Item.collections)
            .where(Collection.id == first, Item.status == "published", Item.access == "public",
                   Item.embargo_until.is_(None))
        ))  # fmt: skip
    with serving(app) as (url, bodies):
        sickle = Sickle(url)
        chosen = {h.identifier: h for h in sickle.ListIdentifiers(
            metadataPrefix="oai_dc", set=f"collection:{first}")}  # fmt: skip
        songs = {h.identifier for h in sickle.ListIdentifiers(metadataPrefix="oai_dc",
                                                              set="type:song")}  # fmt: skip
        any_collection = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="collection"))
        for spec in (f"collection:{kept[HIDDEN_COLLECTION]}", "collection:999", "type:draft"):
            with pytest.raises(SickleNoRecordsMatch):
                list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set=spec))
        sets = {s.setSpec: s.setName for s in sickle.ListSets()}
    # the later hidden ones were in the first collection when last public: told deleted there
    assert set(chosen) == {oai_id(i) for i in in_first | DELETED}
    assert all(chosen[oai_id(i)].deleted for i in DELETED)
    assert all(f"collection:{first}" in h.setSpecs for h in chosen.values())
    assert songs == {oai_id(f"OA-{n:04d}") for n in range(2, COUNT, 6)} | {oai_id("OA-AUDIO")}
    assert len(any_collection) == len({h.identifier for h in any_collection})
    assert len(any_collection) == sum(1 for n in range(COUNT) if n % 4) + len(DELETED)
    assert sets == {
        "collection": "المجموعات / Collections",
        "type": "أنواع المواد / Item types",
        **{f"collection:{kept[t]}": t for t in COLLECTIONS},
        **{f"type:{code}": name for code, name in [
            ("testimony", "شهادة / Testimony"), ("poem", "قصيدة / Poem"), ("song", "أغنية / Song"),
            ("interview", "مقابلة / Interview"), ("lecture", "محاضرة / Lecture"),
            ("event", "فعالية / Event")]},
    }  # fmt: skip
    for body in bodies:
        assert_nothing_hidden(body)
        valid(body)


def test_list_sets_pages_and_describes_each_set_in_both_languages(app, client, catalogue):
    app.config["OAI"]["PAGE_SIZE"] = 4
    nafha = catalogue["collections"][COLLECTIONS[1]]
    with app.app_context():
        collection = db.session.get(Collection, nafha)
        authority.update_collection(collection, {"title_en": "The Nafha collection"}, user=None)
    pages, specs = [], []
    root = ask(client, verb="ListSets")
    while True:
        pages.append(root)
        specs += [s.findtext("o:setSpec", namespaces=NS) for s in root.iter(f"{{{OAI}}}set")]
        token = token_of(root)
        if token is None or not token.text:
            break
        root = ask(client, verb="ListSets", resumptionToken=token.text)
    assert len(pages) == 3 and len(specs) == len(set(specs)) == 11
    assert token_of(pages[-1]).get("completeListSize") == "11"
    described = next(
        s for p in pages for s in p.iter(f"{{{OAI}}}set")
        if s.findtext("o:setSpec", namespaces=NS) == f"collection:{nafha}"
    )  # fmt: skip
    titles = {t.get("{http://www.w3.org/XML/1998/namespace}lang"): t.text
              for t in described.iterfind(".//dc:title", NS)}  # fmt: skip
    assert titles == {"ar": COLLECTIONS[1], "en": "The Nafha collection"}


def test_from_and_until_select_by_datestamp(app, client, catalogue):
    # Records are dated from 2020-01-01T00:00:00Z, one hour apart in identifier order.
    _, found = harvest_all(client, verb="ListIdentifiers", metadataPrefix="oai_dc",
                           **{"from": "2020-01-02T00:00:00Z", "until": "2020-01-02T05:00:00Z"})  # fmt: skip
    assert [h.findtext("o:datestamp", namespaces=NS) for h in found] == [
        f"2020-01-02T0{n}:00:00Z" for n in range(6)
    ]
    _, by_day = harvest_all(client, verb="ListIdentifiers", metadataPrefix="oai_dc",
                            **{"from": "2020-01-02", "until": "2020-01-03"})  # fmt: skip
    assert len(by_day) == 48  # a day as until is the whole of that day
    _, since = harvest_all(client, verb="ListRecords", metadataPrefix="oai_dc",
                           **{"from": "2020-12-01"})  # fmt: skip
    assert {h.findtext("o:identifier", namespaces=NS) for h in since} == {
        oai_id(i) for i in DELETED
    }
    assert all(h.get("status") == "deleted" for h in since)
    none = ask(client, verb="ListRecords", metadataPrefix="oai_dc", until="2019-12-31")
    assert error_code(none) == "noRecordsMatch"
    identify = ask(client, verb="Identify")
    assert identify.findtext(".//o:earliestDatestamp", namespaces=NS) == "2020-01-01T00:00:00Z"


# --- datestamps follow the catalogue ---------------------------------------------------------------


def datestamp(client, identifier: str, opened=()) -> tuple[str, bool]:
    root = ask(client, verb="GetRecord", identifier=oai_id(identifier), metadataPrefix="oai_dc",
               opened=opened)  # fmt: skip
    header = root.find(".//o:header", NS)
    return header.findtext("o:datestamp", namespaces=NS), header.get("status") == "deleted"


def test_datestamps_change_with_the_item_and_its_visibility(app, client, catalogue):
    assert datestamp(client, "OA-0001") == ("2020-01-01T01:00:00Z", False)
    before = utcnow().replace(microsecond=0)
    with app.app_context():
        item = items.find_item("OA-0001")
        items.describe(item, {"title_en": "A corrected title"}, user=None)
    edited, deleted = datestamp(client, "OA-0001")
    assert not deleted and stamp(edited) >= before
    root = ask(client, verb="GetRecord", identifier=oai_id("OA-0001"), metadataPrefix="oai_dc")
    assert "A corrected title" in etree.tostring(root, encoding="unicode")

    with app.app_context():
        items.describe(items.find_item("OA-0001"), {"access": "staff"}, user=None)
    made_private, deleted = datestamp(client, "OA-0001")
    assert deleted and stamp(made_private) >= stamp(edited)
    root = ask(client, verb="GetRecord", identifier=oai_id("OA-0001"), metadataPrefix="oai_dc")
    assert root.find(".//o:metadata", NS) is None

    with app.app_context():
        items.describe(items.find_item("OA-0001"), {"access": "public"}, user=None)
    public_again, deleted = datestamp(client, "OA-0001")
    assert not deleted and stamp(public_again) >= stamp(made_private)

    # An embargo that ends writes nothing: the next request finds the item public.
    assert error_code(ask(client, verb="GetRecord", identifier=oai_id("OA-EMBRG"),
                          metadataPrefix="oai_dc")) == "idDoesNotExist"  # fmt: skip
    with app.app_context():
        db.session.execute(
            update(Item).where(Item.identifier == "OA-EMBRG").values(
                embargo_until=utcnow() - timedelta(seconds=1)
            )
        )  # fmt: skip
        db.session.commit()
    opened, deleted = datestamp(client, "OA-EMBRG", opened=("EMBRG",))
    assert not deleted and stamp(opened) >= before

    # A record stays deleted once the item is deleted for good, and its sets are still told.
    with app.app_context():
        item = items.find_item("OA-0005")
        delete(item, user=None, confirm="OA-0005")
    root = ask(client, verb="GetRecord", identifier=oai_id("OA-0005"), metadataPrefix="mods")
    header = root.find(".//o:header", NS)
    assert header.get("status") == "deleted"
    assert [s.text for s in header.iterfind("o:setSpec", NS)] == [
        f"collection:{catalogue['collections'][COLLECTIONS[2]]}",
        "type:event",
    ]


def test_renaming_a_person_dates_the_records_of_their_items(app, client, catalogue):
    """Renaming a person changes the records of the items they are credited in."""
    with app.app_context():
        person = authority.find_person("راوي 3")
        credited = set(db.session.scalars(
            select(Item.identifier).join(Credit).where(Credit.person_id == person.id)
        ))  # fmt: skip
        authority.update_person(person, {"name": "راوي ثالث"}, None, user=None)
    since = (utcnow() - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, found = harvest_all(client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": since})
    assert {h.findtext("o:identifier", namespaces=NS) for h in found} == {
        oai_id(i) for i in credited
    }


def stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def test_every_change_of_an_item_raises_its_revision(app, tmp_path):
    with app.app_context():
        item = items.create(identifier="REV-1", title="مراجعة", type="poem", user=None)
        assert item.revision == 1  # created: one outbox row
        items.describe(item, {"tags": ["وسم"]}, user=None)
        db.session.refresh(item)
        assert item.revision == 2
        with unit_of_work():
            db.session.add(IndexOutbox(item_id=item.id))
            db.session.add(IndexOutbox(item_id=item.id))
        db.session.refresh(item)
        assert item.revision == 4
        done = ingest(local(make_tone(tmp_path / "r.wav", seconds=1)), user=None, item=item)
        assert done.job.state == "done", done.job.error
        db.session.refresh(item)
        assert item.revision >= 6  # the recording (an outbox row), then its access copy


# --- the verbs and their errors ----------------------------------------------------------------


def test_identify(app, client, catalogue):
    root = ask(client, verb="Identify")
    assert root.find("o:request", NS).attrib == {"verb": "Identify"}
    body = root.find("o:Identify", NS)
    assert body.findtext("o:baseURL", namespaces=NS) == "http://127.0.0.1:5000/oai"
    assert body.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert body.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert body.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert body.findtext("o:adminEmail", namespaces=NS) == "webmaster@127.0.0.1"
    assert "أرشيف الحركة الأسيرة" in body.findtext("o:repositoryName", namespaces=NS)
    assert body.find("o:description", NS) is None  # 127.0.0.1 is no domain name
    app.config["OAI"].update(
        REPOSITORY_IDENTIFIER="archive.example.org",
        ADMIN_EMAIL=["oai@archive.example.org", "librarian@archive.example.org"],
        REPOSITORY_NAME="Prisoners' Movement Archive",
    )
    body = ask(client, verb="Identify").find("o:Identify", NS)
    assert [e.text for e in body.iterfind("o:adminEmail", NS)] == [
        "oai@archive.example.org",
        "librarian@archive.example.org",
    ]
    assert body.findtext("o:repositoryName", namespaces=NS) == "Prisoners' Movement Archive"
    assert body.findtext(".//{*}sampleIdentifier") == "oai:archive.example.org:AR-000123"
    got = ask(client, verb="GetRecord", identifier="oai:archive.example.org:OA-0002",
              metadataPrefix="oai_dc")  # fmt: skip
    assert error_code(got) is None


def test_list_metadata_formats(client, catalogue):
    for arguments in ({}, {"identifier": oai_id("OA-0003")}, {"identifier": oai_id("OA-LATEDEL")}):
        root = ask(client, verb="ListMetadataFormats", **arguments)
        assert [f.findtext("o:metadataPrefix", namespaces=NS)
                for f in root.iterfind(".//o:metadataFormat", NS)] == ["oai_dc", "mods"]  # fmt: skip
    for unknown in (oai_id("OA-DRAFT"), oai_id("OA-NOSUCH"), "oai:elsewhere.org:OA-0003"):
        root = ask(client, verb="ListMetadataFormats", identifier=unknown)
        assert error_code(root) == "idDoesNotExist"
        assert root.find("o:request", NS).get("identifier") == unknown


def test_dublin_core_of_a_song_with_its_media(client, catalogue):
    root = ask(client, verb="GetRecord", identifier=oai_id("OA-AUDIO"), metadataPrefix="oai_dc")
    dc = root.find(".//oai_dc:dc", NS)
    lang = "{http://www.w3.org/XML/1998/namespace}lang"

    def values(name):
        return [(e.text, e.get(lang)) for e in dc.iterfind(f"dc:{name}", NS)]

    assert values("title") == [("أغنية الأسرى", "ar"), ("Song of the prisoners", "en")]
    assert values("creator") == [("شاعر السجن", None), ("ملحن", None), ("مغني", None)]
    assert values("contributor") == [("مترجم", None)]
    assert values("type") == [("Sound", None), ("Song", "en"), ("أغنية", "ar")]
    assert values("format") == [("audio/mp4", None)]
    assert values("language") == [("ar", None), ("en", None), ("apc", None)]
    assert values("rights") == [("https://creativecommons.org/licenses/by/4.0/", None)]
    assert values("identifier") == [("http://127.0.0.1:5000/items/OA-AUDIO", None)]
    video = ask(client, verb="GetRecord", identifier=oai_id("OA-VIDEO"), metadataPrefix="oai_dc")
    assert [t.text for t in video.iterfind(".//dc:type", NS)][0] == "MovingImage"
    assert video.findtext(".//dc:format", namespaces=NS) == "video/mp4"


def test_mods_of_a_song_with_its_media(client, catalogue):
    root = ask(client, verb="GetRecord", identifier=oai_id("OA-AUDIO"), metadataPrefix="mods")
    mods = root.find(".//m:mods", NS)
    roles = {
        n.findtext("m:namePart", namespaces=NS): [
            (t.get("type"), t.text) for t in n.iterfind("m:role/m:roleTerm", NS)
        ]
        for n in mods.iterfind("m:name", NS)
    }
    assert roles == {
        "شاعر السجن": [("text", "Lyricist"), ("code", "lyr")],
        "ملحن": [("text", "Composer"), ("code", "cmp")],
        "مغني": [("text", "Performer"), ("code", "prf")],
        "مترجم": [("text", "Translator"), ("code", "trl")],
    }
    assert mods.findtext("m:typeOfResource", namespaces=NS) == "sound recording-musical"
    assert mods.findtext("m:physicalDescription/m:internetMediaType", namespaces=NS) == "audio/mp4"
    assert re.fullmatch(r"1 audio file \(00:00:0[12]\)",
                        mods.findtext("m:physicalDescription/m:extent", namespaces=NS))  # fmt: skip
    assert [t.text for t in mods.iterfind("m:language/m:languageTerm", NS)] == ["ara", "eng", "apc"]
    condition = mods.find("m:accessCondition", NS)
    assert condition.get(f"{{{NS['xlink']}}}href") == "https://creativecommons.org/licenses/by/4.0/"
    assert mods.find("m:location/m:url", NS).get("usage") == "primary display"
    poem = ask(client, verb="GetRecord", identifier=oai_id("OA-0001"), metadataPrefix="mods")
    assert poem.findtext(".//m:typeOfResource", namespaces=NS) == "text"
    narrator = poem.find(".//m:name", NS)
    assert [t.text for t in narrator.iterfind("m:role/m:roleTerm", NS)] == ["Narrator", "nrt"]
    interviewer = poem.findall(".//m:name", NS)[1]
    assert [t.text for t in interviewer.iterfind("m:role/m:roleTerm", NS)] == ["Interviewer", "ivr"]
    date = poem.find(".//m:originInfo/m:dateCreated", NS)
    assert (date.text, date.get("encoding"), date.get("keyDate")) == ("1987", "w3cdtf", "yes")


BAD_ARGUMENTS = [
    {"verb": "Identify", "metadataPrefix": "oai_dc"},
    {"verb": "ListRecords"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "colour": "blue"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-13-01"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-02-30"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01T00:00:00"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01T00:00Z"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-02", "until": "2020-01-01"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01",
     "until": "2020-01-02T00:00:00Z"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "a b"},
    {"verb": "ListRecords", "metadataPrefix": "oai dc"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "abc"},
    {"verb": "GetRecord", "identifier": oai_id("OA-0001")},
    {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "not a uri"},
    {"verb": "ListSets", "set": "type"},
    {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": ""},
]  # fmt: skip


@pytest.mark.parametrize("arguments", BAD_ARGUMENTS)
def test_bad_arguments(client, catalogue, arguments):
    for method in ("get", "post"):
        root = ask(client, method, **arguments)
        assert error_code(root) == "badArgument"
        assert root.find("o:request", NS).attrib == {}  # a bad request is not repeated


def test_bad_verbs_and_repeated_arguments(client, catalogue):
    for query in ("", "verb=Nothing", "verb=Identify&verb=Identify", "verb=identify"):
        response = client.get(f"/oai?{query}")
        root = valid(response.data)
        assert error_code(root) == "badVerb" and root.find("o:request", NS).attrib == {}
    response = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=mods")
    root = valid(response.data)
    assert error_code(root) == "badArgument" and root.find("o:request", NS).attrib == {}
    response = client.get("/oai?verb=ListSets&resumptionToken=%01")  # XML cannot hold it
    assert error_code(valid(response.data)) == "badArgument"


def test_the_other_errors(client, catalogue):
    for arguments, code in [
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": oai_id("OA-0001"), "metadataPrefix": "marc21"},
         "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": oai_id("OA-STAFF"), "metadataPrefix": "oai_dc"},
         "idDoesNotExist"),
        ({"verb": "GetRecord", "identifier": oai_id("OA-9999"), "metadataPrefix": "oai_dc"},
         "idDoesNotExist"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "collection:0"},
         "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "mods", "from": "2999-01-01"},
         "noRecordsMatch"),
        ({"verb": "ListSets", "resumptionToken": "garbled"}, "badResumptionToken"),
    ]:  # fmt: skip
        root = ask(client, **arguments)
        assert error_code(root) == code, arguments
        assert root.find("o:request", NS).attrib == arguments  # a valid request is repeated


def test_no_set_hierarchy_only_while_nothing_is_public(client):
    root = ask(client, verb="ListSets")
    assert error_code(root) == "noSetHierarchy"
    assert error_code(ask(client, verb="ListRecords", metadataPrefix="oai_dc")) == "noRecordsMatch"
    identify = ask(client, verb="Identify")
    assert identify.findtext(".//o:earliestDatestamp", namespaces=NS).endswith("Z")


# --- resumption tokens ------------------------------------------------------------------------------


def first_token(client, **arguments) -> str:
    root = ask(client, **arguments)
    return token_of(root).text


def test_forged_garbled_and_foreign_tokens_are_refused(app, client, catalogue):
    token = first_token(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert error_code(ask(client, verb="ListIdentifiers", resumptionToken=token)) is None
    payload, _, signature = token.rpartition(".")
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    for bad in (forged, token[:-3], "x" * 40, token + token):
        root = ask(client, verb="ListIdentifiers", resumptionToken=bad)
        assert error_code(root) == "badResumptionToken"
        assert root.find("o:request", NS).attrib == {"verb": "ListIdentifiers",
                                                     "resumptionToken": bad}  # fmt: skip
    # a token of one list does not page another
    assert error_code(ask(client, verb="ListRecords", resumptionToken=token)) == (
        "badResumptionToken"
    )
    with app.test_request_context():
        other = repository()
    elsewhere = dataclasses.replace(other, secret="another archive")
    signed_elsewhere = make_token(
        {"v": "ListIdentifiers"}, elsewhere, utcnow() + timedelta(hours=1)
    )
    root = ask(client, verb="ListIdentifiers", resumptionToken=signed_elsewhere)
    assert error_code(root) == "badResumptionToken"


def test_an_expired_token_is_refused(app, client, catalogue):
    token = first_token(client, verb="ListRecords", metadataPrefix="oai_dc")
    with app.test_request_context():
        signed = repository()
    state = signed_state(app, token)
    expired = make_token(state, signed, utcnow() - timedelta(seconds=1))
    assert error_code(ask(client, verb="ListRecords", resumptionToken=expired)) == (
        "badResumptionToken"
    )
    app.config["OAI"]["TOKEN_LIFETIME"] = 1
    root = ask(client, verb="ListRecords", metadataPrefix="oai_dc")
    token = token_of(root)
    expires = stamp(token.get("expirationDate"))
    assert expires - stamp(root.findtext("o:responseDate", namespaces=NS)) <= timedelta(seconds=2)
    while datetime.now(UTC).replace(tzinfo=None) <= expires + timedelta(seconds=1):
        time.sleep(0.2)
    assert error_code(ask(client, verb="ListRecords", resumptionToken=token.text)) == (
        "badResumptionToken"
    )


def signed_state(app, token: str) -> dict:
    from itsdangerous import URLSafeSerializer

    from archive.exchange.oai import TOKEN_SALT

    return URLSafeSerializer(app.config["SECRET_KEY"], salt=TOKEN_SALT).loads(token)


def next_second() -> None:
    """Wait until the clock shows a new second (datestamps are whole seconds)."""
    now = datetime.now(UTC)
    time.sleep(1.05 - now.microsecond / 1_000_000)


def test_a_token_from_before_a_change_in_its_list_is_refused(app, client, catalogue):
    token = first_token(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    first_collection = f"collection:{catalogue['collections'][COLLECTIONS[0]]}"
    in_set = first_token(client, verb="ListIdentifiers", metadataPrefix="oai_dc",
                         set=first_collection)  # fmt: skip
    next_second()
    with app.app_context():  # an item in no collection changes: the collection's list is the same
        items.describe(items.find_item("OA-0000"), {"description": "وصف جديد"}, user=None)
    assert error_code(ask(client, verb="ListIdentifiers", resumptionToken=token)) == (
        "badResumptionToken"
    )
    assert error_code(ask(client, verb="ListIdentifiers", resumptionToken=in_set)) is None
    # A harvest begun now pages through to the end, the change included once.
    _, found = harvest_all(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(found) == len({h.findtext("o:identifier", namespaces=NS) for h in found}) == 266
    assert found[-1].findtext("o:identifier", namespaces=NS) == oai_id("OA-0000")


def test_sickle_starts_again_when_its_token_is_refused(app, catalogue):
    with serving(app) as (url, bodies):
        records = Sickle(url).ListRecords(metadataPrefix="oai_dc")
        first = next(records)
        next_second()
        with app.app_context():
            items.describe(items.find_item("OA-0100"), {"title_en": "changed"}, user=None)
        with pytest.raises(SickleBadResumptionToken):
            list(records)
        records = list(Sickle(url).ListRecords(metadataPrefix="oai_dc"))
    assert first.header.identifier == oai_id("OA-0000")
    assert len(records) == len({r.header.identifier for r in records}) == 266
    for body in bodies:
        valid(body)


# --- many harvesters at once ------------------------------------------------------------------------


def test_reconciles_at_the_same_time_do_not_fail(app, catalogue):
    """Requests that all reconcile at once (after a change each must see) all answer, and the
    records stay one per item."""
    with app.app_context():
        with unit_of_work():
            for n in range(0, 60, 3):
                items.describe(items.find_item(f"OA-{n:04d}"), {"notes": "x"}, user=None)
    failures, answers = [], []
    with serving(app) as (url, bodies):
        start = threading.Barrier(8)

        def harvester():
            try:
                start.wait()
                with Scythe(url) as scythe:
                    answers.append(len(list(scythe.list_identifiers(metadata_prefix="oai_dc"))))
            except Exception as error:  # noqa: BLE001 - the test reports it
                failures.append(error)

        threads = [threading.Thread(target=harvester) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert not failures, failures
    assert answers == [266] * 8
    with app.app_context():
        identifiers = db.session.scalars(select(HarvestRecord.identifier)).all()
    assert len(identifiers) == len(set(identifiers)) == 266
    for body in bodies:
        valid(body)


def test_scythe_finds_nothing_in_an_empty_archive(app):
    with serving(app) as (url, _), Scythe(url) as scythe:
        with pytest.raises(ScytheNoRecordsMatch):
            list(scythe.list_records())


# --- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "oai",
    [{"PAGE_SIZE": 0}, {"TOKEN_LIFETIME": "soon"}, {"ADMIN_EMAIL": "nobody"},
     {"REPOSITORY_IDENTIFIER": "not a domain"}],
)  # fmt: skip
def test_unusable_settings_are_refused_at_start(tmp_path, oai):
    with pytest.raises(ValueError, match=r"\[OAI\]"):
        create_app({**app_config(tmp_path / "instance"), "OAI": oai})


# --- the schemas themselves, and the crosswalks alone -------------------------------------------


def test_the_schemas_refuse_what_the_protocol_does_not_allow(client, catalogue):
    """The validation is not a formality: a response bent out of shape fails it."""
    body = client.get(f"/oai?verb=GetRecord&identifier={oai_id('OA-AUDIO')}&metadataPrefix=mods")
    good = body.data
    valid(good)
    datestamp = re.search(rb"<datestamp>([^<]+)</datestamp>", good).group(1)
    for bent in (
        good.replace(b"<datestamp>" + datestamp, b"<datestamp>" + datestamp[:-1]),  # no Z
        good.replace(b'type="code"', b'type="word"', 1),  # a roleTerm type MODS does not have
        good.replace(
            b"<mods:typeOfResource>", b"<mods:colour>x</mods:colour><mods:typeOfResource>"
        ),
        good.replace(b"<header>", b'<header status="gone">'),
    ):
        assert bent != good
        assert not oai_schema().validate(etree.fromstring(bent))
    dc = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc").data
    valid(dc)
    assert not oai_schema().validate(
        etree.fromstring(dc.replace(b"<dc:rights>", b"<dc:colour>red</dc:colour><dc:rights>", 1))
    )
    error = client.get("/oai?verb=Nothing").data
    assert not oai_schema().validate(etree.fromstring(error.replace(b"badVerb", b"badMood")))


def test_the_crosswalks_need_no_request(app, catalogue):
    """Issue 13's preservation packages use them from a command: a base URL is all they need."""
    from archive.exchange import crosswalk

    with app.app_context():
        item = items.find_item("OA-VIDEO")
        for make in (crosswalk.oai_dc, crosswalk.mods):
            element = make(item, "https://archive.example.org/base/", publisher="Archive")
            text = etree.tostring(element, encoding="unicode")
            assert "https://archive.example.org/base/items/OA-VIDEO" in text
            wrapped = (
                f'<OAI-PMH xmlns="{OAI}"><responseDate>2020-01-01T00:00:00Z</responseDate>'
                "<request>https://archive.example.org/oai</request><GetRecord><record><header>"
                "<identifier>oai:x.org:OA-VIDEO</identifier><datestamp>2020-01-01</datestamp>"
                f"</header><metadata>{text}</metadata></record></GetRecord></OAI-PMH>"
            )
            valid(wrapped.encode())
        mods = crosswalk.mods(item, "https://archive.example.org")
        assert mods.findtext("m:typeOfResource", namespaces=NS) == "moving image"
        assert mods.findtext(".//m:recordContentSource", namespaces=NS) is None
