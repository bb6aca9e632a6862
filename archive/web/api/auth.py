"""Who is calling the API, and what they may do.

- ``Authorization: Bearer pma_…`` names a personal API token (``archive.accounts.tokens``);
  a request carrying one is that token's owner's, and nobody else's: a session cookie sent
  along is not read. An unknown, revoked or malformed token is refused (401) rather than
  taken for an anonymous visitor, so a script notices at once.
- Without a token, reads (GET, HEAD, OPTIONS) are the session's, as the pages are: logged in
  or anonymous.
- Changes (POST, PUT, PATCH, DELETE) need a read-write token of an archivist or admin, and
  never read the session cookie: a cookie alone gets 401. That is why the API is exempt from
  the CSRF check the forms have: a forged cross-site request carries the cookie, never the
  token. The other way round, a token opens no form: the pages know only sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user

from archive.accounts import tokens
from archive.models import ApiToken, User
from archive.web.api.errors import ApiProblem

READS = ("GET", "HEAD", "OPTIONS")
CHALLENGE = 'Bearer realm="archive"'


@dataclass(frozen=True)
class Caller:
    user: User | None  # None: an anonymous visitor
    token: ApiToken | None  # None: the session (reads only)


def caller() -> Caller:
    """The caller of this request (worked out once per request)."""
    if "api_caller" not in g:
        g.api_caller = _identify()
    return g.api_caller


def viewer() -> User | None:
    """Whose eyes the answer is for: what the pages would show them."""
    return caller().user


def _identify() -> Caller:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _space, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiProblem(
                401,
                _("Send a personal API token as “Authorization: Bearer <token>”."),
                headers={"WWW-Authenticate": CHALLENGE},
            )
        token = tokens.authenticate(secret.strip())
        if token is None:
            raise ApiProblem(
                401,
                _("This token is unknown or revoked, or its account is deactivated."),
                headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'},
            )
        tokens.used(token)
        return Caller(token.user, token)
    if request.method in READS and current_user.is_authenticated:
        return Caller(current_user._get_current_object(), None)
    return Caller(None, None)


def writer() -> User:
    """The staff member whose read-write token sent this change; 401 or 403 otherwise."""
    found = caller()
    if found.token is None:
        raise ApiProblem(
            401,
            _(
                "Changes need a read-write API token (Authorization: Bearer <token>); "
                "the session cookie is not used for them. Make one on your account page."
            ),
            headers={"WWW-Authenticate": CHALLENGE},
        )
    if not tokens.may_write(found.token):
        raise ApiProblem(
            403, _("This token may only read: changes need a read-write token of staff.")
        )
    return found.token.user


def writes(view):
    """A view that changes the catalogue: the caller must be staff with a read-write token
    (checked before the body is read or validated)."""

    @wraps(view)
    def run(*args, **kwargs):
        writer()
        return view(*args, **kwargs)

    return run


def may_upload() -> bool:
    """For the edge's body limit: a large body may come only with a staff read-write token."""
    try:
        return tokens.may_write(caller().token) if caller().token is not None else False
    except ApiProblem:
        return False  # the view answers 401 itself
