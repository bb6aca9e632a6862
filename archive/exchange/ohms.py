"""OHMS XML out: an item's recordings as records the OHMS Viewer reads.

OHMS (the Oral History Metadata Synchronizer of the Louie B. Nunn Center, University of
Kentucky) describes one interview and one media file per record, in the elements and order of
its own exports (``<ROOT xmlns="https://www.weareavp.com/nunncenter/ohms"><record id dt>``,
then ``<version>``, ``<date>``, ``<title>``, ``<accession>``, ``<duration>``, ...). So an item
gives one record per current recording, in order, and one more for transcripts that belong to
no recording (a poem's written text); an item with neither gives one record of its description.

The transcript of a record is the one in the item's first language (else the first there is);
the next one in another language is the record's translation (the ``_alt`` fields, as OHMS
keeps it). Each is written twice, for old viewers and new:

- ``<vtt_transcript>``: WebVTT with each speaker as a voice span (OHMS 2025 and later), when
  the transcript has times. Our importer reads it back to the same segments, speakers and times
  (``parse_ohms``); a passage without a time cannot be placed in it and is left out.
- ``<transcript>`` with ``<sync>``: the text, one paragraph per passage ("SPEAKER: " before it),
  and where each minute of the recording falls in it, as line(word) marks one minute apart
  ("1:|13(3)|19(14)": minute 1 at line 13, word 3), the word found by spreading each timed
  passage's words evenly over its time.

The catalogue has no index of named moments, so ``<index>`` is empty; its tags and the prisons
it speaks of are the record's ``<subject>`` elements. ``public=True`` (the route, and the CLI
by default) writes what an anonymous visitor may see: restricted transcripts and withheld
passages are left out and the media URL is the public copy's, or empty while none is ready;
``public=False`` (``archive export --ohms DIR --all``, run by staff) writes everything.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale
from flask import current_app
from sqlalchemy import select

from archive.access.rights import statement
from archive.access.rules import visible_filter
from archive.catalogue.transcript_formats import DEFAULT_CUE_SECONDS, to_webvtt
from archive.db import by_code_point, db
from archive.holdings.redaction import served_file
from archive.models import Item, Recording, Transcript

NAMESPACE = "https://www.weareavp.com/nunncenter/ohms"
VERSION = "6.0"  # the OHMS export version whose records carry <vtt_transcript>
MEDIA_FORMATS = {"audio": "sound", "video": "moving image"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRIM = " \t\n\r\f\v"  # a passage's ends, as the transcript readers trim them

#: Builds an absolute URL from an endpoint and its arguments (archive.web.edge.site_url).
Link = Callable[..., str]


@dataclass
class OhmsTranscript:
    """One transcript of a record: its language and its passages (anything with .start .end
    .text .speaker, in order)."""

    language: str
    segments: Sequence[Any]


@dataclass
class OhmsRecord:
    """What one OHMS record says, as plain values."""

    id: str
    dt: str  # the record's date, yyyy-mm-dd
    title: str
    accession: str = ""
    date: str = ""  # as catalogued: 1988, 1988-04, circa 1990, 1988-04-13
    duration: float | None = None
    collection_name: str = ""
    repository: str = ""
    repository_url: str = ""
    subjects: list[str] = field(default_factory=list)
    interviewees: list[str] = field(default_factory=list)
    interviewers: list[str] = field(default_factory=list)
    kind: str = ""  # audio | video; "" for a written text without a recording
    file_name: str = ""
    media_url: str = ""
    languages: list[str] = field(default_factory=list)  # codes
    type: str = ""
    description: str = ""
    transcript: OhmsTranscript | None = None
    translation: OhmsTranscript | None = None
    rights: str = ""
    xml_location: str = ""
    xml_filename: str = ""
    collection_link: str = ""


def to_ohms(record: OhmsRecord) -> str:
    """The OHMS XML of one record, elements in the order OHMS exports them."""
    root = ET.Element("ROOT", {"xmlns": NAMESPACE})  # the default namespace of every element
    out = ET.SubElement(root, "record", {"id": record.id, "dt": record.dt})
    iso = record.date if _ISO_DATE.fullmatch(record.date) else ""
    main = _transcript_fields(record.transcript)
    alt = _transcript_fields(record.translation)
    _add(out, "version", VERSION)
    _add(out, "date", attrs={"value": iso, "format": "yyyy-mm-dd"})
    _add(out, "date_nonpreferred_format", record.date)
    _add(out, "cms_record_id")
    _add(out, "title", record.title)
    _add(out, "accession", record.accession)
    _add(out, "duration", _clock(record.duration) if record.duration else "")
    _add(out, "collection_id")
    _add(out, "collection_name", record.collection_name)
    _add(out, "series_id")
    _add(out, "series_name")
    _add(out, "repository", record.repository)
    _add(out, "funding")
    _add(out, "repository_url", record.repository_url)
    for subject in record.subjects:
        _add(out, "subject", subject)
    for name in record.interviewees or [""]:
        _add(out, "interviewee", name)
    for name in record.interviewers or [""]:
        _add(out, "interviewer", name)
    formats = [MEDIA_FORMATS.get(record.kind, "")] + (["text"] if record.transcript else [])
    for name in [name for name in formats if name] or [""]:
        _add(out, "format", name)
    _add(out, "file_name", record.file_name)
    _add(out, "sync", main.sync)
    _add(out, "sync_alt", alt.sync)
    translated = record.translation is not None
    _add(
        out, "transcript_alt_lang", language_name(record.translation.language) if translated else ""
    )
    _add(out, "translate", "1" if translated else "0")
    _add(out, "media_id")
    _add(out, "media_url", record.media_url)
    mediafile = _add(out, "mediafile")
    _add(mediafile, "host", "Other")
    for name in ("avalon_target_domain", "host_account_id", "host_player_id", "host_clip_id"):
        _add(mediafile, name)
    _add(mediafile, "clip_format", record.kind)
    _add(out, "kembed")
    _add(out, "language", "; ".join(language_name(code) for code in record.languages))
    _add(out, "user_notes")
    _add(out, "index")
    _add(out, "type", record.type)
    _add(out, "description", record.description)
    _add(out, "rel")
    _add(out, "transcript", main.text)
    _add(out, "transcript_alt", alt.text)
    _add(out, "vtt_transcript", main.vtt)
    _add(out, "vtt_transcript_alt", alt.vtt)
    _add(out, "rights", record.rights)
    _add(out, "fmt", record.kind)
    _add(out, "usage")
    _add(out, "userestrict", "0")
    _add(out, "xmllocation", record.xml_location)
    _add(out, "xmlfilename", record.xml_filename)
    _add(out, "collection_link", record.collection_link)
    _add(out, "series_link")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _add(parent: ET.Element, name: str, text: str = "", attrs: dict | None = None) -> ET.Element:
    """A child element holding ``text`` (characters XML cannot hold become U+FFFD)."""
    element = ET.SubElement(parent, name, attrs or {})
    if text:
        element.text = _NOT_XML.sub("\ufffd", text)
    return element


def _clock(seconds: float) -> str:
    """A duration as OHMS writes it: 1685.2 -> '0:28:05'."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def language_name(code: str) -> str:
    """A language's English name, as OHMS writes it: 'ar' -> 'Arabic'."""
    base = code.split("-")[0].lower()
    return Locale("en").languages.get(base, code)


# The transcript fields


@dataclass
class _Fields:
    text: str = ""
    sync: str = ""
    vtt: str = ""


def _transcript_fields(transcript: OhmsTranscript | None) -> _Fields:
    """<transcript>, <sync> and <vtt_transcript> (or their _alt twins) of one transcript."""
    if transcript is None or not transcript.segments:
        return _Fields()
    segments = list(transcript.segments)
    timed = [segment for segment in segments if segment.start is not None]
    paragraphs = [_paragraph(segment) for segment in segments]
    text = "\n\n".join(paragraphs)
    vtt = to_webvtt(timed) if timed else ""
    return _Fields(text, _sync(segments, paragraphs), vtt)


def _paragraph(segment: Any) -> str:
    """A passage as a paragraph of an OHMS transcript: 'SPEAKER: text'."""
    speaker = " ".join((segment.speaker or "").split())
    text = (segment.text or "").replace("\r\n", "\n").replace("\r", "\n").strip(_TRIM)
    return f"{speaker}: {text}" if speaker else text


def _sync(segments: list[Any], paragraphs: list[str]) -> str:
    """Where each whole minute falls in the transcript: '1:|line(word)|...', '' when no
    minute is reached by a timed passage."""
    places = []  # per passage: (start, end, [(line, word in line)] of its words)
    line = 1
    for number, (segment, paragraph) in enumerate(zip(segments, paragraphs, strict=True)):
        words = [
            (line + offset, position)
            for offset, text in enumerate(paragraph.split("\n"))
            for position in range(1, len(text.split()) + 1)
        ]
        line += paragraph.count("\n") + 2  # its lines and the blank line after it
        if segment.start is not None and words:
            places.append((segment.start, _end(segments, number), words))
    if not places:
        return ""
    last = max(end for _start, end, _words in places)
    marks = [_mark(places, 60.0 * minute) for minute in range(1, math.floor(last / 60) + 1)]
    return "1:" + "".join(f"|{line}({word})" for line, word in marks)


def _end(segments: list[Any], number: int) -> float:
    """A passage's end: its own, else the next timed passage's start, else a few seconds on."""
    segment = segments[number]
    if segment.end is not None and segment.end > segment.start:
        return segment.end
    later = (s.start for s in segments[number + 1 :] if s.start is not None)
    following = next((start for start in later if start > segment.start), None)
    return following if following is not None else segment.start + DEFAULT_CUE_SECONDS


def _mark(places: list[tuple[float, float, list]], moment: float) -> tuple[int, int]:
    """The (line, word) being said at ``moment``: the word of the passage then under way, its
    words spread evenly over its time; in a silence, the next passage's first word."""
    under_way = [place for place in places if place[0] <= moment]
    if not under_way:
        return min(places, key=lambda place: place[0])[2][0]
    start, end, words = max(under_way, key=lambda place: place[0])
    if moment >= end:
        after = [place for place in places if place[0] > moment]
        return min(after, key=lambda place: place[0])[2][0] if after else words[-1]
    return words[min(int((moment - start) / (end - start) * len(words)), len(words) - 1)]


# From the catalogue


def item_records(item: Item, link: Link, *, public: bool = True) -> list[OhmsRecord]:
    """The OHMS records of ``item``: one per current recording, one for transcripts of none."""
    transcripts = [t for t in item.transcripts if not (public and t.restricted)]
    current = item.current_recordings
    groups: list[tuple[Recording | None, list[Transcript]]] = [
        (recording, [t for t in transcripts if t.recording_id == recording.id])
        for recording in current
    ]
    loose = [t for t in transcripts if t.recording_id not in {r.id for r in current}]
    if loose or not groups:
        groups.append((None, loose))
    return [
        _record(item, recording, mine, number, link, public=public)
        for number, (recording, mine) in enumerate(groups, start=1)
    ]


def _record(
    item: Item,
    recording: Recording | None,
    transcripts: list[Transcript],
    number: int,
    link: Link,
    *,
    public: bool,
) -> OhmsRecord:
    """One record: the item's description, one recording and its transcripts."""
    views = [_transcript(t, public=public) for t in transcripts]
    views = [view for view in views if view.segments]
    first = item.language_list[:1]
    primary = next((v for v in views if [v.language] == first), views[0] if views else None)
    translation = next((v for v in views if v.language != getattr(primary, "language", "")), None)
    collections = item.collections
    return OhmsRecord(
        id=item.identifier if number == 1 else f"{item.identifier}-{number}",
        dt=item.updated_at.date().isoformat(),
        title=item.title or item.title_en or item.identifier,
        accession=item.identifier,
        date=item.date,
        duration=recording.duration if recording else None,
        collection_name="; ".join(c.title for c in collections),
        repository=current_app.config["SITE_NAME"],
        repository_url=link("web.home"),
        subjects=[tag.label for tag in item.tags] + [place.name for place in item.prisons],
        interviewees=[person.name for person in item.people_in("narrator")],
        interviewers=[person.name for person in item.people_in("interviewer")],
        kind=recording.kind if recording else "",
        file_name="" if public or recording is None else recording.original_filename,
        media_url=_media_url(recording, link, public=public),
        languages=item.language_list,
        type=item.type,
        description=item.description or item.description_en,
        transcript=primary,
        translation=translation,
        rights=_rights(item.rights),
        xml_location=link("exports.ohms_xml", identifier=item.identifier, **_part(number)),
        xml_filename=filename(item.identifier, number),
        collection_link=_collection_link(collections, link),
    )


def _collection_link(collections: list, link: Link) -> str:
    """The page of the item's collection, when it is in exactly one."""
    return link("browse.collection", record_id=collections[0].id) if len(collections) == 1 else ""


def _transcript(transcript: Transcript, *, public: bool) -> OhmsTranscript:
    segments = [s for s in transcript.segments if not (public and s.restricted)]
    return OhmsTranscript(transcript.language, segments)


def _media_url(recording: Recording | None, link: Link, *, public: bool) -> str:
    """The URL of the access copy the record's reader may play ('' when there is none)."""
    if recording is None or served_file(recording, "access", staff=not public) is None:
        return ""
    return link("media_files.media_file", recording_id=recording.id, role="access")


def _rights(code: str) -> str:
    found = statement(code)
    return f"{found.label} ({found.uri})" if found else ""


def _part(number: int) -> dict[str, int]:
    return {"part": number} if number > 1 else {}


def filename(identifier: str, number: int = 1) -> str:
    """The file name of an item's record: 'AR-0001.ohms.xml', then 'AR-0001-2.ohms.xml'."""
    return f"{identifier}.ohms.xml" if number == 1 else f"{identifier}-{number}.ohms.xml"


def export_directory(directory: Path, link: Link, *, public: bool = True) -> tuple[int, int]:
    """Write the records of every item (only those an anonymous visitor may see, when
    ``public``) into ``directory``; (items, files) written."""
    query = select(Item).order_by(by_code_point(Item.identifier))
    if public:
        query = query.where(visible_filter(None))
    directory.mkdir(parents=True, exist_ok=True)
    items = files = 0
    for item in db.session.scalars(query):
        items += 1
        for number, record in enumerate(item_records(item, link, public=public), start=1):
            (directory / filename(item.identifier, number)).write_text(to_ohms(record), "utf-8")
            files += 1
    return items, files
