"""``/api/v1/people``, ``tags``, ``collections``, ``places``, ``search`` and ``jobs``.

A person, tag, collection or place none of whose items the caller may see does not exist for
them (404), as on the pages; counts count only what the caller may see.
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import redirect, request
from flask_babel import gettext as _

from archive.access.rules import can_edit
from archive.discovery import browse, limits
from archive.discovery import search as searching
from archive.exchange import item_feed
from archive.holdings import jobs
from archive.web.api import paging
from archive.web.api.answers import answer
from archive.web.api.auth import caller, viewer
from archive.web.api.blueprint import bp
from archive.web.api.errors import ApiProblem
from archive.web.api.openapi import READ, operation, responses
from archive.web.api.schemas import (
    Collection,
    CollectionList,
    Job,
    ListQuery,
    Person,
    PersonList,
    Place,
    PlaceList,
    Problem,
    ReadHeaders,
    SearchAnswer,
    SearchQuery,
    Tag,
    TagList,
)
from archive.web.edge import site_url

TAGS = ["people, tags, collections, places"]
#: Each kind: the listing's key, the record's endpoint, the items filter naming it.
KINDS = {
    "people": ("people", "api.person", "person"),
    "tags": ("tags", "api.tag", "tag"),
    "collections": ("collections", "api.collection", "collection"),
    "places": ("places", "api.place", "place"),
}
PAGES = {
    "people": ("web.person", "person_id"),
    "tags": ("browse.tag", "record_id"),
    "collections": ("browse.collection", "record_id"),
    "places": ("browse.place", "record_id"),
}


def _record(kind: str, record, count: int) -> dict:
    _key, endpoint, item_filter = KINDS[kind]
    page, argument = PAGES[kind]
    links = {
        "self": site_url(endpoint, record_id=record.id),
        "page": site_url(page, **{argument: record.id}),
        "items": site_url("api.list_items", **{item_filter: record.id}),
    }
    fields = {
        "people": lambda p: {
            "name": p.name, "name_latin": p.name_latin, "kunya": p.kunya,
            "variants": [v.name for v in p.variants], "birth_year": p.birth_year,
            "bio": p.bio, "bio_en": p.bio_en,
        },
        "tags": lambda t: {"label": t.label, "label_en": t.label_en},
        "collections": lambda c: {
            "title": c.title, "title_en": c.title_en,
            "description": c.description, "description_en": c.description_en,
        },
        "places": lambda p: {"name": p.name, "name_en": p.name_en},
    }[kind](record)  # fmt: skip
    return {"id": record.id, **fields, "item_count": count, "links": links}


def _listing(kind: str, query: ListQuery):
    user = viewer()
    bound = {"kind": kind}
    page, counts = item_feed.subjects_page(
        kind, user, after=paging.read(query.cursor, bound), limit=query.limit
    )
    following = paging.make(page.last_id, bound) if page.more else None
    key = KINDS[kind][0]
    nxt = None
    if following is not None:
        nxt = site_url(request.endpoint, limit=query.limit, cursor=following)
    return answer(
        {
            key: [_record(kind, record, counts.get(record.id, 0)) for record in page.records],
            "next_cursor": following,
            "links": {"next": nxt},
        }
    )


def _one(kind: str, record_id: int):
    user = viewer()
    record = browse.get_subject(kind, record_id, user)  # a merged person: the survivor
    if record.id != record_id:
        return redirect(site_url(KINDS[kind][1], record_id=record.id), 301)
    count = browse.subject_counts(kind, user, ids=[record.id]).get(record.id, 0)
    return answer(_record(kind, record, count))


LISTING = dict(headers=ReadHeaders, tags=TAGS, security=READ)


@bp.get("/v1/people")
@operation("listPeople", resp=responses(HTTP_200=PersonList, HTTP_304=None), **LISTING)
def list_people(query: ListQuery):
    """List the people in items you may see"""
    return _listing("people", query)


@bp.get("/v1/people/<int:record_id>", defaults={"kind": "people"})
@operation("getPerson", resp=responses(HTTP_200=Person, HTTP_301=None, HTTP_304=None),
           **LISTING)  # fmt: skip
def person(record_id: int, kind: str):
    """Read a person

    A person merged into another redirects (301) to the one that stands for both."""
    return _one(kind, record_id)


@bp.get("/v1/tags")
@operation("listTags", resp=responses(HTTP_200=TagList, HTTP_304=None), **LISTING)
def list_tags(query: ListQuery):
    """List the tags of items you may see"""
    return _listing("tags", query)


@bp.get("/v1/tags/<int:record_id>", defaults={"kind": "tags"})
@operation("getTag", resp=responses(HTTP_200=Tag, HTTP_304=None), **LISTING)
def tag(record_id: int, kind: str):
    """Read a tag"""
    return _one(kind, record_id)


@bp.get("/v1/collections")
@operation("listCollections", resp=responses(HTTP_200=CollectionList, HTTP_304=None), **LISTING)
def list_collections(query: ListQuery):
    """List the collections of items you may see"""
    return _listing("collections", query)


@bp.get("/v1/collections/<int:record_id>", defaults={"kind": "collections"})
@operation("getCollection", resp=responses(HTTP_200=Collection, HTTP_304=None), **LISTING)
def collection(record_id: int, kind: str):
    """Read a collection"""
    return _one(kind, record_id)


@bp.get("/v1/places")
@operation("listPlaces", resp=responses(HTTP_200=PlaceList, HTTP_304=None), **LISTING)
def list_places(query: ListQuery):
    """List the prisons and places items you may see speak of"""
    return _listing("places", query)


@bp.get("/v1/places/<int:record_id>", defaults={"kind": "places"})
@operation("getPlace", resp=responses(HTTP_200=Place, HTTP_304=None), **LISTING)
def place(record_id: int, kind: str):
    """Read a prison or place"""
    return _one(kind, record_id)


@bp.get("/v1/search")
@operation(
    "search", tags=["search"], security=READ,
    resp=responses(HTTP_200=SearchAnswer, HTTP_429=Problem),
)  # fmt: skip
def search(query: SearchQuery):
    """Search what you may see

    The answer of `GET /api/search` (the search page's): results with the matching moments
    of their transcripts, and facet counts. Anonymous callers (by address) and each token run
    a few searches at once at most; one more is answered 429 with Retry-After."""
    user = viewer()
    filters = {facet: getattr(query, facet) for facet in searching.FACETS}
    with _slot() as allowed:
        if not allowed:
            raise ApiProblem(
                429,
                _("Too many searches at once: try again in a moment."),
                headers={"Retry-After": str(limits.RETRY_AFTER)},
            )
        result = searching.search(
            query.q, user=user, page=query.page, per_page=query.per_page, sort=query.sort,
            filters=filters,
        )  # fmt: skip
    response = answer(result)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _slot():
    """A search slot: of the caller's address when anonymous, of the token when one is
    sent; a logged-in browser session is not counted (as on the search page)."""
    found = caller()
    if found.token is not None:
        return limits.search_slot(f"token:{found.token.id}")
    if found.user is not None:
        return nullcontext(True)
    return limits.search_slot(request.remote_addr or "unknown")


@bp.get("/v1/jobs/<int:job_id>")
@operation("getJob", tags=["items"], security=READ,
           resp=responses(HTTP_200=Job, HTTP_304=None))  # fmt: skip
def get_job(job_id: int):
    """Follow a background job (staff)

    Its state (queued, probing, transcoding, done, failed), progress and error."""
    if not can_edit(viewer()):
        raise ApiProblem(404, _("Nothing here: no such item or record, or you may not see it."))
    return answer(jobs.get(job_id).to_dict())
