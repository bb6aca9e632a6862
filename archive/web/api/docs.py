"""``/api/openapi.json`` (the OpenAPI 3.1 document) and ``/api/docs`` (Swagger UI, served from
the archive's own files: ``static/vendor/swagger-ui``, started by ``static/js/api-docs.js``)."""

from __future__ import annotations

from flask import current_app, render_template

from archive.web.api.answers import answer
from archive.web.api.blueprint import bp
from archive.web.api.openapi import document


@bp.get("/openapi.json")
def openapi():
    response = answer(document())
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/docs")
def docs():
    return render_template("api/docs.html", spec_url=current_app.url_for("api.openapi"))
