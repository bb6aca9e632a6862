"""The search page and the JSON search API.

Anonymous visitors run at most ``[SEARCH] CONCURRENT_PER_ADDRESS`` searches at once from one
address (see :mod:`archive.discovery.limits`); one more is answered 429 with ``Retry-After``.
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import Blueprint, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from archive.discovery import limits
from archive.discovery import search as searching
from archive.web.edge import number_arg, page_number

bp = Blueprint("search", __name__)


def _arguments() -> dict:
    args = request.args
    return {
        "page": page_number(),
        "per_page": number_arg("per_page", 20) or 20,  # the index caps it at MAX_PER_PAGE
        "sort": args.get("sort", "relevance"),
        "filters": {facet: args.getlist(facet) for facet in searching.FACETS},
    }


def _slot():
    """A search slot of the visitor's address; logged-in users are not counted."""
    if current_user.is_authenticated:
        return nullcontext(True)
    return limits.search_slot(request.remote_addr or "unknown")


def _too_many(response):
    response.status_code = 429
    response.headers["Retry-After"] = str(limits.RETRY_AFTER)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/search")
def search_page():
    query = request.args.get("q", "")
    arguments = _arguments()
    page = dict(q=query, filters=arguments["filters"], sort=arguments["sort"])
    with _slot() as allowed:
        if not allowed:
            empty = {"total": 0, "page": 1, "per_page": 20, "results": [], "facets": {}}
            html = render_template(
                "search.html", result=empty, busy=True, facet_names=searching.FACETS, **page
            )
            return _too_many(make_response(html))
        result = searching.search(query, user=current_user, **arguments)
    return render_template("search.html", result=result, facet_names=searching.FACETS, **page)


@bp.get("/api/search")
def api_search():
    query = request.args.get("q", "")
    with _slot() as allowed:
        if not allowed:
            message = _("Too many searches at once from your address: try again in a moment.")
            return _too_many(jsonify({"error": message}))
        response = jsonify(searching.search(query, user=current_user, **_arguments()))
    response.headers["Cache-Control"] = "private, no-store"
    return response
