"""Searching the archive: one function for the page, the JSON API and ``archive search``.

The index may lag behind the catalogue (its writer busy, a change waiting in the outbox), so
what it says is checked against the catalogue before anyone but staff sees it: the items with
outbox rows (changed since the index last showed them) are hidden from results, totals, facet
counts and suggestions until they are indexed again, and the items of the page shown are asked
of the database, which has the last word.
"""

from __future__ import annotations

import dataclasses

from flask import current_app
from sqlalchemy import select

import indexer
from archive.access.rules import granted_identifiers, levels_for, visible_filter
from archive.db import db
from archive.discovery.indexing import identifiers_of_deleted, open_index
from archive.discovery.vocabulary import thesaurus
from archive.models import IndexOutbox, Item, User, utcnow

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
    """Search what ``user`` may see; the result has the JSON shape of DESIGN.md, and
    ``partial`` is true when the time budget or a bound of the query cut the work short."""
    filters = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in FACETS}
    access = access_for(user)
    options = dict(
        page=page,
        per_page=per_page,
        sort=sort,
        filters={k: v for k, v in filters.items() if v},
        budget=float(current_app.config["SEARCH"]["TIME_BUDGET"] or 0) or None,
        thesaurus=thesaurus(),
    )
    if access.levels is None:  # staff see everything: nothing the index says can leak
        return open_index().search(query or "", access=access, **options).to_dict()
    access = dataclasses.replace(access, hidden=changing_identifiers())
    result = open_index().search(query or "", access=access, **options)
    refused = _not_visible(user, [r["identifier"] for r in result.results])
    if refused:  # the index disagrees with the catalogue: count again without those items
        access = dataclasses.replace(access, hidden=access.hidden | refused)
        result = open_index().search(query or "", access=access, **options)
        refused = _not_visible(user, [r["identifier"] for r in result.results])
        result.results = [r for r in result.results if r["identifier"] not in refused]
    return result.to_dict()


def changing_identifiers() -> frozenset[str]:
    """Identifiers of the items the index may show as they were: those with outbox rows
    (changed, or deleted, since the index last drained). Usually none."""
    rows = db.session.execute(
        select(IndexOutbox.item_id, Item.identifier).outerjoin(Item, Item.id == IndexOutbox.item_id)
    ).all()
    found = {identifier for _, identifier in rows if identifier is not None}
    deleted = {item_id for item_id, identifier in rows if identifier is None}
    return frozenset(found | set(identifiers_of_deleted(deleted)))


def _not_visible(user: User | None, identifiers: list[str]) -> frozenset[str]:
    """Those of ``identifiers`` the catalogue does not let ``user`` see now (or no longer
    holds): one query for the page's items."""
    if not identifiers:
        return frozenset()
    visible = db.session.scalars(
        select(Item.identifier).where(Item.identifier.in_(identifiers), visible_filter(user))
    )
    return frozenset(identifiers) - set(visible)


def warm(app) -> None:
    """Open the index and read what every search needs (a server calls this at start)."""
    with app.app_context():
        try:
            index = open_index()
            index.search("", access=indexer.Access.public(utcnow()))
            index.prepare()
            thesaurus()
        except Exception:  # an unreadable index shows on the first search, with its error
            app.logger.exception("Could not open the search index")
