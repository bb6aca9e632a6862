"""The narrator's release: recorded on the item, shown to staff only, and capping its access."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.cli.lifecycle import transcripts as transcripts_command
from archive.db import db
from archive.discovery import search
from archive.errors import ArchiveError
from archive.exchange.csv_io import ImportError_, export_csv, import_csv
from archive.models import AuditEvent, Item, Transcript

TITLE = "شهادة عن الإضراب في نفحة"


def make(app, identifier="C-1", *, access="public", publish=True, **fields) -> None:
    with app.app_context():
        item = items.create(identifier=identifier, title=TITLE, type="testimony", user=None)
        items.describe(item, {"access": access, **fields}, user=None)
        if publish:
            items.publish(item, user=None)


def item(identifier="C-1") -> Item:
    return items.find_item(identifier)


def edit(client, auth, identifier="C-1", **fields):
    data = {"title": TITLE, "type": "testimony", "access": "public", **fields}
    data["csrf_token"] = auth.csrf("/")
    return client.post(f"/manage/items/{identifier}", data=data)


def found(query: str, user=None) -> list[str]:
    return [r["identifier"] for r in search.search(query, user=user)["results"]]


def anonymous_finds(app, query: str) -> list[str]:
    with app.app_context():
        return found(query)


def test_release_is_recorded_and_partial_dates_are_checked(app, client, auth):
    make(app, publish=False)
    auth.login("archivist@example.org")
    response = edit(
        client, auth,
        release_reference=" استمارة 2024/017 ", release_date="2024-03",
        release_access="public", release_restriction="لا يذكر اسم ابنه.",
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        saved = item()
        assert saved.release_reference == "استمارة 2024/017"
        assert saved.release_date == "2024-03" and saved.release_access == "public"
        assert saved.release_restriction == "لا يذكر اسم ابنه."
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "describe" and "release_access" in event.details["changes"]
    for bad, message in (
        ({"release_date": "2024-02-30"}, "does not exist"),
        ({"release_date": "March 2024"}, "is not YYYY"),
        ({"release_access": "everyone"}, "Unknown release level"),
    ):
        response = edit(client, auth, **{"release_access": "public", **bad})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert item().release_date == "2024-03"  # nothing half-saved


def test_access_can_never_be_more_open_than_the_release(app, client, auth):
    make(app, access="staff", publish=False, release_access="researchers")
    with app.app_context():
        with pytest.raises(ArchiveError, match="allows at most 'researchers'"):
            items.describe(item(), {"access": "public"}, user=None)
        db.session.rollback()
        items.describe(item(), {"access": "researchers"}, user=None)  # as open as allowed
        assert item().access == "researchers"
        # A release and an access asked for together are checked together.
        with pytest.raises(ArchiveError, match="allows at most 'staff'"):
            items.describe(item(), {"access": "public", "release_access": "staff"}, user=None)
        db.session.rollback()
    auth.login("archivist@example.org")
    response = edit(client, auth, access="public", release_access="researchers")
    assert response.status_code == 422
    assert "allows at most" in response.get_data(as_text=True)
    with app.app_context():
        assert item().access == "researchers"


def test_tightening_the_release_lowers_the_access_at_once(app, client, auth):
    make(app, release_reference="Form 7", release_access="public")
    researcher = "researcher@example.org"
    with app.app_context():
        assert found("الإضراب") == ["C-1"]
    assert client.get("/items/C-1").status_code == 200

    client.set_cookie("lang", "en")  # the message is flashed in the language of the POST
    auth.login("archivist@example.org")
    response = edit(client, auth, access="public", release_access="researchers")
    assert response.status_code == 302
    assert "lowered" in client.get("/manage/items/C-1?lang=en").get_data(as_text=True)
    with app.app_context():
        assert item().access == "researchers"
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.details["changes"]["access"] == ["public", "researchers"]
        assert found("الإضراب") == []  # reindexed: gone for the anonymous visitor at once
        from archive.accounts.users import find_user

        assert found("الإضراب", find_user(researcher)) == ["C-1"]
    auth.logout()
    assert client.get("/items/C-1").status_code == 404

    with app.app_context():  # the same rule in the operation itself
        items.describe(item(), {"release_access": "staff"}, user=None)
        assert item().access == "staff"
        assert found("الإضراب", find_user(researcher)) == []


def test_publishing_checks_the_release(app):
    make(app, access="staff", publish=False, release_access="staff")
    with app.app_context():
        record = item()
        record.access = "public"  # as if set behind the operations' back
        with pytest.raises(ArchiveError, match="allows at most 'staff'"):
            items.publish(record, user=None)
        db.session.rollback()
        assert item().status == "draft"


def test_no_release_recorded_is_allowed_but_staff_are_warned(app, client, auth):
    make(app)  # public and published, with no release: catalogues from before releases
    page = client.get("/items/C-1?lang=en").get_data(as_text=True)
    assert "No release recorded" not in page
    auth.login("archivist@example.org")
    assert "No release recorded" in client.get("/items/C-1?lang=en").get_data(as_text=True)
    assert "No release recorded" in client.get("/manage/items/C-1?lang=en").get_data(as_text=True)
    edit(client, auth, release_reference="Form 9", release_access="public")
    assert "No release recorded" not in client.get("/items/C-1?lang=en").get_data(as_text=True)


def test_the_release_is_shown_to_staff_only(app, client, auth):
    make(
        app, access="researchers", release_reference="استمارة-سرية-42",
        release_access="researchers", release_restriction="لا تذكر القرية",
    )  # fmt: skip
    for email in (None, "researcher@example.org"):
        if email:
            auth.login(email)
        page = client.get("/items/C-1?lang=en")
        text = page.get_data(as_text=True)
        assert page.status_code == (200 if email else 404)
        assert "استمارة-سرية-42" not in text and "لا تذكر القرية" not in text
    auth.logout()
    auth.login("archivist@example.org")
    staff = client.get("/items/C-1?lang=en").get_data(as_text=True)
    assert "استمارة-سرية-42" in staff and "لا تذكر القرية" in staff


def write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_csv_carries_the_release_and_the_embargo(app, tmp_path):
    header = ["identifier", "title", "access", "embargo_until", "release_reference",
              "release_date", "release_access", "release_restriction"]  # fmt: skip
    rows = [
        ["R-1", TITLE, "researchers", "2031-05-01", "Form 1", "circa 2019", "researchers", "x"],
        ["R-2", TITLE, "public", "", "", "", "", ""],
    ]
    with app.app_context():
        report = import_csv(write(tmp_path / "in.csv", header, rows))
        assert report.created == 2
        first = item("R-1")
        assert first.embargo_until.isoformat() == "2031-05-01T00:00:00"
        assert (first.release_reference, first.release_date) == ("Form 1", "circa 2019")
        assert (first.release_access, first.release_restriction) == ("researchers", "x")
        assert item("R-2").embargo_until is None and item("R-2").release_access == ""
        export_csv(tmp_path / "out.csv")
        with open(tmp_path / "out.csv", encoding="utf-8") as exported:
            written = {row["identifier"]: row for row in csv.DictReader(exported)}
        assert written["R-1"]["embargo_until"] == "2031-05-01"
        assert written["R-1"]["release_access"] == "researchers"
        assert written["R-2"]["embargo_until"] == ""
        again = import_csv(tmp_path / "out.csv")
        assert again.unchanged == 2  # export -> import changes nothing


@pytest.mark.parametrize(
    "cells, message",
    [
        ({"embargo_until": "2031-02-30"}, "line 3: Embargo date '2031-02-30' is not a real date"),
        ({"embargo_until": "01/05/2031"}, "line 3: Embargo date '01/05/2031' is not a real date"),
        ({"access": "public", "release_access": "staff"}, "line 3: The narrator's release allows"),
        ({"release_date": "2031-13"}, "line 3: Date '2031-13' does not exist"),
    ],
)
def test_csv_refuses_a_bad_row_whole(app, tmp_path, cells, message):
    header = ["identifier", "title", "access", "embargo_until", "release_date", "release_access"]
    good = {"identifier": "G-1", "title": TITLE, "access": "public"}
    bad = {"identifier": "G-2", "title": TITLE, **cells}
    rows = [[row.get(column, "") for column in header] for row in (good, bad)]
    with app.app_context():
        with pytest.raises(ImportError_) as refused:
            import_csv(write(tmp_path / "in.csv", header, rows))
        assert str(refused.value).startswith(message)
        assert db.session.scalar(select(Item.id)) is None  # nothing imported


# --- restricting a transcript or a single passage -------------------------------------------

PASSAGES = [
    ParsedSegment(0.0, 2.0, "كانت الزيارة مرة كل أسبوعين"),
    ParsedSegment(2.0, 4.0, "اسم المحقق كان أبو نمر"),  # the narrator asked to withhold this
    ParsedSegment(4.0, 6.0, "كانت أمي تأتي من الفجر"),
]
WITHHELD = "نمر"


def with_transcript(app) -> int:
    make(app, release_access="public", release_restriction="لا يذكر اسم المحقق")
    with app.app_context():
        transcript = transcripts.attach(item(), PASSAGES, language="ar", user=None)
        return transcript.id


def seen_by(client, auth, email, tid) -> dict[str, str]:
    """What ``email`` (None: anonymous) gets from every channel that carries the words."""
    if email is not None:  # else the caller is anonymous already
        auth.login(email)
    pages = {
        "page": client.get("/items/C-1").get_data(as_text=True),
        "embed": client.get("/embed/C-1").get_data(as_text=True),
        "vtt": client.get(f"/items/C-1/transcripts/{tid}.vtt").get_data(as_text=True),
        "txt": client.get(f"/items/C-1/transcripts/{tid}.txt").get_data(as_text=True),
        "search": client.get(f"/search?q={WITHHELD}").get_data(as_text=True),
        "api": json.dumps(client.get(f"/api/search?q={WITHHELD}").get_json(), ensure_ascii=False),
        "english page": client.get("/items/C-1?lang=en").get_data(as_text=True),
    }
    if email is not None:
        auth.logout()
    return pages


def test_a_withheld_passage_is_gone_from_every_channel_but_staffs(app, client, auth, runner):
    tid = with_transcript(app)
    assert WITHHELD in seen_by(client, auth, None, tid)["txt"]
    assert anonymous_finds(app, WITHHELD) == ["C-1"]

    auth.login("archivist@example.org")
    editor = client.get(f"/manage/items/C-1/transcripts/{tid}?lang=en").get_data(as_text=True)
    assert editor.count("Withhold the passage") == 3
    with app.app_context():
        segment_id = db.session.get(Transcript, tid).segments[1].id
    response = client.post(
        f"/manage/items/C-1/transcripts/{tid}/segments/{segment_id}/restrict",
        data={"csrf_token": auth.csrf("/"), "restricted": "1"},
    )
    assert response.status_code == 302
    editor = client.get(f"/manage/items/C-1/transcripts/{tid}?lang=en").get_data(as_text=True)
    assert "Publish the passage" in editor and "Withheld" in editor
    auth.logout()
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "restrict-segment"))
        assert event.details["segment"] == segment_id and event.user_id is not None

    for email in (None, "researcher@example.org"):
        seen = seen_by(client, auth, email, tid)
        for channel in ("page", "embed", "vtt", "txt", "english page"):
            assert "أبو نمر" not in seen[channel], (email, channel)
            assert "أمي تأتي من الفجر" in seen[channel]  # the rest of the transcript stays
        assert "This passage is not published" in seen["english page"]
        assert "/items/C-1" not in seen["search"], email
        assert '"total": 0' in seen["api"] and "C-1" not in seen["api"], email
    with app.app_context():
        from archive.accounts.users import find_user

        assert found(WITHHELD) == [] and found(WITHHELD, find_user("researcher@example.org")) == []
        staff_search = search.search(WITHHELD, user=find_user("archivist@example.org"))
        assert staff_search["total"] == 1
        assert "<mark>نمر</mark>" in staff_search["results"][0]["hits"][0]["text"]
    staff = seen_by(client, auth, "archivist@example.org", tid)
    for channel in ("page", "vtt", "txt", "english page"):
        assert "أبو نمر" in staff[channel], channel
    assert '"total": 1' in staff["api"] and "<mark>نمر</mark>" in staff["api"]
    assert "/items/C-1" in staff["search"]

    # The command line undoes it, and restricts the whole transcript.
    result = runner.invoke(
        transcripts_command,
        ["restrict", "C-1", "--transcript", str(tid), "--segment", "2", "--undo"],
    )
    assert result.exit_code == 0 and "is now published" in result.output
    assert WITHHELD in seen_by(client, auth, None, tid)["txt"] and anonymous_finds(
        app, WITHHELD
    ) == ["C-1"]
    result = runner.invoke(transcripts_command, ["restrict", "C-1", "--transcript", str(tid)])
    assert result.exit_code == 0 and "is now restricted to staff" in result.output
    anonymous = seen_by(client, auth, None, tid)
    assert client.get(f"/items/C-1/transcripts/{tid}.txt").status_code == 404
    assert "الفجر" not in anonymous["page"] and anonymous_finds(app, "الفجر") == []
    with app.app_context():
        from archive.accounts.users import find_user

        assert found("الفجر", find_user("admin@example.org")) == ["C-1"]
    missing = runner.invoke(
        transcripts_command, ["restrict", "C-1", "--transcript", str(tid), "--segment", "9"]
    )
    assert missing.exit_code == 1 and "has no segment 9" in missing.output


def test_restricting_a_whole_transcript_from_the_editor(app, client, auth):
    tid = with_transcript(app)
    auth.login("archivist@example.org")
    response = client.post(
        f"/manage/items/C-1/transcripts/{tid}/restrict",
        data={"csrf_token": auth.csrf("/"), "restricted": "1"},
    )
    assert response.status_code == 302
    editor = client.get(f"/manage/items/C-1/transcripts/{tid}?lang=en").get_data(as_text=True)
    assert "Publish the transcript again" in editor
    auth.logout()
    assert "الفجر" not in client.get("/items/C-1").get_data(as_text=True)
    with app.app_context():
        assert found("الفجر") == []
        assert db.session.get(Transcript, tid).restricted


def test_embargo_is_set_on_the_item_page(app, client, auth):
    make(app, release_access="public")
    auth.login("archivist@example.org")
    bad = edit(client, auth, release_access="public", embargo_until="2099-02-30")
    assert bad.status_code == 422 and "is not a real date" in bad.get_data(as_text=True)
    assert (
        edit(client, auth, release_access="public", embargo_until="2099-01-01").status_code == 302
    )
    page = client.get("/manage/items/C-1").get_data(as_text=True)
    assert 'name="embargo_until" value="2099-01-01"' in page
    auth.logout()
    assert client.get("/items/C-1").status_code == 404  # staff only until 2099
    with app.app_context():
        assert found("الإضراب") == []
    auth.login("archivist@example.org")
    edit(client, auth, release_access="public", embargo_until="")
    auth.logout()
    assert client.get("/items/C-1").status_code == 200
