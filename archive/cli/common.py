"""What every ``archive`` command shares: failing with a one-line reason, refusing an
instance ``archive init`` has not migrated, running jobs here under a progress bar."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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
    return not run_jobs([job_id], label)


def run_jobs(job_ids: list[int], name: str) -> list[int]:
    """Run these jobs here, one after another, under one progress bar (or a line now and then
    when not on a terminal); the ids of those that failed."""
    from archive.cli.progress import Stages

    failed: list[int] = []
    if not job_ids:
        return failed
    with Stages(name) as progress:
        progress("transcoding", 0, len(job_ids))
        for number, job_id in enumerate(job_ids):

            def report(fraction: float, number: int = number) -> None:
                progress("transcoding", number + fraction, len(job_ids))

            if not run_job(job_id, f"job {job_id}", report):
                failed.append(job_id)
    return failed


def run_job(job_id: int, label: str, report: Callable[[float], None]) -> bool:
    """Run a transcode in a thread of this process, calling ``report(fraction done)`` as it
    goes; True when it succeeded, else its reason is said on stderr.

    When a worker took the job first, the thread returns at once: the worker's run is
    followed instead, until it ends or could no longer be running."""
    from archive.db import db
    from archive.holdings.jobs import transcode
    from archive.models import Job

    app = current_app._get_current_object()
    errors: list[BaseException] = []

    def work() -> None:
        with app.app_context():
            try:
                transcode(job_id)
            except BaseException as exc:  # raised below, in the caller's thread
                errors.append(exc)

    thread = threading.Thread(target=work, name=f"job-{job_id}")
    thread.start()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    deadline = time.monotonic() + current_app.config["MEDIA"]["TRANSCODE_TIMEOUT"] + 60
    while thread.is_alive() or (
        not errors
        and job is not None
        and job.state not in ("done", "failed")
        and time.monotonic() < deadline
    ):
        thread.join(0.3) if thread.is_alive() else time.sleep(0.3)
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job is not None:
            report(job.progress)
    if errors:
        raise errors[0]
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    report(1.0)
    if job is None or job.state != "done":
        reason = job.error.splitlines()[0] if job is not None and job.error else "not finished"
        click.echo(f"{label}: transcoding failed: {reason}", err=True)
        return False
    return True
