"""Withdrawal (410 Gone, derivatives and index entries removed, original kept), reinstatement,
and deletion for good, on real uploads transcoded by ffmpeg."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.accounts.users import find_user
from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.cli.lifecycle import delete as delete_command
from archive.cli.lifecycle import reinstate as reinstate_command
from archive.cli.lifecycle import withdraw as withdraw_command
from archive.db import db
from archive.discovery import search
from archive.holdings.storage import absolute
from archive.models import AuditEvent, Item, Job, MediaFile, Recording, Transcript
from tests.test_upload import make_tone, make_video, upload

TITLE = "شهادة عن سجن عسقلان"
SPOKEN = "كان الأسرى في عسقلان يتعلمون اللغات"


def publish_upload(app, client, auth, path: Path) -> dict:
    """Upload as the archivist, describe as public, attach a transcript, publish; log out."""
    auth.login("archivist@example.org")
    result = upload(client, auth.csrf("/manage/upload"), path).get_json()["results"][0]
    with app.app_context():
        item = items.find_item(result["item"])
        items.describe(item, {"title": TITLE, "access": "public"}, user=None)
        transcript = transcripts.attach(
            item, [ParsedSegment(0.0, 1.0, SPOKEN)], language="ar", user=None
        )
        items.publish(item, user=None)
        recording = item.recordings[0]
        info = {
            "identifier": item.identifier,
            "recording": recording.id,
            "transcript": transcript.id,
            "original": absolute(recording.original.relpath),
            "sha256": recording.original.sha256,
            "derivatives": [absolute(f.relpath) for f in recording.files if f.role != "original"],
        }
    auth.logout()
    return info


@pytest.fixture
def public_item(app, client, auth, tmp_path, catalogues):
    """A published public item on a 2 s tone: made once, each test gets its own copy."""
    return catalogues.get(
        "withdrawal-public-item",
        app,
        lambda: publish_upload(app, client, auth, make_tone(tmp_path / "tone.wav", seconds=2)),
    )


def urls(info: dict) -> list[str]:
    ident, rec, tid = info["identifier"], info["recording"], info["transcript"]
    return [
        f"/items/{ident}", f"/embed/{ident}", f"/items/{ident}?t=0.5",
        f"/media/{rec}/access", f"/media/{rec}/peaks", f"/media/{rec}/original",
        f"/items/{ident}/transcripts/{tid}.vtt", f"/items/{ident}/transcripts/{tid}.txt",
    ]  # fmt: skip


def status_of(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    body = response.get_data().decode("utf-8", "replace")
    response.close()
    return response.status_code, body


def found(app, query: str, email: str | None = None) -> list[str]:
    with app.app_context():
        user = find_user(email) if email else None
        return [r["identifier"] for r in search.search(query, user=user)["results"]]


def test_withdrawn_item_is_gone_for_all_but_staff(app, client, auth, public_item):
    ident = public_item["identifier"]
    assert status_of(client, f"/items/{ident}")[0] == 200
    assert status_of(client, f"/media/{public_item['recording']}/access")[0] == 200
    assert found(app, "عسقلان") == [ident]
    assert all(path.is_file() for path in public_item["derivatives"])
    assert len(public_item["derivatives"]) == 3  # access and small copies, peaks

    auth.login("archivist@example.org")
    confirm = client.get(f"/manage/items/{ident}/withdraw?lang=en").get_data(as_text=True)
    assert 'name="reason"' in confirm and "original recording" in confirm
    token = auth.csrf("/")
    refused = client.post(f"/manage/items/{ident}/withdraw", data={"csrf_token": token})
    assert refused.status_code == 422  # a reason is required; nothing happened
    with app.app_context():
        assert items.find_item(ident).status == "published"
    done = client.post(
        f"/manage/items/{ident}/withdraw",
        data={"csrf_token": token, "reason": "سحب الراوي موافقته"},
    )
    assert done.status_code == 302

    with app.app_context():
        item = items.find_item(ident)
        assert item.status == "withdrawn" and item.withdrawn_at is not None
        assert item.withdrawn_reason == "سحب الراوي موافقته"
        files = db.session.scalars(select(MediaFile)).all()
        assert [f.role for f in files] == ["original"]  # derivative rows gone
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "withdraw"))
        assert event.details["reason"] == "سحب الراوي موافقته" and event.user_id is not None
    assert not any(path.exists() for path in public_item["derivatives"])  # files gone
    original = public_item["original"]
    assert hashlib.sha256(original.read_bytes()).hexdigest() == public_item["sha256"]  # kept

    # Out of the index for everyone, staff included.
    for email in (None, "researcher@example.org", "archivist@example.org"):
        assert found(app, "عسقلان", email) == []

    # Staff still see the page, with a banner; the original is still theirs to fetch.
    staff_page = client.get(f"/items/{ident}?lang=en").get_data(as_text=True)
    assert "Withdrawn: this page answers" in staff_page and TITLE in staff_page
    assert status_of(client, f"/media/{public_item['recording']}/original")[0] == 200
    edit_page = client.get(f"/manage/items/{ident}?lang=en").get_data(as_text=True)
    assert "Reinstate as a draft" in edit_page and "سحب الراوي موافقته" in edit_page
    # It cannot be published again without being reinstated.
    client.post(f"/manage/items/{ident}/publish", data={"csrf_token": token})
    with app.app_context():
        assert items.find_item(ident).status == "withdrawn"

    auth.logout()
    for email in (None, "researcher@example.org"):
        if email:
            auth.login(email)
        for url in urls(public_item):
            code, body = status_of(client, url)
            assert code == 410, (email, url, code)
            assert TITLE not in body and SPOKEN not in body
        assert ident not in client.get("/").get_data(as_text=True)
        assert ident not in client.get("/api/search?q=عسقلان").get_data(as_text=True)


def test_reinstated_item_gets_its_derivatives_again(app, client, auth, public_item):
    ident = public_item["identifier"]
    auth.login("archivist@example.org")
    token = auth.csrf("/")
    client.post(f"/manage/items/{ident}/withdraw", data={"csrf_token": token, "reason": "طلب"})
    assert client.post(f"/manage/items/{ident}/reinstate", data={"csrf_token": token}).status_code
    with app.app_context():
        item = items.find_item(ident)
        assert item.status == "draft" and item.withdrawn_at is None
        roles = sorted(f.role for f in item.recordings[0].files)
        assert roles == ["access", "original", "peaks", "small"]
        assert item.recordings[0].latest_job.state == "done"
        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
        assert "reinstate" in actions and "regenerate-derivatives" in actions
    assert all(path.is_file() for path in public_item["derivatives"])
    assert status_of(client, f"/media/{public_item['recording']}/access")[0] == 200
    client.post(f"/manage/items/{ident}/publish", data={"csrf_token": token})
    auth.logout()
    assert status_of(client, f"/items/{ident}")[0] == 200
    assert found(app, "عسقلان") == [ident]


def test_withdraw_and_reinstate_from_the_command_line(app, runner, public_item, tmp_path):
    ident = public_item["identifier"]
    refused = runner.invoke(withdraw_command, [ident])
    assert refused.exit_code != 0 and "--reason" in refused.output
    result = runner.invoke(withdraw_command, [ident, "--reason", "takedown request"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(withdraw_command, [ident, "--reason", "twice"])
    assert again.exit_code == 1 and "already withdrawn" in again.output
    with app.app_context():
        assert items.find_item(ident).status == "withdrawn"
    assert not any(path.exists() for path in public_item["derivatives"])
    result = runner.invoke(reinstate_command, [ident, "--wait"])
    assert result.exit_code == 0, result.output
    assert all(path.is_file() for path in public_item["derivatives"])
    with app.app_context():
        assert items.find_item(ident).status == "draft"


def test_a_job_queued_before_withdrawal_makes_no_copies(app, public_item):
    from archive.catalogue.withdrawal import withdraw
    from archive.holdings.jobs import transcode

    with app.app_context():
        recording = db.session.get(Recording, public_item["recording"])
        job = Job(recording=recording, state="queued")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        withdraw(items.find_item(public_item["identifier"]), "consent withdrawn", user=None)
        transcode(job_id)  # cancelled by the withdrawal: it does nothing
        job = db.session.get(Job, job_id)
        assert job.state == "failed" and "withdrawn" in job.error
        assert [f.role for f in db.session.get(Recording, public_item["recording"]).files] == [
            "original"
        ]
    assert not any(path.exists() for path in public_item["derivatives"])


def test_only_an_admin_deletes_for_good_after_typing_the_identifier(app, client, auth, tmp_path):
    info = publish_upload(app, client, auth, make_video(tmp_path / "talk.mp4", seconds=1))
    ident = info["identifier"]
    with app.app_context():
        recording = db.session.get(Recording, info["recording"])
        assert sorted(f.role for f in recording.files) == [
            "access",
            "original",
            "peaks",
            "poster",
            "small",
        ]
    assert found(app, "عسقلان") == [ident]

    auth.login("archivist@example.org")
    assert client.get(f"/manage/items/{ident}/delete").status_code == 403
    assert "Delete for good" not in client.get(f"/manage/items/{ident}?lang=en").get_data(
        as_text=True
    )
    auth.logout()
    auth.login("admin@example.org")
    assert "Delete for good" in client.get(f"/manage/items/{ident}?lang=en").get_data(as_text=True)
    page = client.get(f"/manage/items/{ident}/delete?lang=en").get_data(as_text=True)
    assert 'name="confirm"' in page
    token = auth.csrf("/")
    wrong = client.post(f"/manage/items/{ident}/delete", data={"csrf_token": token, "confirm": "x"})
    assert wrong.status_code == 422
    with app.app_context():
        assert items.find_item(ident) is not None
    assert info["original"].is_file()

    done = client.post(
        f"/manage/items/{ident}/delete", data={"csrf_token": token, "confirm": ident}
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Item).where(Item.identifier == ident)) is None
        assert db.session.scalar(select(Recording.id)) is None
        assert db.session.scalar(select(MediaFile.id)) is None
        assert db.session.scalar(select(Transcript.id)) is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delete"))
        assert event.details["identifier"] == ident and event.details["item_id"]
        assert event.user_id == find_user("admin@example.org").id
    assert not info["original"].exists()
    assert not any(path.exists() for path in info["derivatives"])
    media_root = Path(app.config["MEDIA"]["ROOT"])
    assert not (media_root / "derivatives" / str(info["recording"])).exists()
    for email in (None, "admin@example.org"):
        assert found(app, "عسقلان", email) == []  # the index forgot it too
    assert client.get(f"/items/{ident}").status_code == 404


def test_delete_from_the_command_line_needs_the_flag(app, runner, public_item):
    ident = public_item["identifier"]
    refused = runner.invoke(delete_command, [ident])
    assert refused.exit_code == 1 and "--yes-delete-original" in refused.output
    assert public_item["original"].is_file()
    result = runner.invoke(delete_command, [ident, "--yes-delete-original"])
    assert result.exit_code == 0, result.output
    assert not public_item["original"].exists()
    assert found(app, "عسقلان") == []
    missing = runner.invoke(delete_command, ["NO-SUCH", "--yes-delete-original"])
    assert missing.exit_code == 1 and "No item NO-SUCH" in missing.output


def test_delete_keeps_an_original_another_items_recording_names(app, public_item):
    from archive.catalogue.withdrawal import delete

    with app.app_context():
        other = items.create(identifier="OTHER-1", title="نسخة", type="testimony", user=None)
        mine = db.session.get(Recording, public_item["recording"]).original
        # A catalogue carried over from elsewhere may point two recordings at one stored file.
        shared = Recording(item=other, kind="audio", original_filename="copy.wav")
        shared.files.append(
            MediaFile(role="original", relpath=mine.relpath, sha256="0" * 64, size=mine.size,
                      mimetype=mine.mimetype)
        )  # fmt: skip
        db.session.add(shared)
        db.session.commit()
        relpath = mine.relpath
        counts = delete(
            items.find_item(public_item["identifier"]), user=None, confirm=public_item["identifier"]
        )
        assert counts["kept_shared"] == [relpath]
        assert items.find_item("OTHER-1").recordings[0].original is not None
    assert public_item["original"].is_file()  # still named by OTHER-1
    assert not any(path.exists() for path in public_item["derivatives"])


def test_gone_only_to_those_who_could_see_it(app, client, auth):
    """410 tells a visitor the item existed: only those who could see it before learn that."""
    from archive.catalogue.withdrawal import withdraw

    with app.app_context():
        for identifier, access, publish in (
            ("GONE-PUB", "public", True),
            ("GONE-RES", "researchers", True),
            ("GONE-DRAFT", "public", False),
        ):
            item = items.create(identifier=identifier, title="قصيدة", type="poem", user=None)
            items.describe(item, {"access": access}, user=None)
            if publish:
                items.publish(item, user=None)
            withdraw(item, "the narrator asked", user=None)
        db.session.remove()
    assert client.get("/items/GONE-PUB").status_code == 410
    assert client.get("/items/GONE-RES").status_code == 404
    assert client.get("/items/GONE-DRAFT").status_code == 404
    auth.login("researcher@example.org")
    assert client.get("/items/GONE-RES").status_code == 410
    assert client.get("/items/GONE-DRAFT").status_code == 404
    auth.logout()
    auth.login("archivist@example.org")
    assert client.get("/items/GONE-DRAFT").status_code == 200
