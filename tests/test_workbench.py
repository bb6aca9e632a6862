"""The staff workbench: the catalogue's filters, batch edits with a preview (web and CLI) and
the "needs attention" page."""

from __future__ import annotations

import datetime
import os
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import event, func, select

from archive.catalogue import batch, items, listing, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.cli.batch import batch as batch_command
from archive.db import db
from archive.holdings import derivatives, fixity, storage
from archive.models import AuditEvent, Collection, Item, Tag, utcnow
from tests.test_upload import make_tone, upload


def make(identifier, *, title="شهادة", access="staff", publish=False, **fields):
    """An item made through the archive's own operations (an app context is open)."""
    item = items.create(
        identifier=identifier, title=title, type=fields.pop("type", "testimony"), user=None
    )
    items.describe(item, {"access": access, **fields}, user=None)
    if publish:
        items.publish(item, user=None)
    return item


@pytest.fixture
def catalogue(app):
    """Eight items covering the filters: releases, tags, collections, dates, languages."""
    with app.app_context():
        make("W-1", title="شهادة عن نفحة", release_access="public", access="public",
             tags=["إضراب"], collections=["مجموعة عسقلان"], date="1987-05",
             narrators=["أبو علي"], publish=True)  # fmt: skip
        make("W-2", title="قصيدة الزنزانة", type="poem", release_access="researchers",
             access="researchers", tags=["إضراب"], date="circa 1985", languages="ar|en")  # fmt: skip
        make("W-3", title="أغنية", type="song", release_access="staff", date="1992")
        make(
            "W-4", title="محاضرة", type="lecture", date="1994-01-02", collections=["مجموعة عسقلان"]
        )
        make("W-5", title="شهادة أخرى", release_access="public", access="public", publish=True)
        make("W-6", title="حدث", type="event", release_access="public")
        make("W-7", title="مقابلة", type="interview", languages="fr")
        w8 = make("W-8", title="نص بلا تسجيل", release_access="public")
        transcripts.attach(w8, [ParsedSegment(None, None, "كنا في نفحة")], language="ar", user=None)
    return app


@pytest.fixture(autouse=True)
def english(client):
    """The pages in English, whose words these tests read (Arabic is the default)."""
    client.set_cookie("lang", "en")


def ids(app, **args) -> list[str]:
    with app.app_context():
        filters = listing.Filters.parse(args)
        return sorted(i.identifier for i in db.session.scalars(listing.query(filters)))


def page_ids(response) -> list[str]:
    return re.findall(r'name="identifier" value="([^"]+)"', response.get_data(as_text=True))


def test_each_filter_and_their_combination(catalogue):
    app = catalogue
    assert ids(app, status="published") == ["W-1", "W-5"]
    assert ids(app, access="researchers") == ["W-2"]
    assert ids(app, type="poem") == ["W-2"]
    assert ids(app, decade="1980") == ["W-1", "W-2"]
    assert ids(app, decade="1990") == ["W-3", "W-4"]
    assert ids(app, language="en") == ["W-2"]
    assert ids(app, language="fr") == ["W-7"]
    assert ids(app, no_release="1") == ["W-4", "W-7"]
    assert "W-8" not in ids(app, no_transcript="1") and len(ids(app, no_transcript="1")) == 7
    with app.app_context():
        tag = db.session.scalar(select(Tag.id).where(Tag.label == "إضراب"))
        collection = db.session.scalar(
            select(Collection.id).where(Collection.title == "مجموعة عسقلان")
        )
        person = items.find_item("W-1").credits[0].person_id
    assert ids(app, tag=str(tag)) == ["W-1", "W-2"]
    assert ids(app, collection=str(collection)) == ["W-1", "W-4"]
    assert ids(app, person=str(person)) == ["W-1"]
    assert ids(app, tag=str(tag), status="draft") == ["W-2"]  # combined: every filter holds
    assert ids(app, collection=str(collection), decade="1990", no_release="1") == ["W-4"]


def test_the_text_filter_is_the_archive_search_as_staff(catalogue, client, auth):
    auth.login("archivist@example.org")
    found = page_ids(client.get("/manage/?q=نفحه"))  # hamza/teh marbuta folded by the search
    assert sorted(found) == ["W-1", "W-8"]  # W-8 a staff-only draft: staff see it


def test_the_url_round_trip_sort_and_page_size(catalogue, client, auth):
    auth.login("archivist@example.org")
    page = client.get("/manage/?type=testimony&sort=identifier&order=desc&per_page=100")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert page_ids(page) == ["W-8", "W-5", "W-1"]
    assert "3 item(s) match." in html
    assert '<option value="testimony" selected' in html and '<option value="100" selected' in html
    with catalogue.test_request_context():
        filters = listing.Filters.parse(
            {
                "type": "testimony",
                "no_release": "1",
                "sort": "title",
                "order": "asc",
                "per_page": "500",
            }
        )
        again = listing.Filters.parse(filters.args())
    assert again == filters
    assert page_ids(client.get("/manage/?sort=identifier&order=asc"))[:2] == ["W-1", "W-2"]
    bad = client.get("/manage/?status=lost&per_page=7", follow_redirects=True)
    assert bad.status_code == 200 and "Unknown status" in bad.get_data(as_text=True)


def test_the_listing_takes_a_fixed_number_of_queries(catalogue, client, auth):
    auth.login("archivist@example.org")
    counted = []

    def count(*_args):
        counted.append(1)

    with catalogue.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/manage/?per_page=500")
        few = len(counted)
        with catalogue.app_context():
            for n in range(20):
                make(f"X-{n}", tags=["إضراب"])
        counted.clear()
        client.get("/manage/?per_page=500")
        assert len(counted) == few  # twenty more rows, not one more query
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_only_staff_reach_the_workbench(catalogue, client, auth):
    auth.login("researcher@example.org")
    token = auth.csrf("/")
    assert client.get("/manage/").status_code == 403
    assert client.get("/manage/attention").status_code == 403
    data = {"csrf_token": token, "action": "publish", "identifier": "W-6"}
    assert client.post("/manage/batch", data=data).status_code == 403
    assert client.post("/manage/batch/confirm", data={**data, "expected": "1"}).status_code == 403
    with catalogue.app_context():
        assert items.find_item("W-6").status == "draft"


def test_a_batch_without_a_csrf_token_is_refused(catalogue, client, auth):
    auth.login("archivist@example.org")
    data = {"action": "publish", "identifier": "W-6", "expected": "1"}
    assert client.post("/manage/batch/confirm", data=data).status_code == 400
    with catalogue.app_context():
        assert items.find_item("W-6").status == "draft"


def test_batch_access_preview_then_confirm_skips_what_the_release_forbids(catalogue, client, auth):
    auth.login("archivist@example.org")
    token = auth.csrf("/manage/")
    chosen = ["W-3", "W-4", "W-6", "W-2"]  # W-3's release: staff, W-2's: researchers
    data = {"csrf_token": token, "action": "access", "value": "public", "identifier": chosen,
            "scope": "rows", "back": "/manage/?type=song"}  # fmt: skip
    preview = client.post("/manage/batch", data=data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "4 item(s) chosen: 2 will change, 2 skipped, 0 already so." in html
    assert "W-3" in html and "allows at most &#39;staff&#39;" in html
    with catalogue.app_context():
        assert items.find_item("W-4").access == "staff"  # the preview changed nothing
        before = db.session.scalar(select(func.count(AuditEvent.id)))
    done = client.post("/manage/batch/confirm", data={**data, "expected": "2"})
    assert done.status_code == 302 and done.headers["Location"] == "/manage/?type=song"
    with catalogue.app_context():
        access = {i: items.find_item(i).access for i in chosen}
        assert access == {"W-3": "staff", "W-4": "public", "W-6": "public", "W-2": "researchers"}
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id).offset(before))
        described = [
            (db.session.get(Item, e.item_id).identifier, e.action, e.details["changes"]["access"])
            for e in events
        ]
    assert described == [
        ("W-4", "describe", ["staff", "public"]),
        ("W-6", "describe", ["staff", "public"]),
    ]


def test_a_changed_selection_asks_for_a_new_preview(catalogue, client, auth):
    auth.login("archivist@example.org")
    data = {"csrf_token": auth.csrf("/manage/"), "action": "tag", "value": "سجن",
            "identifier": ["W-1", "W-2"], "expected": "1"}  # fmt: skip
    again = client.post("/manage/batch/confirm", data=data)
    assert again.status_code == 200 and "changed since the preview" in again.get_data(as_text=True)
    with catalogue.app_context():
        assert db.session.scalar(select(Tag).where(Tag.label == "سجن")) is None


def test_batch_on_every_item_matching_a_filter(catalogue, client, auth):
    auth.login("archivist@example.org")
    data = {"csrf_token": auth.csrf("/manage/"), "action": "publish", "scope": "filter",
            "status": "draft", "no_release": "1"}  # fmt: skip
    preview = client.post("/manage/batch", data=data).get_data(as_text=True)
    assert "2 item(s) chosen: 2 will change" in preview
    client.post("/manage/batch/confirm", data={**data, "expected": "2"})
    assert ids(catalogue, status="published") == ["W-1", "W-4", "W-5", "W-7"]


def test_a_batch_never_publishes_above_the_release(catalogue):
    with catalogue.app_context():
        w3 = items.find_item("W-3")
        # the release tightened after the access was set: W-3 is staff-only by release
        w3.access = "public"  # as a database carried over from before releases might hold
        chosen = batch.load(identifiers=["W-3", "W-6"])
        done = batch.apply("publish", "", chosen, user=None)
        assert [c.identifier for c in done.changes] == ["W-6"]
        assert [s.identifier for s in done.skipped] == ["W-3"]
        db.session.rollback()
        assert items.find_item("W-3").status == "draft"


def test_tags_collections_rights_download_and_unpublish(catalogue):
    with catalogue.app_context():
        chosen = lambda: batch.load(identifiers=["W-1", "W-2", "W-5"])  # noqa: E731
        assert len(batch.apply("tag", "نفحة", chosen(), user=None).changes) == 3
        assert len(batch.apply("untag", "إضراب", chosen(), user=None).changes) == 2
        assert [t.label for t in items.find_item("W-1").tags] == ["نفحة"]
        assert len(batch.apply("collect", "مجموعة جديدة", chosen(), user=None).changes) == 3
        assert len(batch.apply("uncollect", "مجموعة عسقلان", chosen(), user=None).changes) == 1
        assert len(batch.apply("rights", "InC-EDU", chosen(), user=None).changes) == 3
        assert len(batch.apply("download", "yes", chosen(), user=None).changes) == 3
        assert len(batch.apply("unpublish", "", chosen(), user=None).changes) == 2
        w1 = items.find_item("W-1")
        assert (w1.rights, w1.download, w1.status) == ("InC-EDU", True, "draft")
        assert [c.title for c in w1.collections] == ["مجموعة جديدة"]
        for action, value, message in (
            ("access", "everyone", "Unknown access level"),
            ("rights", "CC0", "Unknown rights statement"),
            ("untag", "لا يوجد", "No tag"),
            ("fly", "", "Unknown batch action"),
        ):
            with pytest.raises(Exception, match=message):
                batch.plan(action, value, chosen())


def test_cli_dry_run_prints_the_preview_and_changes_nothing(catalogue, runner, tmp_path):
    listed = tmp_path / "ids.txt"
    listed.write_text("W-3\nW-4\n\nW-6\n", encoding="utf-8")
    result = runner.invoke(
        batch_command, ["access", "public", "--identifiers", str(listed), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "access public: 3 item(s) selected, 2 change, 1 skipped, 0 already so.",
        "  change W-4: staff -> public",
        "  change W-6: staff -> public",
        "  skip   W-3: the release allows at most 'staff'",
        "Dry run: nothing was changed.",
    ]
    with catalogue.app_context():
        assert items.find_item("W-4").access == "staff"
    done = runner.invoke(batch_command, ["access", "public", "--identifiers", str(listed),
                                         "--as", "archivist@example.org"])  # fmt: skip
    assert done.exit_code == 0 and "2 change" in done.output
    with catalogue.app_context():
        assert items.find_item("W-4").access == "public"
        event_ = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event_.user.email == "archivist@example.org"


def test_cli_filters_and_refusals(catalogue, runner):
    tagged = runner.invoke(batch_command, ["tag", "أرشيف", "--tag", "إضراب", "--dry-run"])
    assert tagged.exit_code == 0 and "2 item(s) selected, 2 change" in tagged.output
    searched = runner.invoke(batch_command, ["publish", "--search", "نفحة", "--dry-run"])
    assert searched.exit_code == 0 and "2 item(s) selected" in searched.output, searched.output
    assert "change W-8: draft -> published" in searched.output
    nothing = runner.invoke(batch_command, ["publish"])
    assert nothing.exit_code != 0 and "Choose the items" in nothing.output
    unknown = runner.invoke(batch_command, ["publish", "--identifiers", "-"], input="W-1\nW-99\n")
    assert unknown.exit_code != 0 and "No item(s): W-99." in unknown.output
    wrong = runner.invoke(batch_command, ["access", "public", "--status", "lost"])
    assert wrong.exit_code != 0 and "Unknown status" in wrong.output


def test_needs_attention(catalogue, client, auth, tmp_path):
    auth.login("archivist@example.org")
    result = upload(
        client, auth.csrf("/manage/upload"), make_tone(tmp_path / "tone.wav", seconds=1)
    )
    broken = result.get_json()["results"][0]["item"]
    with catalogue.app_context():
        item = items.find_item(broken)
        original = storage.absolute(item.recordings[0].file("original").relpath)
        os.chmod(original, 0o644)
        original.write_bytes(b"not a recording any more")
        fixity.check_all()
        derivatives.regenerate([item], user=None)  # the transcode fails on the broken original
        items.describe(items.find_item("W-6"), {"embargo_until": (utcnow() + datetime.timedelta(days=10)).strftime("%Y-%m-%d")}, user=None)  # fmt: skip
    assert ids(catalogue, failed_job="1") == [broken]
    assert ids(catalogue, fixity_problem="1") == [broken]
    page = client.get("/manage/attention")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'action="/manage/jobs/\d+/retry"', html) and f"/manage/items/{broken}" in html
    assert "/manage/?failed_job=1" in html and "/manage/?fixity_problem=1" in html
    links = dict(
        parse_qsl(urlsplit(re.search(r'href="(/manage/\?no_release=1[^"]*)"', html).group(1)).query)
    )
    assert set(page_ids(client.get("/manage/", query_string=links))) == {"W-4", "W-7", broken}
    assert "W-6" in html.split("Embargoes ending")[1]
    assert 'href="/manage/attention"' in client.get("/manage/").get_data(as_text=True)  # in the nav
