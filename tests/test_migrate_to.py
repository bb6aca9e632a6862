"""``archive migrate-to``: an embedded archive (SQLite and its media folder), filled by the real
operations, moved onto a fresh PostgreSQL database and a bucket of a real S3 server (or a media
folder); then an app opened on the target holds every row with its id, every file with its
checksum, passes ``archive fixity`` and finds in search what the source finds. The source is
only read, and a move that fails copies nothing of the catalogue and resumes when run again.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive import create_app
from archive.access import grants
from archive.accounts import tokens
from archive.accounts.users import approve, find_user
from archive.catalogue import authority, items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.cli.instance import fixity
from archive.cli.migration import migrate_to
from archive.db import db
from archive.discovery import search as searching
from archive.exchange import harvest
from archive.holdings.fixity import check_all
from archive.holdings.ingest import ingest
from archive.holdings.storage import local, store
from archive.holdings.transfer import target_app
from archive.models import Item, MediaFile, Person, utcnow
from tests import api_world, media_samples
from tests.conftest import DATABASE, app_config
from tests.databases import PostgresCopies
from tests.s3 import s3_server  # noqa: F401  (the session fixture)

pytestmark = pytest.mark.slow  # a catalogue transcoded once, then moved by the real command

SERVER = "postgresql+psycopg://postgres@127.0.0.1/test"
QUERIES = ("نفحة", "الاضراب", "PUBLICWORDS", "TITLEPUB", "رأفت", "Hamdouna", "راوي مشترك")


def build_source(folder: Path) -> Path:
    """An embedded archive with every kind of record, made by the real operations; its
    instance folder."""
    app = create_app(app_config(folder / "instance"))
    with app.app_context():
        api_world.build(folder)  # six items of every access and status, transcripts, a recording
        admin = find_user(api_world.EMAILS["admin"])
        approve(find_user(api_world.EMAILS["pending"]), by=admin)  # a user naming a user
        video = ingest(
            local(media_samples.video(folder / "video.mp4", seconds=2)),
            user=admin, identifier="MV-VIDEO", title="شهادة مصورة", type="testimony",
        )  # fmt: skip
        assert video.job.state == "done", video.job.error
        item = video.recording.item
        items.describe(
            item, {"access": "public", "narrators": ["رأفت حمدونة", "Raafat Hamdona"],
                   "tags": ["الإضراب"], "collections": ["شهادات نفحة"]}, user=admin,
        )  # fmt: skip
        transcripts.attach(
            item, [ParsedSegment(start=0.0, end=1.5, text=media_samples.ARABIC_TESTIMONY)],
            language="ar", user=admin,
        )  # fmt: skip
        items.publish(item, user=admin)
        first = db.session.scalar(select(Person).where(Person.name == "رأفت حمدونة"))
        second = db.session.scalar(select(Person).where(Person.name == "Raafat Hamdona"))
        authority.update_person(
            first, {"name_latin": "Raafat Hamdouna"}, ["رافت حمدونه", "Ra'fat Hamdona"], user=admin
        )
        authority.merge_people(first, second, user=admin)  # a person naming a person
        # A recording naming the one it supersedes.
        retake = ingest(
            local(media_samples.tone(folder / "retake.wav", seconds=3)),
            user=admin,
            replaces=video.recording,
        )
        assert retake.job.state == "done", retake.job.error
        researcher = find_user(api_world.EMAILS["researcher"])
        asked = grants.request_access(researcher, "API-STF", "For my thesis on Nafha.")
        grants.grant(asked, by=admin, until=(utcnow() + timedelta(days=30)).date())
        tokens.create(researcher, "harvester", "read")
        assert not check_all().problems  # fixity_checks rows
        harvest.reconcile()  # harvest_records, as OAI-PMH keeps them
        db.session.remove()
        db.engine.dispose()
    return folder / "instance"


@pytest.fixture(scope="module")
def source_instance(tmp_path_factory, migrated_database):
    folder = tmp_path_factory.mktemp("migrate-source")
    (folder / "instance").mkdir()
    shutil.copyfile(migrated_database, folder / "instance" / DATABASE)
    return build_source(folder)


@pytest.fixture(scope="module")
def databases(postgres):
    """Empty PostgreSQL databases for the targets: on the suite's server when
    ARCHIVE_TEST_DATABASE names one, else on the machine's."""
    if postgres is not None:
        yield postgres
        return
    pytest.importorskip("psycopg", reason="psycopg is not installed (the postgresql extra)")
    try:
        copies = PostgresCopies(SERVER)
    except RuntimeError:
        pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
    yield copies
    copies.drop_all()


@pytest.fixture(params=["bucket", "folder"])
def target_store(request, tmp_path) -> str:
    """The [STORAGE] table of the target's config: a new bucket, or empty (its media folder)."""
    if request.param == "folder":
        return ""
    server = request.getfixturevalue("s3_server")
    return server.config_toml(server.new_bucket())


@contextmanager
def source_app(instance: Path) -> Iterator:
    app = create_app(app_config(instance))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def write_config(folder: Path, database_url: str, storage: str) -> Path:
    """The new deployment's settings: the catalogue and its search on PostgreSQL (the
    archive's own database when the test says so: searched as the archive is), the media in
    ``storage``."""
    backend = "postgresql" if database_url.startswith("postgresql") else "whoosh"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "target.toml"
    config.write_text(
        f'SECRET_KEY = "test"\n[DATABASE]\nURL = "{database_url}"\n'
        f'[QUEUE]\nIMMEDIATE = true\n[SEARCH]\nBACKEND = "{backend}"\n{storage}',
        encoding="utf-8",
    )
    return config


def rows(app) -> dict[str, list[dict]]:
    """Every row of every catalogue table, in key order."""
    with app.app_context():
        engine = db.engine
    tables = db.metadata.sorted_tables
    with engine.connect() as connection:
        return {
            table.name: [
                dict(row)
                for row in connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).mappings()
            ]
            for table in tables
        }


def fingerprint(instance: Path) -> dict[str, str]:
    """The SHA-256 of every file in the media folder of ``instance``."""
    media = instance / "media"
    return {
        path.relative_to(media).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(media.rglob("*"))
        if path.is_file()
    }


def found(app, query: str, user_email: str | None = None) -> tuple[int, list]:
    """What ``query`` finds: the total, and each item with its moments."""
    with app.app_context():
        user = find_user(user_email) if user_email else None
        result = searching.search(query, user=user, per_page=50)
        db.session.remove()
    # The same items and moments; the order of equal scores may differ between two indexes.
    return result["total"], sorted(
        (r["identifier"], sorted(h["text"] for h in r["hits"])) for r in result["results"]
    )


def test_migrate_to_moves_every_row_file_and_checksum(
    source_instance, databases, target_store, tmp_path
):
    config = write_config(tmp_path, databases.url(databases.create()), target_store)
    with source_app(source_instance) as source:
        before = fingerprint(source_instance), rows(source)
        result = source.test_cli_runner().invoke(
            migrate_to, [str(config), "--instance", str(tmp_path / "target")]
        )
        assert result.exit_code == 0, result.output
        assert "this archive is unchanged" in result.output
        assert "every checksum verified" in result.output
        with target_app(config, tmp_path / "target") as target:
            check_target(source, target, source_instance, before)


def check_target(source, target, source_instance: Path, before) -> None:
    assert target.config["SEARCH"]["BACKEND"] == "postgresql"
    copied = rows(target)
    assert copied == before[1]  # every row of every table, with its id
    assert copied["items"] and copied["segments"] and copied["harvest_records"]
    # Rows naming rows of their own table (filled in once every row is there).
    assert any(row["merged_into_id"] for row in copied["people"])
    assert any(row["superseded_by_id"] for row in copied["recordings"])
    assert any(row["approved_by_id"] for row in copied["users"])
    assert (fingerprint(source_instance), rows(source)) == before  # the source only read
    with target.app_context():
        kept = store()
        assert kept.local_root != source_instance / "media"
        stored = db.session.scalars(select(MediaFile).order_by(MediaFile.id)).all()
        assert {f.role for f in stored} >= {"original", "access", "poster", "peaks"}
        for entry in stored:
            assert kept.size(entry.relpath) == entry.size
            assert kept.sha256(entry.relpath) == entry.sha256, entry.relpath
        # New rows follow the copied ids (the sequences were moved on).
        made = items.create(identifier="MV-NEW", title="جديد", type="poem", user=None)
        assert made.id == max(row["id"] for row in copied["items"]) + 1
        assert db.session.scalar(select(Item.id).where(Item.identifier == "MV-VIDEO"))
        db.session.remove()
    checked = target.test_cli_runner().invoke(fixity)
    assert checked.exit_code == 0, checked.output
    assert "0 changed, 0 missing" in checked.output
    for query in QUERIES:
        for who in (None, api_world.EMAILS["researcher"]):
            assert found(target, query, who) == found(source, query, who), (query, who)
    assert found(target, "نفحة")[0] >= 1
    assert [hit[0] for hit in found(target, "TITLESTF", api_world.EMAILS["admin"])[1]] == [
        "API-STF"
    ]


def test_a_failed_move_copies_no_catalogue_and_resumes(source_instance, databases, tmp_path):
    instance = tmp_path / "source"
    shutil.copytree(source_instance, instance, symlinks=True)
    config = write_config(tmp_path, databases.url(databases.create()), "")
    command = [str(config), "--instance", str(tmp_path / "target")]
    with source_app(instance) as source:
        with source.app_context():
            access = db.session.scalar(select(MediaFile).where(MediaFile.role == "access"))
            damaged = Path(store().local_root) / access.relpath
            files = db.session.scalar(select(func.count(MediaFile.id)))
            db.session.remove()
        good = damaged.read_bytes()
        damaged.write_bytes(good[:-10] + bytes(10))

        failed = source.test_cli_runner().invoke(migrate_to, command)
        assert failed.exit_code != 0
        assert access.relpath in failed.output and "checksum" in failed.output
        with target_app(config, tmp_path / "target") as target:
            assert not any(rows(target).values())  # nothing of the catalogue
        assert damaged.read_bytes() != good  # the source as it was, never "repaired"

        damaged.write_bytes(good)
        resumed = source.test_cli_runner().invoke(migrate_to, command)
        assert resumed.exit_code == 0, resumed.output
        assert f"(1 copied, {files - 1} already there and intact" in resumed.output
        with target_app(config, tmp_path / "target") as target:
            assert rows(target) == rows(source)

        again = source.test_cli_runner().invoke(migrate_to, command)
        assert again.exit_code != 0 and "already holds a catalogue" in again.output
        replaced = source.test_cli_runner().invoke(migrate_to, [*command, "--replace"])
        assert replaced.exit_code == 0, replaced.output
        assert f"(0 copied, {files} already there and intact" in replaced.output
        with target_app(config, tmp_path / "target") as target:
            assert rows(target) == rows(source)


def test_a_file_missing_from_the_source_stops_the_move(source_instance, databases, tmp_path):
    instance = tmp_path / "source"
    shutil.copytree(source_instance, instance, symlinks=True)
    config = write_config(tmp_path, databases.url(databases.create()), "")
    with source_app(instance) as source:
        with source.app_context():
            peaks = db.session.scalar(select(MediaFile).where(MediaFile.role == "peaks"))
            (Path(store().local_root) / peaks.relpath).unlink()
            db.session.remove()
        failed = source.test_cli_runner().invoke(
            migrate_to, [str(config), "--instance", str(tmp_path / "target")]
        )
    assert failed.exit_code != 0
    assert f"{peaks.relpath}: missing" in failed.output
    assert "archive derivatives regenerate" in failed.output
    with target_app(config, tmp_path / "target") as target:
        assert not any(rows(target).values())


def test_migrate_to_refuses_the_archive_itself(source_instance, tmp_path):
    with source_app(source_instance) as source:
        config = write_config(tmp_path, source.config["DATABASE"]["URL"], "")
        refused = source.test_cli_runner().invoke(
            migrate_to, [str(config), "--instance", str(tmp_path / "target")]
        )
    assert refused.exit_code != 0 and "this archive's own" in refused.output
    mismatched = tmp_path / "mismatched.toml"
    mismatched.write_text(
        f'[DATABASE]\nURL = "sqlite:///{tmp_path / "other.db"}"\n[SEARCH]\nBACKEND = "postgresql"\n'
    )
    with source_app(source_instance) as source:
        refused = source.test_cli_runner().invoke(
            migrate_to, [str(mismatched), "--instance", str(tmp_path / "target")]
        )
    assert refused.exit_code != 0 and "needs the catalogue on PostgreSQL" in refused.output
    assert not (tmp_path / "other.db").exists() or (tmp_path / "other.db").stat().st_size == 0


def test_an_archive_on_postgresql_moves_on_again(source_instance, databases, tmp_path):
    """A catalogue already on PostgreSQL (its search tables too, which are rebuilt, not
    copied) moves to another database and folder as well."""
    first = write_config(tmp_path / "first", databases.url(databases.create()), "")
    second = write_config(tmp_path / "second", databases.url(databases.create()), "")
    with source_app(source_instance) as source:
        moved = source.test_cli_runner().invoke(
            migrate_to, [str(first), "--instance", str(tmp_path / "first" / "instance")]
        )
        assert moved.exit_code == 0, moved.output
        with target_app(first, tmp_path / "first" / "instance") as middle:
            again = middle.test_cli_runner().invoke(
                migrate_to, [str(second), "--instance", str(tmp_path / "second" / "instance")]
            )
            assert again.exit_code == 0, again.output
            with target_app(second, tmp_path / "second" / "instance") as last:
                assert rows(last) == rows(source)
                for query in QUERIES:
                    assert found(last, query) == found(source, query), query
