"""The small demo collection that ``make run`` loads once.

Its recordings are made here, with espeak-ng speaking Arabic text and ffmpeg
drawing a test pattern, so the repository ships no media.  The poem is by Abu
Firas al-Hamdani (10th century), written in Byzantine captivity: public domain.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import select

import media
from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.db import db
from archive.errors import ArchiveError
from archive.holdings import storage
from archive.holdings.ingest import ingest
from archive.holdings.jobs import transcode
from archive.models import Item
from archive.uow import unit_of_work

PAUSE = 0.6  # seconds of silence between sentences
COLLECTION = "مجموعة العرض التجريبية"

DEMO = [
    {
        "identifier": "DEMO-001",
        "type": "poem",
        "title": "أراك عصي الدمع — من الروميات",
        "title_en": "I see you hold back your tears — from the Rumiyyat",
        "description": "قصيدة أبي فراس الحمداني التي كتبها في أسره لدى الروم. تسجيل تجريبي.",
        "description_en": "Abu Firas al-Hamdani's poem written in Byzantine captivity. A demo recording.",
        "speech": [
            "أَراكَ عَصِيَّ الدَّمعِ شيمَتُكَ الصَبرُ، أَما لِلهَوى نَهيٌ عَلَيكَ وَلا أَمرُ.",
            "بَلى أَنا مُشتاقٌ وَعِندِيَ لَوعَةٌ، وَلَكِنَّ مِثلي لا يُذاعُ لَهُ سِرُّ.",
        ],
        "people": {"poets": "أبو فراس الحمداني"},
        "tags": "شعر السجون | الأسر",
        "date": "2026",  # the recording date, not the poem's
        "rights": "NKC",
        "access": "public",
    },
    {
        "identifier": "DEMO-002",
        "type": "testimony",
        "title": "شهادة تجريبية عن يوم الزيارة",
        "title_en": "A demo testimony about visiting day",
        "description": "نص كتب لهذا العرض التجريبي: أسير سابق يتحدث عن زيارة العائلة.",
        "description_en": "Text written for this demo: a former prisoner speaks of a family visit.",
        "speech": [
            "كانت الزيارة مرة كل أسبوعين، نصف ساعة من خلف الزجاج.",
            "كانت أمي تأتي من الفجر، وتنتظر ساعات على الحاجز.",
            "ثم تبتسم كأن شيئا لم يكن، وتسألني عن الأكل والدراسة.",
        ],
        "people": {"narrators": "راوٍ تجريبي", "interviewers": "Demo Interviewer"},
        "tags": "الزيارة | العائلة",
        "prisons": "سجن النقب",
        "date": "1988-04",
        "rights": "CC-BY-NC-4.0",
        "access": "public",
    },
    {
        "identifier": "DEMO-003",
        "type": "lecture",
        "title": "محاضرة تجريبية: الحركة الأسيرة والتعليم",
        "title_en": "Demo lecture: the prisoners' movement and education",
        "description": "تسجيل مصور تجريبي: نمط اختبار مع صوت مركب.",
        "description_en": "A demo video: a test pattern with synthesised speech.",
        "speech": [
            "تحولت السجون إلى مدارس وجامعات.",
            "كان الأسرى يعلمون بعضهم القراءة واللغات والتاريخ.",
        ],
        "people": {"narrators": "محاضر تجريبي"},
        "tags": "التعليم",
        "prisons": "سجن نفحة",
        "date": "1992",
        "rights": "CC-BY-4.0",
        "access": "public",
        "video": True,
    },
]


def load_demo(echo=print) -> int:
    """Make and ingest the demo recordings, publish them; 0 when already loaded."""
    if db.session.scalar(select(Item.id).where(Item.identifier == DEMO[0]["identifier"])):
        return 0
    for tool in ("ffmpeg", "espeak-ng"):
        if shutil.which(tool) is None:
            raise ArchiveError(f"The demo needs {tool}: install it (apt-get install {tool}).")
    loaded = 0
    with tempfile.TemporaryDirectory(prefix="archive-demo-") as tmp:
        for number, entry in enumerate(DEMO, start=1):
            if db.session.scalar(select(Item.id).where(Item.identifier == entry["identifier"])):
                continue
            path, segments = _make_recording(entry, Path(tmp))
            # One unit per item; its access copy is made here, not by a worker.
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
                    item,
                    segments,
                    language="ar",
                    recording=done.recording,
                    source_format="demo",
                    user=None,
                )
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
                        "collections": COLLECTION,
                        "prisons": entry.get("prisons", ""),
                        # Written for this demo; a real item records the narrator's signed form.
                        "release_reference": f"Demo consent form {number}",
                        "release_date": "2026",
                        "release_access": "public",
                        **entry["people"],
                    },
                    user=None,
                )
                items.publish(item, user=None)
            for _task, (job_id,) in uow.jobs:
                transcode(job_id)
            echo(f"  {item.identifier}: {entry['title_en']}")
            loaded += 1
    return loaded


def _make_recording(entry: dict, folder: Path) -> tuple[Path, list[ParsedSegment]]:
    """Speak each sentence, join them with short pauses; the transcript's times are exact."""
    parts, segments, clock = [], [], 0.0
    for number, sentence in enumerate(entry["speech"]):
        part = folder / f"{entry['identifier']}-{number}.wav"
        _run(["espeak-ng", "-v", "ar", "-s", "140", "-w", str(part), sentence])
        length = media.probe(part).duration
        segments.append(
            ParsedSegment(start=round(clock, 3), end=round(clock + length, 3), text=sentence)
        )
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
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
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
