"""Researchers register and wait for approval; admins manage users on the web and in the CLI;
staff changes need a fresh login."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from archive.accounts.login import LOGIN_AT
from archive.cli.records import (
    users_activate,
    users_approve,
    users_deactivate,
    users_list,
    users_role,
)
from archive.db import db
from archive.models import AuditEvent, Item, User
from tests.conftest import PASSWORD
from tests.test_search_api import make

GOOD = "olive trees of jenin"


def register(client, auth, address="10.1.0.1", **fields):
    data = {
        "name": "ليلى الباحثة",
        "email": "layla@example.org",
        "password": GOOD,
        "password2": GOOD,
        "affiliation": "جامعة بيرزيت",
        "purpose": "دراسة أدب السجون",
    }
    data.update(fields)
    data["csrf_token"] = auth.csrf("/register")
    return client.post("/register?lang=en", data=data, environ_base={"REMOTE_ADDR": address})


def user(app, email) -> User:
    with app.app_context():
        found = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge_all()
        return found


def actions(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(e.action, e.details) for e in db.session.scalars(select(AuditEvent))]


def post(client, auth, url, **data):
    data["csrf_token"] = auth.csrf("/")
    return client.post(url, data=data)


@pytest.fixture
def researchers_item(app):
    with app.app_context():
        make("RES-7", title="شهادة للباحثين عن عسقلان", access="researchers", text=["عسقلان"])


def test_registration_makes_a_pending_researcher_who_sees_what_the_public_sees(
    app, client, auth, researchers_item
):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert 'href="/register"' in page
    response = register(client, auth)
    # nobody is logged in by registering (the answer is the same for a known address)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/account").status_code == 302
    assert auth.login("layla@example.org", GOOD).status_code == 302
    layla = user(app, "layla@example.org")
    assert layla.role == "researcher" and not layla.approved and layla.active
    assert layla.name == "ليلى الباحثة" and layla.affiliation == "جامعة بيرزيت"
    assert layla.purpose == "دراسة أدب السجون"
    assert ("user.register", {"email": "layla@example.org"}) in actions(app)

    account = client.get("/account?lang=en").get_data(as_text=True)
    assert "waiting for an admin" in account and "layla@example.org" in account
    assert client.get("/items/RES-7").status_code == 404
    assert client.get("/api/search?q=عسقلان").get_json()["total"] == 0

    # an admin approves: the "researchers" item opens to her, in every channel
    client2 = app.test_client()
    from tests.conftest import Auth

    admin = Auth(client2)
    admin.login("admin@example.org")
    listing = client2.get("/manage/users?lang=en").get_data(as_text=True)
    assert listing.index("layla@example.org") < listing.index("researcher@example.org")
    assert "Waiting for approval" in listing
    done = post(client2, admin, f"/manage/users/{layla.id}/approve")
    assert done.status_code == 302
    approved = user(app, "layla@example.org")
    assert approved.approved and approved.approved_by_id == user(app, "admin@example.org").id
    assert client.get("/items/RES-7").status_code == 200
    assert client.get("/api/search?q=عسقلان").get_json()["total"] == 1
    assert "waiting for an admin" not in client.get("/account?lang=en").get_data(as_text=True)
    assert ("user.approve", {"email": "layla@example.org"}) in actions(app)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"password2": "olive trees of jenim"}, "The two passwords are not the same."),
        ({"password": "short", "password2": "short"}, "at least 10 characters"),
        ({"password": "1234567890", "password2": "1234567890"}, "too easy to guess"),
        ({"password": "aaaaaaaaaaaa", "password2": "aaaaaaaaaaaa"}, "too easy to guess"),
        ({"email": "not-an-address"}, "is not an email address"),
        ({"name": "  "}, "Please give your name."),
        ({"purpose": ""}, "Please say what your research is about."),
    ],
)
def test_bad_registrations_are_refused_with_a_reason(app, client, auth, fields, message):
    before = user(app, "layla@example.org")
    response = register(client, auth, **fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in body
    assert before is None and user(app, "layla@example.org") is None
    # what was typed (but never the password) comes back in the form
    assert "جامعة بيرزيت" in body and GOOD not in body


def test_registrations_are_limited_per_address(app, client, auth):
    app.config["AUTH"]["REGISTER_LIMIT_ADDRESS"] = 3
    for number in range(3):
        assert register(client, auth, email=f"r{number}@x.org", password2="no").status_code == 400
    blocked = register(client, auth, email="late@example.org")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert user(app, "late@example.org") is None
    assert register(client, auth, address="10.1.0.2").status_code == 302  # another address
    # and the registrations never count as failed logins of that address
    assert auth.login("admin@example.org").status_code == 302


def test_archivists_cannot_manage_users(app, client, auth):
    researcher = user(app, "researcher@example.org")
    assert client.get("/manage/users").status_code == 302  # anonymous: log in first
    auth.login("archivist@example.org")
    assert client.get("/manage/users").status_code == 403
    assert client.get("/manage/access-requests").status_code == 403
    assert post(client, auth, f"/manage/users/{researcher.id}/deactivate").status_code == 403
    assert user(app, "researcher@example.org").active
    assert "/manage/users" not in client.get("/").get_data(as_text=True)


def test_role_changes_and_the_admin_cannot_demote_or_deactivate_themself(app, client, auth):
    admin, archivist = user(app, "admin@example.org"), user(app, "archivist@example.org")
    client.set_cookie("lang", "en")  # the messages are flashed in the language of the POST
    auth.login("admin@example.org")
    post(client, auth, f"/manage/users/{archivist.id}/role", role="researcher")
    assert user(app, "archivist@example.org").role == "researcher"
    assert (
        "user.role",
        {"email": "archivist@example.org", "role": ["archivist", "researcher"]},
    ) in actions(app)
    post(client, auth, f"/manage/users/{archivist.id}/role", role="admin")
    assert user(app, "archivist@example.org").role == "admin"
    done = client.get("/manage/users").get_data(as_text=True)
    assert "archivist@example.org now has the role Admin." in done  # the label, not the code

    refused = post(client, auth, f"/manage/users/{admin.id}/role", role="archivist")
    assert refused.status_code == 302
    page = client.get("/manage/users?lang=en").get_data(as_text=True)
    assert "You cannot change your own role" in page
    assert user(app, "admin@example.org").role == "admin"
    post(client, auth, f"/manage/users/{admin.id}/deactivate")
    assert "You cannot deactivate yourself" in client.get("/?lang=en").get_data(as_text=True)
    assert user(app, "admin@example.org").active


def test_a_deactivated_account_is_logged_out_at_once(app, client, auth):
    researcher = user(app, "researcher@example.org")
    auth.login("researcher@example.org")
    assert "researcher@example.org" in client.get("/").get_data(as_text=True)
    other = app.test_client()
    from tests.conftest import Auth

    admin = Auth(other)
    admin.login("admin@example.org")
    post(other, admin, f"/manage/users/{researcher.id}/deactivate")
    assert "researcher@example.org" not in client.get("/").get_data(as_text=True)
    assert auth.login("researcher@example.org").status_code == 401
    post(other, admin, f"/manage/users/{researcher.id}/activate")
    assert auth.login("researcher@example.org").status_code == 302
    assert [a for a, _ in actions(app)][-2:] == ["user.deactivate", "user.activate"]


def test_cli_lists_approves_and_changes_accounts(app, client, auth, runner):
    register(client, auth)
    listed = runner.invoke(users_list, ["--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert rows[0]["email"] == "layla@example.org" and rows[0]["pending"]
    assert {r["email"] for r in rows} >= {"admin@example.org", "archivist@example.org"}
    plain = runner.invoke(users_list)
    assert plain.output.splitlines()[0].startswith("layla@example.org")
    assert "pending" in plain.output.splitlines()[0]

    assert runner.invoke(users_approve, ["Layla@Example.org"]).exit_code == 0
    assert user(app, "layla@example.org").approved
    again = runner.invoke(users_approve, ["layla@example.org"])
    assert again.exit_code != 0 and "already approved" in again.output

    assert runner.invoke(users_role, ["layla@example.org", "archivist"]).exit_code == 0
    assert user(app, "layla@example.org").role == "archivist"
    assert runner.invoke(users_deactivate, ["layla@example.org"]).exit_code == 0
    assert not user(app, "layla@example.org").active
    assert runner.invoke(users_activate, ["layla@example.org"]).exit_code == 0
    assert user(app, "layla@example.org").active

    last = runner.invoke(users_role, ["admin@example.org", "researcher"])
    assert last.exit_code != 0 and "last active admin" in last.output
    last = runner.invoke(users_deactivate, ["admin@example.org"])
    assert last.exit_code != 0 and "last active admin" in last.output
    missing = runner.invoke(users_approve, ["nobody@example.org"])
    assert missing.exit_code != 0 and "No user nobody@example.org" in missing.output
    assert user(app, "admin@example.org").role == "admin"


# --- fresh login --------------------------------------------------------------------------


def age_login(client, minutes: float) -> None:
    with client.session_transaction() as session:
        session[LOGIN_AT] = int(time.time() - minutes * 60)


def test_staff_changes_need_a_fresh_login(app, client, auth):
    with app.app_context():
        make("PUB-9", title="قصيدة", status="draft")
    client.set_cookie("lang", "en")
    auth.login("archivist@example.org")
    token = auth.csrf("/manage/items/PUB-9")
    age_login(client, 31)
    assert client.get("/manage/items/PUB-9").status_code == 200  # pages stay reachable
    response = client.post(
        "/manage/items/PUB-9/publish",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/manage/items/PUB-9"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/reauth?next=/manage/items/PUB-9"
    with app.app_context():
        assert db.session.scalar(select(Item.status).where(Item.identifier == "PUB-9")) == "draft"

    # scripts (the upload page's XHR) get 401 with a reason instead of a redirect
    xhr = client.post(
        "/manage/upload", data=b"x", headers={"X-CSRFToken": token, "Accept": "application/json"}
    )
    assert xhr.status_code == 401 and "password again" in xhr.get_json()["error"]

    page = client.get("/reauth?next=/manage/items/PUB-9&lang=en")
    assert page.status_code == 200 and "Confirm your password" in page.get_data(as_text=True)
    wrong = client.post(
        "/reauth?next=/manage/items/PUB-9", data={"password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == 401
    right = client.post(
        "/reauth?next=/manage/items/PUB-9", data={"password": PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 302 and right.headers["Location"] == "/manage/items/PUB-9"
    assert client.post("/manage/items/PUB-9/publish", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Item.status).where(Item.identifier == "PUB-9")) == (
            "published"
        )


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
def test_reauth_never_sends_you_off_site(client, auth, target):
    auth.login("admin@example.org")
    age_login(client, 60)
    token = auth.csrf("/")
    response = client.post(
        f"/reauth?next={target}", data={"password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_admin_actions_need_a_fresh_login_too(app, client, auth):
    researcher = user(app, "researcher@example.org")
    auth.login("admin@example.org")
    age_login(client, 45)
    response = post(client, auth, f"/manage/users/{researcher.id}/deactivate")
    assert response.status_code == 302 and response.headers["Location"].startswith("/reauth?")
    assert user(app, "researcher@example.org").active
    # a session restored without a login time (remember-me) is never fresh
    with client.session_transaction() as session:
        session.pop(LOGIN_AT)
    assert post(client, auth, f"/manage/users/{researcher.id}/deactivate").status_code == 302
    assert user(app, "researcher@example.org").active
    # the limit is a setting: 45 minutes is fresh enough under FRESH_LOGIN_MINUTES = 60
    age_login(client, 45)
    app.config["AUTH"]["FRESH_LOGIN_MINUTES"] = 60
    assert post(client, auth, f"/manage/users/{researcher.id}/deactivate").status_code == 302
    assert not user(app, "researcher@example.org").active


def test_every_state_changing_staff_route_asks_for_a_fresh_login(app, client, auth):
    """Walks the app's own routes, so a new staff route cannot be forgotten."""
    auth.login("admin@example.org")
    token = auth.csrf("/")
    age_login(client, 31)
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/manage") or not rule.methods & {"POST", "PUT", "DELETE"}:
            continue
        url = rule.rule
        for name, converter in rule._converters.items():
            value = "1" if isinstance(converter, IntegerConverter) else "X-1"
            url = url.replace(f"<int:{name}>", value).replace(f"<{name}>", value)
        for method in sorted(rule.methods & {"POST", "PUT", "DELETE"}):
            if url.startswith("/manage/tus/"):  # a protocol for scripts: no page to send to
                headers = {"Tus-Resumable": "1.0.0", "X-CSRFToken": token, "Upload-Length": "1"}
                response = client.open(url, method=method, headers=headers)
                assert response.status_code == 401, (url, response.status_code)
                checked.append(url)
                continue
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (url, response.status_code)
            assert response.headers["Location"].startswith("/reauth?next="), url
            as_script = client.open(
                url,
                method=method,
                data={"csrf_token": token},
                headers={"Accept": "application/json"},
            )
            assert as_script.status_code == 401, url
            checked.append(url)
    assert "/manage/upload" in checked and "/manage/users/1/X-1" in checked
    assert "/manage/tus/" in checked
    assert len(checked) >= 15
