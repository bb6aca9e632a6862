"""Cookies are Secure over https (directly or behind a trusted proxy), HttpOnly and SameSite;
X-Forwarded-* headers count only when the archive is told a proxy sends them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from archive import create_app, migrate
from archive.accounts.users import create_user
from archive.db import db
from archive.models import LoginAttempt
from tests.conftest import PASSWORD


def make_app(tmp_path, proxies: int):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "TESTING": True,
            "SECRET_KEY": "test",
            "QUEUE": {"IMMEDIATE": True},
            "SERVER": {"WORKERS": 1, "THREADS": 1, "PROXIES": proxies},
        }
    )
    with app.app_context():
        migrate.upgrade()
        create_user("archivist@example.org", PASSWORD, "archivist")
        db.session.remove()
    return app


def log_in(client, base_url: str, headers: dict | None = None):
    page = client.get("/login", base_url=base_url, headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # as a browser does: over https Flask-WTF checks that the form came from this site
    headers = {**(headers or {}), "Referer": "https://localhost/login"}
    return client.post(
        "/login",
        base_url=base_url,
        headers=headers,
        data={
            "email": "archivist@example.org",
            "password": PASSWORD,
            "remember": "1",
            "csrf_token": token,
        },
    )


def cookies(response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize(
    ("proxies", "base_url", "headers", "secure"),
    [
        (0, "https://localhost", None, True),
        (0, "http://localhost", None, False),
        (0, "http://localhost", {"X-Forwarded-Proto": "https"}, False),  # not trusted
        (1, "http://localhost", {"X-Forwarded-Proto": "https"}, True),  # behind a proxy
    ],
)
def test_cookies_are_secure_over_https_only(tmp_path, proxies, base_url, headers, secure):
    app = make_app(tmp_path, proxies)
    client = app.test_client()
    response = log_in(client, base_url, headers)
    assert response.status_code == 302, response.get_data(as_text=True)[-400:]
    sent = cookies(response)
    assert {"session", "remember_token"} <= set(sent)
    for name in ("session", "remember_token"):
        attributes = sent[name].lower()
        assert "httponly" in attributes and "samesite=lax" in attributes
        assert ("; secure" in attributes) is secure
    language = cookies(client.get("/?lang=en", base_url=base_url, headers=headers))["lang"]
    assert ("; secure" in language.lower()) is secure


@pytest.mark.parametrize(("proxies", "recorded"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_the_login_limit_counts_the_address_a_trusted_proxy_names(tmp_path, proxies, recorded):
    app = make_app(tmp_path, proxies)
    client = app.test_client()
    log_in(client, "http://localhost", {"X-Forwarded-For": "203.0.113.9"})
    with app.app_context():
        addresses = set(db.session.scalars(select(LoginAttempt.address)))
    assert addresses == {recorded}
