"""The ``archive`` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from archive import create_app
from archive.errors import ArchiveError
from archive.models import ITEM_TYPES, ROLES


def _create_app(*_args):
    return create_app()


class ArchiveGroup(FlaskGroup):
    """Commands run on a database ``archive init`` has not made (or not migrated) end with
    that advice instead of a traceback."""

    def invoke(self, ctx):
        from sqlalchemy.exc import OperationalError

        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            if "no such table" not in str(exc) and "no such column" not in str(exc):
                raise
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                problem = _not_ready()
            if problem is None:
                raise
            raise click.ClickException(problem) from None


def _not_ready() -> str | None:
    """A message when this instance's database cannot serve this version, else None."""
    from archive import migrate

    reason = migrate.behind()
    if reason is None:
        return None
    return (
        f"The database in {current_app.instance_path} cannot be used: {reason}. Run `archive init`."
    )


def _require_ready() -> None:
    problem = _not_ready()
    if problem:
        fail(problem)


@click.group(
    cls=ArchiveGroup, create_app=_create_app, add_default_commands=False, add_version_option=False
)
def main():
    """The oral-history archive of the Palestinian prisoners' movement."""


def fail(message: str) -> None:
    raise click.ClickException(message)


@main.command()
@with_appcontext
def init():
    """Create or migrate the database, the index and the media folders (safe to run again)."""
    import indexer
    from archive import indexing, migrate, storage
    from archive.users import ensure_admin

    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    for folder in (
        storage.originals_root(),
        storage.uploads_dir(),
        storage.media_root() / "derivatives",
    ):
        folder.mkdir(parents=True, exist_ok=True)
    Path(current_app.config["INDEX"]["DIR"]).mkdir(parents=True, exist_ok=True)
    migrate.upgrade()
    try:
        admin, password = ensure_admin()
    except ArchiveError as exc:
        fail(f"Cannot create the first admin: {exc}")
    if indexer.outdated(indexing.index_root()):
        click.echo("The search index was written by an older version: rebuilding it…")
        indexing.reindex()
    click.echo(f"Archive ready in {instance}")
    if password:
        click.echo(f"Created the admin account {admin.email} with password: {password}")
        click.echo("This password is shown only once: keep it now.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int):
    """Serve the web app and run the background worker, until Ctrl-C."""
    from archive.supervisor import serve as run

    _require_ready()
    sys.exit(run(host, port, current_app.config["SERVER"]))


@main.command()
@with_appcontext
def worker():
    """Run the background worker alone."""
    from archive.jobs import recover
    from archive.queue import huey

    _require_ready()
    requeued = recover()  # jobs a worker killed half-way left behind (then every minute)
    if requeued:
        click.echo(f"Queued again {len(requeued)} unfinished job(s): {requeued}", err=True)
    consumer = huey().create_consumer(
        workers=int(current_app.config["QUEUE"]["WORKERS"]), worker_type="thread", periodic=True
    )
    consumer.run()


@main.group()
def users():
    """Manage user accounts."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@with_appcontext
def users_create(email: str, role: str):
    """Create an account; the password is read from stdin, or prompted on a terminal."""
    from archive.users import create_user

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = create_user(email, password, role)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(f"Created {user.email} ({user.role}).")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@with_appcontext
def users_list(as_json: bool):
    """List the accounts, researchers waiting for approval first."""
    from archive import accounts

    rows = [accounts.to_dict(user) for user in accounts.list_users()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        state = "inactive" if not row["active"] else "pending" if row["pending"] else "active"
        affiliation = f"  {row['affiliation']}" if row["affiliation"] else ""
        click.echo(f"{row['email']:<40} {row['role']:<10} {state:<8} {row['name']}{affiliation}")


def _account_change(operation, email: str, *args) -> None:
    """Run one operation of ``archive.accounts`` on the account ``email`` (as no one: the CLI)."""
    from archive import accounts

    try:
        user = accounts.by_email(email)
        operation(user, *args, by=None)
    except ArchiveError as exc:
        fail(str(exc))


@users.command("approve")
@click.argument("email")
@with_appcontext
def users_approve(email: str):
    """Approve a researcher's registration."""
    from archive import accounts

    _account_change(accounts.approve, email)
    click.echo(f"Approved {email.strip().lower()}.")


@users.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def users_role(email: str, role: str):
    """Give an account another role."""
    from archive import accounts

    _account_change(accounts.set_role, email, role)
    click.echo(f"{email.strip().lower()} is now {role}.")


@users.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str):
    """Stop an account from logging in (its open sessions end too)."""
    from archive import accounts

    _account_change(accounts.deactivate, email)
    click.echo(f"Deactivated {email.strip().lower()}.")


@users.command("activate")
@click.argument("email")
@with_appcontext
def users_activate(email: str):
    """Let a deactivated account log in again."""
    from archive import accounts

    _account_change(accounts.activate, email)
    click.echo(f"Activated {email.strip().lower()}.")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--identifier", help="Accession number of the new item (one FILE only).")
@click.option("--title", help="Title of the new item (one FILE only).")
@click.option("--type", "type_", type=click.Choice(ITEM_TYPES), help="Item type.")
@click.option(
    "--transcript",
    type=click.Path(path_type=Path),
    help="A transcript of the recording (WebVTT, SRT, text or OHMS XML; one FILE only).",
)
@click.option("--language", default="ar", show_default=True, help="Language of --transcript.")
@click.option("--wait", is_flag=True, help="Make the access copies now, in this process.")
@with_appcontext
def ingest(files, identifier, title, type_, transcript, language, wait):
    """Ingest audio or video files, each as a new draft item."""
    from archive import storage, transcripts
    from archive.db import db
    from archive.ingest import abandon, start_jobs
    from archive.ingest import ingest as run_ingest

    if len(files) > 1 and (identifier or title or transcript):
        fail("--identifier, --title and --transcript take exactly one FILE.")
    segments = None
    if transcript is not None:
        try:
            segments, fmt = transcripts.read_file(transcript)
        except ArchiveError as exc:
            fail(str(exc))
    failed = 0
    for path in files:
        done = None
        try:
            done = run_ingest(
                storage.local(path),
                user=None,
                identifier=identifier,
                title=title,
                type=type_,
                commit=False,
            )
            if segments is not None:
                transcripts.attach(
                    done.item,
                    segments,
                    language=language,
                    recording=done.recording,
                    source_format=fmt,
                    user=None,
                    commit=False,
                )
            db.session.commit()
        except ArchiveError as exc:
            db.session.rollback()
            abandon()
            click.echo(f"{path}: {exc}", err=True)
            failed += 1
            continue
        except BaseException:
            db.session.rollback()
            raise
        start_jobs([] if wait else [done])  # --wait runs the job here, not in the worker
        click.echo(f"{path} → {done.item.identifier} ({done.recording.kind}, job {done.job.id})")
        if wait and not _wait_for(done.job.id, path.name):
            failed += 1
    if failed:
        fail(f"{failed} of {len(files)} file(s) failed.")


def _wait_for(job_id: int, label: str) -> bool:
    """Run a job here with a progress bar; True when it succeeded."""
    from archive.db import db
    from archive.jobs import run_job_with_progress
    from archive.models import Job

    job = run_job_with_progress(job_id, label)
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    if job.state != "done":
        click.echo(f"{label}: transcoding failed: {job.error.splitlines()[0]}", err=True)
        return False
    return True


@main.command()
@with_appcontext
def demo():
    """Load the small demo collection (once)."""
    from archive.demo import load_demo

    try:
        loaded = load_demo(echo=click.echo)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(
        f"Demo collection: {loaded} item(s) loaded."
        if loaded
        else "Demo collection already loaded."
    )


@main.group()
def jobs():
    """Background jobs."""


@jobs.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def jobs_list(as_json: bool):
    """Show jobs that are queued, running or failed."""
    from sqlalchemy import select

    from archive.db import db
    from archive.models import Job

    found = db.session.scalars(select(Job).where(Job.state != "done").order_by(Job.id))
    rows = [job.to_dict() for job in found]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        reason = f"  {row['error'].splitlines()[0]}" if row["error"] else ""
        click.echo(
            f"{row['id']:>6}  {row['item']:<20} {row['state']:<12} {row['progress']:.0%}{reason}"
        )


@jobs.command("retry")
@click.argument("job_id", type=int)
@click.option("--wait", is_flag=True, help="Run it now, in this process.")
@with_appcontext
def jobs_retry(job_id: int, wait: bool):
    """Queue a failed job again."""
    from archive import jobs as job_ops

    try:
        if wait:
            job_ops.reset_for_retry(job_id)
            ok = _wait_for(job_id, f"job {job_id}")
            if not ok:
                fail(f"Job {job_id} failed again.")
        else:
            job_ops.retry(job_id)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(f"Job {job_id} {'done' if wait else 'queued'}.")


@main.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of GET /api/search.")
@click.option("--limit", default=10, show_default=True, type=int, help="Results per page.")
@click.option("--page", default=1, show_default=True, type=int)
@click.option("--as", "as_email", help="Search as this user (default: an anonymous visitor).")
@with_appcontext
def search(query: str, as_json: bool, limit: int, page: int, as_email: str | None):
    """Search the archive as an anonymous visitor sees it, or as --as EMAIL."""
    from archive import search as searching
    from archive.users import find_user

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


@main.command()
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
    from archive.indexing import reindex as rebuild
    from archive.models import Item

    if procs is None:  # several writers pay off once there is enough to write
        large = (db.session.scalar(select(func.count(Item.id))) or 0) > 500
        procs = (os.cpu_count() or 1) if large else 1
    started = time.monotonic()
    count = rebuild(procs=procs)
    click.echo(f"Indexed {count} item(s) in {time.monotonic() - started:.1f} s.")


@main.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--media-dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Folder that the media column's paths are relative to.",
)
@with_appcontext
def import_(csv_file: Path, media_dir: Path | None):
    """Create or update items from a CSV file, all or nothing (see docs/csv.md)."""
    from archive.csv_io import import_csv

    try:
        report = import_csv(csv_file, media_dir=media_dir)
    except ArchiveError as exc:
        lines = str(exc).splitlines()
        for line in lines[1:]:
            click.echo(line, err=True)
        fail(f"{csv_file.name}: nothing imported: {lines[0] if lines else exc}")
    click.echo(
        f"{csv_file.name}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.media_ingested} recording(s) ingested, "
        f"{report.transcripts} transcript(s) attached."
    )


@main.command("export")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@with_appcontext
def export(csv_file: Path):
    """Write every item to a CSV file, transcripts beside it (see docs/csv.md)."""
    from archive.csv_io import export_csv

    count = export_csv(csv_file)
    click.echo(f"Exported {count} item(s) to {csv_file}.")


@main.command()
@with_appcontext
def fixity():
    """Re-verify every stored original against its recorded SHA-256 (exit 1 on any problem)."""
    from archive.fixity import check_all

    report = check_all(echo=lambda line: click.echo(line, err=True))
    click.echo(
        f"Checked {report.checked} original(s): {report.ok} intact, "
        f"{len(report.mismatched)} changed, {len(report.missing)} missing."
    )
    if report.problems:
        fail(f"{len(report.problems)} original(s) failed the fixity check: {report.problems[0]}")


@main.command()
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@with_appcontext
def backup(dest: Path):
    """Write a consistent copy of the database and the media, with a checksum manifest."""
    from archive.backup import backup as run

    try:
        counts = run(dest)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(
        f"Backed up the catalogue and {counts['files']} file(s) ({counts['bytes']} bytes) to {dest}."
    )


@main.command()
@click.argument("src", type=click.Path(path_type=Path, file_okay=False, exists=True))
@with_appcontext
def restore(src: Path):
    """Verify a backup and bring it into this empty instance (then reindex)."""
    from archive.backup import restore as run

    try:
        counts = run(src)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(f"Restored {counts['items']} item(s) and {counts['files']} file(s) from {src}.")


def _add_lifecycle_commands() -> None:
    """withdraw, reinstate, delete, derivatives and transcripts (archive/cli_lifecycle.py)."""
    from archive.cli_lifecycle import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_add_lifecycle_commands()
