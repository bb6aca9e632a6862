"""Transcripts in the archive: attach from a file, correct in the browser form, export."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.catalogue import items
from archive.db import db
from archive.models import Item, Transcript
from tests.test_cli import archive, env, query  # noqa: F401  (env is a fixture)
from tests.test_upload import make_tone, upload

DATA = Path(__file__).parent / "data" / "transcripts"


@pytest.fixture
def recorded(app, client, auth, tmp_path, catalogues):
    """A draft item with one transcoded recording (made once, each test gets its own copy);
    the archivist is logged in."""

    def build():
        auth.login("archivist@example.org")
        result = upload(client, auth.csrf("/manage/"), make_tone(tmp_path / "tone.wav", seconds=5))
        auth.logout()
        return {"identifier": result.get_json()["results"][0]["item"]}

    made = catalogues.get("transcripts-recorded", app, build)
    auth.login("archivist@example.org")
    return {**made, "token": auth.csrf("/manage/")}


def attach(client, recorded, name: str, language: str = "ar"):
    data = (DATA / name).read_bytes()
    return client.post(
        f"/manage/items/{recorded['identifier']}/transcripts",
        data={
            "csrf_token": recorded["token"],
            "language": language,
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def transcript_of(identifier: str) -> Transcript:
    item = db.session.scalar(select(Item).where(Item.identifier == identifier))
    return item.transcripts[0]


def test_attach_vtt_keeps_arabic_exactly_and_links_the_recording(app, client, recorded):
    response = attach(client, recorded, "testimony.ar.vtt")
    assert response.status_code == 302
    with app.app_context():
        transcript = transcript_of(recorded["identifier"])
        assert transcript.recording is not None
        assert transcript.source_format == "vtt"
        first = transcript.segments[0]
        assert (first.start, first.end, first.speaker) == (1.0, 4.5, "أبو علي")
        assert first.text == "اعتُقِلتُ في الخامسةِ فجراً"  # harakat as given
        assert "صـــبرٌ & صمود" in transcript.segments[3].text  # tatweel as given
    editor = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "اعتُقِلتُ في الخامسةِ فجراً" in editor and 'class="play"' in editor


def test_malformed_transcript_names_the_line(app, client, recorded):
    response = attach(client, recorded, "bad_timing.vtt")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "bad_timing.vtt: line 7" in page
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == recorded["identifier"]))
        assert item.transcripts == []


def test_attaching_again_in_the_same_language_replaces(app, client, recorded):
    attach(client, recorded, "testimony.ar.vtt")
    attach(client, recorded, "testimony.ar.srt")
    attach(client, recorded, "poem.ar.txt", language="en")
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == recorded["identifier"]))
        assert sorted((t.language, t.source_format) for t in item.transcripts) == [
            ("ar", "srt"),
            ("en", "txt"),
        ]


def test_correcting_segments(app, client, recorded):
    attach(client, recorded, "testimony.ar.vtt")
    with app.app_context():
        transcript = transcript_of(recorded["identifier"])
        ids = [s.id for s in transcript.segments]
        texts = [s.text for s in transcript.segments]
        url = f"/manage/items/{recorded['identifier']}/transcripts/{transcript.id}"
    form = {
        "csrf_token": recorded["token"],
        "id": [],
        "start": [],
        "end": [],
        "speaker": [],
        "text": [],
    }
    for number, (seg_id, text) in enumerate(zip(ids, texts, strict=True)):
        form["id"].append(str(seg_id))
        form["start"].append(f"{number * 5}")
        form["end"].append(f"{number * 5 + 4}")
        form["speaker"].append("")
        form["text"].append("نصٌّ مُصحَّح" if number == 0 else text)
    form["id"].append("")  # the empty "new segment" row
    form["start"].append("00:01:30")
    form["end"].append("")
    form["speaker"].append("الراوي")
    form["text"].append("مقطع جديد")
    form["delete"] = [str(ids[1])]
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        transcript = transcript_of(recorded["identifier"])
        assert transcript.segments[0].text == "نصٌّ مُصحَّح"
        assert ids[1] not in [s.id for s in transcript.segments]
        assert (transcript.segments[-1].start, transcript.segments[-1].speaker) == (90.0, "الراوي")
    form["end"][0] = "-1"
    form["delete"] = []
    bad = client.post(url, data=form, follow_redirects=True).get_data(as_text=True)
    assert "is not a time" in bad
    form["end"][0] = "0.5"
    form["start"][0] = "3"
    bad = client.post(url, data=form, follow_redirects=True).get_data(as_text=True)
    assert "ends before it starts" in bad


def test_export_vtt_and_text_follow_the_access_rule(app, client, auth, recorded):
    attach(client, recorded, "testimony.ar.vtt")
    with app.app_context():
        transcript_id = transcript_of(recorded["identifier"]).id
    base = f"/items/{recorded['identifier']}/transcripts/{transcript_id}"
    vtt = client.get(base + ".vtt")
    assert vtt.status_code == 200 and vtt.mimetype == "text/vtt"
    assert vtt.get_data(as_text=True).startswith("WEBVTT")
    assert "<v أبو علي>" in vtt.get_data(as_text=True)
    assert client.get(base + ".txt").mimetype == "text/plain"
    auth.logout()
    assert client.get(base + ".vtt").status_code == 404  # a draft: not for visitors
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == recorded["identifier"]))
        items.describe(item, {"access": "public"}, user=None)
        items.publish(item, user=None)
        transcript = db.session.get(Transcript, transcript_id)
        transcript.segments[1].restricted = True
        withheld = transcript.segments[1].text
        db.session.commit()
    public = client.get(base + ".vtt").get_data(as_text=True)
    assert withheld not in public and "اعتُقِلتُ" in public  # the withheld passage stays out


@pytest.mark.slow  # real `archive` processes
def test_ingest_with_transcript(env, tmp_path):  # noqa: F811
    archive(env, "init")
    tone = make_tone(tmp_path / "t.wav", seconds=2)
    result = archive(env, "ingest", str(tone), "--transcript", str(DATA / "testimony.ar.srt"))
    assert result.returncode == 0, result.stderr
    assert query(env, "select language, source_format from transcripts") == [("ar", "srt")]
    assert query(env, "select count(*) from segments")[0][0] > 3
    bad = archive(env, "ingest", str(make_tone(tmp_path / "u.wav", freq=500)), "--transcript",
                  str(DATA / "bad.srt"))  # fmt: skip
    assert bad.returncode != 0 and "bad.srt: line" in bad.stderr
    assert query(env, "select count(*) from items") == [(1,)]
