"""Login rate limits, per account and per address, counted in the database or in Redis.

The counts live in the catalogue's database (or, when ``[AUTH] LOGIN_STORE`` names a Redis
server, in Redis), so the limit holds across gunicorn workers and machines sharing it.  Only
failures since the account's last success count against the account.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from archive.db import db
from archive.models import LoginAttempt, utcnow
from archive.uow import operation


def _settings() -> dict:
    return current_app.config["AUTH"]


def wait_seconds(email: str, address: str) -> int:
    """0 when a login may be tried now; otherwise how long to wait."""
    if _redis() is not None:
        return _redis_wait(email.strip().lower(), address)
    settings = _settings()
    window = timedelta(seconds=int(settings["LOGIN_WINDOW"]))
    since = utcnow() - window
    email = email.strip().lower()
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.email == email, LoginAttempt.success)
    )
    account_since = max(since, last_success) if last_success else since
    checks = (
        (LoginAttempt.email == email, account_since, int(settings["LOGIN_LIMIT_ACCOUNT"])),
        (LoginAttempt.address == address, since, int(settings["LOGIN_LIMIT_ADDRESS"])),
    )
    wait = 0
    for condition, start, limit in checks:
        failures = db.session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                condition, ~LoginAttempt.success, LoginAttempt.at > start
            )
        ).one()
        if failures[0] >= limit:
            oldest = failures[1]
            wait = max(wait, int((oldest + window - utcnow()).total_seconds()) + 1)
    return wait


@operation
def record(email: str, address: str, success: bool) -> None:
    """Count one attempt; forget attempts older than a day."""
    if _redis() is not None:
        _redis_record(email.strip().lower()[:254], address[:64], success)
        return
    db.session.add(
        LoginAttempt(email=email.strip().lower()[:254], address=address[:64], success=success)
    )
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - timedelta(days=1)))


# --- Redis ---------------------------------------------------------------------------------
# One sorted set of failure times per account and per address, trimmed to the window and
# expiring with it; a success deletes its account's set.

_clients: dict[str, object] = {}


def _redis():
    url = _settings().get("LOGIN_STORE") or ""
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_timeout=5)
    return _clients[url]


def _keys(email: str, address: str) -> tuple[str, str]:
    return f"archive:login-failures:account:{email}", f"archive:login-failures:address:{address}"


def _redis_wait(email: str, address: str) -> int:
    settings = _settings()
    window = int(settings["LOGIN_WINDOW"])
    now = time.time()
    client = _redis()
    limits = zip(
        _keys(email, address),
        (int(settings["LOGIN_LIMIT_ACCOUNT"]), int(settings["LOGIN_LIMIT_ADDRESS"])),
        strict=True,
    )
    wait = 0
    for key, limit in limits:
        pipe = client.pipeline()
        pipe.zremrangebyscore(key, "-inf", now - window)
        pipe.zcard(key)
        pipe.zrange(key, 0, 0, withscores=True)
        _, failures, oldest = pipe.execute()
        if failures >= limit and oldest:
            wait = max(wait, int(oldest[0][1] + window - now) + 1)
    return wait


def _redis_record(email: str, address: str, success: bool) -> None:
    account, by_address = _keys(email, address)
    client = _redis()
    if success:
        client.delete(account)
        return
    window = int(_settings()["LOGIN_WINDOW"])
    now = time.time()
    pipe = client.pipeline()
    for key in (account, by_address):
        pipe.zadd(key, {f"{now:.6f}-{secrets.token_hex(4)}": now})
        pipe.expire(key, window + 1)
    pipe.execute()
