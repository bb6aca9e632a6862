"""What every ``archive`` command shares: failing with a one-line reason, refusing an
instance ``archive init`` has not migrated, running a job here with a progress bar."""

from __future__ import annotations

import click
from flask import current_app


def fail(message: str) -> None:
    raise click.ClickException(message)


def not_ready() -> str | None:
    """A message when this instance's database cannot serve this version, else None."""
    from archive import migrate

    reason = migrate.behind()
    if reason is None:
        return None
    return (
        f"The database in {current_app.instance_path} cannot be used: {reason}. Run `archive init`."
    )


def require_ready() -> None:
    problem = not_ready()
    if problem:
        fail(problem)


def wait_for(job_id: int, label: str) -> bool:
    """Run a job here with a progress bar; True when it succeeded."""
    from archive.db import db
    from archive.holdings.jobs import run_job_with_progress
    from archive.models import Job

    job = run_job_with_progress(job_id, label)
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    if job.state != "done":
        click.echo(f"{label}: transcoding failed: {job.error.splitlines()[0]}", err=True)
        return False
    return True
