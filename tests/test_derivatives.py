"""Every derivative (access copies, posters, peaks) deleted, then made again from the originals."""

from __future__ import annotations

import hashlib
import os

import pytest
from sqlalchemy import select

from archive.catalogue import items
from archive.cli.lifecycle import derivatives as derivatives_command
from archive.db import db
from archive.holdings.storage import absolute
from archive.models import AuditEvent, MediaFile
from tests.test_upload import make_tone, make_video, upload


@pytest.fixture
def catalogue(app, client, auth, tmp_path, catalogues) -> list[str]:
    """An audio and a video item, transcoded, public and published (made once, each test gets
    its own copy); the identifiers."""
    return catalogues.get(
        "derivatives-catalogue", app, lambda: make_catalogue(app, client, auth, tmp_path)
    )


def make_catalogue(app, client, auth, tmp_path) -> list[str]:
    auth.login("archivist@example.org")
    token = auth.csrf("/manage/upload")
    identifiers = []
    for path in (make_tone(tmp_path / "tone.wav", seconds=2), make_video(tmp_path / "v.mp4", 1)):
        result = upload(client, token, path).get_json()["results"][0]
        identifiers.append(result["item"])
    with app.app_context():
        for identifier in identifiers:
            item = items.find_item(identifier)
            items.describe(item, {"title": "تسجيل", "access": "public"}, user=None)
            items.publish(item, user=None)
    auth.logout()
    return identifiers


def derivative_files(app) -> dict[tuple[int, str], tuple[str, str]]:
    """(recording, role) -> (absolute path, recorded sha256) of every derivative."""
    with app.app_context():
        stored = db.session.scalars(select(MediaFile).where(MediaFile.role != "original"))
        return {(f.recording_id, f.role): (str(absolute(f.relpath)), f.sha256) for f in stored}


def originals(app) -> dict[str, str]:
    with app.app_context():
        stored = db.session.scalars(select(MediaFile).where(MediaFile.role == "original"))
        return {str(absolute(f.relpath)): f.sha256 for f in stored}


def sha256(path) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def get(client, url):
    response = client.get(url)
    response.get_data()
    response.close()
    return response.status_code


def test_all_derivatives_deleted_and_regenerated(app, client, runner, catalogue):
    identifiers = catalogue
    before = derivative_files(app)
    roles = sorted(role for _, role in before)
    assert roles == ["access", "access", "peaks", "peaks", "poster", "small", "small"]
    kept = originals(app)
    urls = [f"/media/{recording}/{role}" for recording, role in before]
    assert all(get(client, url) == 200 for url in urls)

    result = runner.invoke(derivatives_command, ["delete", "--all"])
    assert result.exit_code == 0, result.output
    assert "Deleted 7 derivative file(s) of 2 item(s)" in result.output
    assert derivative_files(app) == {}
    assert not any(os.path.exists(path) for path, _ in before.values())
    assert all(get(client, url) == 404 for url in urls)
    assert originals(app) == kept and all(sha256(p) == s for p, s in kept.items())
    page = client.get(f"/items/{identifiers[0]}").get_data(as_text=True)
    assert "/access" not in page  # nothing to play, and no broken player

    result = runner.invoke(derivatives_command, ["regenerate", "--all", "--wait"])
    assert result.exit_code == 0, result.output
    assert "Made the derivatives of 2 recording(s)" in result.output
    after = derivative_files(app)
    assert sorted(after) == sorted(before)
    for path, recorded in after.values():
        assert sha256(path) == recorded  # checksums recorded for the new files
    assert all(get(client, url) == 200 for url in urls)
    page = client.get(f"/items/{identifiers[0]}").get_data(as_text=True)
    assert f"/media/{next(iter(before))[0]}/access" in page  # it plays again
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
        assert actions.count("delete-derivatives") == 2
        assert actions.count("regenerate-derivatives") == 2


def test_regenerate_one_item_through_the_queue(app, client, runner, catalogue):
    identifiers = catalogue
    result = runner.invoke(derivatives_command, ["delete", identifiers[1]])
    assert result.exit_code == 0 and "Deleted 4 derivative file(s) of 1 item(s)" in result.output
    assert sorted(role for _, role in derivative_files(app)) == ["access", "peaks", "small"]
    # The tests' queue runs a job as soon as it is queued, as the worker would later.
    result = runner.invoke(derivatives_command, ["regenerate", identifiers[1]])
    assert result.exit_code == 0 and "Queued 1 job(s)" in result.output
    assert len(derivative_files(app)) == 7


def test_regenerate_refusals(app, client, runner, catalogue):
    identifiers = catalogue
    nothing = runner.invoke(derivatives_command, ["regenerate"])
    assert nothing.exit_code == 1 and "or --all" in nothing.output
    both = runner.invoke(derivatives_command, ["regenerate", identifiers[0], "--all"])
    assert both.exit_code == 1 and "not both" in both.output
    unknown = runner.invoke(derivatives_command, ["regenerate", "NO-SUCH"])
    assert unknown.exit_code == 1 and "No item NO-SUCH" in unknown.output

    from archive.catalogue.withdrawal import withdraw

    with app.app_context():
        withdraw(items.find_item(identifiers[0]), "takedown request", user=None)
    refused = runner.invoke(derivatives_command, ["regenerate", identifiers[0]])
    assert refused.exit_code == 1 and "reinstate it" in refused.output
    every = runner.invoke(derivatives_command, ["regenerate", "--all", "--wait"])
    assert every.exit_code == 0, every.output  # --all passes over the withdrawn item
    assert sorted(role for _, role in derivative_files(app)) == [
        "access",
        "peaks",
        "poster",
        "small",
    ]
