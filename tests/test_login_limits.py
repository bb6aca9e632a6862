"""Login attempts are limited per account and per address, counted in the database."""

from __future__ import annotations

from tests.conftest import PASSWORD


def attempt(client, auth, email, password, address="10.0.0.1"):
    token = auth.csrf()
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_an_account_waits_after_five_failures(client, auth):
    for _ in range(5):
        assert attempt(client, auth, "archivist@example.org", "wrong").status_code == 401
    blocked = attempt(client, auth, "archivist@example.org", PASSWORD)  # even the right one
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    # the account is limited from every address; another account is not
    assert attempt(client, auth, "archivist@example.org", PASSWORD, "10.0.0.2").status_code == 429
    assert attempt(client, auth, "admin@example.org", PASSWORD).status_code == 302


def test_an_address_waits_after_twenty_failures(client, auth):
    for number in range(20):
        assert attempt(client, auth, f"nobody{number}@example.org", "wrong").status_code == 401
    assert attempt(client, auth, "admin@example.org", PASSWORD).status_code == 429
    assert attempt(client, auth, "admin@example.org", PASSWORD, "10.0.0.9").status_code == 302


def test_a_success_clears_the_account_count(client, auth):
    for _ in range(4):
        attempt(client, auth, "archivist@example.org", "wrong")
    assert attempt(client, auth, "archivist@example.org", PASSWORD).status_code == 302
    auth.logout()
    for _ in range(4):
        assert attempt(client, auth, "archivist@example.org", "wrong").status_code == 401
    assert attempt(client, auth, "archivist@example.org", PASSWORD).status_code == 302


def test_the_count_holds_across_app_instances(app, client, auth):
    """Another process (here: another app on the same database) sees the same count."""
    from archive import create_app

    for _ in range(5):
        attempt(client, auth, "archivist@example.org", "wrong")
    other = create_app({"INSTANCE_PATH": app.instance_path, "TESTING": True, "SECRET_KEY": "test",
                        "QUEUE": {"IMMEDIATE": True},
                        "DATABASE_URL": app.config["DATABASE_URL"]})  # fmt: skip
    with other.test_client() as second:
        from tests.conftest import Auth

        response = attempt(second, Auth(second), "archivist@example.org", PASSWORD)
        assert response.status_code == 429
    with other.app_context():
        from archive.db import db

        db.session.remove()
        db.engine.dispose()
