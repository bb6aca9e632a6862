"""Nobody learns from the login or the registration page whether an email has an account:
a failed login hashes a password whether or not the account exists (or is active), and a
registration answers the same whether or not the email is taken."""

from __future__ import annotations

import hashlib
import re
import statistics
import time

import pytest
from sqlalchemy import func, select

from archive.accounts import users
from archive.db import db
from archive.models import AuditEvent, User
from tests.conftest import PASSWORD, Auth
from tests.test_accounts import GOOD, register


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Counts the calls of the real password hasher, which still does all its work."""
    calls = []
    real = hashlib.scrypt

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    return calls


@pytest.fixture
def no_limits(app):
    app.config["AUTH"].update(LOGIN_LIMIT_ACCOUNT=1000, LOGIN_LIMIT_ADDRESS=1000)


def deactivated(app, email: str) -> None:
    with app.app_context():
        users.deactivate(users.by_email(email), by=None)


def failed_login(client, email: str, password: str = "a wrong password") -> int:
    return Auth(client).login(email, password).status_code


def test_every_failed_login_hashes_a_password(app, client, no_limits, scrypt_calls):
    deactivated(app, "researcher@example.org")
    failed_login(client, "nobody@example.org")  # the dummy hash is made once per process
    cases = {
        "wrong password": ("archivist@example.org", "a wrong password", 401),
        "unknown account": ("nobody@example.org", "a wrong password", 401),
        "inactive account": ("researcher@example.org", PASSWORD, 401),
        "right password": ("admin@example.org", PASSWORD, 302),
    }
    for case, (email, password, status) in cases.items():
        scrypt_calls.clear()
        assert failed_login(app.test_client(), email, password) == status, case
        assert len(scrypt_calls) == 1, case


def test_unknown_and_known_accounts_take_as_long(app, client, no_limits):
    """Measured side by side, alternating, repeated: the medians are close (generous bound,
    as the machine is shared; before, an unknown account answered about ten times faster)."""
    failed_login(client, "nobody@example.org")
    times: dict[str, list[float]] = {"archivist@example.org": [], "nobody@example.org": []}
    for _ in range(5):
        for email, measured in times.items():
            started = time.perf_counter()
            assert failed_login(client, email) == 401
            measured.append(time.perf_counter() - started)
    known, unknown = (statistics.median(measured) for measured in times.values())
    assert 0.5 < unknown / known < 2, (known, unknown)


def login_page_without_tokens(client) -> str:
    page = client.get("/login?lang=en").get_data(as_text=True)
    return re.sub(r'(name="csrf[-_]token" (?:content|value)=)"[^"]+"', r"\1", page)


def answer(app, email: str) -> tuple:
    """What a visitor registering ``email`` sees: the answer, then the page it leads to."""
    client = app.test_client()
    response = register(client, Auth(client), email=email)
    return (
        response.status_code,
        response.headers.get("Location"),
        response.get_data(as_text=True),
        login_page_without_tokens(client),
        client.get("/account").status_code,
    )


def test_registering_a_taken_email_answers_as_for_a_new_one(app, scrypt_calls):
    with app.app_context():
        before = db.session.scalar(select(User).where(User.email == "researcher@example.org"))
        before = (before.password_hash, before.name, before.session_version, before.approved)
        accounts = db.session.scalar(select(func.count()).select_from(User))
    scrypt_calls.clear()
    new = answer(app, "layla@example.org")
    hashed_for_new = len(scrypt_calls)
    scrypt_calls.clear()
    taken = answer(app, "researcher@example.org")
    assert hashed_for_new == len(scrypt_calls) == 1  # the same work, the same time
    assert taken == new
    status, location, _, page, account = taken
    assert (status, location, account) == (302, "/login", 302)  # nobody is logged in
    assert "your registration is received" in page
    assert answer(app, " Researcher@EXAMPLE.org ") == new  # nor with another spelling

    with app.app_context():
        after = db.session.scalar(select(User).where(User.email == "researcher@example.org"))
        assert (after.password_hash, after.name, after.session_version, after.approved) == before
        assert db.session.scalar(select(func.count()).select_from(User)) == accounts + 1
        events = [(e.action, e.details) for e in db.session.scalars(select(AuditEvent))]
    assert events.count(("user.register-existing", {"email": "researcher@example.org"})) == 2
    # the owner still logs in with their own password, not the one just typed
    assert failed_login(app.test_client(), "researcher@example.org", GOOD) == 401
    assert failed_login(app.test_client(), "researcher@example.org", PASSWORD) == 302
