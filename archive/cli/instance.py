"""Commands that run the archive and look after its instance: init, serve, worker, the
demo, search and reindex, fixity, backup and restore (the long ones show their progress)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from archive.cli.common import fail, require_ready
from archive.cli.progress import Stages
from archive.errors import ArchiveError


def require_search_backend() -> None:
    """Refuse to start when ``[SEARCH] BACKEND`` cannot run on this catalogue."""
    from archive.discovery import indexing

    problem = indexing.backend_problem()
    if problem:
        fail(problem)


@click.command()
@with_appcontext
def init():
    """Create or migrate the database, the index and the media folders (safe to run again)."""
    from archive import migrate
    from archive.accounts.users import ensure_admin
    from archive.discovery import indexing
    from archive.holdings import storage
    from media.errors import MediaError

    problem = indexing.backend_problem()
    if problem:
        fail(problem)
    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    storage.uploads_dir().mkdir(parents=True, exist_ok=True)
    if storage.store().local_root is not None:
        for folder in (storage.originals_root(), storage.media_root() / "derivatives"):
            folder.mkdir(parents=True, exist_ok=True)
    else:
        try:  # the bucket is there and these credentials may list it
            next(storage.store().relpaths("originals/"), None)
        except MediaError as exc:
            fail(f"The media store {current_app.config['STORAGE']['URL']} is not usable: {exc}")
    Path(current_app.config["INDEX"]["DIR"]).mkdir(parents=True, exist_ok=True)
    migrate.upgrade()
    try:
        admin, password = ensure_admin()
    except ArchiveError as exc:
        fail(f"Cannot create the first admin: {exc}")
    if indexing.index_outdated():
        click.echo("The search index was written by an older version: rebuilding it…")
        indexing.reindex()
    click.echo(f"Archive ready in {instance}")
    if password:
        click.echo(f"Created the admin account {admin.email} with password: {password}")
        click.echo("This password is shown only once: keep it now.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--no-worker",
    is_flag=True,
    help="Serve the web app alone: `archive worker` runs the jobs (on this or another host).",
)
@with_appcontext
def serve(host: str, port: int, no_worker: bool):
    """Serve the web app and run the background worker, until Ctrl-C."""
    from archive.cli.supervisor import serve as run

    require_ready()
    require_search_backend()
    sys.exit(run(host, port, current_app.config["SERVER"], worker=not no_worker))


@click.command()
@with_appcontext
def worker():
    """Run the background worker alone."""
    from archive.holdings.jobs import recover
    from archive.holdings.queue import huey

    require_ready()
    require_search_backend()
    requeued = recover()  # jobs a worker killed half-way left behind (then every minute)
    if requeued:
        click.echo(f"Queued again {len(requeued)} unfinished job(s): {requeued}", err=True)
    consumer = huey().create_consumer(
        workers=int(current_app.config["QUEUE"]["WORKERS"]), worker_type="thread", periodic=True
    )
    consumer.run()


@click.command()
@with_appcontext
def demo():
    """Load the small demo collection (once)."""
    from archive.exchange.demo import load_demo

    try:
        loaded = load_demo(echo=click.echo)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(
        f"Demo collection: {loaded} item(s) loaded."
        if loaded
        else "Demo collection already loaded."
    )


@click.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of GET /api/search.")
@click.option("--limit", default=10, show_default=True, type=int, help="Results per page.")
@click.option("--page", default=1, show_default=True, type=int)
@click.option("--as", "as_email", help="Search as this user (default: an anonymous visitor).")
@with_appcontext
def search(query: str, as_json: bool, limit: int, page: int, as_email: str | None):
    """Search the archive as an anonymous visitor sees it, or as --as EMAIL."""
    from archive.accounts.users import find_user
    from archive.discovery import search as searching

    user = None
    if as_email:
        user = find_user(as_email)
        if user is None:
            fail(f"No user {as_email}.")
    result = searching.search(query, user=user, page=page, per_page=limit)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    if result["suggestion"]:
        click.echo(f"Did you mean: {result['suggestion']}")
    for entry in result.get("also_searched", []):
        click.echo(f"Also searched for {entry['words']}: {', '.join(entry['forms'])}")
    click.echo(f"{result['total']} item(s)")
    for entry in result["results"]:
        click.echo(f"{entry['identifier']}  {entry['title']}  ({entry['type']})")
        for hit in entry["hits"]:
            start = "" if hit["start"] is None else f"{hit['start']:>8.1f}s  "
            click.echo(f"    {start}{_plain(hit['text'])}")


def _plain(html_text: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"</?mark>", "*", html_text))


@click.command()
@click.option(
    "--procs",
    type=click.IntRange(min=1),
    help="Writer processes [default: one per core, for archives of over 500 items].",
)
@with_appcontext
def reindex(procs: int | None):
    """Rebuild the whole search index from the database and swap it in atomically."""
    import os
    import time

    from sqlalchemy import func, select

    from archive.db import db
    from archive.discovery.indexing import reindex as rebuild
    from archive.models import Item

    if procs is None:  # several writers pay off once there is enough to write
        large = (db.session.scalar(select(func.count(Item.id))) or 0) > 500
        procs = (os.cpu_count() or 1) if large else 1
    started = time.monotonic()
    with Stages("reindex") as progress:
        count = rebuild(procs=procs, progress=progress)
    click.echo(f"Indexed {count} item(s) in {time.monotonic() - started:.1f} s.")


@click.command()
@with_appcontext
def fixity():
    """Re-verify every stored original against its recorded SHA-256 (exit 1 on any problem)."""
    from archive.holdings.fixity import check_all

    with Stages("fixity") as progress:
        report = check_all(echo=lambda line: click.echo(line, err=True), progress=progress)
    click.echo(
        f"Checked {report.checked} original(s): {report.ok} intact, "
        f"{len(report.mismatched)} changed, {len(report.missing)} missing."
    )
    if report.problems:
        fail(f"{len(report.problems)} original(s) failed the fixity check: {report.problems[0]}")


@click.command()
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@with_appcontext
def backup(dest: Path):
    """Write a consistent copy of the database and the media, with a checksum manifest."""
    from archive.holdings.backup import backup as run

    try:
        with Stages(dest.name or str(dest)) as progress:
            counts = run(dest, progress=progress)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(
        f"Backed up the catalogue and {counts['files']} file(s) ({counts['bytes']} bytes) to {dest}."
    )


@click.command()
@click.argument("src", type=click.Path(path_type=Path, file_okay=False, exists=True))
@with_appcontext
def restore(src: Path):
    """Verify a backup and bring it into this empty instance (then reindex)."""
    from archive.holdings.backup import restore as run

    try:
        with Stages(src.name or str(src)) as progress:
            counts = run(src, progress=progress)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(f"Restored {counts['items']} item(s) and {counts['files']} file(s) from {src}.")


COMMANDS = (init, serve, worker, demo, search, reindex, fixity, backup, restore)
