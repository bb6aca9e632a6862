"""Commands on accounts, items and jobs: users, ingest, CSV import and export, jobs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from archive.cli.common import fail, run_job, wait_for
from archive.cli.progress import Stages, Unshown
from archive.errors import ArchiveError
from archive.models import ITEM_TYPES, ROLES


@click.group()
def users():
    """Manage user accounts."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@with_appcontext
def users_create(email: str, role: str):
    """Create an account; the password is read from stdin, or prompted on a terminal."""
    from archive.accounts.users import create_user

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
    from archive.accounts import users as accounts

    rows = [accounts.to_dict(user) for user in accounts.list_users()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        state = "inactive" if not row["active"] else "pending" if row["pending"] else "active"
        affiliation = f"  {row['affiliation']}" if row["affiliation"] else ""
        click.echo(f"{row['email']:<40} {row['role']:<10} {state:<8} {row['name']}{affiliation}")


def _account_change(operation, email: str, *args) -> None:
    """Run one operation of ``archive.accounts.users`` on the account ``email`` (as no one: the CLI)."""
    from archive.accounts import users as accounts

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
    from archive.accounts import users as accounts

    _account_change(accounts.approve, email)
    click.echo(f"Approved {email.strip().lower()}.")


@users.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def users_role(email: str, role: str):
    """Give an account another role."""
    from archive.accounts import users as accounts

    _account_change(accounts.set_role, email, role)
    click.echo(f"{email.strip().lower()} is now {role}.")


@users.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str):
    """Stop an account from logging in (its open sessions end too)."""
    from archive.accounts import users as accounts

    _account_change(accounts.deactivate, email)
    click.echo(f"Deactivated {email.strip().lower()}.")


@users.command("activate")
@click.argument("email")
@with_appcontext
def users_activate(email: str):
    """Let a deactivated account log in again."""
    from archive.accounts import users as accounts

    _account_change(accounts.activate, email)
    click.echo(f"Activated {email.strip().lower()}.")


@users.command("logout")
@click.argument("email")
@with_appcontext
def users_logout(email: str):
    """End every session and remember-me login of an account, on every device."""
    from archive.accounts import users as accounts

    _account_change(accounts.log_out_everywhere, email)
    click.echo(f"Ended every session of {accounts.normal_email(email)}.")


@users.command("password")
@click.argument("email")
@with_appcontext
def users_password(email: str):
    """Give an account a new password (from stdin, or prompted); its sessions all end."""
    from archive.accounts import users as accounts

    if sys.stdin.isatty():
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    _account_change(accounts.change_password, email, password)
    click.echo(f"Changed the password of {accounts.normal_email(email)}; its sessions ended.")


@click.command()
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
    """Ingest audio or video files, each as a new draft item (the progress goes to stderr)."""
    from archive.catalogue import transcripts

    if len(files) > 1 and (identifier or title or transcript):
        fail("--identifier, --title and --transcript take exactly one FILE.")
    segments = None  # (segments, format) of --transcript
    if transcript is not None:
        try:
            segments = transcripts.read_file(transcript)
        except ArchiveError as exc:
            fail(str(exc))
    described = {"identifier": identifier, "title": title, "type": type_}
    failed = 0
    many = len(files) > 1 or wait  # one file, stored and queued: nothing to follow
    shown = Stages(files[0].name if len(files) == 1 else "ingest") if many else Unshown()
    with shown as progress:
        progress("ingesting", 0, len(files))
        for number, path in enumerate(files):

            def report(fraction: float, number: int = number) -> None:
                progress("ingesting", number + fraction, len(files))

            if not _ingest_one(path, described, segments, language, wait, report):
                failed += 1
            progress("ingesting", number + 1, len(files))
    if failed:
        fail(f"{failed} of {len(files)} file(s) failed.")


def _ingest_one(path, described: dict, segments, language, wait, report) -> bool:
    """Ingest one file as a new item ``described`` (and with ``wait`` make its access copies
    here, calling ``report(fraction)``); False when it failed, its reason said on stderr."""
    from archive.catalogue import transcripts
    from archive.holdings import storage
    from archive.holdings.ingest import ingest as run_ingest
    from archive.uow import unit_of_work

    try:
        # One unit: the item, its recording and its transcript, or nothing at all.
        with unit_of_work(queue_jobs=not wait) as uow:  # --wait runs the job here
            done = run_ingest(storage.local(path), user=None, **described)
            if segments is not None:
                segments_, fmt = segments
                transcripts.attach(
                    done.item,
                    segments_,
                    language=language,
                    recording=done.recording,
                    source_format=fmt,
                    user=None,
                )
    except ArchiveError as exc:
        click.echo(f"{path}: {exc}", err=True)
        return False
    click.echo(f"{path} → {done.item.identifier} ({done.recording.kind}, job {done.job.id})")
    if not wait:
        return True
    return all(run_job(job_id, path.name, report) for _, (job_id,) in uow.jobs)


@click.group()
def jobs():
    """Background jobs."""


@jobs.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def jobs_list(as_json: bool):
    """Show jobs that are queued, running or failed."""
    from archive.holdings import jobs as job_ops

    rows = [job.to_dict() for job in job_ops.unfinished()]
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
    from archive.holdings import jobs as job_ops
    from archive.uow import unit_of_work

    try:
        with unit_of_work(queue_jobs=not wait):  # --wait runs it here
            job_ops.retry(job_id)
    except ArchiveError as exc:
        fail(str(exc))
    if wait and not wait_for(job_id, f"job {job_id}"):
        fail(f"Job {job_id} failed again.")
    click.echo(f"Job {job_id} {'done' if wait else 'queued'}.")


@click.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--media-dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Folder that the media column's paths are relative to.",
)
@with_appcontext
def import_(csv_file: Path, media_dir: Path | None):
    """Create or update items from a CSV file, all or nothing (see docs/csv.md).

    The file is read as a stream, twice (checked, then written); the progress goes to stderr:
    bars on a terminal, else a line now and then."""
    from archive.exchange.csv_io import import_csv

    try:
        with Stages(csv_file.name) as progress:
            report = import_csv(csv_file, media_dir=media_dir, progress=progress)
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


@click.command("export")
@click.argument("csv_file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--ohms",
    "ohms_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also (or instead) write each item as OHMS XML into this folder.",
)
@click.option(
    "--public-only/--all",
    "public_only",
    default=None,
    help="With --ohms: only what an anonymous visitor may see (the default), or every item "
    "whole, with withheld passages and restricted transcripts (for staff; keep it private).",
)
@with_appcontext
def export(csv_file: Path | None, ohms_dir: Path | None, public_only: bool | None):
    """Write every item to a CSV file, transcripts beside it (see docs/csv.md); with --ohms
    DIR, one OHMS XML record per recording of each item into DIR (IDENTIFIER.ohms.xml)."""
    if csv_file is None and ohms_dir is None:
        fail("Nothing to do: name a CSV file to write, or --ohms DIR.")
    if ohms_dir is None and public_only is not None:
        fail("--public-only and --all choose what --ohms writes; add --ohms DIR.")
    if csv_file is not None:
        from archive.exchange.csv_io import export_csv

        with Stages(csv_file.name) as progress:
            count = export_csv(csv_file, progress=progress)
        click.echo(f"Exported {count} item(s) to {csv_file}.")
    if ohms_dir is not None:
        from archive.exchange.ohms import export_directory
        from archive.web.edge import site_url

        public = public_only is not False
        try:
            items, files = export_directory(ohms_dir, site_url, public=public)
        except OSError as exc:
            fail(f"{ohms_dir}: cannot write the OHMS records ({exc.strerror}).")
        scope = "as an anonymous visitor sees them" if public else "whole, as staff see them"
        click.echo(f"Exported {items} item(s), {scope}, as {files} OHMS record(s) to {ohms_dir}.")


COMMANDS = (users, ingest, jobs, import_, export)
