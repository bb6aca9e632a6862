"""Personal API tokens: a user makes, names and revokes them on ``/account``; scripts send one
as ``Authorization: Bearer pma_…`` to ``/api/v1/``.

- A token is ``pma_`` and 43 url-safe characters (32 random bytes). It is shown once, when it
  is made; the archive keeps only its SHA-256 (and its first characters, to tell tokens
  apart), and finds a token by that hash, comparing it in constant time.
- Scope ``read`` sees what its owner sees; ``read-write`` may also change the catalogue, and
  only staff (archivists and admins) may make one: a researcher's token only reads. A
  read-write token of someone who is no longer staff writes nothing (checked on every request).
- A token works while its owner's account is active: deactivating the account stops its
  tokens (activating it again lets them work again). "Log out everywhere" revokes every token
  of the account for good. An ordinary logout, which ends the account's sessions, leaves its
  tokens alone: tokens are for scripts, not for browsers, and do not belong to a session.
- When a token was last used is written at most once a minute, not on every request.
- Making and revoking tokens is audited (``token.create``, ``token.revoke``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from archive import audit
from archive.db import db
from archive.errors import ArchiveError, NotFound
from archive.i18n import _
from archive.models import ApiToken, User, utcnow
from archive.uow import operation

PREFIX = "pma_"
SCOPES = ("read", "read-write")
MAX_NAME = 100
MAX_ACTIVE = 20  # tokens one account may hold at once
SHOWN = 8  # characters of the secret kept and shown to tell tokens apart
USE_INTERVAL = timedelta(minutes=1)  # last use written at most this often


def digest(secret: str) -> str:
    """The hex SHA-256 under which a token's secret is kept."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@operation
def create(user: User, name: str, scope: str = "read") -> tuple[ApiToken, str]:
    """A new token of ``user``: the record and its secret, which is never shown again."""
    name = " ".join(name.split())
    if not name:
        raise ArchiveError(_("Give the token a name, so you can tell it from your others."))
    if len(name) > MAX_NAME:
        raise ArchiveError(
            _("The name is too long (at most %(count)s characters).", count=MAX_NAME)
        )
    if scope not in SCOPES:
        raise ArchiveError(_("Unknown scope “%(scope)s”.", scope=scope))
    if scope == "read-write" and not user.is_staff:
        raise ArchiveError(_("Only archivists and admins may make tokens that change things."))
    if len(active_tokens(user)) >= MAX_ACTIVE:
        raise ArchiveError(
            _("You have %(count)s tokens already: revoke one first.", count=MAX_ACTIVE)
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=secret[: len(PREFIX) + SHOWN],
        token_hash=digest(secret),
        scope=scope,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(user, "token.create", reindex=False, token=token.id, name=name, scope=scope)
    return token, secret


def active_tokens(user: User) -> list[ApiToken]:
    """``user``'s tokens that are not revoked, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def get(user: User, token_id: int) -> ApiToken:
    """One of ``user``'s own tokens (nobody else's, and never one already revoked)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(_("No such token."))
    return token


@operation
def revoke(token: ApiToken, *, by: User | None) -> ApiToken:
    """Stop ``token`` for good."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(by, "token.revoke", reindex=False, token=token.id, name=token.name,
                     owner=token.user.email)  # fmt: skip
    return token


@operation
def revoke_all(user: User, *, by: User | None) -> int:
    """Revoke every token of ``user`` (part of "Log out everywhere"); how many there were."""
    tokens = active_tokens(user)
    for token in tokens:
        revoke(token, by=by)
    return len(tokens)


def authenticate(secret: str) -> ApiToken | None:
    """The token whose secret this is, when it is not revoked and its owner is active."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    wanted = digest(secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == wanted))
    if token is None or not hmac.compare_digest(token.token_hash, wanted):
        return None
    if token.revoked_at is not None or not token.user.active:
        return None
    return token


def may_write(token: ApiToken) -> bool:
    """A read-write token whose owner is staff now."""
    return token.writes and token.user.active and token.user.is_staff


def used(token: ApiToken) -> None:
    """Note that ``token`` was used now, unless that was noted less than a minute ago."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < USE_INTERVAL:
        return
    _note_use(token.id, now)


@operation
def _note_use(token_id: int, now) -> None:
    # One conditional UPDATE: many requests arriving at once write it once.
    db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - USE_INTERVAL),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
