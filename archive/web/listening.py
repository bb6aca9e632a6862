"""What an item's listening page and its embed show to one visitor.

The views ask :func:`listening_page`; the templates render what it returns. Who may see the item
at all is decided by ``archive.access.rules`` before this module is reached. Here, a restricted
transcript is left out and a restricted passage becomes a placeholder (neither its times nor its
words sent; its sound is silent in the public copy the visitor is given, see
``archive.holdings.redaction``) unless the visitor is staff, who see and hear everything,
marked. Structured data (schema.org JSON-LD) and Open Graph tags are made only for items an
anonymous visitor may see, and always as that anonymous visitor would see them.
"""

from __future__ import annotations

import math
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from markupsafe import escape

from archive.access import rights
from archive.access.rules import can_edit, can_view
from archive.catalogue import verses
from archive.exchange import iiif
from archive.holdings.redaction import served_files
from archive.models import CREDIT_ROLES, Item, MediaFile, Person, Recording, Transcript, User
from archive.web.edge import site_url
from archive.web.media_files import content_security_policy

RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "ckb", "sd", "ug", "yi", "dv"}
#: Languages named in their own language, as the language menu names them: no translation needed.
LANGUAGE_NAMES = {
    "ar": "العربية", "en": "English", "fr": "Français", "he": "עברית", "fa": "فارسی",
    "es": "Español", "de": "Deutsch", "it": "Italiano", "tr": "Türkçe", "ru": "Русский",
}  # fmt: skip
CREATOR_ROLES = ("narrator", "poet", "performer", "composer")  # the rest are contributors


def direction(language: str) -> str:
    """'rtl' for a right-to-left language code (ar, ar-PS, fa, he, ...), else 'ltr'."""
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)


class _InLanguage:
    """Direction and time formatting for things that carry a ``lang``."""

    lang: str

    @property
    def dir(self) -> str:
        return direction(self.lang)

    @staticmethod
    def clock(seconds: float | None) -> str:
        return clock(seconds)

    @staticmethod
    def seconds(seconds: float) -> str:
        return seconds_param(seconds)


@dataclass(frozen=True)
class Localized(_InLanguage):
    """A catalogue value with the language it is written in, for lang= and dir=."""

    text: str
    lang: str


def localized(arabic: str, english: str, lang: str) -> Localized | None:
    """The value to show in interface language ``lang``: Arabic first for ar, else English first.

    Its language is told by its script, whichever field holds it.
    """
    arabic, english = (arabic or "").strip(), (english or "").strip()
    text = (arabic or english) if lang == "ar" else (english or arabic)
    return Localized(text, script_language(text)) if text else None


def script_language(text: str) -> str:
    """'ar' for text in Arabic script, else 'en': the fields hold Arabic or English."""
    arabic = any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)
    return "ar" if arabic else "en"


def person_name(person: Person, lang: str) -> Localized:
    """A person's name: the primary (Arabic-script) one in Arabic, the Latin one otherwise."""
    return localized(person.name, person.name_latin, lang) or Localized(str(person.id), lang)


@dataclass
class Passage:
    """One segment as this visitor may see it: withheld passages keep neither words nor times."""

    id: int
    start: float | None
    end: float | None
    text: str
    speaker: str
    withheld: bool  # shown as "This passage is not published"
    restricted: bool  # restricted, and shown because the visitor is staff
    translations: dict[int, list[Passage]] = field(default_factory=dict)

    @property
    def verse(self) -> tuple[str, str] | None:
        """The two halves (صدر, عجز) when this passage is a verse of a poem."""
        return None if self.withheld else verses.halves(self.text)

    @property
    def stanza_end(self) -> bool:
        return not self.withheld and verses.ends_stanza(self.text)


@dataclass
class TranscriptView:
    id: int
    language: str
    restricted: bool
    passages: list[Passage]

    @property
    def dir(self) -> str:
        return direction(self.language)

    @property
    def name(self) -> str:
        return language_name(self.language)

    @property
    def timed(self) -> bool:
        """Has times this visitor may have as WebVTT (withheld passages are left out of it)."""
        return any(p.start is not None and not p.withheld for p in self.passages)


@dataclass
class Listening:
    """One recording (or, with no recording, the written text) and its transcripts."""

    key: str
    recording: Recording | None
    transcript: TranscriptView | None
    translations: list[TranscriptView]
    shown_translation: int | None  # the translation shown beside the transcript at first
    start: float | None = None  # where playback starts (?t=), for the first recording only
    #: The files this visitor gets by role (access, poster, peaks): the public copy's when
    #: passages are withheld, none while it is being made.
    files: dict[str, MediaFile] = field(default_factory=dict)

    @property
    def playable(self) -> bool:
        return self.recording is not None and "access" in self.files

    def file(self, role: str) -> MediaFile | None:
        return self.files.get(role)

    @property
    def transcripts(self) -> list[TranscriptView]:
        return ([self.transcript] if self.transcript else []) + self.translations

    def sources(self) -> list[tuple[str, str, str]]:
        """The player's <source>s as (url, MIME type, role): the small rendition first when
        the visitor saves data (``archive.web.data_saving``), else the normal copy first."""
        from archive.web.data_saving import saves_data

        roles = ["small", "access"] if saves_data() else ["access", "small"]
        return [
            (self.media_url(role), source_type(self.files[role]), role)
            for role in roles
            if role in self.files
        ]

    def size_text(self, role: str = "access") -> str:
        """The size of the file of ``role``, in the interface language's numbers."""
        from flask_babel import get_locale

        from archive.web.data_saving import human_size

        return human_size(self.files[role].size, str(get_locale()))

    def media_url(self, role: str = "access", *, external: bool = False) -> str | None:
        """The recording's file of ``role``; absolute (at BASE_URL) when ``external``."""
        if self.recording is None or role not in self.files:
            return None
        build = site_url if external else url_for
        return build("media_files.media_file", recording_id=self.recording.id, role=role)


def source_type(stored: MediaFile) -> str:
    """A <source> type a browser can answer canPlayType() for exactly (codecs named)."""
    if stored.mimetype == "audio/webm":
        return 'audio/webm; codecs="opus"'
    return stored.mimetype


@dataclass
class ListeningPage(_InLanguage):
    item: Item
    lang: str
    staff: bool
    public: bool  # published, public and not embargoed: what an anonymous visitor sees
    can_download: bool
    groups: list[Listening]
    title: Localized
    description: Localized | None
    credits: list[tuple[str, list[tuple[Person, Localized]]]]
    tags: list[Localized]
    collections: list[Localized]
    prisons: list[Localized]
    date: str
    rights: rights.RightsStatement | None
    url: str
    embed_url: str
    start: float | None
    citation: str = ""
    embed_code: str = ""
    manifest_url: str | None = None  # its IIIF manifest, for items that have one
    structured_data: dict[str, Any] | None = None
    open_graph: list[tuple[str, str]] = field(default_factory=list)

    @property
    def languages(self) -> list[tuple[str, str]]:
        return [(code, language_name(code)) for code in self.item.language_list]

    @property
    def first_playable(self) -> Listening | None:
        return next((group for group in self.groups if group.playable), None)


def listening_page(
    item: Item, user: User | None, *, lang: str, start: float | None
) -> ListeningPage:
    """Everything the listening page (and the embed) shows of ``item`` to ``user``."""
    staff = can_edit(user)
    start = start if start is not None and math.isfinite(start) and start >= 0 else None
    page = ListeningPage(
        item=item,
        lang=lang,
        staff=staff,
        public=can_view(None, item),
        can_download=item.download or staff,
        groups=_groups(item, staff, lang),
        title=localized(item.title, item.title_en, lang) or Localized(item.identifier, "en"),
        description=localized(item.description, item.description_en, lang),
        credits=_credits(item, lang),
        tags=[t for t in (localized(t.label, t.label_en, lang) for t in item.tags) if t],
        collections=[
            c for c in (localized(c.title, c.title_en, lang) for c in item.collections) if c
        ],
        prisons=[p for p in (localized(p.name, p.name_en, lang) for p in item.prisons) if p],
        date=date_label(item.date),
        rights=rights.statement(item.rights),
        url=site_url("web.item", identifier=item.identifier),
        embed_url=site_url("web.embed", identifier=item.identifier),
        start=start,
    )
    first = page.first_playable
    if first is not None:
        first.start = start
    page.citation = citation(page)
    page.embed_code = embed_code(page)
    if page.public and iiif.has_manifest(item):
        page.manifest_url = site_url("iiif.manifest", identifier=item.identifier)
    if page.public:
        page.structured_data = structured_data(page)
        page.open_graph = open_graph(page)
    return page


def _groups(item: Item, staff: bool, lang: str) -> list[Listening]:
    """A group per current recording, then one for transcripts that belong to none."""
    current = {recording.id for recording in item.current_recordings}
    groups = []
    for recording in item.current_recordings:
        mine = [t for t in item.transcripts if t.recording_id == recording.id]
        groups.append(_group(f"rec-{recording.id}", recording, mine, item, staff, lang))
    loose = [t for t in item.transcripts if t.recording_id not in current]
    if loose:
        groups.append(_group("text", None, loose, item, staff, lang))
    return groups


def _group(
    key: str,
    recording: Recording | None,
    transcripts: list[Transcript],
    item: Item,
    staff: bool,
    lang: str,
) -> Listening:
    views = [_transcript_view(t, staff) for t in transcripts if staff or not t.restricted]
    languages = item.language_list
    primary = next((v for v in views if languages and v.language == languages[0]), None)
    primary = primary or (views[0] if views else None)
    translations = [v for v in views if v is not primary]
    for translation in translations:
        align(primary.passages, translation)
    for view in views:  # times placed the translations; a withheld passage's are not shown
        for passage in view.passages:
            if passage.withheld:
                passage.start = passage.end = None
    shown = next(
        (v.id for v in translations if v.language == lang and primary.language != lang), None
    )
    files = served_files(recording, staff=staff) if recording is not None else {}
    return Listening(key, recording, primary, translations, shown, files=files)


def _transcript_view(transcript: Transcript, staff: bool) -> TranscriptView:
    passages = []
    for segment in transcript.segments:
        withheld = segment.restricted and not staff
        passages.append(
            Passage(
                id=segment.id,
                start=segment.start,
                end=segment.end,
                text="" if withheld else segment.text,
                speaker="" if withheld else segment.speaker,
                withheld=withheld,
                restricted=segment.restricted and staff,
            )
        )
    return TranscriptView(transcript.id, transcript.language, transcript.restricted, passages)


def align(primary: list[Passage], translation: TranscriptView) -> None:
    """Put each passage of ``translation`` beside the passage of ``primary`` it translates.

    Timed: beside the last primary passage starting at or before it. Untimed: by position,
    any extra ones beside the last.
    """
    if not primary:
        return
    timed = [(p.start, i) for i, p in enumerate(primary) if p.start is not None]
    timed.sort()
    starts = [start for start, _ in timed]
    for position, passage in enumerate(translation.passages):
        if timed and passage.start is not None:
            at = timed[max(bisect_right(starts, passage.start) - 1, 0)][1]
        else:
            at = min(position, len(primary) - 1)
        primary[at].translations.setdefault(translation.id, []).append(passage)


def _credits(item: Item, lang: str) -> list[tuple[str, list[tuple[Person, Localized]]]]:
    by_role = []
    for role in CREDIT_ROLES:
        people = item.people_in(role)
        if people:
            by_role.append((role, [(person, person_name(person, lang)) for person in people]))
    return by_role


def date_label(value: str) -> str:
    """The recording date as catalogued; 'circa 1990' in the interface language."""
    if value.startswith("circa "):
        return _("circa %(year)s", year=value.removeprefix("circa "))
    return value


def clock(seconds: float | None) -> str:
    """A time within a recording: '1:05', and '1:02:05' past an hour."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def seconds_param(seconds: float) -> str:
    """A time for ``?t=``: 65.0 -> '65', 12.345 -> '12.345'."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration: 3725.5 -> 'PT1H2M5.5S'."""
    millis = round(seconds * 1000)
    h, millis = divmod(millis, 3_600_000)
    m, millis = divmod(millis, 60_000)
    s = seconds_param(millis / 1000)
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + f"{s}S"


def citation(page: ListeningPage) -> str:
    """A citation to copy: people, title, type and date, archive and identifier, link, access date.

    Each value is isolated (FSI...PDI) where its direction differs from the interface's, so that
    an identifier or a link keeps its shape inside Arabic text and an Arabic name inside English.
    """
    item, rtl = page.item, direction(page.lang) == "rtl"
    comma = pgettext("list separator", ", ")
    names = [
        isolate(name.text, rtl)
        for role, people in page.credits
        if role in CREATOR_ROLES
        for _person, name in people
    ]
    parts = [comma.join(names)] if names else []
    parts.append(_("“%(title)s”", title=isolate(page.title.text, rtl)))
    kind = type_label(item.type)
    parts.append(kind + comma + isolate(page.date, rtl) if page.date else kind)
    archive = _("Prisoners' Movement Oral History Archive")
    parts.append(archive + comma + isolate(item.identifier, rtl))
    parts.append(isolate(page.url, rtl))
    parts.append(_("Accessed %(date)s", date=isolate(date.today().isoformat(), rtl)))
    return ". ".join(part.rstrip(".") for part in parts) + "."


def isolate(text: str, rtl: bool) -> str:
    """``text`` between FSI and PDI when its direction is not the surrounding text's."""
    kinds = {unicodedata.bidirectional(char) for char in text}
    arabic = bool(kinds & {"R", "AL"})
    foreign = ("L" in kinds or not arabic) if rtl else arabic
    return f"\u2068{text}\u2069" if text and foreign else text


def type_label(code: str) -> str:
    labels = {
        "testimony": _("Testimony"), "poem": _("Poem"), "song": _("Song"),
        "interview": _("Interview"), "lecture": _("Lecture"), "event": _("Event"),
    }  # fmt: skip
    return labels.get(code, code)


def embed_code(page: ListeningPage) -> str:
    """The <iframe> snippet that embeds the item's player and transcript in another site."""
    return (
        f'<iframe src="{escape(page.embed_url)}" title="{escape(page.title.text)}" '
        'width="640" height="480" loading="lazy" allow="fullscreen" allowfullscreen></iframe>'
    )


def structured_data(page: ListeningPage) -> dict[str, Any]:
    """schema.org JSON-LD as an anonymous visitor would see it (no restricted text)."""
    item, group = page.item, page.first_playable
    recording = group.recording if group else None
    kind = {"audio": "AudioObject", "video": "VideoObject"}.get(recording.kind if recording else "")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": kind or "CreativeWork",
        "@id": page.url,
        "url": page.url,
        "identifier": item.identifier,
        "name": page.title.text,
    }
    other = (item.title_en if page.title.lang == "ar" else item.title).strip()
    if other and other != page.title.text:
        data["alternateName"] = other
    if page.description:
        data["description"] = page.description.text
    languages = item.language_list
    if languages:
        data["inLanguage"] = languages[0] if len(languages) == 1 else languages
    for key, roles in (("creator", CREATOR_ROLES), ("contributor", ("interviewer", "translator"))):
        people = [
            _person_data(person, name)
            for role, credited in page.credits
            if role in roles
            for person, name in credited
        ]
        if people:
            data[key] = people
    if item.date and not item.date.startswith("circa"):
        data["dateCreated"] = item.date
    if item.place:
        data["locationCreated"] = {"@type": "Place", "name": item.place}
    if page.tags:
        data["keywords"] = [tag.text for tag in page.tags]
    if page.rights:
        data["license"] = page.rights.uri
    if item.published_at:
        data["datePublished"] = item.published_at.date().isoformat()
    if recording is not None:
        _media_data(data, page, group)
    transcript = _public_transcript_text(item, recording)
    if transcript:
        data["transcript"] = transcript
    if page.manifest_url:  # the same recording for IIIF viewers and aggregators
        data["subjectOf"] = {
            "@type": "CreativeWork",
            "@id": page.manifest_url,
            "url": page.manifest_url,
            "additionalType": "http://iiif.io/api/presentation/3#Manifest",
            "encodingFormat": iiif.MEDIA_TYPE,
        }
    return data


def _person_data(person: Person, name: Localized) -> dict[str, str]:
    data = {
        "@type": "Person",
        "name": name.text,
        "url": site_url("web.person", person_id=person.id),
    }
    others = [n for n in person.all_names if n != name.text]
    if others:
        data["alternateName"] = others[0]
    return data


def _media_data(data: dict[str, Any], page: ListeningPage, group: Listening) -> None:
    recording = group.recording
    if recording.duration:
        data["duration"] = iso_duration(recording.duration)
    access = group.file("access")
    data["encodingFormat"] = access.mimetype
    data["embedUrl"] = page.embed_url
    if page.item.download:
        data["contentUrl"] = group.media_url("access", external=True)
    poster = group.media_url("poster", external=True)
    if poster:
        data["thumbnailUrl"] = poster
    if recording.kind == "video" and page.item.published_at:
        data["uploadDate"] = page.item.published_at.date().isoformat()


def _public_transcript_text(item: Item, recording: Recording | None) -> str:
    """The words of the item's first public transcript, restricted passages left out."""
    languages = item.language_list
    candidates = [
        t
        for t in item.transcripts
        if not t.restricted and (recording is None or t.recording_id == recording.id)
    ]
    candidates.sort(key=lambda t: (not (languages and t.language == languages[0]), t.id))
    if not candidates:
        return ""
    return "\n".join(s.text for s in candidates[0].segments if not s.restricted and s.text)


def open_graph(page: ListeningPage) -> list[tuple[str, str]]:
    """Open Graph properties, in order, for a public published item."""
    group = page.first_playable
    recording = group.recording if group else None
    video = recording is not None and recording.kind == "video"
    tags = [
        ("og:title", page.title.text),
        ("og:type", "video.other" if video else "website"),
        ("og:url", page.url),
        ("og:site_name", _("Prisoners' Movement Oral History Archive")),
        ("og:locale", {"ar": "ar_AR", "en": "en_US", "fr": "fr_FR"}.get(page.lang, page.lang)),
    ]
    if page.description:
        tags.append(("og:description", page.description.text))
    if recording is not None:
        kind = "og:video" if video else "og:audio"
        tags.append((kind, group.media_url("access", external=True)))
        tags.append((f"{kind}:type", group.file("access").mimetype))
        if video and recording.width and recording.height:
            tags += [
                ("og:video:width", str(recording.width)),
                ("og:video:height", str(recording.height)),
            ]
        poster = group.media_url("poster", external=True)
        if poster:
            tags.append(("og:image", poster))
    return tags


def frameable(response):
    """Let any site frame this response: no X-Frame-Options, CSP ``frame-ancestors *``.

    ``archive.web`` adds ``X-Frame-Options: SAMEORIGIN`` to every response but the embed.
    """
    response.headers.pop("X-Frame-Options", None)
    response.headers["Content-Security-Policy"] = content_security_policy("*")
    return response
