"""The web's edge: what every request must pass before a view runs, and the site's own address.

- **Hosts.** Only the names of ``[SERVER] TRUSTED_HOSTS`` (by default the host of
  ``[SERVER] BASE_URL``, localhost and the loopback addresses) are answered; any other ``Host``
  (or, behind a trusted proxy, ``X-Forwarded-Host``) gets 400 before anything else runs.
- **Absolute URLs** (canonical link, Open Graph, JSON-LD, the embed code) are built on
  ``[SERVER] BASE_URL``, never on the request: a page is the same whichever name it was asked
  by, so a page kept by the page cache can never carry a forged host.
- **Numbers.** The catalogue's ids are INTEGER columns, 32 bits on PostgreSQL: ``<int:…>`` in
  a route matches only 0 … 2**31-1 (anything else is a 404), and every numeric argument is read by
  :func:`number_arg` or :func:`page_number`, which range-check it.
- **Bodies.** A request body may hold at most ``[SERVER] MAX_FORM_BYTES``, unless the view is
  marked :func:`large_bodies` and the visitor is staff (uploads, the CSV import): then
  ``[MEDIA] MAX_UPLOAD_BYTES``. A declared length over the limit is refused (413) before a
  byte of the body is read; a chunked body is cut off (413) when it reaches the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request
from flask_login import current_user
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter, ValidationError

from archive.access.rules import can_edit

LARGEST = 2**31 - 1  # the largest id column value on every engine (INTEGER: 32 bits on PostgreSQL)
LARGEST_DIGITS = len(str(LARGEST))
MAX_PAGE = 1_000_000  # no listing has that many pages; its offset stays far below LARGEST
LOOPBACK = ("localhost", "127.0.0.1", "::1")
FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and the other fields of an upload form


class DatabaseInteger(IntegerConverter):
    """``<int:…>``: a whole number an id column can hold (0 … 2**31-1), else no match."""

    def __init__(self, map, fixed_digits=0, min=0, max=LARGEST, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        if len(value.lstrip("-")) > LARGEST_DIGITS:  # before int(): 5,000 digits raise there
            raise ValidationError()
        return super().to_python(value)


def init_app(app: Flask) -> None:
    """Install the edge's rules; call before registering any blueprint (the converter)."""
    app.url_map.converters["int"] = DatabaseInteger
    check_base_url(app.config["SERVER"]["BASE_URL"])
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config["SERVER"])
    # First of all hooks: nothing (login, sessions, templates) runs for an unknown host.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_untrusted_host)
    app.before_request_funcs[None].insert(1, _limit_body)


# --- hosts and absolute URLs ------------------------------------------------------------------


def check_base_url(base_url: str) -> None:
    """Refuse to start on a site address absolute URLs cannot be built on."""
    base = urlsplit(base_url)
    if base.scheme not in ("http", "https") or not base.hostname or base.query or base.fragment:
        raise ValueError(
            f"[SERVER] BASE_URL must be an http(s) address such as https://archive.example.org,"
            f" not {base_url!r}"
        )


def trusted_hosts(server: dict) -> list[str]:
    """The host names answered: ``TRUSTED_HOSTS`` when set, else BASE_URL's host and loopback."""
    named = [host.strip() for host in server.get("TRUSTED_HOSTS") or [] if host.strip()]
    if named:
        return named
    own = urlsplit(server["BASE_URL"]).hostname
    return list(dict.fromkeys([own, *LOOPBACK] if own else LOOPBACK))


def _refuse_untrusted_host() -> None:
    # Flask found the host untrusted while routing, but would run every before_request hook
    # before saying so; and its message would echo the forged name.
    if isinstance(request.routing_exception, SecurityError):
        abort(400)


def site_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` at the site's address (``[SERVER] BASE_URL``)."""
    base = urlsplit(current_app.config["SERVER"]["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


# --- numbers ----------------------------------------------------------------------------------


def number_arg(
    name: str, default: int | None = None, *, highest: int = LARGEST, values=None
) -> int | None:
    """The whole-number argument ``name`` of the query string (or of ``values``, a form):
    ``default`` when absent or empty; 404 unless it is a whole number from 0 to ``highest``."""
    raw = (request.args if values is None else values).get(name, "").strip()
    if not raw:
        return default
    number = _whole_number(raw)
    if number is None or number > highest:
        abort(404)
    return number


def page_number() -> int:
    """``?page=``: 1 when absent; 404 unless it is a page number from 1 to MAX_PAGE."""
    page = number_arg("page", 1, highest=MAX_PAGE)
    if page < 1:
        abort(404)
    return page


def numbers_arg(name: str) -> list[int]:
    """``?name=1,2,3``: the whole numbers a database integer can hold; the rest left out."""
    numbers = (_whole_number(part.strip()) for part in request.args.get(name, "").split(","))
    return [number for number in numbers if number is not None]


def _whole_number(text: str) -> int | None:
    """``text`` as a whole number a database integer can hold (0 … LARGEST), else None;
    the length is checked before ``int()``, which is slow on thousands of digits."""
    if not text.isascii() or not text.isdigit() or len(text) > LARGEST_DIGITS:
        return None
    number = int(text)
    return number if number <= LARGEST else None


# --- bodies -----------------------------------------------------------------------------------


def large_bodies(view: Callable) -> Callable:
    """Mark ``view`` as taking large bodies from staff (uploads, CSV import) — up to
    ``[MEDIA] MAX_UPLOAD_BYTES`` — where everyone else stays under ``[SERVER] MAX_FORM_BYTES``."""
    view.large_bodies = True  # functools.wraps carries it to the decorators above
    return view


def body_limit() -> int:
    """The most bytes the body of this request may hold."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "large_bodies", False) and _may_send_large(view):
        return int(current_app.config["MEDIA"]["MAX_UPLOAD_BYTES"]) + FORM_OVERHEAD
    return int(current_app.config["SERVER"]["MAX_FORM_BYTES"])


def _may_send_large(view: Callable) -> bool:
    """Staff logged in, or whom the view's own check admits (``view.large_bodies_for``: the
    JSON API's uploads come with a token, not a session)."""
    check = getattr(view, "large_bodies_for", None)
    return bool(check()) if check is not None else can_edit(current_user)


def _limit_body() -> None:
    limit = body_limit()
    request.max_content_length = limit  # a chunked body is cut off at the limit
    if request.content_length is not None and request.content_length > limit:
        abort(413)  # before a byte of the body is read
