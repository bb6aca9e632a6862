"""IIIF Presentation 3 at ``/iiif/``: manifests, collections, and the captions and waveform
images they point to (``archive.exchange.iiif`` builds them).

Every answer is the anonymous visitor's, whoever asks (a logged-in archivist gets the same
public view, so that what a viewer shows never depends on a cookie): a hidden item answers
exactly as an unknown one (404), a withdrawn one that was public 410, as its listening page
does for an anonymous visitor. Public data only, so any site may read it
(``Access-Control-Allow-Origin: *``); answers carry an ETag and are revalidated each time, so
an item that stops being public is not kept anywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import Blueprint, abort, current_app, request
from flask.typing import ResponseReturnValue

from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import TranscriptFormatError, to_webvtt
from archive.db import db
from archive.errors import NotFound
from archive.exchange import iiif, iiif_collections
from archive.holdings.redaction import served_files
from archive.holdings.storage import store
from archive.models import Collection, Item, Recording
from archive.web.edge import MAX_PAGE, number_arg, site_url
from media.errors import MediaError

bp = Blueprint("iiif", __name__, url_prefix="/iiif")
WAVEFORM_VERSION = "1"  # part of the waveform's ETag: raise it when the picture's drawing changes


def _l(message: str) -> str:
    """Marks an interface string for the message catalogs; ``iiif.translated`` translates it."""
    return message


#: The catalogue record's formats by OAI-PMH: metadataPrefix, schema, label.
OAI_FORMATS = (
    ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc/",
     _l("Catalogue record (Dublin Core, OAI-PMH)")),
    ("mods", "http://www.loc.gov/mods/v3", _l("Catalogue record (MODS, OAI-PMH)")),
)  # fmt: skip


@bp.after_request
def _cors(response):
    """Public data: any site's viewer may read it, errors included (to tell 404 from 410)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


@bp.get("/items/<identifier>/manifest")
def manifest(identifier: str):
    item = items.get_item(identifier, None)
    if not iiif.playable(item):
        raise NotFound(f"No item {identifier}.")  # nothing to play: no manifest
    made = iiif.manifest(
        item, url=site_url, see_also=_records(item), recording_see_also=_ohms_records(item)
    )
    return _json_ld(made.jsonld())


@bp.get("/collections")
def collections():
    """The top collection: the catalogue's collections, then every manifest."""
    made = iiif_collections.top_collection(url=site_url, page=_page())
    if made is None:
        abort(404)
    return _json_ld(made.jsonld())


# ``kind`` names the record ``record_id`` is, as on the browse pages of subject records.
@bp.get("/collections/<int:record_id>", defaults={"kind": "collections"})
def collection(record_id: int, kind: str):
    """A catalogue collection's manifests; 404, title and all, while it has none to show."""
    record = db.session.get(Collection, record_id)
    if record is None:
        abort(404)
    made = iiif_collections.collection(record, url=site_url, page=_page())
    if made is None:
        abort(404)
    return _json_ld(made.jsonld())


@bp.get("/items/<identifier>/transcripts/<int:transcript_id>.vtt")
def transcript(identifier: str, transcript_id: int):
    """A transcript's captions as an anonymous visitor may read them: withheld passages left
    out, restricted transcripts not found (the listening page's own WebVTT shows staff more)."""
    item = items.get_item(identifier, None)
    record = transcripts.get(item, transcript_id)
    if record.restricted:
        raise NotFound(f"No transcript {transcript_id} in {identifier}.")
    try:
        body = to_webvtt(iiif.public_segments(record))
    except TranscriptFormatError:
        abort(404)  # no times: no captions
    return _conditional(current_app.response_class(body, content_type="text/vtt; charset=utf-8"))


@bp.get("/items/<identifier>/waveform/<int:recording_id>.svg")
def waveform(identifier: str, recording_id: int):
    """The waveform of a recording as an SVG picture, drawn from the peaks visitors get."""
    item = items.get_item(identifier, None)
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.item_id != item.id or recording.superseded_at is not None:
        abort(404)
    peaks = served_files(recording, staff=False).get("peaks")
    if peaks is None:
        abort(404)
    etag = hashlib.sha256(f"{WAVEFORM_VERSION}:{peaks.sha256}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
        response.set_etag(etag)
        return _revalidate(response)
    try:
        with store().open(peaks.relpath) as stream:
            data = json.loads(stream.read().decode("utf-8"))
    except (OSError, ValueError, MediaError):
        abort(404)
    response = current_app.response_class(iiif.waveform_svg(data), content_type="image/svg+xml")
    response.set_etag(etag)
    return _revalidate(response)


def _records(item: Item) -> list[dict]:
    """The item's catalogue record in the formats this site serves it in: by OAI-PMH (Dublin
    Core and MODS) and in the JSON API."""
    views, found = current_app.view_functions, []
    if "oai.endpoint" in views:
        from archive.web.oai import repository

        oai_identifier = repository().oai_identifier(item.identifier)
        for prefix, profile, label in OAI_FORMATS:
            url = site_url("oai.endpoint", verb="GetRecord", metadataPrefix=prefix,
                           identifier=oai_identifier)  # fmt: skip
            found.append(_dataset(url, label, "text/xml", profile=profile))
    if "api.get_item" in views:
        url = site_url("api.get_item", identifier=item.identifier)
        found.append(_dataset(url, _l("Catalogue record (JSON)"), "application/json"))
    return found


def _ohms_records(item: Item) -> Callable[[Recording], list[dict]] | None:
    """Each recording's OHMS record (``?part=N``: the Nth current recording), if served."""
    if "exports.ohms_xml" not in current_app.view_functions:
        return None
    parts = {recording.id: number for number, recording in enumerate(item.current_recordings, 1)}

    def records(recording: Recording) -> list[dict]:
        number = parts[recording.id]
        url = site_url("exports.ohms_xml", identifier=item.identifier,
                       **({"part": number} if number > 1 else {}))  # fmt: skip
        return [_dataset(url, _l("Transcript and index (OHMS XML)"), "application/xml")]

    return records


def _dataset(url: str, label: str, media_type: str, **more: str) -> dict:
    return {"id": url, "type": "Dataset", "label": iiif.translated(label), "format": media_type,
            **more}  # fmt: skip


def _page() -> int | None:
    """``?page=N`` of a collection split into pages, or None for the collection itself."""
    page = number_arg("page", None, highest=MAX_PAGE)
    if page is not None and page < 1:
        abort(404)
    return page


def _json_ld(body: str) -> ResponseReturnValue:
    return _conditional(current_app.response_class(body, content_type=iiif.MEDIA_TYPE))


def _conditional(response):
    response.add_etag()
    return _revalidate(response).make_conditional(request)


def _revalidate(response):
    # The same for everyone, but asked again each time: an item that stops being public
    # must not live on in a cache.
    response.headers["Cache-Control"] = "public, no-cache"
    return response
