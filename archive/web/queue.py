"""The audio library: a play queue of the items a visitor may hear, as JSON and as a page.

A queue is named by its source: ``items=ID1,ID2,...`` (a shared link, or the results of a
search page), or ``collection=``, ``tag=`` or ``person=`` (with an optional ``role=``), which
stand for every visible item of that record in the order of its page. Every item goes through
the access rule: one the visitor may not see is left out without a trace (not its title, not
its place in the list), and so is one with nothing to play.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from archive.access.rules import can_edit, visible_filter
from archive.db import db
from archive.discovery import browse
from archive.errors import NotFound
from archive.holdings.redaction import served_files
from archive.models import CREDIT_ROLES, Item, is_identifier
from archive.web.data_saving import saves_data
from archive.web.listening import localized, person_name, source_type

bp = Blueprint("queue", __name__)

MAX_ITEMS = 200  # entries in one queue: a shared link names at most this many items
QUEUE_ROLES = ("poet", "performer", "composer", "narrator")  # shown by the queue player
SOURCES = ("items", "collection", "tag", "person")


class BadQueue(ValueError):
    """A queue asked for in a way that names nothing: a clear message for the visitor."""


@dataclass
class Entry:
    identifier: str
    title: str
    title_lang: str
    url: str
    media: str
    kind: str  # audio | video
    #: The small rendition (Opus audio, 360p video) and its <source> type, played instead of
    #: ``media`` when the visitor saves data (queue.js, data-saver.js); None when there is none.
    small: str | None
    small_type: str | None
    poster: str | None
    duration: float | None
    people: dict[str, list[str]] = field(default_factory=dict)


def _lang() -> str:
    return str(get_locale() or "ar")


def _ordered_items(args) -> list[Item]:
    """The items a queue's source names, visible to the visitor, in the order of its page."""
    given = [name for name in SOURCES if args.get(name)]
    if len(given) != 1:
        raise BadQueue(_("Name one queue: items, a collection, a tag or a person."))
    source = given[0]
    value = args[source].strip()
    if source == "items":
        identifiers = [part.strip() for part in value.split(",") if part.strip()]
        if not identifiers or len(identifiers) > MAX_ITEMS:
            raise BadQueue(_("A queue names between 1 and %(num)s items.", num=MAX_ITEMS))
        if not all(is_identifier(part) for part in identifiers):
            raise BadQueue(_("This is not a list of item identifiers."))
        found = db.session.scalars(
            select(Item).where(Item.identifier.in_(identifiers), visible_filter(current_user))
        ).all()
        by_identifier = {item.identifier: item for item in found}
        seen: set[str] = set()
        ordered = []
        for identifier in identifiers:
            if identifier in by_identifier and identifier not in seen:
                seen.add(identifier)
                ordered.append(by_identifier[identifier])
        return ordered
    if not value.isdigit():
        raise BadQueue(_("This is not a record number."))
    kind = {"collection": "collections", "tag": "tags", "person": "people"}[source]
    try:
        record = browse.get_subject(kind, int(value), current_user)
    except NotFound:
        abort(404)
    if source == "person":
        role = args.get("role", "")
        if role and role not in CREDIT_ROLES:
            raise BadQueue(_("No such role."))
        listing, _counts = browse.person_credits(
            record, current_user, page=1, per_page=MAX_ITEMS * len(CREDIT_ROLES)
        )
        ordered, seen_ids = [], set()
        for credit in listing.items:
            if (not role or credit.role == role) and credit.item_id not in seen_ids:
                seen_ids.add(credit.item_id)
                ordered.append(credit.item)
        return ordered[:MAX_ITEMS]
    return list(browse.items_of(kind, record, current_user, page=1, per_page=MAX_ITEMS).items)


def _entry(item: Item, lang: str, staff: bool) -> Entry | None:
    """The item's first current recording this visitor may play, as a queue entry."""
    for recording in item.current_recordings:
        files = served_files(recording, staff=staff)
        if "access" not in files:
            continue
        title = localized(item.title, item.title_en, lang)

        def file_url(role: str, recording=recording) -> str:
            return url_for("media_files.media_file", recording_id=recording.id, role=role)

        people: dict[str, list[str]] = {}
        for credit in item.credits:
            if credit.role in QUEUE_ROLES:
                people.setdefault(credit.role, []).append(person_name(credit.person, lang).text)
        return Entry(
            identifier=item.identifier,
            title=title.text if title else item.identifier,
            title_lang=title.lang if title else "en",
            url=url_for("web.item", identifier=item.identifier),
            media=file_url("access"),
            kind=recording.kind,
            small=file_url("small") if "small" in files else None,
            small_type=source_type(files["small"]) if "small" in files else None,
            poster=file_url("poster") if "poster" in files else None,
            duration=recording.duration,
            people=people,
        )
    return None


def queue_entries(args) -> list[Entry]:
    """The queue the request's arguments name, as this visitor may hear it."""
    lang, staff = _lang(), can_edit(current_user)
    entries = (_entry(item, lang, staff) for item in _ordered_items(args))
    return [entry for entry in entries if entry is not None]


def _position(args, entries: list[Entry]) -> int:
    """Where the queue starts: ``i`` counts in the list as asked for (a shared link's own
    list); an entry left out moves it to the next one kept."""
    raw = args.get("i", "0")
    number = int(raw) if raw.isdigit() else 0
    if args.get("items"):
        asked = [part.strip() for part in args["items"].split(",") if part.strip()]
        later = set(asked[number:])
        kept = [n for n, entry in enumerate(entries) if entry.identifier in later]
        return kept[0] if kept else 0
    return min(number, max(len(entries) - 1, 0))


def _source(args, entries: list[Entry]) -> dict[str, str]:
    """The queue's source for the script, naming only the items the visitor may hear."""
    if args.get("items"):
        return {"items": ",".join(entry.identifier for entry in entries)}
    return {name: args[name] for name in (*SOURCES, "role") if args.get(name)}


@bp.get("/queue.json")
def queue_json():
    try:
        entries = queue_entries(request.args)
    except BadQueue as error:
        response = jsonify({"error": str(error)})
        response.status_code = 400
        response.headers["Cache-Control"] = "no-store"
        return response
    people_labels = {
        "poet": _("Lyrics"),
        "performer": _("Performed by"),
        "composer": _("Music"),
        "narrator": _("Narrator"),
    }
    response = jsonify(
        {
            "entries": [asdict(entry) for entry in entries],
            "position": _position(request.args, entries),
            "labels": people_labels,
            "share": url_for("queue.queue_page", items=",".join(e.identifier for e in entries)),
            # The server's reading of the Save-Data header (or the switch's cookie): the
            # script plays the small renditions then, unless the visitor chose otherwise.
            "save_data": saves_data(),
        }
    )
    if current_user.is_authenticated:
        response.headers["Cache-Control"] = "private, no-store"
    else:  # public data only: what any anonymous visitor gets for this address
        response.headers["Cache-Control"] = "public, max-age=60"
        response.headers["Vary"] = "Cookie, Accept-Language, Save-Data"
    return response


@bp.get("/queue")
def queue_page():
    """The queue as a page: a list of links that works without script and for crawlers."""
    try:
        entries = queue_entries(request.args)
    except BadQueue as error:
        return render_template("queue.html", entries=[], error=str(error), source={}), 400
    position = _position(request.args, entries)
    share = url_for("queue.queue_page", items=",".join(e.identifier for e in entries))
    response = render_template(
        "queue.html",
        entries=entries,
        error=None,
        position=position,
        source=_source(request.args, entries),
        share=share,
    )
    return response
