"""The demo collection that ``make run`` loads: thirteen items over every item type.

Its recordings are made here, offline, with espeak-ng speaking Arabic text and ffmpeg
drawing a test pattern, so the repository ships no media.  The text is in
``demo_items.py``; its licence in ``demo_LICENSE.md`` beside it (CC0 1.0 for the text
written for this project; the poems of Abu Firas al-Hamdani are in the public domain).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import select

import media
from archive.catalogue import authority, items, transcripts, verses
from archive.catalogue.transcript_formats import ParsedSegment
from archive.db import db
from archive.errors import ArchiveError
from archive.exchange.demo_items import DEMO, IN_COLLECTION, PEOPLE, TAGS
from archive.holdings import storage
from archive.holdings.ingest import ingest
from archive.holdings.jobs import transcode
from archive.models import Item, Tag
from archive.uow import unit_of_work

PAUSE = 0.6  # seconds of silence between sentences
COLLECTION = IN_COLLECTION


def load_demo(echo=print) -> int:
    """Make and ingest the demo items that are missing, publish them; 0 when all are there."""
    have = set(db.session.scalars(select(Item.identifier).where(Item.identifier.like("DEMO-%"))))
    missing = [entry for entry in DEMO if entry["identifier"] not in have]
    if missing:
        for tool in ("ffmpeg", "espeak-ng"):
            if shutil.which(tool) is None:
                raise ArchiveError(f"The demo needs {tool}: install it (apt-get install {tool}).")
    with tempfile.TemporaryDirectory(prefix="archive-demo-") as tmp:
        for entry in missing:
            _load_item(entry, Path(tmp))
            echo(f"  {entry['identifier']}: {entry['title_en']}")
    _name_authorities()
    return len(missing)


def _load_item(entry: dict, folder: Path) -> None:
    """One item in one unit of work; its access copy is made here, not by a worker."""
    path, segments = _make_recording(entry, folder)
    number = int(entry["identifier"].rsplit("-", 1)[1])
    with unit_of_work(queue_jobs=False) as uow:
        done = ingest(
            storage.local(path),
            user=None,
            identifier=entry["identifier"],
            title=entry["title"],
            type=entry["type"],
        )
        item = done.item
        transcripts.attach(
            item, segments, language="ar", recording=done.recording, source_format="demo",
            user=None,
        )  # fmt: skip
        if entry.get("translation_en"):
            english = [
                ParsedSegment(s.start, s.end, text)
                for s, text in zip(segments, entry["translation_en"], strict=True)
            ]
            transcripts.attach(
                item, english, language="en", recording=done.recording, source_format="demo",
                user=None,
            )  # fmt: skip
        collections = " | ".join(filter(None, [COLLECTION, entry.get("collections")]))
        items.describe(
            item,
            {
                "title_en": entry["title_en"],
                "description": entry["description"],
                "description_en": entry["description_en"],
                "access": entry["access"],
                "date": entry["date"],
                "rights": entry["rights"],
                "languages": "ar",
                "download": True,
                "tags": entry["tags"],
                "collections": collections,
                "prisons": entry.get("prisons", ""),
                "place": entry.get("place", ""),
                "embargo_until": entry.get("embargo_until", ""),
                # Written for this demo; a real item records the narrator's signed form.
                "release_reference": f"Demo consent form {number}",
                "release_date": "2026",
                "release_access": entry.get("release_access", "public"),
                **entry["people"],
            },
            user=None,
        )
        items.publish(item, user=None)
    for _task, (job_id,) in uow.jobs:
        transcode(job_id)


def _name_authorities() -> None:
    """Give the demo's people their Latin-script names and its tags their English labels."""
    with unit_of_work(queue_jobs=False):
        for name, latin in PEOPLE.items():
            person = authority.find_person(name)
            if person is not None and person.name_latin != latin:
                authority.update_person(person, {"name_latin": latin}, None, user=None)
        for label, english in TAGS.items():
            tag = db.session.scalar(select(Tag).where(Tag.label == label))
            if tag is not None and tag.label_en != english:
                authority.update_tag(tag, label, english, user=None)


def _lines(entry: dict) -> list[tuple[str, str, str]]:
    """What is spoken, what the transcript says, and who speaks, line by line."""
    if "stanzas" in entry:
        lines = []
        for number, stanza in enumerate(entry["stanzas"]):
            last = number == len(entry["stanzas"]) - 1
            for index, (first, second) in enumerate(stanza):
                end = index == len(stanza) - 1 and not last
                text = verses.join(first, second, stanza_end=end)
                lines.append((f"{first}، {second}.", text, ""))
        return lines
    if "dialogue" in entry:
        return [(sentence, sentence, speaker) for speaker, sentence in entry["dialogue"]]
    return [(sentence, sentence, "") for sentence in entry["speech"]]


def _make_recording(entry: dict, folder: Path) -> tuple[Path, list[ParsedSegment]]:
    """Speak each sentence, join them with short pauses; the transcript's times are exact."""
    parts, segments, clock = [], [], 0.0
    for number, (spoken, text, speaker) in enumerate(_lines(entry)):
        part = folder / f"{entry['identifier']}-{number}.wav"
        _run(["espeak-ng", "-v", "ar", "-s", "140", "-w", str(part), spoken])
        length = media.probe(part).duration
        segments.append(ParsedSegment(round(clock, 3), round(clock + length, 3), text, speaker))
        clock += length + PAUSE
        parts.append(part)
    speech = folder / f"{entry['identifier']}-speech.wav"
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    chain = "".join(f"[{i}:a]apad=pad_dur={PAUSE}[p{i}];" for i in range(len(parts)))
    chain += "".join(f"[p{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1[out]"
    _run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", chain,
          "-map", "[out]", str(speech)])  # fmt: skip
    if not entry.get("video"):
        return speech, segments
    video = folder / f"{entry['identifier']}.mp4"
    _run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
            "-i", str(speech),
            "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", str(video),
        ]
    )  # fmt: skip
    return video, segments


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise ArchiveError(f"{args[0]} failed making the demo: {result.stderr.strip()[-300:]}")
