"""An item's public description as Dublin Core (``oai_dc``) and as MODS 3.7 XML elements.

Each format is one function taking the item and the site's address (``[SERVER] BASE_URL``),
returning an lxml element; nothing here needs a request, so OAI-PMH and preservation packages
use them alike. They describe what an anonymous visitor may see: never the notes, the
narrator's release, an embargo or a transcript; the format offered is the one of the copy the
public is served (``archive.holdings.redaction``). Whether the item may be shown at all is the
caller's question (``archive.access.rules``).

People's parts, by role (the primary name of each person; role by role in this order, and
in the order catalogued within a role):

============  ==============  ===========================================================
role          Dublin Core     MODS ``roleTerm`` (MARC relator)
============  ==============  ===========================================================
narrator      creator         Narrator ``nrt``
poet          creator         Lyricist ``lyr`` for a song, else Author ``aut``
composer      creator         Composer ``cmp``
performer     creator         Performer ``prf``
interviewer   contributor     Interviewer ``ivr``
translator    contributor     Translator ``trl``
============  ==============  ===========================================================

The narrator, the poet, the composer and the performer are responsible for the content; the
interviewer and the translator contributed to it. Types map to the DCMI Type Vocabulary
(``Sound``, ``MovingImage``; ``Text`` for a poem catalogued without a recording) and to MODS
``typeOfResource`` (``sound recording-musical`` for a song, else ``sound
recording-nonmusical``; ``moving image``; ``text``); the item's own type follows as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from lxml import etree

from archive.access import rights
from archive.holdings.redaction import served_file
from archive.models import Item, Person

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
MODS = "http://www.loc.gov/mods/v3"
XLINK = "http://www.w3.org/1999/xlink"
RELATORS = "http://id.loc.gov/vocabulary/relators"

#: The item types in English and Arabic (the labels of the interface's own catalogs).
TYPE_LABELS = {
    "testimony": ("Testimony", "شهادة"),
    "poem": ("Poem", "قصيدة"),
    "song": ("Song", "أغنية"),
    "interview": ("Interview", "مقابلة"),
    "lecture": ("Lecture", "محاضرة"),
    "event": ("Event", "فعالية"),
}
CREATORS = ("narrator", "poet", "composer", "performer")
CONTRIBUTORS = ("interviewer", "translator")
ROLE_ORDER = (*CREATORS, *CONTRIBUTORS)  # the order people are listed in
#: MARC relator (text, code) of each role; a poet is a lyricist in a song.
RELATOR = {
    "narrator": ("Narrator", "nrt"),
    "interviewer": ("Interviewer", "ivr"),
    "poet": ("Author", "aut"),
    "performer": ("Performer", "prf"),
    "composer": ("Composer", "cmp"),
    "translator": ("Translator", "trl"),
}
LYRICIST = ("Lyricist", "lyr")
#: ISO 639-1 codes and their ISO 639-2/B equivalents, for MODS; other codes go as RFC 5646 tags.
ISO639_2B = {
    "ar": "ara", "en": "eng", "fr": "fre", "he": "heb", "de": "ger", "es": "spa",
    "it": "ita", "tr": "tur", "fa": "per", "ku": "kur", "ur": "urd", "ru": "rus",
    "nl": "dut", "pt": "por", "el": "gre", "zh": "chi", "hi": "hin", "sq": "alb",
}  # fmt: skip
DATE_RE = re.compile(r"(circa )?(\d{4}(?:-\d{2}(?:-\d{2})?)?)")
# Characters XML 1.0 cannot hold (a stray control character in an old import): left out.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Format:
    """A metadata format as OAI-PMH announces it."""

    prefix: str
    schema: str
    namespace: str
    element: Callable[..., etree._Element]


def page_url(base_url: str, identifier: str) -> str:
    """The listening page of the item ``identifier`` at the site's address ``base_url``."""
    return f"{base_url.rstrip('/')}/items/{quote(identifier, safe='')}"


def clean(value: str | None) -> str:
    return NOT_XML.sub("", value or "").strip()


# --- Dublin Core --------------------------------------------------------------------------------


def oai_dc(item: Item, base_url: str, *, publisher: str = "") -> etree._Element:
    """``<oai_dc:dc>``: unqualified Dublin Core, titles, descriptions and subjects with
    ``xml:lang``."""
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")

    def add(name: str, value: str | None, lang: str | None = None) -> None:
        value = clean(value)
        if value:
            element = etree.SubElement(root, f"{{{DC}}}{name}")
            element.text = value
            if lang:
                element.set(XML_LANG, lang)

    add("title", item.title, "ar")
    add("title", item.title_en, "en")
    if not clean(item.title) and not clean(item.title_en):
        add("title", item.identifier)
    creators = _people(item, CREATORS)
    for person in creators:
        add("creator", person.name)
    for person in _people(item, CONTRIBUTORS):
        if person not in creators:
            add("contributor", person.name)
    for tag in item.tags:
        add("subject", tag.label, "ar")
        add("subject", tag.label_en, "en")
    for prison in item.prisons:
        add("subject", prison.name, "ar")
        add("subject", prison.name_en, "en")
    add("description", item.description, "ar")
    add("description", item.description_en, "en")
    add("publisher", publisher)
    add("date", item.date)
    for dcmi in _dcmi_types(item):
        add("type", dcmi)
    english, arabic = TYPE_LABELS.get(item.type, (item.type, ""))
    add("type", english, "en")
    add("type", arabic, "ar")
    for mimetype in _formats(item):
        add("format", mimetype)
    add("identifier", page_url(base_url, item.identifier))
    for code in item.language_list:
        add("language", code)
    for collection in item.collections:
        add("relation", collection.title, "ar")
        add("relation", collection.title_en, "en")
    add("coverage", item.place)
    statement = rights.statement(item.rights)
    if statement is not None:
        add("rights", statement.uri)
    return root


# --- MODS ---------------------------------------------------------------------------------------


def mods(item: Item, base_url: str, *, publisher: str = "") -> etree._Element:
    """``<mods:mods version="3.7">``: names with MARC relator roles, both languages."""
    base = base_url.rstrip("/")
    root = etree.Element(f"{{{MODS}}}mods", nsmap={"mods": MODS, "xlink": XLINK, "xsi": XSI})
    root.set("version", "3.7")
    root.set(
        f"{{{XSI}}}schemaLocation", f"{MODS} http://www.loc.gov/standards/mods/v3/mods-3-7.xsd"
    )

    arabic_title, english_title = clean(item.title), clean(item.title_en)
    if arabic_title:
        _sub(_sub(root, "titleInfo", lang="ara", script="Arab"), "title", arabic_title)
    if english_title:
        info = _sub(root, "titleInfo", lang="eng", type="translated" if arabic_title else None)
        _sub(info, "title", english_title)
    if not arabic_title and not english_title:
        _sub(_sub(root, "titleInfo"), "title", item.identifier)

    for person, roles in _credited(item):
        name = _sub(root, "name", type="personal", valueURI=f"{base}/people/{person.id}")
        _sub(name, "namePart", clean(person.name))
        for role in roles:
            label, code = LYRICIST if (role == "poet" and item.type == "song") else RELATOR[role]
            term = _sub(name, "role")
            relator = {"authority": "marcrelator", "authorityURI": RELATORS}
            _sub(term, "roleTerm", label, type="text", **relator)
            _sub(term, "roleTerm", code, type="code", valueURI=f"{RELATORS}/{code}", **relator)

    for resource in _resource_types(item):
        _sub(root, "typeOfResource", resource)
    english, arabic = TYPE_LABELS.get(item.type, (item.type, ""))
    _sub(root, "genre", english, authority="local", lang="eng")
    if arabic:
        _sub(root, "genre", arabic, authority="local", lang="ara")

    origin = etree.Element(f"{{{MODS}}}originInfo")
    if clean(item.place):
        _sub(_sub(origin, "place"), "placeTerm", clean(item.place), type="text")
    date = clean(item.date)
    if date:
        match = DATE_RE.fullmatch(date)
        if match is None:
            _sub(origin, "dateCreated", date)
        else:
            qualifier = "approximate" if match.group(1) else None
            _sub(origin, "dateCreated", match.group(2), encoding="w3cdtf", keyDate="yes",
                 qualifier=qualifier)  # fmt: skip
    if publisher:
        _sub(origin, "publisher", clean(publisher))
    if len(origin):
        root.append(origin)

    for code in item.language_list:
        language = _sub(root, "language")
        if code in ISO639_2B:
            _sub(language, "languageTerm", ISO639_2B[code], type="code", authority="iso639-2b")
        else:
            _sub(language, "languageTerm", code, type="code", authority="rfc5646")

    physical = etree.Element(f"{{{MODS}}}physicalDescription")
    for mimetype in _formats(item):
        _sub(physical, "internetMediaType", mimetype)
    for recording in item.current_recordings:
        if recording.duration:
            kind = "video" if recording.kind == "video" else "audio"
            _sub(physical, "extent", f"1 {kind} file ({_clock(recording.duration)})")
    if len(physical):
        root.append(physical)

    if clean(item.description):
        _sub(root, "abstract", clean(item.description), lang="ara", script="Arab")
    if clean(item.description_en):
        _sub(root, "abstract", clean(item.description_en), lang="eng")

    for tag in item.tags:
        _subject(root, "topic", tag.label, tag.label_en)
    for prison in item.prisons:
        _subject(root, "geographic", prison.name, prison.name_en)

    for collection in item.collections:
        host = _sub(root, "relatedItem", type="host", displayLabel="Collection")
        if clean(collection.title):
            _sub(
                _sub(host, "titleInfo", lang="ara", script="Arab"), "title", clean(collection.title)
            )
        if clean(collection.title_en):
            info = _sub(host, "titleInfo", lang="eng", type="translated")
            _sub(info, "title", clean(collection.title_en))
        _sub(_sub(host, "location"), "url", f"{base}/collections/{collection.id}")

    page = page_url(base, item.identifier)
    _sub(root, "identifier", item.identifier, type="local")
    _sub(root, "identifier", page, type="uri")
    location = _sub(root, "location")
    _sub(location, "url", page, usage="primary display", access="object in context")
    statement = rights.statement(item.rights)
    if statement is not None:
        condition = _sub(root, "accessCondition", statement.label, type="use and reproduction")
        condition.set(f"{{{XLINK}}}href", statement.uri)

    record = _sub(root, "recordInfo")
    if publisher:
        _sub(record, "recordContentSource", clean(publisher))
    _sub(record, "recordIdentifier", item.identifier)
    cataloguing = _sub(record, "languageOfCataloging")
    _sub(cataloguing, "languageTerm", "ara", type="code", authority="iso639-2b")
    return root


FORMATS = {
    "oai_dc": Format("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC, oai_dc),
    "mods": Format("mods", "http://www.loc.gov/standards/mods/v3/mods-3-7.xsd", MODS, mods),
}


# --- helpers ------------------------------------------------------------------------------------


def _sub(parent: etree._Element, name: str, text: str | None = None, **attributes):
    """A MODS child element; attributes whose value is None are left out."""
    element = etree.SubElement(parent, f"{{{MODS}}}{name}")
    if text is not None:
        element.text = clean(text)
    for key, value in attributes.items():
        if value is not None:
            element.set(key, value)
    return element


def _subject(root: etree._Element, kind: str, arabic: str, english: str) -> None:
    if clean(arabic):
        _sub(_sub(root, "subject", lang="ara", script="Arab"), kind, clean(arabic))
    if clean(english):
        _sub(_sub(root, "subject", lang="eng"), kind, clean(english))


def _credits(item: Item) -> list:
    """The item's credits, role by role (ROLE_ORDER), each role's in the order catalogued."""
    named = [c for c in item.credits if c.role in ROLE_ORDER and clean(c.person.name)]
    return sorted(named, key=lambda c: (ROLE_ORDER.index(c.role), c.position, c.id or 0))


def _people(item: Item, roles: tuple[str, ...]) -> list[Person]:
    """The people credited in any of ``roles``, each once."""
    found: dict[int, Person] = {}
    for credit in _credits(item):
        if credit.role in roles:
            found.setdefault(credit.person.id, credit.person)
    return list(found.values())


def _credited(item: Item) -> list[tuple[Person, list[str]]]:
    """Each person credited, once, with their roles."""
    found: dict[int, tuple[Person, list[str]]] = {}
    for credit in _credits(item):
        person, roles = found.setdefault(credit.person.id, (credit.person, []))
        if credit.role not in roles:
            roles.append(credit.role)
    return list(found.values())


def _kinds(item: Item) -> list[str]:
    return sorted({recording.kind for recording in item.current_recordings})


def _dcmi_types(item: Item) -> list[str]:
    kinds = _kinds(item)
    found = [
        {"audio": "Sound", "video": "MovingImage"}[k] for k in kinds if k in ("audio", "video")
    ]
    if not kinds and item.type == "poem":
        found.append("Text")
    return found


def _resource_types(item: Item) -> list[str]:
    found = []
    for kind in _kinds(item):
        if kind == "audio":
            found.append(
                "sound recording-musical" if item.type == "song" else "sound recording-nonmusical"
            )
        elif kind == "video":
            found.append("moving image")
    if not found and item.type == "poem":
        found.append("text")
    return found


def _formats(item: Item) -> list[str]:
    """The media types of the copies the public is served of the item's recordings."""
    found = []
    for recording in item.current_recordings:
        stored = served_file(recording, "access", staff=False)
        if stored is not None and stored.mimetype not in found:
            found.append(stored.mimetype)
    return found


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
