"""The JSON API: ``/api/v1/`` (items, people, tags, collections, places, search, jobs), its
OpenAPI document ``/api/openapi.json`` and browsable docs ``/api/docs``.

- :mod:`.auth`: who calls (a personal token, else the session for reads) and what they may do;
- :mod:`.openapi`: the document, generated from the views' pydantic models (:mod:`.schemas`);
- :mod:`.items`, :mod:`.records`, :mod:`.docs`: the views; :mod:`.answers`: ETags, If-Match;
- :mod:`.paging`: signed cursors; :mod:`.errors`: problem+json (RFC 9457) for every error.
- :mod:`.blueprint`: the blueprint, CORS and cache headers.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from archive.accounts.login import csrf
    from archive.web.api import docs, errors, items, records  # noqa: F401  (the views)
    from archive.web.api.blueprint import bp

    errors.init_app(app)
    app.register_blueprint(bp)
    # No CSRF check: a change is made only with a token, never with the session cookie
    # (archive.web.api.auth), and a forged cross-site request cannot carry a token.
    csrf.exempt(bp)
