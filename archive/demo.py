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

from archive import items, storage
from archive.db import db
from archive.errors import ArchiveError
from archive.ingest import ingest
from archive.jobs import transcode
from archive.models import Item

DEMO = [
    {
        "identifier": "DEMO-001",
        "type": "poem",
        "title": "أراك عصي الدمع — من الروميات",
        "title_en": "I see you hold back your tears — from the Rumiyyat",
        "description": "قصيدة أبي فراس الحمداني التي كتبها في أسره لدى الروم. تسجيل تجريبي.",
        "description_en": "Abu Firas al-Hamdani's poem written in Byzantine captivity. A demo recording.",
        "speech": "أَراكَ عَصِيَّ الدَّمعِ شيمَتُكَ الصَبرُ، أَما لِلهَوى نَهيٌ عَلَيكَ وَلا أَمرُ. "
        "بَلى أَنا مُشتاقٌ وَعِندِيَ لَوعَةٌ، وَلَكِنَّ مِثلي لا يُذاعُ لَهُ سِرُّ.",
        "access": "public",
    },
    {
        "identifier": "DEMO-002",
        "type": "testimony",
        "title": "شهادة تجريبية عن يوم الزيارة",
        "title_en": "A demo testimony about visiting day",
        "description": "نص كتب لهذا العرض التجريبي: أسير سابق يتحدث عن زيارة العائلة.",
        "description_en": "Text written for this demo: a former prisoner speaks of a family visit.",
        "speech": "كانت الزيارة مرة كل أسبوعين، نصف ساعة من خلف الزجاج. "
        "كانت أمي تأتي من الفجر، وتنتظر ساعات على الحاجز، ثم تبتسم كأن شيئا لم يكن.",
        "access": "public",
    },
    {
        "identifier": "DEMO-003",
        "type": "lecture",
        "title": "محاضرة تجريبية: الحركة الأسيرة والتعليم",
        "title_en": "Demo lecture: the prisoners' movement and education",
        "description": "تسجيل مصور تجريبي: نمط اختبار مع صوت مركب.",
        "description_en": "A demo video: a test pattern with synthesised speech.",
        "speech": "تحولت السجون إلى مدارس وجامعات. كان الأسرى يعلمون بعضهم القراءة واللغات والتاريخ.",
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
        for entry in DEMO:
            if db.session.scalar(select(Item.id).where(Item.identifier == entry["identifier"])):
                continue
            path = _make_recording(entry, Path(tmp))
            done = ingest(
                storage.local(path),
                user=None,
                identifier=entry["identifier"],
                title=entry["title"],
                type=entry["type"],
            )
            transcode(done.job.id)
            item = done.item
            items.describe(
                item,
                {
                    "title_en": entry["title_en"],
                    "description": entry["description"],
                    "description_en": entry["description_en"],
                    "access": entry["access"],
                },
                user=None,
            )
            items.publish(item, user=None)
            echo(f"  {item.identifier}: {entry['title_en']}")
            loaded += 1
    return loaded


def _make_recording(entry: dict, folder: Path) -> Path:
    speech = folder / f"{entry['identifier']}-speech.wav"
    _run(["espeak-ng", "-v", "ar", "-s", "140", "-w", str(speech), entry["speech"]])
    if not entry.get("video"):
        return speech
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
    return video


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise ArchiveError(f"{args[0]} failed making the demo: {result.stderr.strip()[-300:]}")
