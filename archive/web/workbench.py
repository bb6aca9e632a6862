"""The staff workbench: batch edits with a preview, and the "needs attention" page."""

from __future__ import annotations

import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from archive.access import grants
from archive.accounts import users
from archive.accounts.login import admin_required, staff_required
from archive.catalogue import batch, listing
from archive.db import db
from archive.errors import ArchiveError
from archive.mail import configured as mail_configured
from archive.mail import outbox
from archive.models import Item, Job, Recording, utcnow

bp = Blueprint("workbench", __name__, url_prefix="/manage")
FIRST_ROWS = 5


def _chosen(form) -> tuple[list[Item], listing.Filters | None]:
    """The items a batch form names: the rows ticked, or every item matching its filters."""
    if form.get("scope") == "filter":
        filters = listing.Filters.parse(form)
        return batch.load(ids=listing.item_ids(filters, user=current_user)), filters
    return batch.load(identifiers=form.getlist("identifier")), None


@bp.post("/batch")
@staff_required
def preview():
    """The preview: how many items change and how, which are skipped and why."""
    try:
        chosen, filters = _chosen(request.form)
        if not chosen:
            raise ArchiveError(_("Choose at least one item, or every item matching the filter."))
        plan = batch.plan(request.form.get("action", ""), request.form.get("value", ""), chosen)
    except ArchiveError as exc:
        flash(str(exc), "error")
        return redirect(_safe_back(request.form.get("back")))
    return render_template(
        "manage/batch.html",
        plan=plan,
        chosen=chosen,
        filters=filters,
        back=_safe_back(request.form.get("back")),
    )


@bp.post("/batch/confirm")
@staff_required
def confirm():
    """Carry out the batch previewed; a selection that changed since asks for a new preview."""
    try:
        chosen, filters = _chosen(request.form)
        action, value = request.form.get("action", ""), request.form.get("value", "")
        plan = batch.plan(action, value, chosen)
        if str(len(plan.changes)) != request.form.get("expected"):
            flash(_("The selection changed since the preview: check it again."), "error")
            return render_template(
                "manage/batch.html", plan=plan, chosen=chosen, filters=filters,
                back=_safe_back(request.form.get("back")),
            )  # fmt: skip
        done = batch.apply(action, value, chosen, user=current_user)
    except ArchiveError as exc:
        flash(str(exc), "error")
        return redirect(_safe_back(request.form.get("back")))
    flash(
        _(
            "%(changed)s item(s) changed, %(skipped)s skipped.",
            changed=len(done.changes),
            skipped=len(done.skipped),
        )
    )
    for skip in done.skipped[:20]:
        flash(f"{skip.identifier}: {skip.reason}", "error")
    return redirect(_safe_back(request.form.get("back")))


def _safe_back(back: str | None) -> str:
    """Only a path on this site (never another host) to return to."""
    if back and back.startswith("/manage/") and not back.startswith("//"):
        return back
    return url_for("manage.dashboard")


@bp.get("/attention")
@staff_required
def attention():
    """What needs someone: each a count, a link into the filtered catalogue and the first rows."""
    failed = select(Job).join(Recording).where(Job.state == "failed")
    sections = {
        "no_transcript": _flag_section("no_transcript"),
        "no_release": _flag_section("no_release"),
        "fixity_problem": _flag_section("fixity_problem"),
    }
    soon = utcnow() + datetime.timedelta(days=30)
    ending = (
        Item.embargo_until.is_not(None),
        Item.embargo_until >= utcnow(),
        Item.embargo_until <= soon,
    )
    mail_failed_count, mail_failed = outbox.failed(FIRST_ROWS)
    return render_template(
        "manage/attention.html",
        mail_on=mail_configured(),
        mail_failed_count=mail_failed_count,
        mail_failed=mail_failed,
        mail_waiting=outbox.waiting(),
        failed_count=db.session.scalar(select(func.count()).select_from(failed.subquery())),
        failed_jobs=list(db.session.scalars(failed.order_by(Job.id.desc()).limit(FIRST_ROWS))),
        sections=sections,
        researchers=users.pending_count(),
        requests=grants.pending_count(),
        embargo_count=db.session.scalar(select(func.count(Item.id)).where(*ending)),
        embargoes=list(
            db.session.scalars(
                select(Item).where(*ending).order_by(Item.embargo_until).limit(FIRST_ROWS)
            )
        ),
    )


def _flag_section(flag: str) -> dict:
    filters = listing.Filters(flags={flag})
    first = db.session.scalars(listing.query(filters).limit(FIRST_ROWS))
    return {"count": listing.count(filters), "items": list(first), "args": filters.args()}


@bp.post("/mail/<int:mail_id>/retry")
@admin_required
def retry_mail(mail_id: int):
    """Send a message that was never delivered again (after the mail settings were fixed)."""
    try:
        outbox.retry(mail_id)
    except ArchiveError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The message will be sent again."))
    return redirect(url_for("workbench.attention"))
