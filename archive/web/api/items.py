"""``/api/v1/items``: list and read items; create, describe, publish and unpublish them, attach
transcripts and ingest recordings. Each view parses, calls the operation the pages and the
CLI call, and answers."""

from __future__ import annotations

from datetime import UTC
from functools import wraps

from flask import request
from flask_babel import gettext as _

from archive.access.rules import can_edit
from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import TranscriptFormatError, parse
from archive.db import db
from archive.exchange import item_feed
from archive.exchange.item_document import changed_at
from archive.holdings import storage
from archive.holdings.ingest import ingest
from archive.models import Item, Recording, utcnow
from archive.uow import unit_of_work
from archive.web.api import paging
from archive.web.api.answers import answer, check, hold, item_document
from archive.web.api.auth import may_upload, viewer, writer, writes
from archive.web.api.blueprint import bp
from archive.web.api.errors import ApiProblem
from archive.web.api.openapi import READ, WRITE, operation, responses
from archive.web.api.schemas import (
    Ingested,
    ItemChanges,
    ItemCreate,
    ItemDocument,
    ItemList,
    ItemQuery,
    Problem,
    ReadHeaders,
    RecordingUploadQuery,
    TranscriptAttach,
    UploadQuery,
    WriteHeaders,
)
from archive.web.edge import large_bodies, site_url

TAGS = ["items"]
BYTES = {"type": "string", "contentMediaType": "application/octet-stream"}
RAW_BODY = {  # what spectree cannot say: a body that is a file's bytes, not a model
    "requestBody": {
        "required": True,
        "description": "The file's bytes, as they are (not a form)",
        "content": {"application/octet-stream": {"schema": BYTES}},
    }
}
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


# --- reading ----------------------------------------------------------------------------------


@bp.get("/v1/items")
@operation(
    "listItems", headers=ReadHeaders, tags=TAGS, security=READ,
    resp=responses(HTTP_200=ItemList, HTTP_304=None, HTTP_401=Problem, HTTP_403=Problem),
)  # fmt: skip
def list_items(query: ItemQuery):
    """List the items you may see

    Filters match the search's facets; `access` and `status` are for staff. Ordered by id;
    follow `links.next` (the cursor) to the last page."""
    user = viewer()
    filters = {name: getattr(query, name) for name in item_feed.FILTERS}
    staff_filters = {name: getattr(query, name) for name in item_feed.STAFF_FILTERS}
    if any(value is not None for value in staff_filters.values()) and not can_edit(user):
        raise ApiProblem(403, _("Only staff may filter by access or status."))
    since = query.updated_since
    if since is not None and since.tzinfo is not None:
        since = since.astimezone(UTC).replace(tzinfo=None)
    bound = {**filters, **staff_filters, "updated_since": since}
    listed_at = utcnow()
    page = item_feed.items_page(
        user,
        {**filters, **staff_filters},
        after=paging.read(query.cursor, bound),
        limit=query.limit,
        updated_since=since,
    )
    changed = changed_at([item.id for item in page.records])
    following = paging.make(page.last_id, bound) if page.more else None
    return answer(
        {
            "items": [_summary(item, changed[item.id]) for item in page.records],
            "next_cursor": following,
            "listed_at": listed_at.isoformat(timespec="seconds") + "Z",
            "links": {"next": _next_link(following)},
        }
    )


def _summary(item: Item, changed) -> dict:
    return {
        "identifier": item.identifier,
        "type": item.type,
        "title": item.title,
        "title_en": item.title_en,
        "date": item.date,
        "languages": item.language_list,
        "access": item.access,
        "status": item.status,
        "updated_at": changed.isoformat(timespec="seconds") + "Z",
        "links": {
            "self": site_url("api.get_item", identifier=item.identifier),
            "page": site_url("web.item", identifier=item.identifier),
        },
    }


def _next_link(cursor: str | None) -> str | None:
    """This request's URL with the next cursor (every other argument kept)."""
    if cursor is None:
        return None
    arguments = {k: v for k, v in request.args.lists() if k != "cursor"}
    return site_url(request.endpoint, **request.view_args, **arguments, cursor=cursor)


@bp.get("/v1/items/<identifier>")
@operation(
    "getItem", headers=ReadHeaders, tags=TAGS, security=READ,
    resp=responses(HTTP_200=ItemDocument, HTTP_304=None, HTTP_401=Problem, HTTP_410=Problem),
)  # fmt: skip
def get_item(identifier: str):
    """Read one item

    Its description, people, tags, collections, places, recordings (technical metadata and
    access-copy URLs) and transcripts (segments with times), as you may see them."""
    user = viewer()
    return answer(item_document(items.get_item(identifier, user), user))


# --- writing ----------------------------------------------------------------------------------


def json_body(view):
    """Refuse a body that is not JSON (415) before it is validated."""

    @wraps(view)
    def run(*args, **kwargs):
        if not request.is_json:
            raise ApiProblem(415, _("Send the body as JSON (Content-Type: application/json)."))
        return view(*args, **kwargs)

    return run


def _changes(fields: dict) -> dict:
    """An ItemChanges' fields as ``items.describe`` takes them."""
    changes = dict(fields)
    for role, names in (changes.pop("people", None) or {}).items():
        changes[f"{role}s"] = names
    if "places" in changes:
        changes["prisons"] = changes.pop("places")
    if "languages" in changes:
        changes["languages"] = "|".join(changes["languages"] or [])
    for field in ("tags", "collections", "prisons", *items.ROLE_FIELDS):
        if field in changes and changes[field] is None:
            changes[field] = []
    return changes


@bp.post("/v1/items")
@writes
@json_body
@operation(
    "createItem", tags=TAGS, security=WRITE,
    resp=responses(HTTP_201=ItemDocument, HTTP_401=Problem, HTTP_403=Problem, HTTP_415=Problem),
)  # fmt: skip
def create_item(json: ItemCreate):
    """Create an item (a draft, without a recording)

    The rest of its description may come in the same request; it is made as one change."""
    user = writer()
    fields = json.model_dump(exclude_unset=True)
    head = {key: fields.pop(key, None) for key in ("identifier", "title", "title_en")}
    fields.pop("type", None)
    with unit_of_work():
        item = items.create(
            identifier=head["identifier"],
            title=head["title"] or "",
            title_en=head["title_en"] or "",
            type=json.type,
            user=user,
        )
        if fields:
            items.describe(item, _changes(fields), user=user)
    url = site_url("api.get_item", identifier=item.identifier)
    return answer(item_document(item, user), 201, headers={"Location": url})


@bp.patch("/v1/items/<identifier>")
@writes
@json_body
@operation(
    "updateItem", headers=WriteHeaders, tags=TAGS, security=WRITE,
    resp=responses(HTTP_200=ItemDocument, HTTP_401=Problem, HTTP_403=Problem,
                   HTTP_412=Problem, HTTP_415=Problem, HTTP_428=Problem),
)  # fmt: skip
def update_item(identifier: str, json: ItemChanges):
    """Change an item's description

    Only the fields sent change; a list replaces the whole list. Needs If-Match."""
    user = writer()
    item = items.find_item(identifier)
    with unit_of_work():
        hold(item, user)
        items.describe(item, _changes(json.model_dump(exclude_unset=True)), user=user)
    return answer(item_document(item, user))


PUBLISHING = dict(
    headers=WriteHeaders, tags=TAGS, security=WRITE,
    resp=responses(HTTP_200=ItemDocument, HTTP_401=Problem, HTTP_403=Problem,
                   HTTP_412=Problem, HTTP_428=Problem),
)  # fmt: skip


@bp.post("/v1/items/<identifier>/publish")
@writes
@operation("publishItem", **PUBLISHING)
def publish_item(identifier: str):
    """Publish an item

    The narrator's release is checked, as the pages do. Needs If-Match."""
    return _publishing(identifier, items.publish)


@bp.post("/v1/items/<identifier>/unpublish")
@writes
@operation("unpublishItem", **PUBLISHING)
def unpublish_item(identifier: str):
    """Make an item a draft again

    Needs If-Match."""
    return _publishing(identifier, items.unpublish)


def _publishing(identifier: str, change):
    user = writer()
    item = items.find_item(identifier)
    with unit_of_work():
        hold(item, user)
        change(item, user=user)
    return answer(item_document(item, user))


@bp.post("/v1/items/<identifier>/transcripts")
@writes
@json_body
@operation(
    "attachTranscript", headers=WriteHeaders, tags=TAGS, security=WRITE,
    resp=responses(HTTP_200=ItemDocument, HTTP_401=Problem, HTTP_403=Problem,
                   HTTP_412=Problem, HTTP_415=Problem, HTTP_428=Problem),
)  # fmt: skip
def attach_transcript(identifier: str, json: TranscriptAttach):
    """Attach a transcript (WebVTT, SRT, text or OHMS XML)

    It replaces the item's transcript in that language for that recording. Needs If-Match."""
    user = writer()
    item = items.find_item(identifier)
    try:
        segments = parse(json.content, format=json.format)
    except TranscriptFormatError as exc:
        raise ApiProblem(422, str(exc)) from None
    recording = None
    if json.recording_id is not None:
        recording = db.session.get(Recording, json.recording_id)
        if recording is None or recording.item_id != item.id:
            raise ApiProblem(422, _("That recording is not one of this item's."))
    with unit_of_work():
        hold(item, user)
        transcripts.attach(
            item, segments, language=json.language, recording=recording,
            source_format=json.format, user=user,
        )  # fmt: skip
    return answer(item_document(item, user))


def uploads(view):
    """A raw-body upload: large bodies for a staff read-write token, never a form."""
    view = large_bodies(view)
    view.large_bodies_for = may_upload

    @wraps(view)
    def run(*args, **kwargs):
        if request.mimetype in FORMS or request.is_json:
            raise ApiProblem(
                415,
                _("Send the file's bytes as the body (Content-Type: application/octet-stream)."),
            )
        return view(*args, **kwargs)

    return run


@bp.post("/v1/recordings")
@writes
@uploads
@operation(
    "ingestRecording", tags=TAGS, security=WRITE, extra=RAW_BODY,
    resp=responses(HTTP_202=Ingested, HTTP_401=Problem, HTTP_403=Problem, HTTP_409=Problem,
                   HTTP_413=Problem, HTTP_415=Problem),
)  # fmt: skip
def ingest_recording(query: UploadQuery):
    """Upload a recording as a new draft item

    The body is streamed to the archive's upload area, checked and kept as the original; its
    access copies are made in the background (follow `links.job`)."""
    user = writer()
    upload = storage.receive(request.stream, query.filename)
    try:
        done = ingest(
            upload, user=user, identifier=query.identifier, title=query.title, type=query.type
        )
    finally:
        upload.discard()
    return _ingested(done)


@bp.post("/v1/items/<identifier>/recordings")
@writes
@uploads
@operation(
    "addRecording", headers=WriteHeaders, tags=TAGS, security=WRITE, extra=RAW_BODY,
    resp=responses(HTTP_202=Ingested, HTTP_401=Problem, HTTP_403=Problem, HTTP_409=Problem,
                   HTTP_412=Problem, HTTP_413=Problem, HTTP_415=Problem, HTTP_428=Problem),
)  # fmt: skip
def add_recording(identifier: str, query: RecordingUploadQuery):
    """Upload a further recording of an item

    As for a new item; needs If-Match."""
    user = writer()
    item = items.find_item(identifier)
    check(item, user)  # before a byte is received; again under the lock below
    upload = storage.receive(request.stream, query.filename)
    try:
        with unit_of_work():
            hold(item, user)
            done = ingest(upload, user=user, item=item)
    finally:
        upload.discard()
    return _ingested(done)


def _ingested(done):
    job_url = site_url("api.get_job", job_id=done.job.id)
    body = {
        "item": done.item.identifier,
        "recording_id": done.recording.id,
        "job": done.job.to_dict(),
        "links": {"item": site_url("api.get_item", identifier=done.item.identifier),
                  "job": job_url},
    }  # fmt: skip
    return answer(body, 202, headers={"Location": job_url})
