"""Errors under ``/api/`` as ``application/problem+json`` (RFC 9457), never as an HTML page.

Every refusal is a :class:`Problem`: ``type`` (``about:blank``: the status says it all),
``title`` (the status's name), ``status``, ``detail`` (what went wrong, for the person who
wrote the script) and ``instance`` (the path asked for); a 422 adds ``errors``, one entry per
invalid field.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, json, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from archive.errors import ArchiveError, DuplicateMedia, Gone, NotFound

MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/"
#: The codes the app answers with an HTML page of its own (archive.web); under /api/ the
#: blueprint's handler for each code comes first.
CODES = (400, 401, 403, 404, 405, 406, 409, 410, 411, 412, 413, 415, 422, 428, 429, 500)


class ApiProblem(Exception):
    """Refuse this request with ``status`` and a ``detail`` saying why."""

    def __init__(self, status: int, detail: str, *, headers: dict | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.headers, self.extra = headers or {}, extra


def under_api() -> bool:
    """Whether this request asked for something under /api/ (answered in JSON)."""
    return request.path.startswith(PREFIX)


def problem(status: int, detail: str = "", *, headers: dict | None = None, **extra: Any):
    """The problem+json response for ``status``."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
        "instance": request.path,
        **extra,
    }
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE
    )
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def from_http(exc: HTTPException):
    """A werkzeug HTTP error (404, 405, 413...) as a problem; its own headers (Allow,
    Retry-After, WWW-Authenticate) kept."""
    status = exc.code or 500
    headers = {
        name: value
        for name, value in exc.get_headers()
        if name.lower() not in ("content-type", "content-length")
    }
    return problem(status, _detail(status, exc), headers=headers)


def _detail(status: int, exc: HTTPException) -> str:
    if status == 404:
        return _("Nothing here: no such item or record, or you may not see it.")
    if status == 405:
        return _("This address does not answer this method: see /api/openapi.json.")
    if status == 413:
        return _("The request body is larger than the archive accepts here.")
    if status == 410:
        return _("This item has been withdrawn.")
    if status >= 500:
        return _("The archive failed to answer: the error is logged; try again later.")
    return exc.description or HTTPStatus(status).description


def register(bp) -> None:
    """Answer every error raised by the API's views and hooks with a problem."""

    @bp.errorhandler(ApiProblem)
    def _problem(exc: ApiProblem):
        return problem(exc.status, exc.detail, headers=exc.headers, **exc.extra)

    @bp.errorhandler(DuplicateMedia)
    def _duplicate(exc: DuplicateMedia):
        return problem(409, str(exc), item=exc.identifier)

    @bp.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        return problem(404, _detail(404, HTTPException()))

    @bp.errorhandler(Gone)
    def _gone(exc: Gone):
        return problem(410, _detail(410, HTTPException()))

    @bp.errorhandler(ArchiveError)
    def _refused(exc: ArchiveError):
        return problem(422, str(exc))

    for code in CODES:
        bp.register_error_handler(code, from_http)


def init_app(app: Flask) -> None:
    """Under /api/, the app's own errors too (no route matched: 404, 405; a bad host: 400)."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        # The codes the web answers with no page of its own get werkzeug's page elsewhere.
        return from_http(exc) if under_api() else exc
