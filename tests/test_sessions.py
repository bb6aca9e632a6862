"""Sessions end on the server: a copy of a session or remember-me cookie taken before a
logout, a deactivation, a new password or "Log out everywhere" opens nothing afterwards, in
any client, and every other session of the account ends with it.

Cookies are copied out of one test client and replayed in a fresh one, as a thief would,
never left in the client that logged out (whose own jar the logout empties)."""

from __future__ import annotations

from sqlalchemy import select

from archive.accounts import login
from archive.cli.records import users_logout, users_password
from archive.db import db
from archive.models import AuditEvent, Item, User
from tests.conftest import PASSWORD, Auth
from tests.test_search_api import make

ACCOUNT = "/account"


def logged_in(app, email, *, remember=False):
    """A fresh client logged in as ``email`` through the real form."""
    client = app.test_client()
    auth = Auth(client)
    token = auth.csrf()
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "1"
    assert client.post("/login", data=data).status_code == 302
    return client, auth


def copy_of(client, *names: str) -> dict[str, str]:
    """The values of the client's cookies ``names``, as a thief would copy them."""
    return {name: client.get_cookie(name).value for name in names}


def replayed(app, cookies: dict[str, str]):
    """A fresh client holding nothing but the copied cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def opens_account(client) -> bool:
    return client.get(ACCOUNT).status_code == 200


def user_id(app, email) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def test_a_copied_session_cookie_ends_with_the_logout(app):
    client, auth = logged_in(app, "researcher@example.org")
    stolen = copy_of(client, "session")
    assert opens_account(replayed(app, stolen))  # the copy works while the session lives
    assert auth.logout().status_code == 302
    thief = replayed(app, stolen)
    response = thief.get(ACCOUNT)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_copied_archivist_cookie_can_neither_read_nor_change_after_the_logout(app):
    with app.app_context():
        make("SES-1", title="شهادة عن سجن عسقلان")
    client, auth = logged_in(app, "archivist@example.org")
    token = auth.csrf("/manage/items/SES-1")  # a form's CSRF token, as the page held it
    stolen = copy_of(client, "session")
    auth.logout()
    thief = replayed(app, stolen)
    assert thief.get("/manage/").status_code == 302
    assert thief.get("/manage/items/SES-1").status_code == 302
    refused = thief.post("/manage/items/SES-1/unpublish", data={"csrf_token": token})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    script = thief.post(
        "/manage/items/SES-1/unpublish",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert script.status_code == 401
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == "SES-1"))
        assert item.status == "published"


def test_the_remember_me_cookie_alone_ends_with_the_logout(app):
    client, auth = logged_in(app, "researcher@example.org", remember=True)
    stolen = copy_of(client, "remember_token")
    assert opens_account(replayed(app, stolen))  # alone, it logs back in while it lives
    auth.logout()
    assert not opens_account(replayed(app, stolen))


def test_a_logout_ends_the_other_sessions_of_the_account(app):
    laptop, laptop_auth = logged_in(app, "researcher@example.org", remember=True)
    phone, _ = logged_in(app, "researcher@example.org", remember=True)
    other_account, _ = logged_in(app, "archivist@example.org")
    laptop_auth.logout()
    assert not opens_account(phone)
    assert opens_account(other_account)  # only that account's sessions end
    # and logging in again works, with new cookies
    phone_again, _ = logged_in(app, "researcher@example.org")
    assert opens_account(phone_again)


def test_deactivation_ends_every_session_for_good(app):
    laptop, _ = logged_in(app, "researcher@example.org", remember=True)
    phone, _ = logged_in(app, "researcher@example.org")
    stolen = copy_of(laptop, "session", "remember_token")
    remember_only = {"remember_token": stolen["remember_token"]}
    admin, admin_auth = logged_in(app, "admin@example.org")
    researcher = user_id(app, "researcher@example.org")
    token = admin_auth.csrf("/manage/users")
    admin.post(f"/manage/users/{researcher}/deactivate", data={"csrf_token": token})
    for client in (laptop, phone, replayed(app, stolen), replayed(app, remember_only)):
        assert not opens_account(client)
    # activated again, the account logs in anew; the old cookies stay dead
    admin.post(f"/manage/users/{researcher}/activate", data={"csrf_token": token})
    assert not opens_account(replayed(app, stolen))
    assert not opens_account(replayed(app, remember_only))
    assert opens_account(logged_in(app, "researcher@example.org")[0])


def test_an_admin_logs_an_account_out_everywhere(app):
    laptop, _ = logged_in(app, "archivist@example.org", remember=True)
    phone, _ = logged_in(app, "archivist@example.org")
    stolen = copy_of(laptop, "session", "remember_token")
    admin, admin_auth = logged_in(app, "admin@example.org")
    archivist = user_id(app, "archivist@example.org")
    listing = admin.get("/manage/users?lang=en").get_data(as_text=True)
    assert f'action="/manage/users/{archivist}/logout"' in listing
    token = admin_auth.csrf("/manage/users")
    done = admin.post(f"/manage/users/{archivist}/logout", data={"csrf_token": token})
    assert done.status_code == 302
    for client in (laptop, phone, replayed(app, stolen)):
        assert not opens_account(client)
        assert client.get("/manage/").status_code == 302
    assert not opens_account(replayed(app, {"remember_token": stolen["remember_token"]}))
    assert opens_account(admin)  # the admin's own session goes on
    with app.app_context():
        events = [(e.action, e.details) for e in db.session.scalars(select(AuditEvent))]
    assert ("user.logout-everywhere", {"email": "archivist@example.org"}) in events


def test_log_out_everywhere_from_ones_own_account_page(app):
    laptop, laptop_auth = logged_in(app, "researcher@example.org", remember=True)
    phone, _ = logged_in(app, "researcher@example.org", remember=True)
    stolen = copy_of(phone, "session", "remember_token")
    page = laptop.get("/account?lang=en").get_data(as_text=True)
    assert 'action="/account/logout-everywhere"' in page and "Log out everywhere" in page
    token = laptop_auth.csrf(ACCOUNT)
    done = laptop.post("/account/logout-everywhere", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].startswith("/login")
    for client in (laptop, phone, replayed(app, stolen)):
        assert not opens_account(client)


def test_the_cli_ends_sessions_and_changes_passwords(app, runner):
    client, _ = logged_in(app, "archivist@example.org", remember=True)
    stolen = copy_of(client, "session", "remember_token")
    result = runner.invoke(users_logout, [" Archivist@Example.org "])
    assert result.exit_code == 0, result.output
    assert not opens_account(client) and not opens_account(replayed(app, stolen))

    client, _ = logged_in(app, "archivist@example.org", remember=True)
    stolen = copy_of(client, "session", "remember_token")
    new = "a new long passphrase"
    result = runner.invoke(users_password, ["archivist@example.org"], input=new + "\n")
    assert result.exit_code == 0, result.output
    assert not opens_account(client) and not opens_account(replayed(app, stolen))
    fresh = app.test_client()
    assert Auth(fresh).login("archivist@example.org", PASSWORD).status_code == 401
    assert Auth(fresh).login("archivist@example.org", new).status_code == 302
    too_short = runner.invoke(users_password, ["archivist@example.org"], input="short\n")
    assert too_short.exit_code != 0 and "at least 10 characters" in too_short.output
    unknown = runner.invoke(users_logout, ["nobody@example.org"])
    assert unknown.exit_code != 0


def test_the_user_loader_refuses_old_forged_and_huge_ids(app):
    researcher = user_id(app, "researcher@example.org")
    with app.app_context():
        version = db.session.get(User, researcher).session_version
        assert login._load_user(f"{researcher}:{version}") is not None
        for value in (
            str(researcher),  # a cookie made before session versions
            f"{researcher}:{version - 1}",
            f"{researcher}:{version + 1}",
            f"{researcher}:",
            f"{'9' * 30}:1",
            f"{researcher}:{'9' * 30}",
            f"{researcher}:٣",  # an Arabic-Indic digit is not a version
            "x:1",
            "",
        ):
            assert login._load_user(value) is None, value
