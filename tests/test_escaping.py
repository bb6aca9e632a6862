"""Markup typed into any field, transcript, name, label or uploaded filename is shown as text on
every page, public and staff, and cannot break out of the JSON-LD block."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.db import db
from archive.models import Collection, Person, Place, Tag
from tests.test_upload import make_tone, upload

SCRIPT = '<script>alert("x")</script>'
IMAGE = "<img src=x onerror=alert(1)>"
CLOSE = "</script><script>alert(2)</script>"
DANGEROUS = ("<script>alert", "<img src=x", "</script><script>")


def payload(label: str) -> str:
    return f"{label} {SCRIPT} {IMAGE} {CLOSE}"


def test_markup_is_text_everywhere(app, client, auth, tmp_path):
    auth.login("archivist@example.org")
    token = auth.csrf("/manage/upload")
    tone = make_tone(tmp_path / "tone.wav", seconds=1)
    result = upload(client, token, tone, filename=f"{IMAGE}.wav").get_json()["results"][0]
    identifier = result["item"]
    with app.app_context():
        item = items.find_item(identifier)
        items.describe(
            item,
            {
                "title": payload("عنوان"),
                "title_en": payload("Title"),
                "description": payload("وصف"),
                "description_en": payload("Description"),
                "place": payload("مكان"),
                "notes": payload("ملاحظات"),
                "date": "1988",
                "access": "public",
                "narrators": [payload("راوي")],
                "tags": [payload("وسم")],
                "collections": [payload("مجموعة")],
                "prisons": [payload("سجن")],
            },
            user=None,
        )
        transcript = transcripts.attach(
            item, [ParsedSegment(0.0, 1.0, payload("كلمات النص"))], language="ar", user=None
        )
        items.publish(item, user=None)
        ids = {
            "person": db.session.scalar(select(Person.id)),
            "tag": db.session.scalar(select(Tag.id)),
            "collection": db.session.scalar(select(Collection.id)),
            "place": db.session.scalar(select(Place.id)),
            "transcript": transcript.id,
        }
        db.session.remove()

    public = [
        "/", f"/items/{identifier}", f"/embed/{identifier}", f"/people/{ids['person']}",
        f"/tags/{ids['tag']}", f"/collections/{ids['collection']}", f"/places/{ids['place']}",
        "/browse", "/browse/people", "/browse/tags", "/browse/places", "/collections",
        "/figures", "/search?q=" + "كلمات", "/search?q=" + "Title",
        "/search?q=" + SCRIPT,
    ]  # fmt: skip
    staff = [
        "/manage/", f"/manage/items/{identifier}",
        f"/manage/items/{identifier}/transcripts/{ids['transcript']}", "/manage/people",
        f"/manage/people/{ids['person']}", "/manage/tags", "/manage/collections", "/manage/upload",
    ]  # fmt: skip
    pages = [("archivist", path) for path in public + staff]
    auth.logout()
    pages += [("anonymous", path) for path in public]

    checked = 0
    for who, path in pages:
        if who == "archivist" and checked == 0:
            auth.login("archivist@example.org")
        if who == "anonymous" and checked == len(public + staff):
            auth.logout()
        response = client.get(path)
        checked += 1
        assert response.status_code == 200, (who, path, response.status_code)
        assert response.mimetype == "text/html"
        body = response.get_data(as_text=True)
        for dangerous in DANGEROUS:
            assert dangerous not in body, (who, path, dangerous)
        if path == f"/items/{identifier}":
            assert "&lt;script&gt;alert" in body  # shown, as text
            block = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
            if block:  # public items only: the JSON-LD stays one block of valid JSON
                data = json.loads(block.group(1))
                assert any(SCRIPT in value for value in data.values() if isinstance(value, str))

    # the search API returns the words as data, and its highlighted text as escaped HTML
    found = client.get("/api/search?q=" + "كلمات").get_json()
    hits = [hit["text"] for r in found["results"] for hit in r["hits"]]
    assert hits and all("<script>" not in text and "&lt;script&gt;" in text for text in hits)
