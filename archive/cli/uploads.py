"""``archive uploads``: the resumable (tus) uploads the browser left unfinished, listed or
expired now (the worker expires them hourly; see docs/uploads.md)."""

from __future__ import annotations

import json
import time

import click
from flask.cli import with_appcontext


def _age(seconds: float) -> str:
    """A duration as an archivist reads it: 3 d 4 h, 5 h 12 min, 7 min."""
    minutes = max(0, int(seconds // 60))
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _describe(upload, offset: int, owners: dict[int, str], now: float) -> dict:
    return {
        "id": upload.id,
        "filename": upload.metadata.get("filename") or "",
        "owner": owners.get(upload.user_id, f"user {upload.user_id}"),
        "offset": offset,
        "length": upload.length,
        "state": upload.state,
        "age_seconds": round(now - upload.created),
        "expires_in_seconds": round(upload.expires - now),
    }


def _owners(uploads) -> dict[int, str]:
    """Email of each upload's owner."""
    from sqlalchemy import select

    from archive.db import db
    from archive.models import User

    ids = {upload.user_id for upload in uploads}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def _line(row: dict) -> str:
    percent = f"{row['offset'] / row['length']:.0%}" if row["length"] else "100%"
    expiry = (
        f"expires in {_age(row['expires_in_seconds'])}"
        if row["expires_in_seconds"] > 0
        else "expired"
    )
    return (
        f"{row['id']}  {row['filename'] or '(no name)'}  {row['owner']}  "
        f"{row['offset']:,}/{row['length']:,} bytes ({percent})  "
        f"started {_age(row['age_seconds'])} ago, {expiry}"
    )


@click.group()
def uploads():
    """Resumable uploads that have not finished (browser uploads through /manage/tus/)."""


@uploads.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the uploads as JSON.")
@with_appcontext
def uploads_list(as_json: bool):
    """List the unfinished uploads: their size, the bytes received so far, their age."""
    from archive.holdings import resumable

    now = time.time()
    unfinished = [upload for upload in resumable.all_uploads() if not upload.finished]
    owners = _owners(unfinished)
    rows = [_describe(upload, upload.offset, owners, now) for upload in unfinished]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        click.echo(_line(row))
    total = sum(row["offset"] for row in rows)
    click.echo(f"{len(rows)} unfinished upload(s), {total:,} bytes received.")


@uploads.command("expire")
@with_appcontext
def uploads_expire():
    """Delete now the uploads past [MEDIA] UPLOAD_EXPIRES_HOURS (as the worker does hourly)."""
    from archive.holdings import resumable

    now = time.time()
    removed = resumable.remove_expired(now)
    owners = _owners([upload for upload, _ in removed])
    freed = 0
    for upload, offset in removed:
        if upload.finished:  # its bytes went when it finished: only its record was left
            click.echo(f"removed {upload.id}: finished ({upload.state}), its record only")
            continue
        freed += offset
        click.echo(f"removed {_line(_describe(upload, offset, owners, now))}")
    click.echo(f"Removed {len(removed)} expired upload(s), {freed:,} bytes freed.")


COMMANDS = (uploads,)
