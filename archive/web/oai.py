"""``/oai``: the OAI-PMH 2.0 endpoint libraries and aggregators harvest the catalogue from.

``GET`` with the arguments in the query string, or ``POST`` with them as
``application/x-www-form-urlencoded``; the answer is always HTTP 200 with an XML body, errors
included (the protocol itself is ``archive.exchange.oai``). It shows only what an anonymous
visitor may see, whoever asks, and needs no session (so a ``POST`` needs no CSRF token).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request

from archive.accounts.login import csrf
from archive.exchange import oai
from archive.web.edge import site_url

bp = Blueprint("oai", __name__)

XML = "text/xml; charset=utf-8"


@bp.record_once
def _check_settings(state) -> None:
    config = state.app.config
    oai.check_settings(config["OAI"], config["SERVER"]["BASE_URL"])


@bp.route("/oai", methods=["GET", "POST"])
@csrf.exempt
def endpoint():
    arguments = list(request.args.items(multi=True))
    if request.method == "POST":
        arguments += list(request.form.items(multi=True))
    body = oai.respond(arguments, repository())
    response = Response(body, content_type=XML)
    response.headers["Cache-Control"] = "no-store"  # each answer is of its moment
    return response


def repository() -> oai.Repository:
    """This site as an OAI-PMH repository, from its settings."""
    config = current_app.config
    settings = config["OAI"]
    base_url = config["SERVER"]["BASE_URL"]
    names = [n for n in (config["SITE_NAME"], config["SITE_NAME_EN"]) if n]
    return oai.Repository(
        name=settings["REPOSITORY_NAME"] or " / ".join(names) or "OAI-PMH",
        base_url=site_url("oai.endpoint"),
        site_url=base_url,
        repository_identifier=(
            settings["REPOSITORY_IDENTIFIER"] or urlsplit(base_url).hostname or "localhost"
        ),
        admin_emails=oai.admin_emails(settings, base_url),
        page_size=int(settings["PAGE_SIZE"]),
        token_lifetime=int(settings["TOKEN_LIFETIME"]),
        secret=config["SECRET_KEY"],
        sample_identifier=f"{config['IDENTIFIER_PREFIX']}000123",
    )
