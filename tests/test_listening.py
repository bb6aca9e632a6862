"""The listening page and the embed, through the Flask test client, on items made by the real
operations (upload and transcode with ffmpeg, describe, attach transcripts, publish)."""

from __future__ import annotations

import html
import json
import re

import pytest

from archive.catalogue import authority, items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.db import db
from archive.models import Transcript
from archive.web import listening
from tests.test_upload import make_tone, make_video, upload

# an <audio> of the item itself (the site-wide queue bar has its own, empty one)
ITEM_PLAYER = re.compile(r'<audio(?! id="queue-audio")')

ARABIC = [
    ParsedSegment(0.0, 1.5, "كانت الزيارة مرة كل أسبوعين", "رأفت حمدونة"),
    ParsedSegment(1.5, 3.0, "سرٌّ لا يُنشر: اسم المحقق"),
    ParsedSegment(3.0, 5.5, "كانت أمي تأتي من الفجر"),
]
ENGLISH = [
    ParsedSegment(0.0, 1.5, "Visits came once every two weeks"),
    ParsedSegment(1.5, 3.0, "A secret not to publish: the name of the interrogator"),
    ParsedSegment(3.0, 5.5, "My mother came from dawn"),
]
WITHHELD_AR, WITHHELD_EN = ARABIC[1].text, ENGLISH[1].text
PLACEHOLDER = "This passage is not published"


def make_item(app, client, auth, path, *, access="public", download=False, publish=True, **more):
    """Upload ``path`` as the archivist, describe it fully, attach an Arabic transcript and an
    English translation, publish, and withhold the second passage; log out."""
    auth.login("archivist@example.org")
    result = upload(client, auth.csrf("/manage/upload"), path).get_json()["results"][0]
    identifier = result["item"]
    with app.app_context():
        item = items.find_item(identifier)
        fields = {
            "title": "شهادة عن يوم الزيارة",
            "title_en": "A testimony about visiting day",
            "description": "أسير سابق يتحدث عن زيارة العائلة.",
            "description_en": "A former prisoner speaks of a family visit.",
            "languages": "ar",
            "date": "1988-04",
            "place": "غزة",
            "access": access,
            "rights": "CC-BY-NC-4.0",
            "download": download,
            "narrators": "رأفت حمدونة",
            "interviewers": "Jane Doe",
            "tags": "الزيارة | العائلة",
            "collections": "شهادات الأسرى",
            "prisons": "سجن نفحة",
            **more,
        }
        items.describe(item, fields, user=None)
        narrator = item.people_in("narrator")[0]
        authority.update_person(narrator, {"name_latin": "Raafat Hamdouna"}, None, user=None)
        arabic = transcripts.attach(item, ARABIC, language="ar", user=None)
        english = transcripts.attach(item, ENGLISH, language="en", user=None)
        if publish:
            items.publish(item, user=None)
        # Withheld by the operation, which also has the public copy made without their sound.
        transcripts.restrict_segment(arabic.segments[1], True, user=None)
        transcripts.restrict_segment(english.segments[1], True, user=None)
        ids = {
            "identifier": identifier,
            "ar": arabic.id,
            "en": english.id,
            "recording": item.recordings[0].id,
            "narrator": narrator.id,
            "interviewer": item.people_in("interviewer")[0].id,
        }
    auth.logout()
    return ids


@pytest.fixture
def published(app, client, auth, tmp_path, catalogues):
    """The item of ``make_item`` on a 6 s tone: made once, each test gets its own copy."""
    return catalogues.get(
        "listening-published",
        app,
        lambda: make_item(app, client, auth, make_tone(tmp_path / "tone.wav", seconds=6)),
    )


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def json_ld(page: str) -> dict | None:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(found) <= 1
    return json.loads(found[0]) if found else None


def open_graph(page: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<meta property="(og:[a-z:_]+)" content="([^"]*)"', page)
    }


def segments(page: str) -> list[str]:
    return re.findall(r'<li class="segment[^"]*"[^>]*>', page)


def test_page_shows_the_item_its_people_and_its_transcript(client, published):
    ident = published["identifier"]
    page = page_of(client, f"/items/{ident}")
    assert '<html lang="ar" dir="rtl">' in page
    assert "شهادة عن يوم الزيارة" in page and "أسير سابق يتحدث عن زيارة العائلة." in page
    assert re.search(rf'href="/people/{published["narrator"]}"[^>]*>رأفت حمدونة</a>', page)
    assert re.search(
        rf'href="/people/{published["interviewer"]}" lang="en" dir="auto">Jane Doe', page
    )
    for value in ("<bdi>1988-04</bdi>", "غزة", "سجن نفحة", "الزيارة", "العائلة", "شهادات الأسرى"):
        assert value in page
    assert 'href="https://creativecommons.org/licenses/by-nc/4.0/" rel="license"' in page
    assert "رخصة المشاع الإبداعي" in page  # the licence named in the page language
    # The player: access copy, waveform peaks, and the transcripts as WebVTT tracks.
    recording = published["recording"]
    assert f'<audio class="media" id="rec-{recording}-media"' in page
    assert f'src="/media/{recording}/access"' in page
    assert f'data-peaks="/media/{recording}/peaks"' in page
    assert re.search(
        rf'<track kind="captions" srclang="ar" label="العربية"\s+src="/items/{ident}/transcripts/{published["ar"]}.vtt">',
        page,
    )
    assert 'kind="subtitles" srclang="en"' in page
    # The transcript: timed segments, in its language and direction, each reachable by keyboard.
    assert re.search(r'<ol class="transcript" id="rec-\d+-transcript" lang="ar" dir="rtl"', page)
    starts = [re.findall(r'data-start="([^"]+)"', li) for li in segments(page)]
    assert starts == [["0"], [], ["3"]]  # the withheld passage shows no time
    assert '<a class="seg-time" href="?t=3" dir="ltr"' in page
    assert "كانت أمي تأتي من الفجر" in page and "رأفت حمدونة</span>" in page
    # The translation is there, beside each passage, hidden until chosen.
    assert "My mother came from dawn" in page
    assert re.search(rf'data-translation="{published["en"]}" lang="en" dir="ltr" hidden>', page)
    # Citation and embed code to copy.
    citation = html.unescape(
        re.search(r'<textarea id="citation"[^>]*>(.*?)</textarea>', page, re.S)[1]
    )
    plain = citation.replace("\u2068", "").replace("\u2069", "")
    assert plain.startswith("رأفت حمدونة. “شهادة عن يوم الزيارة”.")
    assert f"{ident}. http://127.0.0.1:5000/items/{ident}." in plain
    embed = html.unescape(
        re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', page, re.S)[1]
    )
    assert embed.startswith(
        f'<iframe src="http://127.0.0.1:5000/embed/{ident}" title="شهادة عن يوم الزيارة"'
    )


def test_english_interface_shows_english_fields_and_falls_back_to_arabic(client, published):
    page = page_of(client, f"/items/{published['identifier']}?lang=en")
    assert '<html lang="en" dir="ltr">' in page
    assert '<h1 lang="en" dir="auto">A testimony about visiting day</h1>' in page
    assert "A former prisoner speaks of a family visit." in page
    assert ">Raafat Hamdouna</a>" in page
    assert '<span class="chip" lang="ar" dir="auto">سجن نفحة</span>' in page  # no English name
    # An English visitor gets the English translation beside the Arabic transcript at once.
    assert re.search(rf'data-translation="{published["en"]}" lang="en" dir="ltr">', page)
    assert re.search(rf'<option value="{published["en"]}" lang="en" selected>English', page)


def test_withheld_passages_are_placeholders_for_visitors_and_marked_for_staff(
    app, client, auth, published
):
    page = page_of(client, f"/items/{published['identifier']}?lang=en")
    assert WITHHELD_AR not in page and WITHHELD_EN not in page
    assert page.count(PLACEHOLDER) == 2  # the passage and its translation
    withheld = [li for li in segments(page) if "withheld" in li]
    assert len(withheld) == 1 and "data-start" not in withheld[0]  # nor its times
    assert WITHHELD_AR not in json.dumps(json_ld(page), ensure_ascii=False)

    auth.login("archivist@example.org")
    staff = page_of(client, f"/items/{published['identifier']}?lang=en")
    assert WITHHELD_AR in staff and WITHHELD_EN in staff and PLACEHOLDER not in staff
    assert "Not published: staff only" in staff
    assert WITHHELD_AR not in json.dumps(json_ld(staff), ensure_ascii=False)  # as the public sees


def test_restricted_transcripts_are_left_out_for_visitors(app, client, auth, published):
    with app.app_context():
        db.session.get(Transcript, published["en"]).restricted = True
        db.session.commit()
    page = page_of(client, f"/items/{published['identifier']}?lang=en")
    assert "My mother came from dawn" not in page
    assert f"/transcripts/{published['en']}." not in page and "translation-choice" not in page
    auth.login("archivist@example.org")
    staff = page_of(client, f"/items/{published['identifier']}?lang=en")
    assert "My mother came from dawn" in staff and "(staff only)" in staff


def test_structured_data_and_open_graph_for_public_published_items(app, client, published):
    ident = published["identifier"]
    page = page_of(client, f"/items/{ident}")
    data = json_ld(page)
    assert data["@context"] == "https://schema.org" and data["@type"] == "AudioObject"
    assert data["name"] == "شهادة عن يوم الزيارة"
    assert data["alternateName"] == "A testimony about visiting day"
    assert re.fullmatch(r"PT(5\.\d+|6(\.\d+)?)S", data["duration"])
    assert data["inLanguage"] == "ar" and data["dateCreated"] == "1988-04"
    assert data["license"] == "https://creativecommons.org/licenses/by-nc/4.0/"
    assert data["creator"] == [
        {
            "@type": "Person",
            "name": "رأفت حمدونة",
            "url": f"http://127.0.0.1:5000/people/{published['narrator']}",
            "alternateName": "Raafat Hamdouna",
        }
    ]
    assert data["contributor"][0]["name"] == "Jane Doe"
    assert data["transcript"] == "كانت الزيارة مرة كل أسبوعين\nكانت أمي تأتي من الفجر"
    assert "contentUrl" not in data  # the public may not download it
    og = open_graph(page)
    assert og["og:title"] == "شهادة عن يوم الزيارة" and og["og:type"] == "website"
    assert og["og:url"] == f"http://127.0.0.1:5000/items/{ident}"
    assert og["og:audio"] == f"http://127.0.0.1:5000/media/{published['recording']}/access"
    assert og["og:audio:type"] == "audio/mp4"

    with app.app_context():
        items.describe(items.find_item(ident), {"download": True}, user=None)
    data = json_ld(page_of(client, f"/items/{ident}"))
    assert data["contentUrl"] == f"http://127.0.0.1:5000/media/{published['recording']}/access"


def test_no_structured_data_for_researcher_items_or_staff_previews(app, client, auth, published):
    ident = published["identifier"]
    with app.app_context():
        items.describe(items.find_item(ident), {"access": "researchers"}, user=None)
    assert client.get(f"/items/{ident}").status_code == 404
    auth.login("researcher@example.org")
    page = page_of(client, f"/items/{ident}")
    assert json_ld(page) is None and not open_graph(page)
    auth.logout()

    with app.app_context():
        item = items.find_item(ident)
        items.describe(item, {"access": "public"}, user=None)
        items.unpublish(item, user=None)
    auth.login("archivist@example.org")
    preview = page_of(client, f"/items/{ident}")
    assert "شهادة عن يوم الزيارة" in preview
    assert json_ld(preview) is None and not open_graph(preview)
    assert 'rel="canonical"' not in preview


def test_embed_is_frameable_and_follows_the_access_rule(app, client, auth, published):
    ident = published["identifier"]
    response = client.get(f"/embed/{ident}?t=3")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "default-src 'self'" in csp
    body = response.get_data(as_text=True)
    assert '<header class="site">' not in body  # no site navigation in a frame
    assert 'data-start="3"' in body and "كانت أمي تأتي من الفجر" in body
    assert '<track kind="captions"' in body and WITHHELD_AR not in body
    assert '<meta name="robots" content="noindex">' in body

    page = client.get(f"/items/{ident}")
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]

    assert client.get("/embed/NO-SUCH-ITEM").status_code == 404
    with app.app_context():
        items.unpublish(items.find_item(ident), user=None)
    assert client.get(f"/embed/{ident}").status_code == 404
    auth.login("archivist@example.org")
    assert client.get(f"/embed/{ident}").status_code == 200  # staff see drafts everywhere


def test_downloads_only_when_the_rights_allow_or_for_staff(app, client, auth, published):
    ident, recording = published["identifier"], published["recording"]
    access_link = f'href="/media/{recording}/access" download="{ident}.m4a"'
    vtt_link = f'href="/items/{ident}/transcripts/{published["ar"]}.vtt" download'
    page = page_of(client, f"/items/{ident}")
    assert access_link not in page and vtt_link not in page and "download-transcript" not in page
    auth.login("archivist@example.org")
    staff = page_of(client, f"/items/{ident}")
    assert access_link in staff and vtt_link in staff
    assert f'href="/items/{ident}/transcripts/{published["ar"]}.txt" download' in staff
    auth.logout()
    with app.app_context():
        items.describe(items.find_item(ident), {"download": True}, user=None)
    page = page_of(client, f"/items/{ident}")
    assert access_link in page and vtt_link in page


START_TIMES = [
    ("65", "65"), ("00:01:05", "65"), ("1:05", "65"), ("12.5", "12.5"),
    ("abc", None), ("-3", None), ("nan", None), ("inf", None),
]  # fmt: skip


def test_start_time(client, published):
    for given, start in START_TIMES:
        page = page_of(client, f"/items/{published['identifier']}?t={given}")
        section = re.search(r'<section class="listen[^"]*"[^>]*>', page, re.S)[0]
        if start is None:
            assert "data-start" not in section and "#t=" not in page, given
        else:
            assert f'data-start="{start}"' in section, given
            assert f'/access#t={float(start)}"' in page, given


def test_video_has_its_poster_and_a_video_object(app, client, auth, tmp_path):
    made = make_item(app, client, auth, make_video(tmp_path / "film.mp4", seconds=2))
    page = page_of(client, f"/items/{made['identifier']}")
    recording = made["recording"]
    assert re.search(rf'<video class="media"[^>]* poster="/media/{recording}/poster"', page, re.S)
    assert "waveform" not in page
    data = json_ld(page)
    assert data["@type"] == "VideoObject"
    assert data["thumbnailUrl"] == f"http://127.0.0.1:5000/media/{recording}/poster"
    assert data["uploadDate"]
    assert data["embedUrl"] == f"http://127.0.0.1:5000/embed/{made['identifier']}"
    og = open_graph(page)
    assert og["og:type"] == "video.other" and og["og:video:type"] == "video/mp4"
    assert og["og:image"] == f"http://127.0.0.1:5000/media/{recording}/poster"


def test_an_item_with_only_a_written_text(app, client):
    with app.app_context():
        item = items.create(identifier="POEM-1", title="قصيدة", type="poem", user=None)
        items.describe(item, {"access": "public", "poets": "سميح القاسم"}, user=None)
        transcripts.attach(
            item, [ParsedSegment(None, None, "منتصب القامة أمشي")], language="ar", user=None
        )
        items.publish(item, user=None)
    page = page_of(client, "/items/POEM-1")
    assert not ITEM_PLAYER.search(page) and "<video" not in page and "Share this moment" not in page
    assert "منتصب القامة أمشي" in page and "data-start" not in page
    assert json_ld(page)["@type"] == "CreativeWork"
    assert "embed-code" not in page  # nothing to play


def test_helpers():
    assert listening.iso_duration(3725.5) == "PT1H2M5.5S"
    assert listening.iso_duration(6.0) == "PT6S"
    assert listening.clock(65.9) == "1:05" and listening.clock(3725) == "1:02:05"
    assert listening.direction("ar") == "rtl" and listening.direction("en-GB") == "ltr"
    assert listening.localized("عربي", "English", "ar").text == "عربي"
    assert listening.localized("عربي", "English", "fr").lang == "en"
    assert listening.localized("عربي", "", "en").text == "عربي"
    assert listening.isolate("DEMO-002", rtl=True) == "\u2068DEMO-002\u2069"
    assert listening.isolate("1988", rtl=True) == "\u20681988\u2069"
    assert listening.isolate("رأفت", rtl=True) == "رأفت"
    assert listening.isolate("رأفت", rtl=False) == "\u2068رأفت\u2069"
    assert listening.isolate("Jane Doe", rtl=False) == "Jane Doe"


def test_translation_passages_sit_beside_the_passage_they_translate():
    def passages(*starts):
        return [
            listening.Passage(i, s, None, f"p{i}", "", False, False) for i, s in enumerate(starts)
        ]

    primary = passages(0.0, 10.0, 20.0)
    listening.align(
        primary, listening.TranscriptView(7, "en", False, passages(0.5, 9.0, 12.0, 25.0))
    )
    assert [[p.text for p in row.translations.get(7, [])] for row in primary] == [
        ["p0", "p1"], ["p2"], ["p3"],
    ]  # fmt: skip
    untimed = passages(None, None)
    listening.align(untimed, listening.TranscriptView(8, "en", False, passages(None, None, None)))
    assert [[p.text for p in row.translations[8]] for row in untimed] == [["p0"], ["p1", "p2"]]
