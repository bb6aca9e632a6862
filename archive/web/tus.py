"""Uploads that resume: tus 1.0.0 at ``/manage/tus/`` (the creation URL) with the creation,
creation-with-upload, termination, expiration and checksum extensions.

Who may upload: staff, either with the browser session (then every change carries the page's
CSRF token in ``X-CSRFToken`` and needs a fresh login, as the upload form does) or with a
read-write personal API token of staff (``Authorization: Bearer pma_…``, for scripts; a
forged cross-site request never carries it, so no CSRF token is asked). Each upload belongs
to whoever created it: another account gets 404. A finished upload is handed to ``ingest()``
exactly as a one-request upload is; its item is named in ``X-Archive-Item`` and
``X-Archive-Status`` is the URL of a JSON status (item, job, or why it was refused).
"""

from __future__ import annotations

import base64
import binascii
from email.utils import formatdate
from functools import wraps
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from archive.accounts import tokens
from archive.accounts.login import csrf, login_is_fresh
from archive.catalogue import items
from archive.errors import ArchiveError, DuplicateMedia, NotFound
from archive.holdings import resumable
from archive.holdings.ingest import ingest
from archive.locks import LockBusy
from archive.models import ITEM_TYPES, User
from archive.web.edge import large_bodies

bp = Blueprint("tus", __name__, url_prefix="/manage/tus")
csrf.exempt(bp)  # checked in _staff below, for sessions only (a token cannot be forged)

VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
CONTENT_TYPE = "application/offset+octet-stream"
METADATA_KEYS = ("filename", "filetype", "type", "item", "replace")


def _tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


bp.after_request(_tus_headers)


def _answer(status: int, message: str = "", **headers) -> Response:
    response = Response(message, status=status, mimetype="text/plain")
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = str(value)
    return response


def _uploader() -> User | None:
    """The staff member behind this request (token or session), else None (see ``_staff``)."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _space, secret = header.strip().partition(" ")
        token = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
        if token is None or not tokens.may_write(token):
            return None
        tokens.used(token)
        return token.user
    if current_user.is_authenticated and current_user.is_staff:
        return current_user._get_current_object()
    return None


def _staff(view):
    """Staff only: 401 without credentials, 403 for others; then the tus version (412)."""

    @wraps(view)
    def run(*args, **kwargs):
        user = _uploader()
        if user is None:
            anonymous = "Authorization" not in request.headers and not (
                current_user.is_authenticated
            )
            if anonymous:
                return _answer(401, _("Your session has ended: log in again."))
            return _answer(403, "Uploads need staff: a session or a read-write API token.")
        if request.headers.get("Tus-Resumable") != VERSION:
            return _answer(412, "Unsupported tus version.", Tus_Version=VERSION)
        if "Authorization" not in request.headers and request.method not in ("GET", "HEAD"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except ValidationError:
                return _answer(403, "Missing or expired CSRF token: reload the page.")
            if not login_is_fresh():
                return _answer(401, _("To change anything, enter your password again."))
        return view(user, *args, **kwargs)

    return run


def _may_send_large() -> bool:
    return _uploader() is not None


def _large(view):
    large_bodies(view)
    view.large_bodies_for = _may_send_large
    return view


@bp.route("/", methods=["OPTIONS"], strict_slashes=False)
@bp.route("/<upload_id>", methods=["OPTIONS"])
def options(upload_id: str | None = None):
    """What this server offers (no credentials needed to ask)."""
    return _answer(
        204,
        Tus_Version=VERSION,
        Tus_Extension=EXTENSIONS,
        Tus_Checksum_Algorithm=",".join(resumable.CHECKSUMS),
        Tus_Max_Size=current_app.config["MEDIA"]["MAX_UPLOAD_BYTES"],
    )


@bp.post("/", strict_slashes=False)
@_large
@_staff
def create(user: User):
    """Creation: ``Upload-Length`` and ``Upload-Metadata``; a body with it is its first chunk."""
    length = _whole(request.headers.get("Upload-Length"))
    if length is None:
        if request.headers.get("Upload-Defer-Length"):
            return _answer(400, "Upload-Defer-Length is not supported: send Upload-Length.")
        return _answer(400, "Upload-Length must be a whole number of bytes.")
    try:
        metadata = _metadata(request.headers.get("Upload-Metadata", ""))
        upload = resumable.create(length, metadata, user.id)
    except resumable.UploadRefused as exc:
        return _answer(exc.status, str(exc))
    except ArchiveError as exc:
        return _answer(400, str(exc))
    location = url_for("tus.resume", upload_id=upload.id)
    if request.content_length and request.headers.get("Content-Type") == CONTENT_TYPE:
        response = _write(user, upload.id, 0)
        response.status_code = 201 if response.status_code == 204 else response.status_code
        response.headers["Location"] = location
        return response
    return _answer(201, Location=location, **_expiry(upload))


@bp.route("/<upload_id>", methods=["HEAD"])
@_staff
def offset(user: User, upload_id: str):
    """Where to resume: ``Upload-Offset`` of ``Upload-Length``. Asked under the upload's lock,
    so a request still writing (a connection that broke but whose last bytes are still
    arriving) has finished first and the offset is the one the next PATCH will find."""
    try:
        _own(user, upload_id)
        with resumable.lock(upload_id):
            upload = _own(user, upload_id)
    except resumable.UploadGone as exc:
        return _answer(exc.status)
    except LockBusy:
        return _answer(423)
    return _answer(
        200,
        Upload_Offset=upload.offset,
        Upload_Length=upload.length,
        **_expiry(upload),
        **_result_headers(upload),
    )


@bp.patch("/<upload_id>")
@_large
@_staff
def resume(user: User, upload_id: str):
    """The next chunk, at ``Upload-Offset``; the last one hands the file to ``ingest()``."""
    if request.headers.get("Content-Type") != CONTENT_TYPE:
        return _answer(415, f"Content-Type must be {CONTENT_TYPE}.")
    at = _whole(request.headers.get("Upload-Offset"))
    if at is None:
        return _answer(400, "Upload-Offset must be a whole number of bytes.")
    return _write(user, upload_id, at)


@bp.delete("/<upload_id>")
@_staff
def terminate(user: User, upload_id: str):
    """Termination: the bytes and the record go (an item already made stays)."""
    try:
        upload = _own(user, upload_id)
        with resumable.lock(upload_id):
            resumable.terminate(upload)
    except resumable.UploadGone as exc:
        return _answer(exc.status)
    except LockBusy as exc:
        return _answer(423, str(exc))
    return _answer(204)


@bp.get("/<upload_id>/status")
@_staff
def status(user: User, upload_id: str):
    """The upload as JSON: offset, length and, once finished, its item and job or its error."""
    try:
        upload = _own(user, upload_id)
    except resumable.UploadGone as exc:
        return jsonify({"error": str(exc)}), exc.status
    return jsonify(_status(upload))


# --- the work ---------------------------------------------------------------------------------


def _write(user: User, upload_id: str, at: int) -> Response:
    try:
        checksum = _checksum(request.headers.get("Upload-Checksum"))
    except ValueError as exc:
        return _answer(400, str(exc))
    try:
        with resumable.lock(upload_id):
            upload = _own(user, upload_id)  # read again under the lock: another may have written
            sha256 = resumable.append(upload, at, request.stream, request.content_length, checksum)
            if upload.offset == upload.length:
                _ingest(user, upload, sha256)
    except resumable.UploadGone as exc:
        return _answer(exc.status, str(exc))
    except resumable.UploadRefused as exc:
        return _answer(exc.status, str(exc))
    except LockBusy as exc:
        return _answer(423, str(exc))
    # Every byte arrived: the transfer succeeded (204) even when ingest refused the file;
    # X-Archive-Item names the item made, X-Archive-Error says why none was, and the status
    # URL tells the whole outcome.
    return _answer(204, Upload_Offset=upload.offset, **_expiry(upload), **_result_headers(upload))


def _ingest(user: User, upload: resumable.Resumable, sha256: str | None) -> None:
    """Hand the finished bytes to ``ingest()`` as the one-request upload does."""
    meta = upload.metadata
    try:
        target = items.find_item(meta["item"]) if meta.get("item") else None
        replaces = items.get_recording(int(meta["replace"])) if meta.get("replace") else None
        done = ingest(
            resumable.upload_of(upload, sha256),
            user=user,
            type=meta.get("type") or None,
            item=target,
            replaces=replaces,
        )
    except DuplicateMedia as exc:
        resumable.finish(upload, "refused", {"error": str(exc), "item": exc.identifier})
    except (ArchiveError, NotFound) as exc:
        resumable.finish(upload, "refused", {"error": str(exc)})
    else:
        result = {
            "item": done.item.identifier,
            "job": done.job.id,
            "recording": done.recording.id,
            "file": done.recording.original_filename,
        }
        resumable.finish(upload, "ingested", result)


def _own(user: User, upload_id: str) -> resumable.Resumable:
    upload = resumable.find(upload_id)
    if upload.user_id != user.id:
        raise resumable.UploadGone("No such upload.", 404)
    return upload


def _status(upload: resumable.Resumable) -> dict:
    status = {
        "id": upload.id,
        "offset": upload.offset,
        "length": upload.length,
        "state": upload.state,
        "filename": upload.metadata.get("filename", ""),
        "expires": formatdate(upload.expires, usegmt=True),
        **upload.result,
    }
    if upload.result.get("item"):
        status["edit"] = url_for("manage.edit", identifier=upload.result["item"])
    if upload.result.get("job"):
        status["status"] = url_for("manage.job_status", job_id=upload.result["job"])
    return status


def _result_headers(upload: resumable.Resumable) -> dict:
    headers = {"X_Archive_Status": url_for("tus.status", upload_id=upload.id)}
    if upload.state == "ingested":
        headers["X_Archive_Item"] = upload.result["item"]
    if upload.result.get("error"):
        headers["X_Archive_Error"] = quote(upload.result["error"])  # UTF-8, percent-encoded
    return headers


def _expiry(upload: resumable.Resumable) -> dict:
    if upload.finished:
        return {}
    return {"Upload_Expires": formatdate(upload.expires, usegmt=True)}


def _whole(text: str | None) -> int | None:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    return int(text)


def _metadata(header: str) -> dict:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs, checked here."""
    metadata: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _space, encoded = pair.partition(" ")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ArchiveError(f"Upload-Metadata {key!r}: not base64 of UTF-8 text.") from None
        if key in METADATA_KEYS:
            metadata[key] = value
    if metadata.get("type") and metadata["type"] not in ITEM_TYPES:
        raise ArchiveError(f"Unknown type {metadata['type']!r}: one of {', '.join(ITEM_TYPES)}.")
    if metadata.get("item"):
        try:
            items.find_item(metadata["item"])
        except NotFound:
            raise ArchiveError(f"No item {metadata['item']!r} to add this recording to.") from None
    if metadata.get("replace"):
        number = _whole(metadata["replace"])
        try:
            if number is None or number >= 2**31:
                raise NotFound("recording")
            items.get_recording(number)
        except NotFound:
            raise ArchiveError(f"No recording {metadata['replace']!r} to replace.") from None
    if len(metadata.get("filename", "")) > 1000:
        raise ArchiveError("The filename is too long.")
    return metadata


def _checksum(header: str | None) -> tuple[str, bytes] | None:
    """``Upload-Checksum: <algorithm> <base64 digest>``, or None."""
    if not header:
        return None
    algorithm, _space, encoded = header.strip().partition(" ")
    if algorithm not in resumable.CHECKSUMS:
        raise ValueError(f"Unsupported checksum algorithm {algorithm!r}.")
    try:
        return algorithm, base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise ValueError("Upload-Checksum: the digest is not base64.") from None
