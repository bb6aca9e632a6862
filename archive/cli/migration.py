"""``archive migrate-to``: move this archive onto the engines of a larger deployment
(PostgreSQL, a bucket, the PostgreSQL search), every item, file and checksum carried across."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from archive.cli.common import fail, require_ready
from archive.errors import ArchiveError


@click.command("migrate-to")
@click.argument("config", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--instance",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The target's instance folder as this machine sees it (its secret key, and its media "
    "or search index when the settings keep them in it); not this archive's.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Empty a target database that already holds a catalogue, then copy into it.",
)
@click.option(
    "--no-reindex",
    is_flag=True,
    help="Do not build the target's search index (run `archive reindex` there later).",
)
@with_appcontext
def migrate_to(config: Path, instance: Path, replace: bool, no_reindex: bool):
    """Copy this archive into the database and store that CONFIG (the new deployment's
    settings file) names: the same ids, every file verified; this archive is only read.
    Safe to run again after a failure: copied files are kept, the catalogue goes in whole."""
    from archive.holdings import transfer

    require_ready()
    started = time.monotonic()
    try:
        with transfer.target_app(config, instance) as target:
            moved = transfer.move(
                current_app._get_current_object(),
                target,
                replace=replace,
                echo=lambda line: click.echo(line, err=True),
            )
            _report(moved)
            if not no_reindex:
                _reindex(target)
            if target.config["SECRET_KEY"] != current_app.config["SECRET_KEY"]:
                click.echo(
                    "The new settings sign sessions with another SECRET_KEY than this archive: "
                    "everyone logs in again and its signed links (OAI-PMH resumption tokens) "
                    "stop working. Set SECRET_KEY in them to keep those, the same on every host.",
                    err=True,
                )
    except ArchiveError as exc:
        fail(str(exc))
    if no_reindex:
        click.echo("Run `archive reindex` with the new settings to build its search index.")
    click.echo(
        f"Moved {moved.rows.get('items', 0)} item(s), {sum(moved.rows.values())} row(s) and "
        f"{moved.files} file(s) in {time.monotonic() - started:.1f} s; this archive is unchanged."
    )


def _reindex(target) -> None:
    from archive.holdings import transfer

    try:
        transfer.reindex(target, echo=click.echo)
    except Exception as exc:  # noqa: BLE001 - the move stands; say what is left to do
        raise ArchiveError(
            f"The catalogue and every file were moved, but building the search index failed "
            f"({exc}): run `archive reindex` with the new settings."
        ) from exc


def _report(moved) -> None:
    for table, count in moved.rows.items():
        click.echo(f"{table:<20} {count:>9} row(s)")
    click.echo(
        f"{'files':<20} {moved.files:>9} ({moved.copied} copied, {moved.kept} already there "
        f"and intact, {moved.bytes} bytes, every checksum verified)"
    )


COMMANDS = (migrate_to,)
