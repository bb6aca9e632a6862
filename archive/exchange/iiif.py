"""IIIF Presentation 3: a manifest for each public item with media.

Everything here is what an anonymous visitor may see (``archive.access.rules`` with no user),
whoever asks: published public items that are not embargoed or withdrawn; the public copy of a
recording with withheld passages (``archive.holdings.redaction.served_files``), and no canvas
for a recording while that copy is being made; no restricted transcript and no withheld passage,
neither its words nor its times.

A manifest holds one Canvas per current recording an anonymous visitor can play: its duration
(and size, for video), a ``painting`` annotation whose body is the access copy, the poster and a
waveform image as thumbnails, and the recording's transcripts as ``supplementing`` annotations
twice over: one WebVTT file per language (a ``Choice`` between them when there are several),
and an annotation page per transcript of timed text annotations targeting ``#t=start,end``.
The catalogue keeps no index of named moments (chapters or OHMS index points; an imported OHMS
index becomes transcript segments), so the manifests have no ``structures``.

Labels, summaries and metadata are language maps: the catalogue's Arabic and English fields,
each tagged with its language, and the interface's labels in Arabic, English and French.

The collections that list the manifests are ``archive.exchange.iiif_collections``.

The module builds no URL itself (it lies below the web face): the caller hands it
``url(endpoint, **values)``, in practice ``archive.web.edge.site_url``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from flask import current_app
from flask_babel import force_locale, gettext

from archive.access import rights
from archive.access.rules import can_view
from archive.holdings.redaction import served_files
from archive.models import (
    CREDIT_ROLES,
    Item,
    MediaFile,
    Recording,
    Segment,
    Transcript,
)
from media.profiles import POSTER_MAX_HEIGHT

if TYPE_CHECKING:
    from iiif_prezi3 import (
        AnnotationPage,
        Canvas,
        Homepage,
        KeyValueString,
        Manifest,
        Provider,
    )

Url = Callable[..., str]
LanguageMap = dict[str, list[str]]

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'
#: The interface languages labels are given in.
LABEL_LANGUAGES = ("ar", "en", "fr")
#: The waveform image: this many columns, this high.
WAVEFORM_WIDTH, WAVEFORM_HEIGHT = 1000, 200
DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def prezi():
    """The iiif_prezi3 module, imported when a manifest is first made: its pydantic models cost
    each process about 28 MB, and most requests never need them."""
    import iiif_prezi3

    return iiif_prezi3


def _l(message: str) -> str:
    """Marks an interface string for the message catalogs; :func:`translated` translates it."""
    return message


TYPE_LABELS = {
    "testimony": _l("Testimony"), "poem": _l("Poem"), "song": _l("Song"),
    "interview": _l("Interview"), "lecture": _l("Lecture"), "event": _l("Event"),
}  # fmt: skip
ROLE_LABELS = {
    "narrator": _l("Narrator"), "interviewer": _l("Interviewer"), "poet": _l("Poet"),
    "performer": _l("Performer"), "composer": _l("Composer"), "translator": _l("Translator"),
}  # fmt: skip
ARCHIVE_NAME = _l("Prisoners' Movement Oral History Archive")


# --- what an anonymous visitor can play --------------------------------------------------------


@dataclass
class Playable:
    """A current recording an anonymous visitor can play, and the files they get of it."""

    recording: Recording
    files: dict[str, MediaFile]  # by role: access, and poster and peaks when there are


def playable(item: Item) -> list[Playable]:
    """The current recordings of ``item`` with an access copy an anonymous visitor gets."""
    found = []
    for recording in item.current_recordings:
        files = served_files(recording, staff=False)
        if "access" in files and recording.duration and recording.duration > 0:
            found.append(Playable(recording, files))
    return found


def has_manifest(item: Item) -> bool:
    """Whether ``item`` has a manifest: anyone may see it and it has something to play."""
    return can_view(None, item) and bool(playable(item))


# --- language maps -----------------------------------------------------------------------------


def script_language(text: str) -> str:
    """'ar' for text in Arabic script, else 'en': the catalogue's fields hold Arabic or English."""
    return "ar" if any(unicodedata.bidirectional(c) in ("R", "AL") for c in text) else "en"


def language_map(pairs: Iterable[tuple[str, str]]) -> LanguageMap:
    """Values catalogued in Arabic and/or English (``(arabic, english)`` pairs) as a language map.

    Under "ar" each value's Arabic, under "en" its English, either falling back to the other
    when only one was catalogued; when both lists are the same, one list under the language of
    its script ("none" when the values mix scripts). Empty pairs are left out.
    """
    pairs = [((a or "").strip(), (e or "").strip()) for a, e in pairs]
    pairs = [(a, e) for a, e in pairs if a or e]
    if not pairs:
        return {}
    arabic, english = [a or e for a, e in pairs], [e or a for a, e in pairs]
    if arabic != english:
        return {"ar": arabic, "en": english}
    scripts = {script_language(text) for text in arabic}
    return {scripts.pop() if len(scripts) == 1 else "none": arabic}


def translated(message: str, **values: object) -> LanguageMap:
    """An interface string in each of LABEL_LANGUAGES; a value that is callable is called with
    the language, for values that are themselves in that language."""
    found: LanguageMap = {}
    for lang in LABEL_LANGUAGES:
        local = {key: value(lang) if callable(value) else value for key, value in values.items()}
        with force_locale(lang):
            found[lang] = [gettext(message, **local)]
    return found


def language_name(code: str, lang: str) -> str:
    """The name of language ``code`` in language ``lang`` ('arabe' for ar in fr), else the code."""
    try:
        return Locale.parse(lang).languages.get(code.split("-")[0].lower(), code)
    except (ValueError, UnknownLocaleError):
        return code


def language_names(codes: list[str]) -> LanguageMap:
    return {lang: [language_name(code, lang) for code in codes] for lang in LABEL_LANGUAGES}


def _pair(label: LanguageMap, value: LanguageMap) -> KeyValueString:
    return prezi().KeyValueString(label=label, value=value)


# --- the manifest ------------------------------------------------------------------------------


def manifest(
    item: Item,
    *,
    url: Url,
    see_also: list[dict] | None = None,
    recording_see_also: Callable[[Recording], list[dict]] | None = None,
) -> Manifest:
    """The manifest of ``item`` as an anonymous visitor would see it (see :func:`has_manifest`);
    ``see_also`` links it, and ``recording_see_also`` each canvas, to the same in other formats
    (IIIF ``seeAlso``: id, type, label, format, profile)."""
    manifest_id = url("iiif.manifest", identifier=item.identifier)
    canvases = []
    for number, found in enumerate(playable(item), start=1):
        canvas = _canvas(item, number, found, manifest_id, url)
        if recording_see_also is not None:
            canvas.seeAlso = recording_see_also(found.recording) or None
        canvases.append(canvas)
    label = language_map([(item.title, item.title_en)]) or {"none": [item.identifier]}
    made = prezi().Manifest(
        id=manifest_id,
        label=label,
        metadata=_metadata(item, canvases),
        requiredStatement=attribution(),
        provider=[provider(url)],
        homepage=homepages(url, "web.item", label, identifier=item.identifier),
        partOf=_collections_of(item, url),
        items=canvases,
    )
    summary = language_map([(item.description, item.description_en)])
    if summary:
        made.summary = summary
    statement = rights.statement(item.rights)
    if statement is not None:
        made.rights = iiif_rights(statement.uri)
    moment = nav_date(item.date)
    if moment is not None:
        made.navDate = moment
    if canvases and canvases[0].thumbnail:
        made.thumbnail = list(canvases[0].thumbnail)
    if see_also:
        made.seeAlso = see_also
    return made


def iiif_rights(uri: str) -> str:
    """A rights URI as the IIIF specification lists them: Creative Commons' in their canonical
    http form (the archive links to the https pages)."""
    return re.sub(r"^https://creativecommons\.org/", "http://creativecommons.org/", uri)


def nav_date(value: str) -> datetime | None:
    """The start of a date catalogued as 1988, 1988-04 or 1988-04-12; None for 'circa' dates,
    which a timeline should not place as if they were known."""
    found = DATE_RE.fullmatch(value or "")
    if found is None:
        return None
    year, month, day = (int(part) if part else 1 for part in found.groups())
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def _canvas(item: Item, number: int, found: Playable, manifest_id: str, url: Url) -> Canvas:
    recording, files = found.recording, found.files
    canvas_id = manifest_id.removesuffix("/manifest") + f"/canvas/{recording.id}"
    access = files["access"]
    body = prezi().AnnotationBody(
        id=url("media_files.media_file", recording_id=recording.id, role="access"),
        type="Video" if recording.kind == "video" else "Sound",
        format=access.mimetype,
        duration=recording.duration,
    )
    canvas = prezi().Canvas(
        id=canvas_id,
        label=translated(_l("Recording %(number)s"), number=number),
        duration=recording.duration,
        items=[
            prezi().AnnotationPage(
                id=f"{canvas_id}/page",
                items=[
                    prezi().Annotation(
                        id=f"{canvas_id}/page/media",
                        motivation="painting",
                        body=body,
                        target=canvas_id,
                    )
                ],
            )
        ],
    )
    size = video_size(recording, int(current_app.config["MEDIA"]["VIDEO_MAX_HEIGHT"]))
    if size is not None:
        body.width, body.height = size
        canvas.width, canvas.height = size
    pictures = thumbnails(item, found, url)
    if pictures:
        canvas.thumbnail = pictures
    pages = _transcript_pages(item, recording, canvas_id, url)
    if pages:
        canvas.annotations = pages
    return canvas


def video_size(recording: Recording, max_height: int) -> tuple[int, int] | None:
    """Width and height of a video's access copy, scaled as the transcoder scales it (never
    up, even sizes, the same shape); None for sound or a size not known."""
    if recording.kind != "video" or not recording.width or not recording.height:
        return None
    return scaled(recording.width, recording.height, max_height)


def scaled(width: int, height: int, max_height: int) -> tuple[int, int]:
    """``scale=-2:'min(max_height,trunc(ih/2)*2)'`` as ffmpeg computes it."""
    new_height = min(max_height, height // 2 * 2)
    new_width = math.floor(width * new_height / (height * 2) + 0.5) * 2  # halves away from 0
    return max(2, new_width), max(2, new_height)


def thumbnails(item: Item, found: Playable, url: Url) -> list[dict]:
    """The poster (video) and the waveform image of a recording, as anonymous visitors get them."""
    recording, thumbnails = found.recording, []
    if "poster" in found.files:
        poster = {
            "id": url("media_files.media_file", recording_id=recording.id, role="poster"),
            "type": "Image",
            "format": found.files["poster"].mimetype,
        }
        size = video_size(recording, POSTER_MAX_HEIGHT)
        if size is not None:
            poster["width"], poster["height"] = size
        thumbnails.append(poster)
    if "peaks" in found.files:
        thumbnails.append(
            {
                "id": url("iiif.waveform", identifier=item.identifier, recording_id=recording.id),
                "type": "Image",
                "format": "image/svg+xml",
                "width": WAVEFORM_WIDTH,
                "height": WAVEFORM_HEIGHT,
            }
        )
    return thumbnails


def public_transcripts(item: Item, recording: Recording) -> list[Transcript]:
    """The recording's transcripts an anonymous visitor may read, the item's first language
    first."""
    languages = item.language_list
    found = [t for t in item.transcripts if t.recording_id == recording.id and not t.restricted]
    found.sort(key=lambda t: (not (languages and t.language == languages[0]), t.id))
    return found


def public_segments(transcript: Transcript) -> list[Segment]:
    """The passages of ``transcript`` that are not withheld."""
    return [segment for segment in transcript.segments if not segment.restricted]


def _transcript_pages(
    item: Item, recording: Recording, canvas_id: str, url: Url
) -> list[AnnotationPage]:
    """The captions (a WebVTT file per language) and a page of timed text per transcript."""
    captions, pages = [], []
    for transcript in public_transcripts(item, recording):
        segments = public_segments(transcript)
        if any(segment.start is not None for segment in segments):
            captions.append(
                prezi().AnnotationBody(
                    id=url(
                        "iiif.transcript", identifier=item.identifier, transcript_id=transcript.id
                    ),
                    type="Text",
                    format="text/vtt",
                    language=transcript.language,
                    label=language_names([transcript.language]),
                )
            )
        page = _text_page(transcript, segments, recording, f"{canvas_id}/transcripts")
        if page is not None:
            pages.append(page)
    if captions:
        body = captions[0] if len(captions) == 1 else prezi().Choice(items=captions)
        caption = prezi().Annotation(
            id=f"{canvas_id}/captions/vtt",
            motivation="supplementing",
            body=body,
            target=canvas_id,
        )
        pages.insert(
            0,
            prezi().AnnotationPage(
                id=f"{canvas_id}/captions",
                label=translated(_l("Transcript (WebVTT)")),
                items=[caption],
            ),
        )
    return pages


def _text_page(
    transcript: Transcript, segments: list[Segment], recording: Recording, base: str
) -> AnnotationPage | None:
    """One transcript as timed text annotations (a passage without times targets the whole
    recording); None when it has no words."""
    canvas_id = base.removesuffix("/transcripts")
    page_id = f"{base}/{transcript.id}"
    timed = [s for s in segments if s.start is not None]
    annotations = []
    for segment in segments:
        if not segment.text.strip():
            continue
        target = canvas_id
        if segment.start is not None:
            end = _segment_end(segment, timed, recording.duration)
            target = f"{canvas_id}#t={seconds(segment.start)},{seconds(end)}"
        annotations.append(
            prezi().Annotation(
                id=f"{page_id}/{segment.id}",
                motivation="supplementing",
                body=prezi().TextualBody(
                    value=segment.text, format="text/plain", language=transcript.language
                ),
                target=target,
            )
        )
    if not annotations:
        return None
    name = language_names([transcript.language])
    label = translated(_l("Transcript: %(language)s"), language=lambda lang: name[lang][0])
    return prezi().AnnotationPage(id=page_id, label=label, items=annotations)


def _segment_end(segment: Segment, timed: list[Segment], duration: float) -> float:
    """A passage's end: its own, else where the next timed passage starts, else the end of
    the recording; never past the end of the recording, nor before the passage's start."""
    if segment.end is not None and segment.end > segment.start:
        end = segment.end
    else:
        end = min((s.start for s in timed if s.start > segment.start), default=duration)
    return max(min(end, duration), segment.start)


def seconds(value: float) -> str:
    """Seconds for a media fragment: 65.0 -> '65', 12.3456 -> '12.346'."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _metadata(item: Item, canvases: list[Canvas]) -> list[KeyValueString]:
    """What a viewer shows beside the recording: type, date, place, people by role, prisons,
    tags, collections, languages, duration, identifier and rights."""
    entries = [_pair(translated(_l("Type")), translated(TYPE_LABELS.get(item.type, item.type)))]
    if item.date:
        if item.date.startswith("circa "):
            year = item.date.removeprefix("circa ")
            date = translated(_l("circa %(year)s"), year=year)
        else:
            date = {"none": [item.date]}
        entries.append(_pair(translated(_l("Date recorded")), date))
    if item.place.strip():
        entries.append(_pair(translated(_l("Place recorded")), language_map([(item.place, "")])))
    for role in CREDIT_ROLES:
        people = item.people_in(role)
        if people:
            names = language_map((p.name, p.name_latin) for p in people)
            entries.append(_pair(translated(ROLE_LABELS[role]), names))
    linked = (
        (_l("Prisons and places"), [(p.name, p.name_en) for p in item.prisons]),
        (_l("Tags"), [(t.label, t.label_en) for t in item.tags]),
        (_l("Collection"), [(c.title, c.title_en) for c in item.collections]),
    )
    for label, pairs in linked:
        values = language_map(pairs)
        if values:
            entries.append(_pair(translated(label), values))
    if item.language_list:
        entries.append(_pair(translated(_l("Language")), language_names(item.language_list)))
    durations = [clock(canvas.duration) for canvas in canvases]
    if durations:
        entries.append(_pair(translated(_l("Duration")), {"none": durations}))
    entries.append(_pair(translated(_l("Identifier")), {"none": [item.identifier]}))
    statement = rights.statement(item.rights)
    if statement is not None:
        entries.append(_pair(translated(_l("Rights")), translated(statement.label)))
    return entries


def clock(value: float) -> str:
    """A duration as h:mm:ss, as the listening page shows it."""
    whole = int(value) if math.isfinite(value) else 0
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def attribution() -> KeyValueString:
    """What must be shown with the recordings: that they are the archive's."""
    return _pair(translated(_l("Attribution")), translated(ARCHIVE_NAME))


def provider(url: Url) -> Provider:
    """The archive, as the Agent that provides every manifest and collection."""
    home = url("web.home")
    name = translated(ARCHIVE_NAME)
    return prezi().Provider(
        id=f"{home}#archive", label=name, homepage=homepages(url, "web.home", name)
    )


def homepages(url: Url, endpoint: str, label: LanguageMap, **values) -> list[Homepage]:
    """The page of the archive showing the same thing: one address, in whichever of the
    interface languages the visitor chooses (Arabic unless they chose another)."""
    return [
        prezi().Homepage(
            id=url(endpoint, **values),
            type="Text",
            label=label,
            format="text/html",
            language=list(LABEL_LANGUAGES),
        )
    ]


def _collections_of(item: Item, url: Url) -> list[dict]:
    """The IIIF collections the item's manifest is listed in: the top one and its own."""
    found = [{"id": url("iiif.collections"), "type": "Collection"}]
    found += [
        {"id": url("iiif.collection", record_id=c.id), "type": "Collection"}
        for c in item.collections
    ]
    return found


# --- the waveform image ------------------------------------------------------------------------


def waveform_svg(peaks: dict) -> str:
    """An SVG picture of waveform peaks (the BBC audiowaveform JSON the archive stores):
    WAVEFORM_WIDTH columns, each the loudest moment of the stretch of sound it stands for."""
    data = peaks.get("data") or []
    full = float(2 ** (int(peaks.get("bits", 8)) - 1))
    pairs = [(data[i] / full, data[i + 1] / full) for i in range(0, len(data) - 1, 2)]
    columns = []
    for column in range(WAVEFORM_WIDTH):
        start = column * len(pairs) // WAVEFORM_WIDTH
        end = max(start + 1, (column + 1) * len(pairs) // WAVEFORM_WIDTH)
        stretch = pairs[start:end]
        low = min((low for low, _ in stretch), default=0.0)
        high = max((high for _, high in stretch), default=0.0)
        columns.append((max(-1.0, min(low, 0.0)), min(1.0, max(high, 0.0))))
    middle = WAVEFORM_HEIGHT / 2

    def y(level: float) -> str:
        return f"{middle - level * (middle - 1):.1f}".removesuffix(".0")

    top = " ".join(f"{x},{y(high)}" for x, (_, high) in enumerate(columns))
    bottom = " ".join(f"{x},{y(low)}" for x, (low, _) in reversed(list(enumerate(columns))))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WAVEFORM_WIDTH}" '
        f'height="{WAVEFORM_HEIGHT}" viewBox="0 0 {WAVEFORM_WIDTH} {WAVEFORM_HEIGHT}" '
        'preserveAspectRatio="none">'
        f'<rect width="{WAVEFORM_WIDTH}" height="{WAVEFORM_HEIGHT}" fill="#f6f4ef"/>'
        f'<polygon points="{top} {bottom}" fill="#2f5d50"/>'
        "</svg>\n"
    )
