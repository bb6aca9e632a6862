"""Operations on user accounts."""

from __future__ import annotations

import os
import secrets

from sqlalchemy import select

from archive.db import db
from archive.errors import ArchiveError
from archive.models import ROLES, User


def create_user(email: str, password: str, role: str, *, approved: bool | None = None) -> User:
    """Create an account; staff are approved at once, researchers wait for an admin."""
    email = email.strip().lower()
    if "@" not in email:
        raise ArchiveError(f"'{email}' is not an email address.")
    if role not in ROLES:
        raise ArchiveError(f"Unknown role '{role}': use one of {', '.join(ROLES)}.")
    if len(password) < 8:
        raise ArchiveError("The password must have at least 8 characters.")
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise ArchiveError(f"An account for {email} already exists.")
    user = User(
        email=email, role=role, approved=role != "researcher" if approved is None else approved
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def ensure_admin() -> tuple[User, str | None]:
    """Create the first admin when there is none; return it and a generated password, if any."""
    existing = db.session.scalar(select(User).where(User.role == "admin").limit(1))
    if existing is not None:
        return existing, None
    email = os.environ.get("ARCHIVE_ADMIN_EMAIL", "admin@localhost")
    password = os.environ.get("ARCHIVE_ADMIN_PASSWORD")
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    return create_user(email, password, "admin"), generated


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))
