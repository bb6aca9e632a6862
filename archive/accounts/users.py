"""Researchers register, admins approve them and manage every account: one function each,
called alike by the web pages and ``archive users``.

Every decision is recorded in the audit trail (``user.*`` actions, no item).  An admin
cannot demote or deactivate themself, and nobody can demote or deactivate the last active
admin: the archive always keeps one person who can manage it.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from archive import audit, mail
from archive.accounts import tokens
from archive.db import db
from archive.errors import ArchiveError, NotFound
from archive.i18n import _
from archive.mail import messages
from archive.models import ROLES, LoginAttempt, User, utcnow
from archive.uow import operation

MIN_PASSWORD = 10
#: Marks a registration attempt in the login-attempt table (no email address looks like it).
REGISTRATION = "(registration)"
#: Passwords too common to accept, whatever their length.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890", "0123456789", "1234512345", "1111111111", "0000000000", "qwertyuiop",
        "password12", "password123", "password1234", "passw0rd123", "iloveyou12", "abcdefghij",
        "palestine1", "palestine123", "qwerty1234", "asdfghjkl1", "letmein123", "welcome123",
    }
)  # fmt: skip


def check_password(password: str, confirmation: str | None = None, *, email: str = "") -> None:
    """Refuse a password that is too short, common, the email itself, or not confirmed."""
    if confirmation is not None and password != confirmation:
        raise ArchiveError(_("The two passwords are not the same."))
    if len(password) < MIN_PASSWORD:
        raise ArchiveError(
            _("The password must have at least %(count)s characters.", count=MIN_PASSWORD)
        )
    lowered = password.lower()
    local = email.split("@")[0].lower()
    if (
        lowered in COMMON_PASSWORDS
        or len(set(password)) < 4
        or (email and lowered in (email.lower(), local))
    ):
        raise ArchiveError(_("This password is too easy to guess: choose another."))


def registration_wait(address: str) -> int:
    """0 when ``address`` may register now; otherwise how many seconds it must wait."""
    settings = current_app.config["AUTH"]
    window = timedelta(seconds=int(settings["REGISTER_WINDOW"]))
    count, oldest = db.session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.email == REGISTRATION,
            LoginAttempt.address == address[:64],
            LoginAttempt.at > utcnow() - window,
        )
    ).one()
    if count < int(settings["REGISTER_LIMIT_ADDRESS"]):
        return 0
    return max(1, int((oldest + window - utcnow()).total_seconds()) + 1)


@operation
def count_registration(address: str) -> None:
    """Count one registration attempt from ``address`` (kept a day, like login attempts)."""
    # success=True: a registration must never count as a failed login of that address.
    db.session.add(LoginAttempt(email=REGISTRATION, address=address[:64], success=True))


@operation
def register(
    *,
    name: str,
    email: str,
    password: str,
    confirmation: str,
    affiliation: str,
    purpose: str,
    language: str = "ar",
) -> User | None:
    """A new researcher account, waiting for an admin's approval; the admins are told by
    mail.  ``language`` (ar, en, fr: the one the page was in) is the language of their mail.

    When the email already has an account, nothing is made or changed and None is returned,
    after the same work (a password hashed) and with only a ``user.register-existing``
    event for the admins and a mail to the owner of the address: the caller answers exactly
    as for a new account, so registering never tells anyone who has an account.
    """
    name, affiliation, purpose = name.strip(), affiliation.strip(), purpose.strip()
    email = normal_email(email)
    if not name:
        raise ArchiveError(_("Please give your name."))
    if len(name) > 200:
        raise ArchiveError(_("The name is too long."))
    if not affiliation:
        raise ArchiveError(_("Please give your affiliation (university, institution or none)."))
    if not purpose:
        raise ArchiveError(_("Please say what your research is about."))
    if len(affiliation) > 2000 or len(purpose) > 5000:
        raise ArchiveError(_("The affiliation or the purpose is too long."))
    _check_new_account(email, password, "researcher", confirmation)
    existing = find_user(email)
    if existing is not None:
        generate_password_hash(password, method="scrypt")  # as long as making the account
        audit.record(None, "user.register-existing", reindex=False, email=email)
        messages.registration_existing(existing)
        return None
    user = create_user(
        email,
        password,
        "researcher",
        confirmation=confirmation,
        approved=False,
        name=name,
        affiliation=affiliation,
        purpose=purpose,
        language=mail.language(language),
    )
    audit.record(user, "user.register", reindex=False, email=user.email)
    messages.registration_received(user)
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def by_email(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise NotFound(_("No user %(email)s.", email=normal_email(email)))
    return user


def is_pending(user: User) -> bool:
    """A researcher who registered and waits for an admin."""
    return user.role == "researcher" and not user.approved and user.active


def list_users() -> list[User]:
    """Every account: researchers waiting for approval first (oldest first), then by email."""
    pending = case((User.role == "researcher", case((User.approved, 1), else_=0)), else_=1)
    return list(
        db.session.scalars(
            select(User).order_by(
                case((User.active, pending), else_=2), User.created_at, User.email
            )
        )
    )


def pending_count() -> int:
    return db.session.scalar(
        select(func.count()).where(User.role == "researcher", ~User.approved, User.active)
    )


@operation
def approve(user: User, *, by: User | None) -> User:
    """Let a researcher see the items marked "researchers" (and reactivate them)."""
    if user.role != "researcher":
        raise ArchiveError(
            _("Only researchers need approval; %(email)s is staff.", email=user.email)
        )
    if user.approved and user.active:
        raise ArchiveError(_("%(email)s is already approved.", email=user.email))
    user.approved, user.active = True, True
    user.approved_at, user.approved_by_id = utcnow(), _id(by)
    audit.record(by, "user.approve", reindex=False, email=user.email)
    messages.registration_decided(user, approved=True)
    return user


@operation
def refuse(user: User, *, by: User | None, note: str = "") -> User:
    """Turn down a researcher's registration: the account is deactivated."""
    if not is_pending(user):
        raise ArchiveError(_("%(email)s is not waiting for approval.", email=user.email))
    user.active = False
    _end_sessions(user)
    audit.record(by, "user.refuse", reindex=False, email=user.email, note=note.strip())
    messages.registration_decided(user, approved=False, note=note)
    return user


@operation
def set_role(user: User, role: str, *, by: User | None) -> User:
    """Make ``user`` an admin, an archivist or a researcher."""
    if role not in ROLES:
        raise ArchiveError(_("Unknown role “%(role)s”.", role=role))
    if role == user.role:
        raise ArchiveError(_("%(email)s already has this role.", email=user.email))
    if user.role == "admin":
        _keep_an_admin(user, by, _("You cannot change your own role: ask another admin."))
    before = user.role
    user.role = role
    if role != "researcher" and not user.approved:  # staff need no approval
        user.approved, user.approved_at, user.approved_by_id = True, utcnow(), _id(by)
    audit.record(by, "user.role", reindex=False, email=user.email, role=[before, role])
    return user


@operation
def deactivate(user: User, *, by: User | None) -> User:
    """The account can no longer log in, and its open sessions end at once (for good: they
    do not come back if it is activated again)."""
    if not user.active:
        raise ArchiveError(_("%(email)s is already deactivated.", email=user.email))
    if user.role == "admin":
        _keep_an_admin(user, by, _("You cannot deactivate yourself: ask another admin."))
    user.active = False
    _end_sessions(user)
    audit.record(by, "user.deactivate", reindex=False, email=user.email)
    return user


@operation
def set_language(user: User, language: str) -> User:
    """The language (ar, en, fr) the archive's mail to ``user`` is written in."""
    if language not in mail.LANGUAGES:
        raise ArchiveError(_("Mail can be written in Arabic, English or French."))
    user.language = language
    return user


@operation
def log_out(user: User) -> None:
    """The account logs out: this session and every other one of it, with their remember-me
    cookies, end at once (a copied cookie no longer opens anything)."""
    _end_sessions(user)


@operation
def log_out_everywhere(user: User, *, by: User | None) -> User:
    """End every session and remember-me cookie of ``user`` (an admin's or the owner's
    "Log out everywhere", ``archive users logout``), and revoke every API token of it."""
    _end_sessions(user)
    tokens.revoke_all(user, by=by)
    audit.record(by, "user.logout-everywhere", reindex=False, email=user.email)
    return user


@operation
def change_password(user: User, password: str, *, by: User | None) -> User:
    """Give ``user`` a new password (``archive users password``); every session ends."""
    check_password(password, email=user.email)
    user.set_password(password)
    _end_sessions(user)
    audit.record(by, "user.password", reindex=False, email=user.email)
    return user


def _end_sessions(user: User) -> None:
    # In SQL, not in Python: two processes ending sessions at once both count.
    user.session_version = User.session_version + 1
    db.session.flush()


@operation
def activate(user: User, *, by: User | None) -> User:
    """Let a deactivated account log in again (a refused researcher stays unapproved)."""
    if user.active:
        raise ArchiveError(_("%(email)s is already active.", email=user.email))
    user.active = True
    audit.record(by, "user.activate", reindex=False, email=user.email)
    return user


def _keep_an_admin(user: User, by: User | None, yourself: str) -> None:
    """Refuse to take the role or the account of ``by`` themself, or of the last admin."""
    if by is not None and by.id == user.id:
        raise ArchiveError(yourself)
    others = db.session.scalar(
        select(func.count()).where(User.role == "admin", User.active, User.id != user.id)
    )
    if user.active and not others:
        raise ArchiveError(
            _("%(email)s is the last active admin: make another admin first.", email=user.email)
        )


def _id(user: User | None) -> int | None:
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def to_dict(user: User) -> dict:
    """An account as ``archive users list --json`` prints it."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "approved": bool(user.approved),
        "active": bool(user.active),
        "pending": is_pending(user),
        "affiliation": user.affiliation,
        "purpose": user.purpose,
        "created_at": user.created_at.isoformat(timespec="seconds"),
        "approved_at": user.approved_at.isoformat(timespec="seconds") if user.approved_at else None,
    }


@operation
def create_user(
    email: str,
    password: str,
    role: str,
    *,
    confirmation: str | None = None,
    approved: bool | None = None,
    **fields: str,
) -> User:
    """Create an account, from the registration page and ``archive users create`` alike.

    One password rule (``check_password``) for every account; staff are approved at
    once, researchers wait for an admin unless ``approved``.  ``fields``: name,
    affiliation, purpose.
    """
    email = normal_email(email)
    _check_new_account(email, password, role, confirmation)
    if find_user(email) is not None:
        raise ArchiveError(_("An account for %(email)s already exists: log in.", email=email))
    user = User(
        email=email,
        role=role,
        approved=role != "researcher" if approved is None else approved,
        **fields,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def _check_new_account(email: str, password: str, role: str, confirmation: str | None) -> None:
    """Refuse an address, role or password no account may have (whether or not one exists)."""
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise ArchiveError(_("“%(email)s” is not an email address.", email=email))
    if role not in ROLES:
        raise ArchiveError(_("Unknown role “%(role)s”.", role=role))
    check_password(password, confirmation, email=email)


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


def normal_email(email: str) -> str:
    """One spelling per address: compatibility forms folded (full-width letters), every space
    removed (an address holds none), lower case.  Accounts are stored, found and counted
    by it."""
    return "".join(unicodedata.normalize("NFKC", email).split()).lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normal_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email and password, or None.  A password is hashed
    whether or not such an account exists, so the time taken tells nothing about it."""
    user = find_user(email)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if user.check_password(password) else None


_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash made the way ``User.set_password`` makes them, of a password nobody knows."""
    if not _dummy:
        _dummy.append(generate_password_hash(secrets.token_urlsafe(16), method="scrypt"))
    return _dummy[0]
