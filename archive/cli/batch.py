"""``archive batch``: one change to many items, chosen by the catalogue's filters or a list."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from archive.cli.common import fail
from archive.errors import ArchiveError

ACTION_HELP = """Apply ACTION to every item chosen, each in a unit of work of its own with its
audit entry; --dry-run prints what would change and changes nothing.

\b
ACTION VALUE:
  publish                 publish the drafts (withdrawn items are skipped)
  unpublish               back to draft
  access LEVEL            public | researchers | staff
  tag LABEL / untag LABEL add or remove a tag (a new tag is made)
  collect TITLE / uncollect TITLE
                          add to or remove from a collection (a new one is made)
  rights CODE             a rights statement code (InC, NoC-US...), "" to clear
  download yes|no         may the public download the recordings

Items whose narrator's release does not allow the access asked for (or the access
they already have, to publish) are listed and skipped; the rest go ahead.  The items
are those matching the filter options, or those named in --identifiers FILE (one per
line), or --all of them.
"""


@click.command(help=ACTION_HELP)
@click.argument("action", type=click.Choice(
    ["publish", "unpublish", "access", "tag", "untag", "collect", "uncollect", "rights", "download"]
))  # fmt: skip
@click.argument("value", required=False, default="")
@click.option("--identifiers", "identifiers_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file of identifiers, one per line ('-' for stdin).")  # fmt: skip
@click.option("--all", "everything", is_flag=True, help="Every item of the catalogue.")
@click.option("--status", help="draft | published | withdrawn")
@click.option("--access", help="public | researchers | staff")
@click.option("--type", "type_", help="testimony | poem | song | interview | lecture | event")
@click.option("--collection", help="A collection's title or id.")
@click.option("--tag", help="A tag's label or id.")
@click.option("--person", help="A person's id, or name (any of their names).")
@click.option("--decade", help="A decade, such as 1980.")
@click.option("--language", help="A language code, such as ar.")
@click.option("--search", "text", help="The archive's search, as staff.")
@click.option("--no-transcript", is_flag=True, help="Items without a transcript.")
@click.option("--no-release", is_flag=True, help="Items without a release recorded.")
@click.option("--failed-job", is_flag=True, help="Items with a failed job.")
@click.option("--fixity-problem", is_flag=True, help="Items whose latest fixity check failed.")
@click.option("--as", "as_email", help="The staff account named in the audit entries.")
@click.option("--dry-run", is_flag=True, help="Print the preview and change nothing.")
@with_appcontext
def batch(action, value, identifiers_file, everything, as_email, dry_run, **options):
    from archive.catalogue import batch as batches

    try:
        user = _operator(as_email)
        chosen = _chosen(identifiers_file, everything, options, user)
        plan = batches.plan(action, value, chosen)
        if not dry_run:
            plan = batches.apply(action, value, chosen, user=user)
    except ArchiveError as exc:
        fail(str(exc))
    for line in plan.lines():
        click.echo(line)
    if dry_run:
        click.echo("Dry run: nothing was changed.")


def _operator(as_email: str | None):
    from archive.accounts.users import find_user

    if not as_email:
        return None
    user = find_user(as_email)
    if user is None or not user.is_staff:
        raise ArchiveError(f"{as_email} is not a staff account.")
    return user


def _chosen(identifiers_file, everything, options, user):
    from archive.catalogue import batch as batches
    from archive.catalogue import listing

    args = _filter_args(options)
    if identifiers_file is not None:
        if args or everything:
            raise ArchiveError("Give either --identifiers or filters (or --all), not both.")
        stream = click.open_file(str(identifiers_file), encoding="utf-8")
        with stream:
            names = [line.strip() for line in stream if line.strip() and not line.startswith("#")]
        if not names:
            raise ArchiveError(f"{identifiers_file} names no item.")
        return batches.load(identifiers=names)
    if not args and not everything:
        raise ArchiveError("Choose the items: filter options, --identifiers FILE, or --all.")
    filters = listing.Filters.parse(args)
    return batches.load(ids=listing.item_ids(filters, user=user or _searcher(filters)))


def _filter_args(options: dict) -> dict[str, str]:
    args = {
        "status": options["status"], "access": options["access"], "type": options["type_"],
        "decade": options["decade"], "language": options["language"], "q": options["text"],
        "collection": _id_of("collection", options["collection"]),
        "tag": _id_of("tag", options["tag"]), "person": _id_of("person", options["person"]),
    }  # fmt: skip
    for flag in ("no_transcript", "no_release", "failed_job", "fixity_problem"):
        if options[flag]:
            args[flag] = "1"
    return {name: value for name, value in args.items() if value}


def _id_of(kind: str, given: str | None) -> str | None:
    """A collection, tag or person named by id or by its title, label or any name."""
    from sqlalchemy import select

    from archive.db import db
    from archive.models import Collection, Person, PersonName, Tag

    if not given or given.isdigit():
        return given
    if kind == "collection":
        found = db.session.scalar(select(Collection.id).where(Collection.title == given))
    elif kind == "tag":
        found = db.session.scalar(select(Tag.id).where(Tag.label == given))
    else:
        found = db.session.scalar(
            select(Person.id).where(Person.name == given)
        ) or db.session.scalar(select(PersonName.person_id).where(PersonName.name == given))
    if found is None:
        raise ArchiveError(f"No {kind} '{given}'.")
    return str(found)


def _searcher(filters):
    """The text search sees what staff see: it runs as the first active admin account."""
    from sqlalchemy import select

    from archive.db import db
    from archive.models import User

    if "q" not in filters.values:
        return None
    admin = db.session.scalar(
        select(User).where(User.role == "admin", User.active).order_by(User.id).limit(1)
    )
    if admin is None:
        raise ArchiveError("--search needs --as EMAIL of a staff account.")
    return admin


COMMANDS = (batch,)
