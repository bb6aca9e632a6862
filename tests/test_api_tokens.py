"""Personal API tokens: made and revoked on /account, shown once, kept hashed, named and
scoped, audited, with a last-used date; stopped by revocation, deactivation and "Log out
everywhere" (not by an ordinary logout)."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta

from sqlalchemy import inspect, select, text

from archive.accounts import tokens
from archive.accounts.users import activate, deactivate, find_user
from archive.db import db
from archive.models import ApiToken, AuditEvent
from tests.api_world import bearer, token

SECRET_RE = re.compile(r"pma_[A-Za-z0-9_-]{43}")


def make_on_the_page(client, auth, name="my script", scope="read"):
    return client.post(
        "/account/tokens", data={"name": name, "scope": scope, "csrf_token": auth.csrf("/account")}
    )


def whole_database(app) -> str:
    """Every value of every table, as text."""
    with app.app_context():
        names = inspect(db.engine).get_table_names()
        dumped = []
        for name in list(names):
            dumped += [
                repr(tuple(row)) for row in db.session.execute(text(f'SELECT * FROM "{name}"'))
            ]
        return "\n".join(dumped)


def test_a_token_is_shown_once_and_kept_as_a_hash(app, client, auth):
    auth.login("archivist@example.org")
    made = make_on_the_page(client, auth, "كشاف الفهرس", "read-write")
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    page = made.get_data(as_text=True)
    secrets_shown = SECRET_RE.findall(page)
    assert len(secrets_shown) == 1
    secret = secrets_shown[0]
    assert "كشاف الفهرس" in page
    later = client.get("/account").get_data(as_text=True)
    assert secret not in later and secret[:12] in later  # the prefix tells it apart
    assert secret not in whole_database(app)
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert stored.scope == "read-write" and stored.name == "كشاف الفهرس"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "token.create"))
        assert event.user_id == stored.user_id and event.details["scope"] == "read-write"
    answer = client.get("/api/v1/items", headers=bearer(secret))
    assert answer.status_code == 200


def test_a_researcher_makes_read_tokens_only(app, client, auth):
    auth.login("researcher@example.org")
    client.get("/?lang=en")  # the message is flashed in the language of the POST
    refused = make_on_the_page(client, auth, "write", "read-write")
    assert refused.status_code == 302
    assert "Only archivists and admins" in client.get("/account?lang=en").get_data(as_text=True)
    page = client.get("/account").get_data(as_text=True)
    assert 'value="read-write"' not in page  # not offered either
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None
    assert SECRET_RE.search(make_on_the_page(client, auth, "read").get_data(as_text=True))


def test_making_a_token_needs_a_fresh_login(app, client, auth):
    auth.login("archivist@example.org")
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 3 * 3600
    stale = make_on_the_page(client, auth)
    assert stale.status_code == 302 and "/reauth" in stale.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_revoking_stops_the_token_and_only_its_owner_may(app, client, auth):
    auth.login("researcher@example.org")
    secret = SECRET_RE.search(make_on_the_page(client, auth).get_data(as_text=True)).group()
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    other = app.test_client()
    from tests.conftest import Auth

    Auth(other).login("archivist@example.org")
    theirs = other.post(f"/account/tokens/{token_id}/revoke",
                        data={"csrf_token": Auth(other).csrf("/account")})  # fmt: skip
    assert theirs.status_code == 404
    assert client.get("/api/v1/items", headers=bearer(secret)).status_code == 200
    done = client.post(f"/account/tokens/{token_id}/revoke",
                       data={"csrf_token": auth.csrf("/account")})  # fmt: skip
    assert done.status_code == 302
    revoked = client.get("/api/v1/items", headers=bearer(secret))
    assert revoked.status_code == 401 and revoked.content_type == "application/problem+json"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoke"))
        assert event.details["token"] == token_id


def test_a_deactivated_account_s_tokens_stop_working(app, client):
    secret = token(app, "researcher")
    assert client.get("/api/v1/items", headers=bearer(secret)).status_code == 200
    with app.app_context():
        deactivate(find_user("researcher@example.org"), by=find_user("admin@example.org"))
    assert client.get("/api/v1/items", headers=bearer(secret)).status_code == 401
    with app.app_context():  # documented: they work again once the account is active again
        activate(find_user("researcher@example.org"), by=find_user("admin@example.org"))
    assert client.get("/api/v1/items", headers=bearer(secret)).status_code == 200


def test_log_out_everywhere_revokes_tokens_a_plain_logout_does_not(app, client, auth):
    kept = token(app, "archivist", "read-write")
    auth.login("archivist@example.org")
    auth.logout()
    assert client.get("/api/v1/items", headers=bearer(kept)).status_code == 200
    auth.login("archivist@example.org")
    client.post("/account/logout-everywhere", data={"csrf_token": auth.csrf("/account")})
    assert client.get("/api/v1/items", headers=bearer(kept)).status_code == 401
    with app.app_context():
        assert all(t.revoked_at is not None for t in db.session.scalars(select(ApiToken)))


def test_last_use_is_written_at_most_once_a_minute(app, client):
    secret = token(app, "researcher")

    def last_used():
        with app.app_context():
            return db.session.scalar(select(ApiToken.last_used_at))

    assert last_used() is None
    client.get("/api/v1/items", headers=bearer(secret))
    first = last_used()
    assert first is not None
    client.get("/api/v1/tags", headers=bearer(secret))
    assert last_used() == first  # within the minute: not written again
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        stored.last_used_at = first - timedelta(minutes=2)
        db.session.commit()
    client.get("/api/v1/items", headers=bearer(secret))
    assert last_used() > first - timedelta(minutes=2)


def test_tokens_are_named_listed_and_limited(app, client, auth):
    with app.app_context():
        user = find_user("researcher@example.org")
        for n in range(tokens.MAX_ACTIVE):
            tokens.create(user, f"script {n}")
        import pytest

        with pytest.raises(Exception, match="revoke one first"):
            tokens.create(user, "one too many")
        with pytest.raises(Exception, match="name"):
            tokens.create(find_user("admin@example.org"), "   ")
    auth.login("researcher@example.org")
    page = client.get("/account").get_data(as_text=True)
    assert all(f"script {n}" in page for n in range(tokens.MAX_ACTIVE))
