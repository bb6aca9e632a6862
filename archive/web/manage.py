"""Staff pages: upload, follow the jobs, describe and publish items."""

from __future__ import annotations

from urllib.parse import unquote

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from archive import audit
from archive.access.rights import RIGHTS
from archive.accounts.login import staff_required
from archive.catalogue import items, listing
from archive.errors import ArchiveError, DuplicateMedia
from archive.holdings import jobs, storage
from archive.holdings.ingest import ingest
from archive.models import ACCESS_LEVELS, ITEM_TYPES, Item
from archive.web.edge import large_bodies, number_arg, numbers_arg, page_number

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.get("/")
@staff_required
def dashboard():
    """The catalogue, filtered and sorted as the query string says (a view to bookmark)."""
    try:
        filters = listing.Filters.parse(request.args)
    except ArchiveError as exc:
        flash(str(exc), "error")
        filters = listing.Filters()
    found = listing.page(filters, page_number(), user=current_user)
    return render_template(
        "manage/items.html", listing=found, filters=filters, choices=listing.choices()
    )


@bp.get("/upload")
@staff_required
def upload_page():
    return render_template("manage/upload.html", types=ITEM_TYPES)


@bp.post("/upload")
@staff_required
@large_bodies
def upload():
    """One file per request: a raw body (the page's script) or a multipart form."""
    target, replaces = _upload_target()  # before any byte is received: a 404 keeps nothing
    try:
        if request.files:
            received = [
                storage.receive(f.stream, f.filename or "upload")
                for f in request.files.getlist("file")
            ]
        else:
            name = unquote(request.headers.get("X-Filename", "upload"))
            _refuse_oversize()
            received = [storage.receive(request.stream, name)]
    except ArchiveError as exc:
        return _upload_error(exc)
    results, errors = [], []
    for upload in received:
        try:
            done = ingest(
                upload,
                user=current_user,
                type=request.args.get("type") or request.form.get("type") or None,
                item=target,
                replaces=replaces,
            )
        except DuplicateMedia as exc:
            errors.append({"file": upload.filename, "error": str(exc), "item": exc.identifier})
        except ArchiveError as exc:
            errors.append({"file": upload.filename, "error": str(exc)})
        else:
            results.append(_ingested(done))
        finally:
            upload.discard()
    if not request.accept_mimetypes.accept_json or request.accept_mimetypes.accept_html:
        for error in errors:
            flash(error["error"], "error")
        for result in results:
            flash(_("Received %(name)s as %(id)s.", name=result["file"], id=result["item"]))
        if target is not None or replaces is not None:
            identifier = (target or replaces.item).identifier
            return redirect(url_for("manage.edit", identifier=identifier))
        return redirect(url_for("manage.upload_page"))
    status = 201 if results else 422
    return jsonify({"results": results, "errors": errors}), status


def _upload_target():
    """``?item=ID`` adds a recording to an item; ``?replace=N`` supersedes recording N."""
    target = replaces = None
    if request.args.get("item"):
        target = items.find_item(request.args["item"])
    if request.args.get("replace"):
        replaces = items.get_recording(number_arg("replace"))
    return target, replaces


def _refuse_oversize() -> None:
    from flask import current_app

    limit = current_app.config["MEDIA"]["MAX_UPLOAD_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ArchiveError(
            _("The file is larger than the limit of %(mib)s MiB.", mib=limit // (1024 * 1024))
        )


def _upload_error(exc: ArchiveError):
    if request.accept_mimetypes.accept_json and not request.accept_mimetypes.accept_html:
        return jsonify({"results": [], "errors": [{"error": str(exc)}]}), 413
    flash(str(exc), "error")
    return redirect(url_for("manage.upload_page"))


def _ingested(done) -> dict:
    return {
        "file": done.recording.original_filename,
        "item": done.item.identifier,
        "job": done.job.id,
        "kind": done.recording.kind,
        "duration": done.recording.duration,
        "edit": url_for("manage.edit", identifier=done.item.identifier),
        "status": url_for("manage.job_status", job_id=done.job.id),
    }


@bp.get("/jobs/<int:job_id>")
@staff_required
def job_status(job_id: int):
    return jsonify(jobs.get(job_id).to_dict())


@bp.get("/jobs")
@staff_required
def jobs_status():
    ids = numbers_arg("ids")
    return jsonify({"jobs": [job.to_dict() for job in jobs.with_ids(ids)]})


@bp.post("/jobs/<int:job_id>/retry")
@staff_required
def retry_job(job_id: int):
    try:
        job = jobs.retry(job_id)
    except ArchiveError as exc:
        if request.accept_mimetypes.accept_json and not request.accept_mimetypes.accept_html:
            return jsonify({"error": str(exc)}), 409
        flash(str(exc), "error")
        return redirect(request.referrer or url_for("manage.dashboard"))
    if request.accept_mimetypes.accept_json and not request.accept_mimetypes.accept_html:
        return jsonify(job.to_dict())
    return redirect(url_for("manage.edit", identifier=job.recording.item.identifier))


@bp.route("/items/<identifier>", methods=["GET", "POST"])
@staff_required
def edit(identifier: str):
    item = items.find_item(identifier)
    if request.method == "POST":
        changes = {
            field: request.form.get(field, "") for field in items.FIELDS if field != "download"
        }
        changes["download"] = bool(request.form.get("download"))
        for field in items.LIST_FIELDS:
            changes[field] = request.form.get(field, "")
        try:
            items.describe(item, changes, user=current_user)
        except ArchiveError as exc:
            flash(str(exc), "error")
            return _edit_page(items.find_item(identifier), form=request.form), 422
        flash(_("Saved."))
        if changes["access"] and item.access != changes["access"]:
            flash(_("The access level was lowered to what the narrator's release allows."))
        return redirect(url_for("manage.edit", identifier=item.identifier))
    return _edit_page(item)


def _edit_page(item: Item, form=None):
    return render_template(
        "manage/edit.html",
        item=item,
        form=form,
        types=ITEM_TYPES,
        levels=ACCESS_LEVELS,
        rights=RIGHTS,
        roles=items.ROLE_FIELDS,
        history=audit.history(item),
    )


@bp.route("/items/new", methods=["GET", "POST"])
@staff_required
def new_item():
    """An item without media yet: a poem's written text, a tape not yet digitised."""
    if request.method == "POST":
        try:
            item = items.create(
                identifier=request.form.get("identifier", "").strip() or None,
                title=request.form.get("title", ""),
                title_en=request.form.get("title_en", ""),
                type=request.form.get("type", "testimony"),
                user=current_user,
            )
        except ArchiveError as exc:
            flash(str(exc), "error")
            return render_template("manage/new.html", types=ITEM_TYPES, form=request.form), 422
        return redirect(url_for("manage.edit", identifier=item.identifier))
    return render_template("manage/new.html", types=ITEM_TYPES, form={})


@bp.post("/items/<identifier>/publish")
@staff_required
def publish(identifier: str):
    item = items.find_item(identifier)
    try:
        items.publish(item, user=current_user)
        flash(_("Published."))
    except ArchiveError as exc:
        flash(str(exc), "error")
    return redirect(url_for("manage.edit", identifier=identifier))


@bp.post("/items/<identifier>/unpublish")
@staff_required
def unpublish(identifier: str):
    items.unpublish(items.find_item(identifier), user=current_user)
    flash(_("Unpublished: the item is a draft again."))
    return redirect(url_for("manage.edit", identifier=identifier))


@bp.route("/import", methods=["GET", "POST"])
@staff_required
@large_bodies
def import_csv():
    """The CSV import as a form: all rows or none; transcripts inline in the file."""
    from archive.exchange.csv_io import import_csv_stream

    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a CSV file."), "error")
            return render_template("manage/import.html"), 422
        try:
            report = import_csv_stream(upload.stream, filename=upload.filename, user=current_user)
        except ArchiveError as exc:
            return render_template("manage/import.html", errors=str(exc).splitlines()), 422
        return render_template("manage/import.html", report=report)
    return render_template("manage/import.html")
