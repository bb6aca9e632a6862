"""The API's blueprint, its headers (CORS, Vary, Cache-Control) and its error handlers.

CORS: anonymous reads (no token, no session) say ``Access-Control-Allow-Origin: *``, and a
preflight is answered for reads only; nothing a cookie or a token opened is shared with
another site, and no other site can make a change.
"""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_login import current_user

from archive.web.api import errors

bp = Blueprint("api", __name__, url_prefix="/api")
errors.register(bp)

READS = ("GET", "HEAD")
PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match",
    "Access-Control-Max-Age": "86400",
}


@bp.after_request
def _headers(response):
    response.vary.update(("Authorization", "Cookie"))
    if request.method == "OPTIONS":
        if "GET" in response.headers.get("Allow", ""):
            response.headers.update(PREFLIGHT)
        return response
    if request.method in READS:
        if _anonymous():
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        response.headers.setdefault(
            "Cache-Control", "no-cache" if _anonymous() else "private, no-cache"
        )
    else:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _anonymous() -> bool:
    """Nothing but what anyone sees: no token sent, and no session behind the answer."""
    if "Authorization" in request.headers:
        return False
    found = g.get("api_caller")
    if found is not None:
        return found.user is None
    return not current_user.is_authenticated
