"""An item as one self-describing JSON document: what ``/api/v1/items/<identifier>`` answers,
and what a preservation package (bag) stores as the item's metadata.

:func:`document` takes the item and the viewer (a user, or None for an anonymous visitor) and
gives exactly what that viewer may see, as the item's pages do: anyone but staff gets neither
restricted transcripts nor withheld passages, the public copy of a recording with withheld
passages (or none while it is made), and no originals, release, notes or embargo. Whether the
viewer may see the item at all is for the caller to decide (``archive.access.rules``).

The document holds absolute URLs; this module builds none itself (it lies below the web face):
the caller hands it ``url(endpoint, **values)``, in practice ``archive.web.edge.site_url``,
which works in a request and in a command alike.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from archive.access import rights
from archive.access.rules import can_edit
from archive.db import db
from archive.holdings.redaction import served_files
from archive.models import (
    CREDIT_ROLES,
    AuditEvent,
    Item,
    MediaFile,
    Recording,
    Transcript,
    User,
)

Url = Callable[..., str]
#: The files of a recording anyone who may see the item may have, by role.
SERVED_ROLES = ("access", "poster", "peaks")


def document(
    item: Item, viewer: User | None, *, url: Url, staff: bool | None = None
) -> dict[str, Any]:
    """Everything ``viewer`` may see of ``item``, as plain JSON-ready values; ``staff=True``
    gives the whole record with no viewer at hand (``archive bag``, run by staff)."""
    staff = can_edit(viewer) if staff is None else staff
    statement = rights.statement(item.rights)
    current = {recording.id for recording in item.current_recordings}
    recordings = item.recordings if staff else item.current_recordings
    doc: dict[str, Any] = {
        "identifier": item.identifier,
        "type": item.type,
        "title": item.title,
        "title_en": item.title_en,
        "description": item.description,
        "description_en": item.description_en,
        "date": item.date,
        "place": item.place,
        "languages": item.language_list,
        "access": item.access,
        "status": item.status,
        "download": bool(item.download),
        "rights": (
            {"code": statement.code, "uri": statement.uri, "label": statement.label}
            if statement
            else None
        ),
        "people": _people(item, url),
        "tags": [
            {"id": t.id, "label": t.label, "label_en": t.label_en, **_links(url, "tag", t.id)}
            for t in item.tags
        ],
        "collections": [
            {
                "id": c.id,
                "title": c.title,
                "title_en": c.title_en,
                **_links(url, "collection", c.id),
            }
            for c in item.collections
        ],  # fmt: skip
        "places": [
            {"id": p.id, "name": p.name, "name_en": p.name_en, **_links(url, "place", p.id)}
            for p in item.prisons
        ],
        "recordings": [_recording(r, staff, url) for r in recordings],
        "transcripts": [
            _transcript(t, item, staff, current, url)
            for t in item.transcripts
            if staff or not t.restricted
        ],
        "published_at": _moment(item.published_at),
        "updated_at": _moment(changed_at([item.id]).get(item.id, item.updated_at)),
        "links": {
            "self": url("api.get_item", identifier=item.identifier),
            "page": url("web.item", identifier=item.identifier),
            "embed": url("web.embed", identifier=item.identifier),
        },
    }
    if staff:
        doc["staff"] = {
            "notes": item.notes,
            "embargo_until": item.embargo_until.date().isoformat() if item.embargo_until else None,
            "release": {
                "reference": item.release_reference,
                "date": item.release_date,
                "access": item.release_access or None,
                "restriction": item.release_restriction,
            },
            "withdrawn_at": _moment(item.withdrawn_at),
            "withdrawn_reason": item.withdrawn_reason,
            "created_at": _moment(item.created_at),
        }
    return doc


def changed_at(item_ids: list[int]) -> dict[int, datetime]:
    """When each item last changed: its own row, or anything the audit trail recorded of it
    (people, tags, transcripts, publication...), whichever is later."""
    if not item_ids:
        return {}
    rows = db.session.execute(
        select(Item.id, Item.updated_at, func.max(AuditEvent.at))
        .outerjoin(AuditEvent, AuditEvent.item_id == Item.id)
        .where(Item.id.in_(item_ids))
        .group_by(Item.id, Item.updated_at)
    ).all()
    return {item_id: max(updated, audited or updated) for item_id, updated, audited in rows}


def _moment(value: datetime | None) -> str | None:
    """A UTC moment in ISO 8601 with its zone (the database keeps naive UTC)."""
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def _links(url: Url, kind: str, record_id: int) -> dict[str, str]:
    """The API record and the web page of a person, tag, collection or place."""
    page = "web.person" if kind == "person" else f"browse.{kind}"
    page_values = {"person_id": record_id} if kind == "person" else {"record_id": record_id}
    return {"api_url": url(f"api.{kind}", record_id=record_id), "url": url(page, **page_values)}


def _people(item: Item, url: Url) -> dict[str, list[dict[str, Any]]]:
    by_role: dict[str, list[dict[str, Any]]] = {}
    for role in CREDIT_ROLES:
        for person in item.people_in(role):
            by_role.setdefault(role, []).append(
                {
                    "id": person.id,
                    "name": person.name,
                    "name_latin": person.name_latin,
                    **_links(url, "person", person.id),
                }
            )
    return by_role


def _recording(recording: Recording, staff: bool, url: Url) -> dict[str, Any]:
    files = served_files(recording, staff=staff)
    made = {
        role: _file(recording, role, files[role], url) for role in SERVED_ROLES if role in files
    }
    doc: dict[str, Any] = {
        "id": recording.id,
        "kind": recording.kind,
        "duration": recording.duration,
        "format_name": recording.format_name,
        "bit_rate": recording.bit_rate,
        "audio_codec": recording.audio_codec,
        "sample_rate": recording.sample_rate,
        "channels": recording.channels,
        "video_codec": recording.video_codec,
        "width": recording.width,
        "height": recording.height,
        "ready": "access" in made,
        "files": made,
    }
    if staff:
        original = recording.original
        job = recording.latest_job
        doc["staff"] = {
            "original_filename": recording.original_filename,
            "original": _file(recording, "original", original, url) if original else None,
            "superseded_at": _moment(recording.superseded_at),
            "job": {"id": job.id, "state": job.state, "error": job.error} if job else None,
        }
    return doc


def _file(recording: Recording, role: str, stored: MediaFile, url: Url) -> dict[str, Any]:
    return {
        "url": url("media_files.media_file", recording_id=recording.id, role=role),
        "mimetype": stored.mimetype,
        "size": stored.size,
        "sha256": stored.sha256,
    }


def _transcript(
    transcript: Transcript, item: Item, staff: bool, current: set[int], url: Url
) -> dict[str, Any]:
    shown = (
        transcript.recording_id
        if transcript.recording_id in current or (staff and transcript.recording_id)
        else None
    )
    doc: dict[str, Any] = {
        "id": transcript.id,
        "language": transcript.language,
        "recording_id": shown,
        "segments": [
            {
                "start": segment.start,
                "end": segment.end,
                "text": segment.text,
                "speaker": segment.speaker,
                **({"restricted": segment.restricted} if staff else {}),
            }
            for segment in transcript.segments
            if staff or not segment.restricted
        ],
        "links": {
            fmt: url(
                "web.transcript_file",
                identifier=item.identifier,
                transcript_id=transcript.id,
                fmt=fmt,
            )
            for fmt in _formats(transcript, staff)
        },  # fmt: skip
    }
    if staff:
        doc["restricted"] = transcript.restricted
        doc["source_format"] = transcript.source_format
    return doc


def _formats(transcript: Transcript, staff: bool) -> tuple[str, ...]:
    """Text always; WebVTT when a passage the viewer may see is timed."""
    timed = any(
        segment.start is not None and (staff or not segment.restricted)
        for segment in transcript.segments
    )
    return ("vtt", "txt") if timed else ("txt",)
