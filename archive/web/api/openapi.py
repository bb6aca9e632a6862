"""The OpenAPI 3.1 document of the API, generated from the views and their pydantic models.

Library: spectree (plain Flask views and blueprints; pydantic v2, whose JSON Schema 2020-12
is OpenAPI 3.1's own dialect; it validates requests and responses with the very models the
document is made of). Each view is declared with :func:`operation`; the document is
spectree's, finished by :func:`finish` with what spectree does not say: the site's address,
``application/problem+json`` for errors, the identifier's pattern and the bounds of the
numbers in paths, and raw request bodies (uploads).
"""

from __future__ import annotations

import copy
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree

from archive.models import IDENTIFIER_RE
from archive.web.api.errors import MEDIA_TYPE, ApiProblem
from archive.web.api.schemas import LARGEST, Problem

TITLE = "Prisoners' Movement Oral History Archive API"
VERSION = "1.0"
DESCRIPTION = """\
Read the catalogue of the oral-history archive of the Palestinian prisoners' movement (items,
people, tags, collections, places, search) and, for archivists and admins, change it.

**Who sees what.** Every answer holds exactly what the caller may see on the archive's pages:
anonymous callers see published public items; approved researchers also those marked
"researchers"; staff see everything. Items you may not see answer 404, like unknown ones.

**Tokens.** Make a personal token on your account page and send it as
`Authorization: Bearer pma_…`. Reads work without one (or with your browser session);
changes need a read-write token, which only staff can make, and never use the session.

**Paging.** Listings are ordered by id and paged with an opaque `cursor`: follow
`links.next` until it is null. Each record visible throughout comes exactly once, even while
the catalogue changes. To harvest changes, keep the first page's `listed_at` and pass it as
`updated_since` next time.

**Caching and concurrency.** Reads carry a strong `ETag`; send `If-None-Match` to get 304.
Every change to an existing item needs `If-Match` with its current ETag: 428 without it,
412 (and nothing changed) when someone changed the item since you read it.

**Errors** are `application/problem+json` (RFC 9457) with a `detail` saying what went wrong.
"""

READ = [{}, {"token": []}]  # anonymous, the session, or a token
WRITE = [{"token": []}]
#: Extra OpenAPI of an operation spectree cannot express (a raw request body), by operationId.
EXTRAS: dict[str, dict[str, Any]] = {}


def _refuse_invalid(req, resp, error, instance, adapter) -> None:
    """A request that does not match its model: 422, each invalid field named."""
    if error is None:
        return
    errors = [
        {"loc": [str(p) if not isinstance(p, int) else p for p in e["loc"]], "msg": e["msg"],
         "type": e["type"]}
        for e in error.errors(include_url=False, include_context=False, include_input=False)
    ]  # fmt: skip
    raise ApiProblem(
        422, _("The request does not match the API's description: see “errors”."), errors=errors
    )


def _response_refused(req, resp, error, instance, adapter) -> None:
    """An answer that does not match its own model is a bug: logged, and a 500 problem."""
    if error is None:
        return
    current_app.logger.error("API answer does not match its schema: %s", error)
    raise ApiProblem(500, _("The archive made an answer that does not match its description."))


spec = SpecTree(
    "flask",
    mode="strict",  # only the views declared below
    title=TITLE,
    version=VERSION,
    description=DESCRIPTION,
    path="openapi-of-spectree",  # its own routes are not used (see archive.web.api.docs)
    page_templates={},
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
    validation_error_status=422,
    validation_error_model=Problem,
    before=_refuse_invalid,
    after=_response_refused,
    security_schemes=[
        SecurityScheme(
            name="token",
            data=SecuritySchemeData(
                type="http",
                scheme="bearer",
                description="A personal API token (pma_…), made on your account page.",
            ),
        )
    ],
)


def operation(operation_id: str, *, extra: dict[str, Any] | None = None, **declared):
    """Declare a view: its operationId, models (query, json, headers, resp...), tags and
    security, as ``spectree.validate`` takes them; ``extra`` is merged into its OpenAPI."""
    if extra:
        EXTRAS[operation_id] = extra
    return spec.validate(operation_id=operation_id, **declared)


def responses(**codes) -> Response:
    """A spectree Response with the problems every operation may answer."""
    return Response(**{"HTTP_404": Problem, **codes})


def document() -> dict[str, Any]:
    """The OpenAPI document of this app (made once per app)."""
    made = current_app.extensions.get("archive.openapi")
    if made is None:
        made = current_app.extensions["archive.openapi"] = finish(copy.deepcopy(spec.spec))
    return made


def finish(doc: dict[str, Any]) -> dict[str, Any]:
    """What the generated document leaves out: the server, problem+json, path bounds, extras."""
    doc["openapi"] = "3.1.0"
    doc["servers"] = [{"url": current_app.config["SERVER"]["BASE_URL"].rstrip("/") or "/"}]
    for path in doc["paths"].values():
        for operation_doc in path.values():
            _problems(operation_doc)
            _path_parameters(operation_doc)
            operation_doc.update(EXTRAS.get(operation_doc["operationId"], {}))
    return doc


def _problems(operation_doc: dict[str, Any]) -> None:
    responses = operation_doc["responses"]
    for answer in responses.values():
        content = answer.get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        if schema.get("$ref", "").endswith("/Problem"):
            content[MEDIA_TYPE] = content.pop("application/json")
    responses["default"] = {
        "description": "A problem (RFC 9457)",
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _path_parameters(operation_doc: dict[str, Any]) -> None:
    for parameter in operation_doc.get("parameters", []):
        if parameter["in"] != "path":
            continue
        if parameter["name"] == "identifier":
            parameter["schema"] = {"type": "string", "pattern": f"^{IDENTIFIER_RE.pattern}$"}
            parameter["description"] = parameter["description"] or "The item's accession number"
        elif parameter["schema"].get("type") == "integer":  # archive.web.edge.DatabaseInteger
            parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": LARGEST}
