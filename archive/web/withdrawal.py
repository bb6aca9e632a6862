"""Staff pages to withdraw an item, reinstate it, and (admins) delete it for good."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from archive.accounts.login import admin_required, staff_required
from archive.catalogue import items, withdrawal
from archive.errors import ArchiveError

bp = Blueprint("withdrawal", __name__, url_prefix="/manage/items/<identifier>")


@bp.route("/withdraw", methods=["GET", "POST"])
@staff_required
def withdraw(identifier: str):
    """A confirmation page saying what withdrawal does, then the withdrawal itself."""
    item = items.find_item(identifier)
    if request.method == "POST":
        try:
            withdrawal.withdraw(item, request.form.get("reason", ""), user=current_user)
        except ArchiveError as exc:
            flash(str(exc), "error")
            item = items.find_item(identifier)
            return render_template("manage/withdraw.html", item=item, form=request.form), 422
        flash(_("Withdrawn: the item answers “gone” to everyone but staff."))
        return redirect(url_for("manage.edit", identifier=identifier))
    return render_template("manage/withdraw.html", item=item, form={})


@bp.post("/reinstate")
@staff_required
def reinstate(identifier: str):
    item = items.find_item(identifier)
    try:
        withdrawal.reinstate(item, user=current_user)
    except ArchiveError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Reinstated as a draft: its access copies are being made again."))
    return redirect(url_for("manage.edit", identifier=identifier))


@bp.route("/delete", methods=["GET", "POST"])
@admin_required
def delete(identifier: str):
    """Admins only: type the identifier to delete the item for good, original included."""
    item = items.find_item(identifier)
    if request.method == "POST":
        try:
            withdrawal.delete(item, user=current_user, confirm=request.form.get("confirm", ""))
        except ArchiveError as exc:
            flash(str(exc), "error")
            item = items.find_item(identifier)
            return render_template("manage/delete.html", item=item), 422
        flash(_("%(id)s was deleted for good.", id=identifier))
        return redirect(url_for("manage.dashboard"))
    return render_template("manage/delete.html", item=item)
