"""IIIF Presentation 3 manifests and collections, on items made by the real operations (upload
and transcode with ffmpeg, describe, attach and withhold transcripts, publish), each answer
checked against the IIIF Presentation 3 JSON Schema and loaded back into iiif-prezi3."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import iiif_prezi3
import pytest
from jsonschema import Draft7Validator

from archive.catalogue import items, transcripts, withdrawal
from archive.catalogue.transcript_formats import ParsedSegment
from archive.db import db
from archive.exchange import iiif, iiif_collections
from archive.models import Collection, Transcript
from tests.test_listening import WITHHELD_AR, WITHHELD_EN, json_ld, make_item, page_of
from tests.test_upload import make_tone, make_video, upload

SCHEMA = json.loads((Path(__file__).parent / "data" / "iiif" / "iiif_3_0.json").read_text())
VALIDATOR = Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
SITE = "http://127.0.0.1:5000"  # [SERVER] BASE_URL in the tests
FRENCH = [ParsedSegment(0.0, 1.5, "Les visites venaient toutes les deux semaines")]
FILM = [
    ParsedSegment(0.0, 1.0, "تحولت السجون إلى مدارس", "محاضر"),
    ParsedSegment(1.0, None, "وجامعات"),
]
NOWHERE = "NO-SUCH-ITEM"


def make_film(app, client, auth, path, *, collection: str, publish: bool = True) -> dict:
    """Upload a video as the archivist, describe it with one Arabic transcript, publish."""
    auth.login("archivist@example.org")
    result = upload(client, auth.csrf("/manage/upload"), path, type="lecture").get_json()
    identifier = result["results"][0]["item"]
    with app.app_context():
        item = items.find_item(identifier)
        fields = {"title": "محاضرة عن التعليم", "access": "public", "languages": "ar",
                  "date": "circa 1990", "collections": collection}  # fmt: skip
        items.describe(item, fields, user=None)
        arabic = transcripts.attach(item, FILM, language="ar", user=None)
        if publish:
            items.publish(item, user=None)
        ids = {"identifier": identifier, "ar": arabic.id, "recording": item.recordings[0].id}
    auth.logout()
    return ids


@pytest.fixture
def archive(app, client, auth, tmp_path, catalogues):
    """A public testimony (Arabic and English transcripts, a passage withheld, a French one
    restricted), a public film in its own collection, and a draft film in a collection of
    its own and in the testimony's: made once, each test gets its own copy."""

    def build():
        testimony = make_item(app, client, auth, make_tone(tmp_path / "tone.wav", seconds=6))
        with app.app_context():
            item = items.find_item(testimony["identifier"])
            french = transcripts.attach(item, FRENCH, language="fr", user=None)
            transcripts.restrict_transcript(french, True, user=None)
            testimony["fr"] = french.id
        film = make_film(app, client, auth, make_video(tmp_path / "film.mp4", seconds=2),
                         collection="محاضرات")  # fmt: skip
        draft = make_film(app, client, auth, make_video(tmp_path / "d.mp4", seconds=1, size="320x240"),
                          collection="مسودات سرية | شهادات الأسرى", publish=False)  # fmt: skip
        with app.app_context():
            ids = {c.title: c.id for c in db.session.query(Collection)}
        return {"testimony": testimony, "film": film, "draft": draft, "collections": ids}

    return catalogues.get("iiif", app, build)


def valid(document: dict) -> dict:
    """``document`` after checking it against the IIIF Presentation 3 JSON Schema."""
    errors = sorted(VALIDATOR.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return document


def loads_back(document: dict, kind) -> None:
    """iiif-prezi3 reads the JSON back into its model and writes the same JSON."""
    made = kind(**{key: value for key, value in document.items() if key != "@context"})
    assert json.loads(made.jsonld()) == document


def get_json(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, url
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Content-Type"] == (
        'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
    )
    return response.get_json()


def manifest_of(client, identifier: str) -> dict:
    document = valid(get_json(client, f"/iiif/items/{identifier}/manifest"))
    loads_back(document, iiif_prezi3.Manifest)
    return document


def texts(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_a_sound_recording_manifest(client, archive):
    ident = archive["testimony"]["identifier"]
    recording = archive["testimony"]["recording"]
    manifest = manifest_of(client, ident)
    assert manifest["id"] == f"{SITE}/iiif/items/{ident}/manifest"
    assert manifest["label"] == {"ar": ["شهادة عن يوم الزيارة"], "en": ["A testimony about visiting day"]}  # fmt: skip
    assert manifest["summary"]["en"] == ["A former prisoner speaks of a family visit."]
    assert manifest["rights"] == "http://creativecommons.org/licenses/by-nc/4.0/"
    assert manifest["navDate"] == "1988-04-01T00:00:00Z"
    assert manifest["requiredStatement"]["value"]["fr"] == [
        "Archive d'histoire orale du mouvement des prisonniers"
    ]
    assert manifest["homepage"][0]["id"] == f"{SITE}/items/{ident}"
    assert manifest["homepage"][0]["format"] == "text/html"
    provider = manifest["provider"][0]
    assert provider["type"] == "Agent" and provider["homepage"][0]["id"] == f"{SITE}/"
    metadata = {entry["label"]["en"][0]: entry for entry in manifest["metadata"]}
    assert metadata["Narrator"]["value"] == {"ar": ["رأفت حمدونة"], "en": ["Raafat Hamdouna"]}
    assert metadata["Narrator"]["label"] == {"ar": ["الراوي"], "en": ["Narrator"], "fr": ["Narrateur"]}  # fmt: skip
    assert metadata["Interviewer"]["value"] == {"en": ["Jane Doe"]}
    assert metadata["Type"]["value"]["fr"] == ["Témoignage"]
    assert metadata["Date recorded"]["value"] == {"none": ["1988-04"]}
    assert metadata["Place recorded"]["value"] == {"ar": ["غزة"]}
    assert metadata["Prisons and places"]["value"] == {"ar": ["سجن نفحة"]}
    assert metadata["Tags"]["value"] == {"ar": ["الزيارة", "العائلة"]}
    assert metadata["Collection"]["value"] == {"ar": ["شهادات الأسرى"]}
    assert metadata["Language"]["value"] == {"ar": ["العربية"], "en": ["Arabic"], "fr": ["arabe"]}
    assert metadata["Duration"]["value"] == {"none": ["0:00:06"]}
    assert metadata["Identifier"]["value"] == {"none": [ident]}
    part_of = [collection["id"] for collection in manifest["partOf"]]
    collection = archive["collections"]["شهادات الأسرى"]
    assert part_of == [f"{SITE}/iiif/collections", f"{SITE}/iiif/collections/{collection}"]

    [canvas] = manifest["items"]
    assert canvas["duration"] == pytest.approx(6, abs=0.1) and "width" not in canvas
    [painting] = canvas["items"][0]["items"]
    assert painting["motivation"] == "painting" and painting["target"] == canvas["id"]
    assert painting["body"] == {
        "id": f"{SITE}/media/{recording}/access",
        "type": "Sound",
        "format": "audio/mp4",
        "duration": canvas["duration"],
    }
    # No poster for a sound: the waveform picture is its thumbnail, and the manifest's.
    [waveform] = canvas["thumbnail"]
    assert waveform["id"] == f"{SITE}/iiif/items/{ident}/waveform/{recording}.svg"
    assert (waveform["format"], waveform["width"], waveform["height"]) == (
        "image/svg+xml",
        1000,
        200,
    )
    assert manifest["thumbnail"] == canvas["thumbnail"]
    assert "structures" not in manifest  # the catalogue keeps no index of named moments


def test_transcripts_as_webvtt_files_and_timed_text(client, archive):
    made = archive["testimony"]
    manifest = manifest_of(client, made["identifier"])
    canvas = manifest["items"][0]
    captions, arabic, english = canvas["annotations"]
    # One WebVTT file per language, as a Choice; the restricted French transcript is not there.
    [annotation] = captions["items"]
    assert annotation["motivation"] == "supplementing" and annotation["target"] == canvas["id"]
    choice = annotation["body"]
    assert choice["type"] == "Choice"
    base = f"{SITE}/iiif/items/{made['identifier']}/transcripts"
    assert [(body["id"], body["language"], body["format"], body["type"]) for body in choice["items"]] == [
        (f"{base}/{made['ar']}.vtt", "ar", "text/vtt", "Text"),
        (f"{base}/{made['en']}.vtt", "en", "text/vtt", "Text"),
    ]  # fmt: skip
    assert choice["items"][1]["label"]["fr"] == ["anglais"]
    # Timed text: the withheld passage is left out, its words and its times.
    assert [(a["body"]["value"], a["target"].split("#")[1]) for a in arabic["items"]] == [
        ("كانت الزيارة مرة كل أسبوعين", "t=0,1.5"),
        ("كانت أمي تأتي من الفجر", "t=3,5.5"),
    ]
    assert {a["body"]["language"] for a in english["items"]} == {"en"}
    assert english["label"]["en"] == ["Transcript: English"]
    assert all(a["motivation"] == "supplementing" for a in arabic["items"] + english["items"])
    everything = texts(manifest)
    assert WITHHELD_AR not in everything and WITHHELD_EN not in everything
    assert "t=1.5,3" not in everything and "Les visites" not in everything
    assert f"/transcripts/{made['fr']}" not in everything
    # The files say what the annotations say, and nothing withheld.
    for body in choice["items"]:
        response = client.get(body["id"].removeprefix(SITE))
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/vtt; charset=utf-8"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        vtt = response.get_data(as_text=True)
        assert vtt.startswith("WEBVTT") and "00:00:03.000 --> 00:00:05.500" in vtt
        assert WITHHELD_AR not in vtt and WITHHELD_EN not in vtt and "00:00:01.500 -->" not in vtt
    restricted = client.get(f"/iiif/items/{made['identifier']}/transcripts/{made['fr']}.vtt")
    assert restricted.status_code == 404 and "Les visites" not in restricted.get_data(as_text=True)


def test_a_video_manifest(client, archive):
    made = archive["film"]
    manifest = manifest_of(client, made["identifier"])
    assert manifest["label"] == {"ar": ["محاضرة عن التعليم"]}
    assert "rights" not in manifest and "navDate" not in manifest  # none stated; a circa date
    metadata = {entry["label"]["en"][0]: entry["value"] for entry in manifest["metadata"]}
    assert metadata["Date recorded"] == {"ar": ["حوالي عام 1990"], "en": ["circa 1990"], "fr": ["vers 1990"]}  # fmt: skip
    assert metadata["Type"]["en"] == ["Lecture"]
    [canvas] = manifest["items"]
    body = canvas["items"][0]["items"][0]["body"]
    assert (body["type"], body["format"], body["width"], body["height"]) == ("Video", "video/mp4", 1280, 720)  # fmt: skip
    assert (canvas["width"], canvas["height"]) == (1280, 720)
    assert body["duration"] == canvas["duration"] == pytest.approx(2, abs=0.1)
    poster, waveform = canvas["thumbnail"]
    assert poster == {"id": f"{SITE}/media/{made['recording']}/poster", "type": "Image",
                      "format": "image/jpeg", "width": 1280, "height": 720}  # fmt: skip
    assert waveform["format"] == "image/svg+xml"
    # One language: the WebVTT file is the body itself. The passage without an end lasts
    # until the end of the recording.
    captions, arabic = canvas["annotations"]
    assert captions["items"][0]["body"]["language"] == "ar"
    assert captions["items"][0]["body"]["type"] == "Text"
    assert [a["target"].split("#t=")[1] for a in arabic["items"]] == ["0,1", f"1,{canvas['duration']:g}"]  # fmt: skip


def test_see_also_leads_to_the_same_item_in_other_formats(app, client, archive):
    """The catalogue record by OAI-PMH and in the JSON API, and each recording's OHMS record:
    linked when this site serves them, and each link answers with that item."""
    ident = archive["testimony"]["identifier"]
    manifest = manifest_of(client, ident)
    links = manifest.get("seeAlso", []) + manifest["items"][0].get("seeAlso", [])
    served = {"oai.endpoint": 2, "api.get_item": 1, "exports.ohms_xml": 1}
    assert len(links) == sum(n for view, n in served.items() if view in app.view_functions)
    for link in links:
        assert link["type"] == "Dataset" and link["label"]["en"]
        response = client.get(link["id"].removeprefix(SITE))
        assert response.status_code == 200, link["id"]
        assert response.mimetype == link["format"].split(";")[0]
        body = response.get_data(as_text=True)
        assert ident in body and "idDoesNotExist" not in body and WITHHELD_AR not in body


def test_the_media_of_public_items_may_be_read_by_any_site(client, auth, archive):
    """IIIF viewers ask for the media with ``crossorigin``: a public item's access copy and
    poster carry ``Access-Control-Allow-Origin: *``; a hidden item's never do."""
    film = archive["film"]["recording"]
    for role in ("access", "poster"):
        with client.get(f"/media/{film}/{role}") as response:
            assert response.status_code == 200
            assert response.headers["Access-Control-Allow-Origin"] == "*"
    auth.login("archivist@example.org")
    with client.get(f"/media/{archive['draft']['recording']}/access") as draft:
        assert draft.status_code == 200 and "Access-Control-Allow-Origin" not in draft.headers


def test_staff_get_the_public_manifest(client, auth, archive):
    ident = archive["testimony"]["identifier"]
    public = client.get(f"/iiif/items/{ident}/manifest").get_json()
    auth.login("archivist@example.org")
    assert client.get(f"/iiif/items/{ident}/manifest").get_json() == public
    draft = archive["draft"]["identifier"]
    assert client.get(f"/iiif/items/{draft}/manifest").status_code == 404


def test_collections_list_the_visible_manifests(client, archive):
    top = valid(get_json(client, "/iiif/collections"))
    loads_back(top, iiif_prezi3.Collection)
    assert top["id"] == f"{SITE}/iiif/collections"
    assert top["label"]["en"] == ["Prisoners' Movement Oral History Archive"]
    ids = archive["collections"]
    listed = [(entry["type"], entry["id"]) for entry in top["items"]]
    film, testimony = archive["film"]["identifier"], archive["testimony"]["identifier"]
    assert listed == [
        ("Collection", f"{SITE}/iiif/collections/{ids['شهادات الأسرى']}"),
        ("Collection", f"{SITE}/iiif/collections/{ids['محاضرات']}"),
        ("Manifest", f"{SITE}/iiif/items/{testimony}/manifest"),
        ("Manifest", f"{SITE}/iiif/items/{film}/manifest"),
    ]
    assert top["items"][3]["label"] == {"ar": ["محاضرة عن التعليم"]}
    assert top["items"][3]["thumbnail"][0]["format"] == "image/jpeg"
    own = valid(get_json(client, f"/iiif/collections/{ids['شهادات الأسرى']}"))
    loads_back(own, iiif_prezi3.Collection)
    assert own["label"] == {"ar": ["شهادات الأسرى"]}
    assert own["homepage"][0]["id"] == f"{SITE}/collections/{ids['شهادات الأسرى']}"
    assert [entry["id"] for entry in own["items"]] == [f"{SITE}/iiif/items/{testimony}/manifest"]
    everything = texts(top) + texts(own)
    assert archive["draft"]["identifier"] not in everything and "مسودات سرية" not in everything
    # A collection of hidden items keeps even its title; so does one that does not exist.
    secret = client.get(f"/iiif/collections/{ids['مسودات سرية']}")
    unknown = client.get("/iiif/collections/999999")
    assert secret.status_code == unknown.status_code == 404
    secret_id = str(ids["مسودات سرية"])
    # the page names its own address (language links): the id is there and nowhere else
    secret_page = re.sub(
        rf"/collections/{secret_id}\b", "/collections/999999", secret.get_data(as_text=True)
    )
    assert secret_page == unknown.get_data(as_text=True)
    assert secret.headers["Access-Control-Allow-Origin"] == "*"


def test_large_collections_are_split_into_collections(client, archive, monkeypatch):
    monkeypatch.setattr(iiif_collections, "PER_PAGE", 1)
    top = valid(get_json(client, "/iiif/collections"))
    pages = [entry for entry in top["items"] if entry["id"].startswith(f"{SITE}/iiif/collections?")]
    assert [(entry["id"], entry["label"]["en"]) for entry in pages] == [
        (f"{SITE}/iiif/collections?page=1", ["Items 1–1"]),
        (f"{SITE}/iiif/collections?page=2", ["Items 2–2"]),
    ]
    assert not [entry for entry in top["items"] if entry["type"] == "Manifest"]
    found = []
    for number in (1, 2):
        page = valid(get_json(client, f"/iiif/collections?page={number}"))
        loads_back(page, iiif_prezi3.Collection)
        assert page["id"] == f"{SITE}/iiif/collections?page={number}"
        assert page["partOf"][0]["id"] == f"{SITE}/iiif/collections"
        found += [entry["id"] for entry in page["items"]]
    assert found == [
        f"{SITE}/iiif/items/{archive[key]['identifier']}/manifest" for key in ("testimony", "film")
    ]
    for beyond in ("/iiif/collections?page=3", "/iiif/collections?page=0",
                   "/iiif/collections?page=x"):  # fmt: skip
        assert client.get(beyond).status_code == 404, beyond
    monkeypatch.setattr(iiif_collections, "PER_PAGE", 500)
    assert client.get("/iiif/collections?page=1").status_code == 404  # one holds them all


@pytest.mark.parametrize(
    "change, status",
    [
        ({"access": "researchers"}, 404),
        ({"access": "staff"}, 404),
        ({"embargo_until": "2099-01-01"}, 404),
        ("unpublish", 404),
        ("withdraw", 410),
    ],
)
def test_hidden_items_answer_like_unknown_ones(app, client, archive, change, status):
    made = archive["testimony"]
    ident = made["identifier"]
    with app.app_context():
        item = items.find_item(ident)
        if change == "unpublish":
            items.unpublish(item, user=None)
        elif change == "withdraw":
            withdrawal.withdraw(item, "The narrator asked.", user=None)
        else:
            items.describe(item, change, user=None)
    urls = [
        f"/iiif/items/{ident}/manifest",
        f"/iiif/items/{ident}/transcripts/{made['ar']}.vtt",
        f"/iiif/items/{ident}/waveform/{made['recording']}.svg",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == status, url
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = response.get_data(as_text=True)
        assert "شهادة عن يوم الزيارة" not in body
        if status == 404:
            unknown = client.get(url.replace(ident, NOWHERE))
            assert unknown.status_code == 404
            assert body == unknown.get_data(as_text=True).replace(NOWHERE, ident)
    top = client.get("/iiif/collections").get_data(as_text=True)
    assert ident not in top and "شهادات الأسرى" not in top  # it was that collection's only one
    collection = archive["collections"]["شهادات الأسرى"]
    assert client.get(f"/iiif/collections/{collection}").status_code == 404
    page = client.get(f"/items/{ident}")
    assert page.status_code == status and "/iiif/" not in page.get_data(as_text=True)


def test_the_waveform_picture(client, archive):
    made = archive["testimony"]
    url = f"/iiif/items/{made['identifier']}/waveform/{made['recording']}.svg"
    response = client.get(url)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    svg = ET.fromstring(response.get_data())
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert (svg.get("width"), svg.get("height")) == ("1000", "200")
    # Drawn from the public copy's peaks: the withheld passage (1.5 s to 3 s of 6) is silent.
    points = svg.find("{http://www.w3.org/2000/svg}polygon").get("points").split()
    tops = [float(point.split(",")[1]) for point in points[:1000]]
    assert all(top >= 99 for top in tops[260:490]), "the withheld passage is not silent"
    assert min(tops[:240]) < 90 and min(tops[510:900]) < 90, "the tone is not drawn"
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Access-Control-Allow-Origin"] == "*"
    other = archive["film"]["recording"]  # not a recording of this item
    assert client.get(f"/iiif/items/{made['identifier']}/waveform/{other}.svg").status_code == 404


def test_manifests_are_revalidated_with_their_etag(client, archive):
    url = f"/iiif/items/{archive['testimony']['identifier']}/manifest"
    response = client.get(url)
    assert response.headers["Cache-Control"] == "public, no-cache"
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_an_item_without_media_has_no_manifest(app, client):
    with app.app_context():
        item = items.create(identifier="POEM-1", title="قصيدة", type="poem", user=None)
        items.describe(item, {"access": "public"}, user=None)
        transcripts.attach(item, [ParsedSegment(None, None, "منتصب القامة")], language="ar", user=None)  # fmt: skip
        items.publish(item, user=None)
    assert client.get("/iiif/items/POEM-1/manifest").status_code == 404
    page = page_of(client, "/items/POEM-1")
    assert "/iiif/" not in page and "subjectOf" not in json_ld(page)
    assert client.get("/iiif/collections").get_json()["items"] == []


def test_the_listening_page_links_to_its_manifest(client, archive):
    ident = archive["testimony"]["identifier"]
    page = page_of(client, f"/items/{ident}")
    manifest = f"{SITE}/iiif/items/{ident}/manifest"
    link = re.search(
        rf'<a href="{re.escape(manifest)}" type="application/ld\+json">([^<]+)</a>', page
    )
    assert link and "IIIF" in link.group(1) and "<img" not in page[link.start() - 200 : link.end()]
    subject = json_ld(page)["subjectOf"]
    assert subject["url"] == subject["@id"] == manifest
    assert subject["encodingFormat"].startswith("application/ld+json")


def test_a_transcript_without_times_is_text_only(app, client, archive):
    made = archive["film"]
    with app.app_context():
        item = items.find_item(made["identifier"])
        untimed = transcripts.attach(item, [ParsedSegment(None, None, "Schools and universities")],
                                     language="en", user=None)  # fmt: skip
        untimed_id = untimed.id
    manifest = manifest_of(client, made["identifier"])
    canvas = manifest["items"][0]
    captions = canvas["annotations"][0]["items"][0]["body"]
    assert captions["type"] == "Text" and captions["language"] == "ar"  # no WebVTT without times
    english = canvas["annotations"][2]["items"]
    assert [(a["body"]["value"], a["target"]) for a in english] == [
        ("Schools and universities", canvas["id"])
    ]
    url = f"/iiif/items/{made['identifier']}/transcripts/{untimed_id}.vtt"
    assert client.get(url).status_code == 404
    with app.app_context():
        assert db.session.get(Transcript, untimed_id).language == "en"


def test_helpers():
    assert iiif.language_map([("عربي", "English")]) == {"ar": ["عربي"], "en": ["English"]}
    assert iiif.language_map([("", "Only English")]) == {"en": ["Only English"]}
    # Each catalogued in one language only: one list, tagged by its script, "none" when mixed.
    assert iiif.language_map([("عربي", ""), ("", "Latin")]) == {"none": ["عربي", "Latin"]}
    assert iiif.language_map([("عربي", ""), ("عربي آخر", "Other")]) == {
        "ar": ["عربي", "عربي آخر"],
        "en": ["عربي", "Other"],
    }
    assert iiif.language_map([("", ""), (" ", "")]) == {}
    assert iiif.iiif_rights("https://creativecommons.org/licenses/by/4.0/") == (
        "http://creativecommons.org/licenses/by/4.0/"
    )
    assert iiif.iiif_rights("http://rightsstatements.org/vocab/InC/1.0/").startswith("http://")
    assert iiif.nav_date("1988").isoformat() == "1988-01-01T00:00:00+00:00"
    assert iiif.nav_date("1988-04-12").day == 12
    assert iiif.nav_date("circa 1990") is None and iiif.nav_date("1988-13") is None
    assert iiif.scaled(1920, 1080, 720) == (1280, 720)
    assert iiif.scaled(640, 360, 720) == (640, 360)
    assert iiif.scaled(1080, 1920, 720) == (406, 720)  # as ffmpeg makes them
    assert iiif.scaled(1000, 750, 720) == (960, 720)
    assert iiif.seconds(65.0) == "65" and iiif.seconds(12.3456) == "12.346"
    assert iiif.clock(3725.9) == "1:02:05"
