"""A catalogue for the API's tests, made through the real operations (once per session, each
test gets its own copy: ``tests/conftest.py``'s ``catalogues``), and personal tokens.

One item of each kind a caller may or may not see, each with marker words of its own in its
title, description, people, tag, collection and place: public, "researchers", staff, draft,
embargoed and withdrawn; the public one also has a transcoded recording, a transcript with a
withheld passage and a restricted English transcript.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from werkzeug.serving import make_server

from archive import create_app, migrate
from archive.accounts import tokens
from archive.accounts.users import create_user, find_user
from archive.catalogue import items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.catalogue.withdrawal import withdraw
from archive.db import db
from archive.holdings.ingest import ingest
from archive.holdings.storage import local
from archive.models import Item, utcnow
from tests.conftest import PASSWORD
from tests.databases import own_database
from tests.test_upload import make_tone

# key: (access, status)
SPECS = {
    "PUB": ("public", "published"),
    "RES": ("researchers", "published"),
    "STF": ("staff", "published"),
    "DRF": ("public", "draft"),
    "EMB": ("public", "published"),
    "GONE": ("public", "withdrawn"),
}
WITHHELD = "SECRETWITHHELD"  # the withheld passage of PUB
RESTRICTED = "SECRETENGLISH"  # PUB's restricted English transcript
SHARED_NARRATOR = "راوي مشترك"
VISIBLE = {
    "anonymous": {"PUB"},
    "pending": {"PUB"},
    "researcher": {"PUB", "RES"},
    "archivist": set(SPECS),
    "admin": set(SPECS),
}
EMAILS = {
    "researcher": "researcher@example.org",
    "archivist": "archivist@example.org",
    "admin": "admin@example.org",
    "pending": "pending@example.org",
}


def identifier(key: str) -> str:
    return f"API-{key}"


def markers(key: str) -> list[str]:
    """Words only the item ``key`` holds."""
    return [f"TITLE{key}", f"DESC{key}", f"PERSON{key}", f"TAG{key}", f"COLL{key}", f"PRISON{key}"]


def build(tmp: Path) -> dict:
    """The catalogue (in the app context of the caller); returns what tests look up."""
    made: dict = {"items": {}}
    for key, (access, status) in SPECS.items():
        item = items.create(
            identifier=identifier(key), title=f"عنوان TITLE{key}", type="testimony", user=None
        )
        changes = {
            "description": f"وصف DESC{key}", "access": access, "languages": "ar|en",
            "date": "1985", "rights": "InC", "narrators": [f"PERSON{key}", SHARED_NARRATOR],
            "tags": [f"TAG{key}"], "collections": [f"COLL{key}"], "prisons": [f"PRISON{key}"],
        }  # fmt: skip
        if key == "EMB":
            changes["embargo_until"] = (utcnow() + timedelta(days=365)).date()
        items.describe(item, changes, user=None)
        if key == "PUB":
            done = ingest(local(make_tone(tmp / "api-tone.wav", seconds=2)), user=None, item=item)
            assert done.job.state == "done", done.job.error
            spoken = transcripts.attach(
                item,
                [
                    ParsedSegment(start=0.0, end=0.5, text="كلمات عامة PUBLICWORDS"),
                    ParsedSegment(start=0.5, end=1.0, text=f"{WITHHELD} سرية"),
                ],
                language="ar",
                user=None,
            )
            transcripts.restrict_segment(spoken.segments[1], True, user=None)
            english = transcripts.attach(
                item, [ParsedSegment(start=0.0, end=1.0, text=f"{RESTRICTED} words")],
                language="en", user=None,
            )  # fmt: skip
            transcripts.restrict_transcript(english, True, user=None)
            made["recording"] = done.recording.id
            made["job"] = done.job.id
        if status in ("published", "withdrawn"):
            items.publish(item, user=None)
        if status == "withdrawn":
            withdraw(item, "The narrator withdrew consent.", user=None)
        made["items"][key] = item.id
    create_user(EMAILS["pending"], PASSWORD, "researcher", approved=False)
    db.session.remove()
    return made


def world(app, catalogues, tmp_path) -> dict:
    def made():
        with app.app_context():
            return build(tmp_path)

    return catalogues.get("api-world", app, made)


def token(app, who: str, scope: str = "read", name: str = "test token") -> str:
    """A new personal token of ``who`` (an email or a role of EMAILS); its secret."""
    with app.app_context():
        user = find_user(EMAILS.get(who, who))
        _record, secret = tokens.create(user, name, scope)
        db.session.remove()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def item_row(identifier_: str) -> Item | None:
    return db.session.scalar(select(Item).where(Item.identifier == identifier_))


@contextmanager
def live_archive(
    folder: Path, *, own_process: bool = False, **settings
) -> Iterator[tuple[str, object]]:
    """A migrated archive with the three accounts and this catalogue, served over TCP on a
    free port; (base URL, an app on the same instance, for the test's own work).

    By werkzeug's threaded server in this process, or, ``own_process``, by gunicorn as
    ``archive serve`` starts it: Hypothesis seeds this process's ``random`` for every example
    it makes, and the search index names its files with it, so a fuzzer's server runs apart."""
    probe = make_server("127.0.0.1", 0, lambda environ, start: [])
    port = probe.server_port  # a free port, known before the app is made (BASE_URL)
    probe.server_close()
    base_url = f"http://127.0.0.1:{port}"
    with own_database() as database_url:  # on PostgreSQL when the suite runs there
        settings = {
            "QUEUE": {"IMMEDIATE": True},
            "SERVER": {"BASE_URL": base_url},
            **({"DATABASE": {"URL": database_url}} if database_url else {}),
            **settings,
        }
        app = create_app(
            {"INSTANCE_PATH": str(folder / "instance"), "TESTING": True, "SECRET_KEY": "test",
             **settings}
        )  # fmt: skip
        app.config["PROPAGATE_EXCEPTIONS"] = False  # a failure is a 500 answer, as in production
        with app.app_context():
            migrate.upgrade()
            create_user(EMAILS["admin"], PASSWORD, "admin")
            create_user(EMAILS["archivist"], PASSWORD, "archivist")
            create_user(EMAILS["researcher"], PASSWORD, "researcher", approved=True)
            build(folder)
        serving = _gunicorn(folder, port, settings) if own_process else _thread(app, port)
        try:
            with serving:
                yield base_url, app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@contextmanager
def _thread(app, port: int):
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def _gunicorn(folder: Path, port: int, settings: dict):
    from archive.cli.supervisor import commands

    lines = []
    for table, values in settings.items():
        lines.append(f"[{table}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    (folder / "config.toml").write_text("\n".join(lines) + "\n")
    env = dict(os.environ, ARCHIVE_INSTANCE=str(folder / "instance"),
               ARCHIVE_CONFIG=str(folder / "config.toml"))  # fmt: skip
    web = commands("127.0.0.1", port, {"WORKERS": 1, "THREADS": 4})["web"]
    with (folder / "server.log").open("wb") as log:
        server = subprocess.Popen(web, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError((folder / "server.log").read_text()) from None
                time.sleep(0.2)
        yield
    finally:
        server.terminate()
        server.wait(30)
