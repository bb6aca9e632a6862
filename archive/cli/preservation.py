"""Preservation packages: ``archive bag`` writes BagIt bags, ``archive unbag`` reads them back."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from archive.cli.common import fail, run_jobs
from archive.errors import ArchiveError


@click.command("bag")
@click.argument("items", nargs=-1)
@click.argument("destination", type=click.Path(path_type=Path, file_okay=False))
@click.option("--collection", help="Bag every item of this collection (its title or number).")
@click.option("--all", "every", is_flag=True, help="Bag every item of the archive.")
@with_appcontext
def bag(items, destination, collection, every):
    """Write one BagIt bag per item into DESTINATION: its originals, metadata (JSON, MODS,
    Dublin Core), transcripts (WebVTT, OHMS), release and audit history.

    \b
    archive bag AR-000001 AR-000002 /backups/bags
    archive bag --collection "شهادات نفحة" /backups/bags
    archive bag --all /backups/bags
    """
    from archive.exchange import bags

    chosen = _chosen(items, collection, every)
    settings = current_app.config
    base_url = settings["SERVER"]["BASE_URL"]
    organization = settings["SITE_NAME_EN"] or settings["SITE_NAME"]
    failed = 0
    for item in chosen:
        try:
            written = bags.write(
                item, destination, url=_site_url, organization=organization, base_url=base_url
            )
        except ArchiveError as exc:
            click.echo(f"{item.identifier}: {exc}", err=True)
            failed += 1
            continue
        click.echo(
            f"{item.identifier} → {written.path} ({written.files} files, {written.octets} bytes)"
        )
    if failed:
        fail(f"{failed} of {len(chosen)} item(s) not bagged.")


@click.command("unbag")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--update", is_flag=True, help="Refresh items that exist from their bags.")
@click.option("--wait", is_flag=True, help="Make the access copies now, in this process.")
@with_appcontext
def unbag(paths, update, wait):
    """Re-create items from BagIt bags, keeping their identifiers. Every checksum of every bag
    is verified first; one bad bag, or an identifier that exists (without --update), and
    nothing is imported."""
    from archive.exchange import bags
    from archive.uow import unit_of_work

    try:
        with unit_of_work(queue_jobs=not wait) as uow:
            done = bags.restore(paths, update=update, user=None)
    except ArchiveError as exc:
        fail(f"nothing imported: {exc}")
    for item in done.created:
        click.echo(f"{item.identifier}: created")
    for item in done.updated:
        click.echo(f"{item.identifier}: updated")
    click.echo(
        f"{len(done.created)} created, {len(done.updated)} updated, "
        f"{done.jobs} recording(s) queued for access copies."
    )
    if wait and run_jobs([job_id for _, (job_id,) in uow.jobs], "unbag"):
        fail("Some access copies could not be made: see `archive jobs list`.")


def _chosen(identifiers, collection, every):
    from sqlalchemy import select

    from archive.catalogue import items
    from archive.db import by_code_point, db
    from archive.models import Collection, Item, item_collections

    if sum(bool(x) for x in (identifiers, collection, every)) != 1:
        fail("Name the items, or give --collection or --all (one of them).")
    if every:
        return list(db.session.scalars(select(Item).order_by(by_code_point(Item.identifier))))
    if collection:
        found = db.session.scalar(select(Collection).where(Collection.title == collection))
        if found is None and collection.isdigit():
            found = db.session.get(Collection, int(collection))
        if found is None:
            fail(f"No collection {collection}.")
        members = list(
            db.session.scalars(
                select(Item)
                .join(item_collections, item_collections.c.item_id == Item.id)
                .where(item_collections.c.collection_id == found.id)
                .order_by(by_code_point(Item.identifier))
            )
        )
        if not members:
            fail(f"The collection {collection} holds no item.")
        return members
    chosen = []
    for identifier in identifiers:
        try:
            chosen.append(items.find_item(identifier))
        except ArchiveError as exc:
            fail(str(exc))
    return chosen


def _site_url(endpoint: str, **values) -> str:
    from archive.web.edge import site_url

    return site_url(endpoint, **values)


COMMANDS = (bag, unbag)
