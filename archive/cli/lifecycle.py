"""Commands that withdraw, reinstate and delete items, remake derivatives and restrict text.

``archive.cli`` adds them to the ``archive`` command.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from archive.cli.common import fail, run_jobs
from archive.errors import ArchiveError
from archive.uow import unit_of_work


def _item(identifier: str):
    from archive.catalogue.items import find_item

    try:
        return find_item(identifier)
    except ArchiveError as exc:
        fail(str(exc))


@click.command()
@click.argument("identifier")
@click.option("--reason", required=True, help="Why it is withdrawn (kept in its history).")
@with_appcontext
def withdraw(identifier: str, reason: str):
    """Withdraw an item: gone for all but staff; derivatives and index entries removed."""
    from archive.catalogue.withdrawal import withdraw as run

    try:
        run(_item(identifier), reason, user=None)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(f"{identifier} withdrawn; its original is kept.")


@click.command()
@click.argument("identifier")
@click.option("--wait", is_flag=True, help="Make the access copies now, in this process.")
@with_appcontext
def reinstate(identifier: str, wait: bool):
    """Bring a withdrawn item back as a draft and make its access copies again."""
    from archive.catalogue.withdrawal import reinstate as run

    try:
        with unit_of_work(queue_jobs=not wait):  # --wait runs the jobs here
            done = run(_item(identifier), user=None)
    except ArchiveError as exc:
        fail(str(exc))
    click.echo(f"{identifier} reinstated as a draft.")
    _report(done, wait)


@click.command()
@click.argument("identifier")
@click.option(
    "--yes-delete-original",
    "confirmed",
    is_flag=True,
    help="Required: you mean to delete the original recording too, for good.",
)
@with_appcontext
def delete(identifier: str, confirmed: bool):
    """Delete an item for good: catalogue rows, transcripts, index entries and every file."""
    from archive.catalogue.withdrawal import delete as run

    if not confirmed:
        fail(
            f"Refusing to delete {identifier}: this destroys its original recording too. "
            "Add --yes-delete-original to confirm, or withdraw it instead."
        )
    item = _item(identifier)
    try:
        counts = run(item, user=None, confirm=identifier)
    except ArchiveError as exc:
        fail(str(exc))
    kept = f"; {len(counts['kept_shared'])} shared file(s) kept" if counts["kept_shared"] else ""
    click.echo(
        f"{identifier} deleted for good: {counts['recordings']} recording(s), "
        f"{counts['files']} file(s), {counts['transcripts']} transcript(s){kept}."
    )


@click.group()
def derivatives():
    """Access copies, posters and waveform peaks: delete them, make them again."""


def _items_named(identifiers: tuple[str, ...], every: bool):
    from archive.holdings.derivatives import every_item

    if every and identifiers:
        fail("Give identifiers or --all, not both.")
    if not every and not identifiers:
        fail("Give one or more identifiers, or --all.")
    return every_item() if every else [_item(i) for i in identifiers]


@derivatives.command("regenerate")
@click.argument("identifiers", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every item with a recording.")
@click.option("--wait", is_flag=True, help="Run the jobs now, in this process.")
@click.option("--small", "small_only", is_flag=True, help="Only make the missing small renditions.")
@with_appcontext
def derivatives_regenerate(identifiers: tuple[str, ...], every: bool, wait: bool, small_only):
    """Make the derivatives again from the originals (queued, or here with --wait)."""
    from archive.holdings.derivatives import regenerate

    chosen = _items_named(identifiers, every)
    if every:
        chosen = [item for item in chosen if item.status != "withdrawn"]
    try:
        with unit_of_work(queue_jobs=not wait):  # --wait runs the jobs here
            done = regenerate(chosen, user=None, small_only=small_only)
    except ArchiveError as exc:
        fail(str(exc))
    _report(done, wait)


@derivatives.command("delete")
@click.argument("identifiers", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every item with a recording.")
@with_appcontext
def derivatives_delete(identifiers: tuple[str, ...], every: bool):
    """Delete the derivatives (never the originals); `regenerate` makes them again."""
    from archive.holdings.derivatives import delete as run

    chosen = _items_named(identifiers, every)
    count = run(chosen, user=None)
    click.echo(f"Deleted {count} derivative file(s) of {len(chosen)} item(s).")


def _report(done, wait: bool) -> None:
    """Say what was queued, or run it here and fail when a job failed."""
    for recording in done.busy:
        click.echo(f"recording {recording.id}: already being processed, left alone.", err=True)
    for recording in done.no_original:
        click.echo(f"recording {recording.id}: no original to make copies from.", err=True)
    if not wait:
        click.echo(f"Queued {len(done.jobs)} job(s) for the worker.")
        return
    ids = [job.id for job in done.jobs]
    failed = run_jobs(ids, "derivatives")
    if failed:
        fail(f"{len(failed)} of {len(ids)} job(s) failed.")
    click.echo(f"Made the derivatives of {len(ids)} recording(s).")


@click.group()
def transcripts():
    """Transcripts: restrict a transcript or a single passage."""


@transcripts.command("restrict")
@click.argument("identifier")
@click.option("--transcript", "transcript_id", type=int, required=True, help="Transcript id.")
@click.option("--segment", type=int, help="Passage number in the transcript, from 1.")
@click.option("--undo", is_flag=True, help="Publish it again.")
@with_appcontext
def transcripts_restrict(identifier: str, transcript_id: int, segment: int | None, undo: bool):
    """Hide a transcript, or one passage of it, from everyone but staff (--undo: publish it)."""
    from archive.catalogue import transcripts as ops

    try:
        record = ops.get(_item(identifier), transcript_id)
        if segment is None:
            changed = ops.restrict_transcript(record, not undo, user=None)
            what = f"transcript {transcript_id}"
        else:
            changed = ops.restrict_segment(ops.segment_at(record, segment), not undo, user=None)
            what = f"passage {segment} of transcript {transcript_id}"
    except ArchiveError as exc:
        fail(str(exc))
    state = "published" if undo else "restricted to staff"
    click.echo(f"{identifier}: {what} {'is now' if changed else 'was already'} {state}.")


COMMANDS = (withdraw, reinstate, delete, derivatives, transcripts)
