"""Browsing pages: by type, decade, person, tag, place and collection, and the figures."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale
from flask_login import current_user

from archive.discovery import browse
from archive.web import page_cache
from archive.web.edge import page_number
from archive.web.listening import script_language

bp = Blueprint("browse", __name__)


@bp.app_template_filter("script_language")
def script_language_filter(text: str | None) -> str:
    """'ar' for text in Arabic script, else 'en' (the language a title is read in)."""
    return script_language(text or "")


INDEX_TOP = 5  # values shown for each facet on /browse
HOME_COLLECTIONS = 8


def _page() -> dict[str, int]:
    return {
        "page": page_number(),
        "per_page": int(current_app.config["ITEMS_PER_PAGE"]),
    }


def _lang() -> str:
    return str(get_locale() or "ar")


@bp.app_template_global()
def home_shelves() -> dict:
    """What the home page shows beside the newest items: totals and the largest collections."""
    return {
        "totals": browse.totals(current_user),
        "collections": browse.top_subjects("collections", current_user, limit=HOME_COLLECTIONS),
    }


@bp.get("/browse")
@page_cache.for_anonymous
def index():
    return render_template(
        "browse/index.html",
        types=browse.type_counts(current_user),
        decades=browse.decade_counts(current_user),
        top={
            kind: browse.top_subjects(kind, current_user, limit=INDEX_TOP)
            for kind in ("people", "tags", "places", "collections")
        },
        totals={kind: len(browse.subject_counts(kind, current_user)) for kind in browse.SUBJECTS},
    )


@bp.get("/browse/types")
@page_cache.for_anonymous
def types():
    return render_template("browse/types.html", types=browse.type_counts(current_user))


@bp.get("/browse/decades")
@page_cache.for_anonymous
def decades():
    return render_template("browse/decades.html", decades=browse.decade_counts(current_user))


@bp.get("/browse/people", defaults={"kind": "people"}, endpoint="people")
@bp.get("/browse/tags", defaults={"kind": "tags"}, endpoint="tags")
@bp.get("/browse/places", defaults={"kind": "places"}, endpoint="places")
@bp.get("/collections", defaults={"kind": "collections"}, endpoint="collections")
@page_cache.for_anonymous
def subjects(kind: str):
    listing, counts = browse.subjects(kind, current_user, lang=_lang(), **_page())
    return render_template("browse/subjects.html", kind=kind, listing=listing, counts=counts)


@bp.get("/types/<code>")
@page_cache.for_anonymous
def type_page(code: str):
    listing = browse.items_of_type(code, current_user, **_page())
    return render_template("browse/listing.html", kind="type", value=code, listing=listing)


@bp.get("/decades/<int:decade>")
@page_cache.for_anonymous
def decade_page(decade: int):
    listing = browse.items_of_decade(decade, current_user, **_page())
    return render_template("browse/listing.html", kind="decade", value=decade, listing=listing)


@bp.get("/tags/<int:record_id>", defaults={"kind": "tags"}, endpoint="tag")
@bp.get("/places/<int:record_id>", defaults={"kind": "places"}, endpoint="place")
@bp.get("/collections/<int:record_id>", defaults={"kind": "collections"}, endpoint="collection")
@page_cache.for_anonymous
def subject_page(kind: str, record_id: int):
    record = browse.get_subject(kind, record_id, current_user)
    listing = browse.items_of(kind, record, current_user, **_page())
    return render_template(
        "browse/listing.html", kind=kind, value=record, record_id=record.id, listing=listing
    )


@bp.get("/figures")
@page_cache.for_anonymous
def figures():
    return render_template("figures.html", figures=browse.figures(current_user))
