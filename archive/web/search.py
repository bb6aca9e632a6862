"""The search page and the JSON search API."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user

from archive.discovery import search as searching

bp = Blueprint("search", __name__)


def _arguments() -> dict:
    args = request.args
    return {
        "page": args.get("page", 1, type=int) or 1,
        "per_page": args.get("per_page", 20, type=int) or 20,
        "sort": args.get("sort", "relevance"),
        "filters": {facet: args.getlist(facet) for facet in searching.FACETS},
    }


@bp.get("/search")
def search_page():
    query = request.args.get("q", "")
    arguments = _arguments()
    result = searching.search(query, user=current_user, **arguments)
    return render_template(
        "search.html",
        q=query,
        result=result,
        filters=arguments["filters"],
        sort=arguments["sort"],
        facet_names=searching.FACETS,
    )


@bp.get("/api/search")
def api_search():
    query = request.args.get("q", "")
    response = jsonify(searching.search(query, user=current_user, **_arguments()))
    response.headers["Cache-Control"] = "private, no-store"
    return response
