"""Public pages kept in memory for anonymous visitors change the moment the catalogue does:
in this process, in another process, and when an embargo ends with nothing written."""

from __future__ import annotations

import datetime
import subprocess
import sys
import time

import pytest

from archive.catalogue import items
from archive.db import db
from archive.models import utcnow
from archive.web import page_cache
from tests.conftest import process_env


@pytest.fixture(autouse=True)
def _empty_cache():
    page_cache.clear()
    yield
    page_cache.clear()


def make_item(app, identifier, title, access="public", embargo_until=None):
    with app.app_context():
        item = items.create(identifier=identifier, title=title, type="poem", user=None)
        items.describe(item, {"access": access}, user=None)
        item.embargo_until = embargo_until
        items.publish(item, user=None)
        db.session.remove()


def rename(app, identifier, title):
    with app.app_context():
        items.describe(items.find_item(identifier), {"title": title}, user=None)
        db.session.remove()


def test_a_change_shows_at_once_to_anonymous_visitors(app, client):
    make_item(app, "PC-1", "قصيدة الزنزانة")
    assert "قصيدة الزنزانة" in client.get("/items/PC-1").get_data(as_text=True)
    assert "قصيدة الزنزانة" in client.get("/").get_data(as_text=True)

    rename(app, "PC-1", "قصيدة الفجر")
    assert "قصيدة الفجر" in client.get("/items/PC-1").get_data(as_text=True)
    assert "قصيدة الفجر" in client.get("/").get_data(as_text=True)

    with app.app_context():
        items.unpublish(items.find_item("PC-1"), user=None)
        db.session.remove()
    assert client.get("/items/PC-1").status_code == 404
    assert client.get("/embed/PC-1").status_code == 404
    assert "قصيدة الفجر" not in client.get("/").get_data(as_text=True)


@pytest.mark.slow  # a second process
def test_a_change_made_by_another_process_shows_at_once(app, client, tmp_path):
    make_item(app, "PC-2", "أغنية السجن")
    assert "أغنية السجن" in client.get("/items/PC-2").get_data(as_text=True)
    script = (
        "from archive import create_app\nfrom archive.catalogue import items\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    items.unpublish(items.find_item('PC-2'), user=None)\n"
    )
    subprocess.run([sys.executable, "-c", script], env=process_env(app), check=True, timeout=120)
    assert client.get("/items/PC-2").status_code == 404


@pytest.mark.slow  # waits for the clock
def test_an_embargo_that_ends_shows_the_item_without_any_write(app, client):
    make_item(app, "PC-3", "شهادة الأسير")
    ends = utcnow() + datetime.timedelta(seconds=3)
    make_item(app, "PC-4", "شهادة محجوبة", embargo_until=ends)
    home = client.get("/").get_data(as_text=True)
    assert "شهادة الأسير" in home and "شهادة محجوبة" not in home
    assert client.get("/items/PC-4").status_code == 404
    time.sleep(max(0.0, (ends - utcnow()).total_seconds()) + 0.2)
    assert "شهادة محجوبة" in client.get("/").get_data(as_text=True)
    assert client.get("/items/PC-4").status_code == 200


def test_pages_of_logged_in_users_are_never_kept(app, client, auth):
    make_item(app, "PC-5", "محاضرة للباحثين", access="researchers")
    auth.login("researcher@example.org")
    assert "محاضرة للباحثين" in client.get("/").get_data(as_text=True)
    assert client.get("/items/PC-5").status_code == 200
    auth.logout()
    assert "محاضرة للباحثين" not in client.get("/").get_data(as_text=True)
    assert client.get("/items/PC-5").status_code == 404


def test_each_language_is_kept_apart(app, client):
    make_item(app, "PC-6", "قصيدة")
    arabic = client.get("/items/PC-6?lang=ar").get_data(as_text=True)
    english = client.get("/items/PC-6?lang=en").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and 'dir="ltr"' in english
    # the cookie set by ?lang=en now picks English for the bare address
    assert 'dir="ltr"' in client.get("/items/PC-6").get_data(as_text=True)
    client.set_cookie("lang", "fr")
    assert 'lang="fr"' in client.get("/items/PC-6").get_data(as_text=True)


def test_web_hosts_on_one_postgresql_catalogue_see_each_others_changes(tmp_path):
    """Two web hosts share the catalogue but no folder: the version they compare is the
    database's own, so a change made through one is seen at once on the other."""
    from archive import create_app, migrate
    from tests.conftest import app_config
    from tests.databases import ON_POSTGRESQL, SETTING, PostgresCopies

    server = SETTING if ON_POSTGRESQL else "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    try:
        copies = PostgresCopies(server)
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL at {server} does not answer ({exc})")
    apps = []
    try:
        url = copies.url(copies.create())
        apps = [create_app(app_config(tmp_path / name, url)) for name in ("first", "second")]
        first, second = apps
        with first.app_context():
            migrate.upgrade()
        make_item(second, "PC-9", "رسالة من نفحة")
        visitor = first.test_client()
        assert "رسالة من نفحة" in visitor.get("/items/PC-9").get_data(as_text=True)
        rename(second, "PC-9", "رسالة من عسقلان")
        page = visitor.get("/items/PC-9").get_data(as_text=True)
        assert "رسالة من عسقلان" in page and "رسالة من نفحة" not in page
        with second.app_context():
            items.unpublish(items.find_item("PC-9"), user=None)
            db.session.remove()
        assert visitor.get("/items/PC-9").status_code == 404
    finally:
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        copies.drop_all()
