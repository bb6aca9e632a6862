"""Media files, served with Range support and only after the access check.

Staff get the full access copy; anyone else gets the public copy of a recording with withheld
passages (``archive.holdings.redaction``) at the same URL, or nothing while it is being made.

From the media folder the file is sent here (or by the reverse proxy, X-Accel-Redirect). From
a bucket, the answer is a redirect to a presigned URL of that one object, valid for
``[STORAGE] URL_LIFETIME`` seconds: the bucket serves the bytes and the Range requests, so a
two-hour video never holds a web worker, and the pages only ever name this route, never a
bucket URL (a copied link still goes through the access check).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from flask import Blueprint, abort, current_app, redirect, send_file
from flask_login import current_user

from archive.access.rules import can_edit, can_view, is_gone_for
from archive.db import db
from archive.holdings.redaction import PUBLIC_ROLES, served_file
from archive.holdings.storage import store
from archive.models import Recording

bp = Blueprint("media_files", __name__)
#: What the player, downloads and pages ask for, and the public versions of them.
VISIBLE_ROLES = (*PUBLIC_ROLES, *PUBLIC_ROLES.values())


@bp.get("/media/<int:recording_id>/<role>")
def media_file(recording_id: int, role: str):
    recording = db.session.get(Recording, recording_id)
    if recording is not None and is_gone_for(current_user, recording.item):
        abort(410)
    if recording is None or not can_view(current_user, recording.item):
        abort(404)
    staff = can_edit(current_user)
    if role not in VISIBLE_ROLES and not (role == "original" and staff):
        abort(404)
    if recording.superseded_at is not None and not staff:
        abort(404)
    # With passages withheld, anyone but staff gets the public copy, or nothing until it is made.
    stored = (
        recording.file(role) if role == "original" else served_file(recording, role, staff=staff)
    )
    if stored is None:
        abort(404)
    if store().local_root is None:
        return _for_any_site(_redirect_to_bucket(recording, role, stored), recording)
    path = store().path(stored.relpath)
    if not path.is_file():
        abort(404)
    accel = current_app.config["MEDIA"]["X_ACCEL_REDIRECT"]
    if accel:
        response = current_app.response_class(mimetype=stored.mimetype)
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + stored.relpath
        response.headers["Vary"] = "Cookie"
        return _for_any_site(response, recording)
    response = send_file(
        path,
        mimetype=stored.mimetype,
        conditional=True,
        etag=stored.sha256,
        max_age=3600,
        download_name=f"{recording.item.identifier}-{role}{path.suffix}",
        as_attachment=role == "original",
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Vary"] = "Cookie"  # staff and visitors get different copies at one URL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _for_any_site(response, recording)


def content_security_policy(frame_ancestors: str = "'self'") -> str:
    """The pages' Content-Security-Policy. With a bucket, the player's media, posters and
    peaks arrive from the bucket's origin once redirected, so it is allowed for those."""
    origin = store().url_origin
    bucket = f" {origin}" if origin else ""
    fetched = f"connect-src 'self'{bucket}; " if origin else ""
    return (
        f"default-src 'self'; img-src 'self' data:{bucket}; media-src 'self'{bucket}; {fetched}"
        f"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )


def _redirect_to_bucket(recording: Recording, role: str, stored):
    """A redirect to the object in the bucket, signed for a short while (see the top).

    The redirect is kept by this browser alone, and for less than the URL lives, so a
    browser that asks again within that time reuses it and its cached bytes."""
    lifetime = int(current_app.config["STORAGE"]["URL_LIFETIME"])
    suffix = PurePosixPath(stored.relpath).suffix
    url = store().presigned_url(
        stored.relpath,
        lifetime=lifetime,
        mimetype=stored.mimetype,
        download_name=f"{recording.item.identifier}-{role}{suffix}" if role == "original" else "",
        cache_seconds=min(3600, lifetime),
    )
    response = redirect(url, 302)
    response.headers["Cache-Control"] = f"private, max-age={max(0, min(3600, lifetime // 2))}"
    response.headers["Vary"] = "Cookie"  # staff and visitors are sent to different copies
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _for_any_site(response, recording: Recording):
    """Any site's player may read the media of an item anyone may see (IIIF viewers ask with
    ``crossorigin``): a browser sends no cookie with such a request, so it gets the public copy,
    and a response to one that did send a cookie is not given to the other site's script."""
    if can_view(None, recording.item):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response
