"""Fixtures on real things: a temporary instance folder with a real SQLite database,
real media made with ffmpeg, and the real operations to fill the catalogue."""

from __future__ import annotations

import re

import pytest

from archive import create_app, migrate
from archive.accounts.users import create_user
from archive.db import db

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "TESTING": True,
            "SECRET_KEY": "test",
            "QUEUE": {"IMMEDIATE": True},
        }
    )
    with app.app_context():
        migrate.upgrade()
        create_user("admin@example.org", PASSWORD, "admin")
        create_user("archivist@example.org", PASSWORD, "archivist")
        create_user("researcher@example.org", PASSWORD, "researcher", approved=True)
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    """Logs in through the real login form, CSRF token and all."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', page)
        return found.group(1)

    def login(self, email: str = "archivist@example.org", password: str = PASSWORD):
        token = self.csrf()
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf("/")})


@pytest.fixture
def auth(client):
    return Auth(client)
