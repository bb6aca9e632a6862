"""Login rate limits, per account and per address, counted in the database.

The counts live in the catalogue's database, so the limit holds across gunicorn
workers and machines sharing it.  Only failures since the account's last success
count against the account.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from archive.db import db
from archive.models import LoginAttempt, utcnow


def _settings() -> dict:
    return current_app.config["AUTH"]


def wait_seconds(email: str, address: str) -> int:
    """0 when a login may be tried now; otherwise how long to wait."""
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


def record(email: str, address: str, success: bool) -> None:
    """Count one attempt; forget attempts older than a day."""
    db.session.add(
        LoginAttempt(email=email.strip().lower()[:254], address=address[:64], success=success)
    )
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - timedelta(days=1)))
    db.session.commit()
