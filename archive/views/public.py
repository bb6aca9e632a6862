"""Pages anyone may open: the home page and an item's page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from archive import items

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    page = request.args.get("page", 1, type=int)
    per_page = _config_per_page()
    listing = items.visible_items(current_user, page=page, per_page=per_page)
    return render_template("home.html", listing=listing)


@bp.get("/items/<identifier>")
def item(identifier: str):
    found = items.get_item(identifier, current_user)
    return render_template("item.html", item=found, start=_start_time(request.args.get("t")))


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
