"""Media files, served with Range support and only after the access check."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user

from archive.access.rules import can_edit, can_view, is_gone_for
from archive.db import db
from archive.holdings.storage import absolute
from archive.models import Recording

bp = Blueprint("media_files", __name__)
PUBLIC_ROLES = ("access", "poster", "peaks")


@bp.get("/media/<int:recording_id>/<role>")
def media_file(recording_id: int, role: str):
    recording = db.session.get(Recording, recording_id)
    if recording is not None and is_gone_for(current_user, recording.item):
        abort(410)
    if recording is None or not can_view(current_user, recording.item):
        abort(404)
    if role not in PUBLIC_ROLES and not (role == "original" and can_edit(current_user)):
        abort(404)
    if recording.superseded_at is not None and not can_edit(current_user):
        abort(404)
    stored = recording.file(role)
    if stored is None:
        abort(404)
    path = absolute(stored.relpath)
    if not path.is_file():
        abort(404)
    accel = current_app.config["MEDIA"]["X_ACCEL_REDIRECT"]
    if accel:
        response = current_app.response_class(mimetype=stored.mimetype)
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + stored.relpath
        return response
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
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
