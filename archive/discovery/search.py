"""Searching the archive: one function for the page, the JSON API and ``archive search``."""

from __future__ import annotations

import indexer
from archive.access.rules import granted_identifiers, levels_for
from archive.discovery.indexing import open_index
from archive.models import User, utcnow

FACETS, SORTS, MAX_PER_PAGE = indexer.FACETS, indexer.SORTS, indexer.MAX_PER_PAGE


def access_for(user: User | None) -> indexer.Access:
    """What the search may show ``user``: the same rule as ``archive.access.rules``, grants of
    single items included."""
    now = utcnow()
    levels = levels_for(user)
    if levels is None:
        return indexer.Access.staff(now)
    return indexer.Access.for_levels(levels, now, granted=granted_identifiers(user))


def search(
    query: str,
    *,
    user: User | None,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    filters: dict[str, list[str]] | None = None,
) -> dict:
    """Search what ``user`` may see; the result has the JSON shape of DESIGN.md."""
    filters = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in FACETS}
    result = open_index().search(
        query or "",
        access=access_for(user),
        page=page,
        per_page=per_page,
        sort=sort,
        filters={k: v for k, v in filters.items() if v},
    )
    return result.to_dict()


def warm(app) -> None:
    """Open the index and read what every search needs (a server calls this at start)."""
    with app.app_context():
        try:
            open_index().search("", access=indexer.Access.public(utcnow()))
        except Exception:  # an unreadable index shows on the first search, with its error
            app.logger.exception("Could not open the search index")
