"""Preservation packages: `archive bag` writes BagIt 1.0 bags the Library of Congress's `bagit`
package validates; `archive unbag` reads them back into another archive, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import bagit
import pytest
from sqlalchemy import func, select

from archive.catalogue import authority, items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.cli.preservation import bag, unbag
from archive.db import db
from archive.holdings import storage
from archive.holdings.ingest import ingest
from archive.models import Item, MediaFile, Person, PersonName
from tests.test_upload import make_tone

ARABIC_NAME = "شهادة أبو علي في نفحة.wav"


def build(app, tmp_path: Path) -> None:
    """Two items with real recordings: one public with transcripts (a withheld passage, a
    restricted translation) and people with name variants; one draft replaced by a newer take."""
    with app.app_context():
        first = ingest(
            storage.local(make_tone(tmp_path / ARABIC_NAME, seconds=2, freq=440)),
            user=None,
            identifier="PMA-0001",
            title="شهادة عن إضراب نفحة",
            type="testimony",
        ).item
        items.describe(
            first,
            {
                "title_en": "A testimony on the Nafha strike",
                "description": "يروي الأسير تجربته في إضراب نفحة عام ١٩٨٠.",
                "description_en": "The prisoner tells of the 1980 Nafha strike.",
                "date": "1988-04",
                "languages": "ar|en",
                "narrators": ["رأفت حمدونة"],
                "interviewers": ["سامر العيساوي"],
                "tags": ["الإضراب عن الطعام"],
                "collections": ["شهادات نفحة"],
                "prisons": ["سجن نفحة"],
                "rights": "CC-BY-NC-4.0",
                "release_reference": "Form 2024/017",
                "release_date": "2024-03-01",
                "release_access": "public",
                "access": "public",
            },
            user=None,
        )
        person = authority.find_person("رأفت حمدونة")
        person.name_latin = "Raafat Hamdouna"
        person.variants.append(PersonName(name="رافت حمدونه"))
        arabic = transcripts.attach(
            first,
            [
                ParsedSegment(0.0, 0.8, "بِسْمِ اللهِ، كُنّا في نفحة", "رأفت"),
                ParsedSegment(0.8, 1.5, "مقطع محجوب عن الجمهور", "رأفت"),
                ParsedSegment(1.5, 2.0, "وانتهى الإضراب", ""),
            ],
            language="ar",
            user=None,
        )
        transcripts.restrict_segment(arabic.segments[1], True, user=None)
        english = transcripts.attach(
            first, [ParsedSegment(0.0, 2.0, "We were in Nafha.", "")], language="en", user=None
        )
        transcripts.restrict_transcript(english, True, user=None)
        items.publish(first, user=None)

        second = ingest(
            storage.local(make_tone(tmp_path / "take-1.wav", seconds=1, freq=660)),
            user=None,
            identifier="PMA-0002",
            title="قصيدة من الزنزانة",
            type="poem",
        )
        ingest(
            storage.local(make_tone(tmp_path / "take-2.wav", seconds=1, freq=880)),
            user=None,
            replaces=second.recording,
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def source(app, tmp_path):
    build(app, tmp_path)
    return app


def run(app, command: str, *args):
    """``archive bag …`` or ``archive unbag …`` on ``app``'s instance."""
    return app.test_cli_runner().invoke({"bag": bag, "unbag": unbag}[command], list(args))


def payload(bag: Path) -> dict[str, bytes]:
    return {
        p.relative_to(bag).as_posix(): p.read_bytes()
        for p in sorted((bag / "data").rglob("*"))
        if p.is_file()
    }


def test_every_item_becomes_a_bag_the_library_of_congress_validates(source, tmp_path):
    bags = tmp_path / "bags"
    result = run(source, "bag", "--all", str(bags))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in bags.iterdir()) == ["PMA-0001", "PMA-0002"]
    for path in bags.iterdir():
        bag = bagit.Bag(str(path))
        bag.validate()  # raises on anything wrong
        assert set(bag.algorithms) == {"sha256", "sha512"}
        info = bag.info
        assert info["External-Identifier"] == path.name
        assert info["Source-Organization"]
        assert info["Bagging-Date"]
        octets = sum(len(b) for b in payload(path).values())
        assert info["Payload-Oxum"] == f"{octets}.{len(payload(path))}"
        assert (path / "tagmanifest-sha256.txt").is_file()


def test_a_bag_holds_the_untouched_originals_and_every_record(source, tmp_path):
    bags = tmp_path / "bags"
    assert run(source, "bag", "PMA-0001", "PMA-0002", str(bags)).exit_code == 0
    first = payload(bags / "PMA-0001")
    with source.app_context():
        stored = {
            f.sha256: storage.absolute(f.relpath).read_bytes()
            for f in db.session.scalars(select(MediaFile).where(MediaFile.role == "original"))
        }
    original = first[f"data/originals/01-{ARABIC_NAME}"]  # the Arabic file name, kept
    assert original in stored.values()
    assert not any(
        name.endswith((".m4a", ".mp4", ".json.gz")) for name in first if "originals" in name
    )
    document = json.loads(first["data/metadata/item.json"])
    assert document["identifier"] == "PMA-0001"
    assert document["staff"]["release"]["reference"] == "Form 2024/017"
    arabic = next(t for t in document["transcripts"] if t["language"] == "ar")
    assert [s["restricted"] for s in arabic["segments"]] == [False, True, False]
    assert next(t for t in document["transcripts"] if t["language"] == "en")["restricted"]
    assert b"<mods" in first["data/metadata/mods.xml"]
    assert b"oai_dc" in first["data/metadata/dc.xml"]
    vtt = first["data/transcripts/01-ar.vtt"].decode()
    assert vtt.startswith("WEBVTT") and "بِسْمِ اللهِ" in vtt
    assert b"<ROOT" in first["data/transcripts/ohms-01.xml"]
    release = json.loads(first["data/metadata/release.json"])
    assert release["access"] == "public" and release["status"] == "published"
    history = json.loads(first["data/metadata/audit.json"])
    actions = [e["action"] for e in history]
    assert actions[0] == "ingest" and {"describe", "transcript", "publish"} <= set(actions)
    people = json.loads(first["data/metadata/people.json"])
    assert {"رافت حمدونه"} <= set(next(p for p in people if p["name"] == "رأفت حمدونة")["variants"])
    second = payload(bags / "PMA-0002")
    assert len([n for n in second if n.startswith("data/originals/")]) == 2  # both takes
    takes = json.loads(second["data/metadata/recordings.json"])
    assert takes[0]["superseded_by"] == takes[1]["recording_id"]


def test_bag_refuses_to_overwrite_and_names_what_it_cannot_find(source, tmp_path):
    bags = tmp_path / "bags"
    assert run(source, "bag", "PMA-0001", str(bags)).exit_code == 0
    again = run(source, "bag", "PMA-0001", str(bags))
    assert again.exit_code != 0 and "exists already" in again.output
    assert run(source, "bag", "PMA-9999", str(bags)).exit_code != 0
    both = run(source, "bag", "--all", "--collection", "x", str(bags))
    assert both.exit_code != 0
    assert [p.name for p in bags.iterdir()] == ["PMA-0001"]  # nothing half-written left


def test_round_trip_into_an_empty_archive_gives_the_same_bags(source, tmp_path, another_app):
    first_bags = tmp_path / "first"
    assert run(source, "bag", "--all", str(first_bags)).exit_code == 0
    other = another_app("other")
    paths = [str(p) for p in sorted(first_bags.iterdir())]
    result = run(other, "unbag", *paths)
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    with other.app_context():
        restored = db.session.scalar(select(Item).where(Item.identifier == "PMA-0001"))
        assert restored.status == "published" and restored.access == "public"
        assert restored.title == "شهادة عن إضراب نفحة"
        person = db.session.scalar(select(Person).where(Person.name == "رأفت حمدونة"))
        assert person.name_latin == "Raafat Hamdouna"
        assert "رافت حمدونه" in person.all_names
        second = db.session.scalar(select(Item).where(Item.identifier == "PMA-0002"))
        assert len(second.recordings) == 2 and len(second.current_recordings) == 1
        assert second.status == "draft"
    second_bags = tmp_path / "second"
    assert run(other, "bag", "--all", str(second_bags)).exit_code == 0
    for identifier in ("PMA-0001", "PMA-0002"):
        before, after = payload(first_bags / identifier), payload(second_bags / identifier)
        assert set(before) == set(after)
        for name in before:
            if name.endswith("audit.json"):
                continue  # the new archive's history adds the unbag
            if name.endswith(("item.json", "recordings.json", "people.json")):
                assert comparable(json.loads(before[name])) == comparable(
                    json.loads(after[name])
                ), name
            else:
                assert before[name] == after[name], name
    history = json.loads(payload(second_bags / "PMA-0001")["data/metadata/audit.json"])
    assert "unbag" in [e["action"] for e in history]


VOLATILE = {
    "id",
    "recording_id",
    "url",
    "links",
    "self",
    "created_at",
    "updated_at",
    "published_at",
    "job",
    "superseded_at",
    "superseded_by",
}


def comparable(value):
    """A metadata document without what a new archive numbers or stamps afresh."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, str) and value.startswith("http"):
        return "URL"
    return value


def test_a_damaged_bag_is_refused_and_nothing_is_imported(source, tmp_path, another_app):
    bags = tmp_path / "bags"
    assert run(source, "bag", "--all", str(bags)).exit_code == 0
    damaged = bags / "PMA-0002"
    original = next((damaged / "data" / "originals").iterdir())
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0xFF
    original.write_bytes(bytes(data))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(damaged)).validate()
    other = another_app("other")
    result = run(other, "unbag", str(bags / "PMA-0001"), str(damaged))
    assert result.exit_code != 0
    assert "nothing imported" in result.output and "checksum" in result.output
    with other.app_context():
        assert db.session.scalar(select(func.count(Item.id))) == 0
        assert not list(storage.originals_root().rglob("*.*"))


def test_an_existing_identifier_is_refused_unless_updating(source, tmp_path):
    bags = tmp_path / "bags"
    assert run(source, "bag", "PMA-0001", str(bags)).exit_code == 0
    refused = run(source, "unbag", str(bags / "PMA-0001"))
    assert refused.exit_code != 0 and "--update" in refused.output
    with source.app_context():
        item = items.find_item("PMA-0001")
        items.describe(item, {"title_en": "Changed since"}, user=None)
    updated = run(source, "unbag", "--update", str(bags / "PMA-0001"))
    assert updated.exit_code == 0, updated.output
    assert "1 updated" in updated.output
    with source.app_context():
        item = items.find_item("PMA-0001")
        assert item.title_en == "A testimony on the Nafha strike"
        assert len(item.recordings) == 1  # the original it holds is not ingested twice


def test_a_folder_that_is_not_a_bag_is_refused(source, tmp_path):
    folder = tmp_path / "not-a-bag"
    folder.mkdir()
    result = run(source, "unbag", str(folder))
    assert result.exit_code != 0 and "not a bag" in result.output
