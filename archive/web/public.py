"""Pages anyone may open: the home page and an item's page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from archive.access.rules import can_edit
from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import TranscriptFormatError, to_text, to_webvtt
from archive.catalogue.verses import VERSE_TYPES
from archive.discovery import browse
from archive.models import CREDIT_ROLES, Item
from archive.web import listening, page_cache
from archive.web.edge import page_number

bp = Blueprint("web", __name__)


@bp.get("/")
@page_cache.for_anonymous
def home():
    page = page_number()
    per_page = _config_per_page()
    listing = items.visible_items(current_user, page=page, per_page=per_page)
    return render_template("home.html", listing=listing)


@bp.get("/items/<identifier>")
@page_cache.for_anonymous
def item(identifier: str):
    """The listening page: player, transcript, description, citation and sharing."""
    found = items.get_item(identifier, current_user)
    start = _start_time(request.args.get("t"))
    page = listening.listening_page(found, current_user, lang=str(get_locale()), start=start)
    return render_template("item.html", item=found, start=page.start, page=page)


@bp.get("/embed/<identifier>")
@page_cache.for_anonymous
def embed(identifier: str):
    """The player and transcript alone, for an <iframe> on any site."""
    found = items.get_item(identifier, current_user)
    start = _start_time(request.args.get("t"))
    page = listening.listening_page(found, current_user, lang=str(get_locale()), start=start)
    return listening.frameable(
        make_response(render_template("embed.html", item=found, start=page.start, page=page))
    )


@bp.get("/people/<int:person_id>")
@page_cache.for_anonymous
def person(person_id: int):
    """A person's page: their biography and every item they are in that the visitor may see,
    by role, a page at a time; not found when the visitor may see none of their items."""
    record = browse.get_subject("people", person_id, current_user)  # follows merges
    if record.id != person_id:
        return redirect(url_for("web.person", person_id=record.id), 301)
    page = page_number()
    listing, counts = browse.person_credits(
        record, current_user, page=page, per_page=_config_per_page()
    )
    by_role: dict[str, list[Item]] = {}
    for credit in listing.items:
        by_role.setdefault(credit.role, []).append(credit.item)
    return render_template(
        "person.html",
        person=record,
        by_role=list(by_role.items()),
        role_counts=[(role, counts[role]) for role in CREDIT_ROLES if role in counts],
        listing=listing,
    )


@bp.get("/items/<identifier>/transcripts/<int:transcript_id>.<fmt>")
def transcript_file(identifier: str, transcript_id: int, fmt: str):
    """A transcript as WebVTT (captions) or plain text, for those who may see the item."""
    found = items.get_item(identifier, current_user)
    record = transcripts.get(found, transcript_id)
    if fmt not in ("vtt", "txt") or (record.restricted and not can_edit(current_user)):
        abort(404)
    segments = [s for s in record.segments if can_edit(current_user) or not s.restricted]
    try:
        poem = found.type in VERSE_TYPES  # a poem's text printed as a poem, stanza by stanza
        body = to_webvtt(segments) if fmt == "vtt" else to_text(segments, verses=poem)
    except TranscriptFormatError:
        abort(404)
    mimetype = "text/vtt" if fmt == "vtt" else "text/plain"
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'inline; filename="{found.identifier}.{record.language}.{fmt}"'
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _start_time(value: str | None) -> float | None:
    """``?t=`` as decimal seconds or hh:mm:ss, or None when absent or malformed."""
    if not value:
        return None
    try:
        seconds = 0.0
        for part in value.split(":"):
            seconds = seconds * 60 + float(part)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _config_per_page() -> int:
    from flask import current_app

    return int(current_app.config["ITEMS_PER_PAGE"])
