"""A researcher asks for a staff-only item by its identifier; an admin grants it until a date;
the grant opens that item to that researcher in every channel, and nothing else, until it
expires, is revoked, or the item is embargoed or unpublished."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from archive.access import grants
from archive.accounts.users import create_user
from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.cli.instance import reindex
from archive.db import db
from archive.models import AccessRequest, AuditEvent, Item, User, utcnow
from tests.conftest import PASSWORD, Auth
from tests.test_leaks import without_tokens
from tests.test_publishing import fetch
from tests.test_search_api import make
from tests.test_upload import make_tone, upload

TITLE = "شهادة مقيدة عن سجن عسقلان"
WORD = "عسقلان"
NARRATOR = "سامي الأسير"


@pytest.fixture
def hidden(app, client, auth, tmp_path, catalogues):
    """A published, staff-only item with a recording and a transcript, and another researcher
    (made once: each test gets its own copy)."""
    return catalogues.get("grants-hidden", app, lambda: make_hidden(app, client, auth, tmp_path))


def make_hidden(app, client, auth, tmp_path) -> dict:
    auth.login("archivist@example.org")
    token = auth.csrf("/manage/upload")
    identifier = upload(client, token, make_tone(tmp_path / "t.wav")).get_json()["results"][0]
    identifier = identifier["item"]
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == identifier))
        items.describe(item, {"title": TITLE, "access": "staff", "narrators": NARRATOR}, user=None)
        segment = ParsedSegment(start=0.0, end=2.5, text=f"كنا في {WORD} في الشتاء الطويل")
        record = transcripts.attach(
            item, [segment], language="ar", recording=item.recordings[0], user=None
        )
        items.publish(item, user=None)
        found = {
            "identifier": identifier,
            "media": f"/media/{item.recordings[0].id}/access",
            "transcript": f"/items/{identifier}/transcripts/{record.id}.vtt",
        }
        create_user("other@example.org", PASSWORD, "researcher", approved=True)
        make("PUB-1", title="قصيدة عامة", narrators="أبو علي", text=["الحرية قادمة"])
    auth.logout()
    return found


def sees(client, hidden) -> dict:
    """What the current visitor gets of the hidden item, channel by channel."""
    search = client.get(f"/api/search?q={WORD}").get_json()
    browsing = client.get("/api/search?q=").get_json()
    narrators = {f["value"]: f["count"] for f in browsing["facets"]["narrator"]}
    return {
        "page": client.get(f"/items/{hidden['identifier']}").status_code,
        "embed": client.get(f"/embed/{hidden['identifier']}").status_code,
        "media": fetch(client, hidden["media"]).status_code,
        "transcript": client.get(hidden["transcript"]).status_code,
        "total": search["total"],
        "results": [r["identifier"] for r in search["results"]],
        "browse_total": browsing["total"],
        "narrator_count": narrators.get(NARRATOR, 0),
        "suggestion": client.get("/api/search?q=عسقلن").get_json()["suggestion"],
        "home": hidden["identifier"] in client.get("/").get_data(as_text=True),
    }


NOTHING = {
    "page": 404, "embed": 404, "media": 404, "transcript": 404, "total": 0, "results": [],
    "browse_total": 1, "narrator_count": 0, "suggestion": None, "home": False,
}  # fmt: skip


def everything(identifier):
    return {
        "page": 200, "embed": 200, "media": 200, "transcript": 200, "total": 1,
        "results": [identifier], "browse_total": 2, "narrator_count": 1, "suggestion": WORD,
        "home": True,
    }  # fmt: skip


def ask(client, auth, identifier, reason="أكتب أطروحة عن سجن عسقلان"):
    token = auth.csrf("/account")
    return client.post(
        f"/items/{identifier}/request-access?lang=en", data={"reason": reason, "csrf_token": token}
    )


def admin_client(app):
    client = app.test_client()
    admin = Auth(client)
    admin.login("admin@example.org")
    return client, admin


def decide(client, admin, request_id, action, **data):
    data["csrf_token"] = admin.csrf("/manage/access-requests")
    return client.post(f"/manage/access-requests/{request_id}/{action}?lang=en", data=data)


def request_id(app, identifier, email="researcher@example.org") -> int:
    with app.app_context():
        return db.session.scalar(
            select(AccessRequest.id)
            .join(User, AccessRequest.user_id == User.id)
            .where(AccessRequest.identifier == identifier, User.email == email)
        )


def test_request_grant_expire(app, client, auth, runner, hidden):
    identifier = hidden["identifier"]
    auth.login("researcher@example.org")
    assert sees(client, hidden) == NOTHING

    form = client.get(f"/items/{identifier}/request-access?lang=en")
    assert form.status_code == 200 and TITLE not in form.get_data(as_text=True)
    sent = ask(client, auth, identifier)
    assert sent.status_code == 302 and sent.headers["Location"] == "/account"
    account = client.get("/account?lang=en").get_data(as_text=True)
    assert identifier in account and "Waiting for an admin" in account and TITLE not in account
    assert sees(client, hidden) == NOTHING  # asking opens nothing

    admin, admin_auth = admin_client(app)
    listing = admin.get("/manage/access-requests?lang=en").get_data(as_text=True)
    assert TITLE in listing and "أكتب أطروحة عن سجن عسقلان" in listing
    assert "researcher@example.org" in listing
    assert 'Access requests <span class="badge"' in admin.get("/?lang=en").get_data(as_text=True)
    rid = request_id(app, identifier)
    granted = decide(admin, admin_auth, rid, "grant", until="", note="لمدة البحث")
    assert granted.status_code == 302
    with app.app_context():
        entry = db.session.get(AccessRequest, rid)
        expected_last = utcnow().date() + dt.timedelta(days=90)
        assert entry.state == "granted" and grants.last_day(entry) == expected_last
        assert entry.decided_by.email == "admin@example.org"

    assert sees(client, hidden) == everything(identifier)
    # a rebuilt index groups the words to suggest by kind of access: still found, still only hers
    assert runner.invoke(reindex).exit_code == 0
    assert sees(client, hidden) == everything(identifier)
    account = client.get("/account?lang=en").get_data(as_text=True)
    assert f"Granted until {expected_last.isoformat()}" in account and TITLE in account

    # only for that researcher: another approved researcher and the public still see nothing
    other = app.test_client()
    Auth(other).login("other@example.org")
    assert sees(other, hidden) == NOTHING
    assert sees(app.test_client(), hidden) == NOTHING

    # the grant expires: nothing is written, the clock decides
    with app.app_context():
        db.session.get(AccessRequest, rid).expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    assert sees(client, hidden) == NOTHING
    assert "the grant has ended" in client.get("/account?lang=en").get_data(as_text=True)

    with app.app_context():
        logged = [
            (e.action, e.details.get("request"))
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("access.%"))
            )
        ]
    assert logged == [("access.request", rid), ("access.grant", rid)]


def test_a_grant_never_opens_an_embargoed_or_unpublished_item_and_can_be_revoked(
    app, client, auth, hidden
):
    identifier = hidden["identifier"]
    auth.login("researcher@example.org")
    ask(client, auth, identifier)
    admin, admin_auth = admin_client(app)
    rid = request_id(app, identifier)
    decide(
        admin, admin_auth, rid, "grant", until=(utcnow().date() + dt.timedelta(days=3)).isoformat()
    )
    assert sees(client, hidden)["page"] == 200

    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == identifier))
        items.describe(item, {"embargo_until": "2099-01-01"}, user=None)
    assert sees(client, hidden) == NOTHING  # an embargo is staff-only whatever else
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.identifier == identifier))
        items.describe(item, {"embargo_until": ""}, user=None)
        items.unpublish(item, user=None)
    assert sees(client, hidden) == NOTHING
    with app.app_context():
        items.publish(
            db.session.scalar(select(Item).where(Item.identifier == identifier)), user=None
        )
    assert sees(client, hidden) == everything(identifier)

    revoked = decide(admin, admin_auth, rid, "revoke", note="انتهى المشروع")
    assert revoked.status_code == 302
    assert sees(client, hidden) == NOTHING
    account = client.get("/account?lang=en").get_data(as_text=True)
    assert "Granted, then revoked" in account and "انتهى المشروع" in account
    history = admin.get(f"/manage/items/{identifier}?lang=en").get_data(as_text=True)
    assert "access granted" in history and "access grant revoked" in history


def test_a_refused_request_changes_nothing(app, client, auth, hidden):
    identifier = hidden["identifier"]
    auth.login("researcher@example.org")
    ask(client, auth, identifier)
    admin, admin_auth = admin_client(app)
    rid = request_id(app, identifier)
    assert decide(admin, admin_auth, rid, "refuse", note="الراوي لم يوافق").status_code == 302
    assert sees(client, hidden) == NOTHING
    account = client.get("/account?lang=en").get_data(as_text=True)
    assert "Refused" in account and "الراوي لم يوافق" in account
    assert decide(admin, admin_auth, rid, "grant", until="").status_code == 302
    listing = admin.get("/manage/access-requests?lang=en").get_data(as_text=True)
    assert "already answered" in listing
    assert sees(client, hidden) == NOTHING


def test_grant_dates_must_be_in_the_future(app, client, auth, hidden):
    auth.login("researcher@example.org")
    ask(client, auth, hidden["identifier"])
    admin, admin_auth = admin_client(app)
    rid = request_id(app, hidden["identifier"])
    for until, message in [
        (utcnow().date().isoformat(), "must end on a day after today"),
        ("2001-01-01", "must end on a day after today"),
        ("next week", "is not a date"),
    ]:
        decide(admin, admin_auth, rid, "grant", until=until)
        assert message in admin.get("/manage/access-requests?lang=en").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AccessRequest, rid).state == "pending"
    assert sees(client, hidden)["page"] == 404


def test_a_hidden_item_and_a_missing_one_look_the_same_to_a_researcher(app, client, auth, hidden):
    identifier, missing = hidden["identifier"], "AR-999999"
    assert len(identifier) == len(missing)
    auth.login("researcher@example.org")

    def same(path_of, **kwargs):
        shown = [
            without_tokens(client.get(path_of(name), **kwargs).get_data(as_text=True)).replace(
                name, "ID"
            )
            for name in (identifier, missing)
        ]
        assert shown[0] == shown[1]
        return shown[0]

    page = same(lambda name: f"/items/{name}?lang=en")
    assert "ask for access" in page  # the 404 page offers the request either way
    same(lambda name: f"/items/{name}/request-access?lang=en")

    responses = [ask(client, auth, name) for name in (identifier, missing)]
    assert [(r.status_code, r.headers["Location"]) for r in responses] == [(302, "/account")] * 2
    twice = [ask(client, auth, name) for name in (identifier, missing)]
    bodies = [  # the CSRF tokens are signed with the time: they differ across a second
        without_tokens(r.get_data(as_text=True)).replace(n, "ID")
        for r, n in zip(twice, (identifier, missing), strict=True)
    ]
    assert [r.status_code for r in twice] == [400, 400] and bodies[0] == bodies[1]
    assert "already asked" in bodies[0]
    account = client.get("/account?lang=en").get_data(as_text=True)
    assert account.count("Waiting for an admin") == 2 and TITLE not in account

    # the admin sees the truth
    admin, _ = admin_client(app)
    listing = admin.get("/manage/access-requests?lang=en").get_data(as_text=True)
    assert TITLE in listing and "No item has this identifier." in listing


def test_who_may_ask(app, client, auth, hidden):
    identifier = hidden["identifier"]
    # anonymous visitors log in first
    response = client.get(f"/items/{identifier}/request-access")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # an item you can already see needs no request
    auth.login("researcher@example.org")
    response = client.get("/items/PUB-1/request-access")
    assert response.status_code == 302 and response.headers["Location"] == "/items/PUB-1"
    assert client.get("/items/not%20an%20id/request-access").status_code == 404
    empty = ask(client, auth, identifier, reason="  ")
    assert empty.status_code == 400 and "say why" in empty.get_data(as_text=True)
    auth.logout()
    # staff see everything already
    auth.login("archivist@example.org")
    response = client.get(f"/items/{identifier}/request-access")
    assert response.status_code == 302 and response.headers["Location"] == f"/items/{identifier}"
    with app.app_context():
        assert db.session.scalar(select(AccessRequest.id)) is None


def test_the_index_adds_granted_items_to_a_callers_levels(tmp_path):
    """indexer.Access(granted=...): plain Python, no Flask; the same rules as archive.access.rules."""
    from indexer import Access, open_index, rebuild
    from tests.test_search_engine import item

    now = dt.datetime(2030, 1, 1)
    catalogue = [
        item("S-1", [(0, 1, "زنزانة عسقلان")], access="staff"),
        item("S-2", [(0, 1, "زنزانة عسقلان")], access="staff"),
        item("S-3", [(0, 1, "زنزانة عسقلان")], access="staff", status="draft"),
        item(
            "S-4", [(0, 1, "زنزانة عسقلان")], access="staff", embargo_until=dt.datetime(2031, 1, 1)
        ),
        item("P-1", [(0, 1, "زنزانة")]),
    ]
    for build in ("updates", "rebuild"):
        root = tmp_path / build
        if build == "updates":
            open_index(root).update(catalogue)
        else:
            rebuild(root, catalogue)
        index = open_index(root)
        granted = Access.for_levels(("public",), now, granted={"S-1", "S-3", "S-4", "NONE"})

        def found(access, query="زنزانة", index=index):
            result = index.search(query, access=access)
            return sorted(r["identifier"] for r in result.results), result.total

        assert found(Access.public(now)) == (["P-1"], 1)
        assert found(granted) == (["P-1", "S-1"], 2)
        assert found(granted, "عسقلان") == (["S-1"], 1)
        assert index.search("عسقلن", access=granted).suggestion == "عسقلان"
        assert index.search("عسقلن", access=Access.public(now)).suggestion is None
        later = Access.for_levels(("public",), dt.datetime(2031, 6, 1), granted={"S-4"})
        assert found(later, "عسقلان") == (["S-4"], 1)  # the embargo ended: no reindex needed
        assert Access.for_levels(None, now, granted={"S-1"}) == Access.staff(now)
