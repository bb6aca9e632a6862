"""Staff pages for the authority file and vocabularies: people, tags, collections."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from archive.accounts.login import staff_required
from archive.catalogue import authority
from archive.discovery.vocabulary import glossary
from archive.errors import ArchiveError
from archive.web.edge import number_arg, page_number

bp = Blueprint("authority", __name__, url_prefix="/manage")


@bp.get("/suggest/<kind>")
@staff_required
def suggest(kind: str):
    """Suggestions as the archivist types: people, tags, collections or places."""
    return jsonify(authority.suggest(kind, request.args.get("q", "")))


@bp.get("/people")
@staff_required
def people():
    listing = authority.people_page(page_number())
    return render_template("manage/people.html", listing=listing)


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
@staff_required
def person(person_id: int):
    record = authority.get_person(person_id)
    if record.merged_into_id is not None:
        return redirect(url_for("authority.person", person_id=authority.surviving(record).id))
    if request.method == "POST":
        fields = {key: request.form.get(key, "") for key in authority.PERSON_FIELDS}
        variants = request.form.get("variants", "").splitlines()
        try:
            authority.update_person(record, fields, variants, user=current_user)
        except ArchiveError as exc:
            flash(str(exc), "error")
            return render_template(
                "manage/person.html", person=authority.get_person(person_id)
            ), 422
        flash(_("Saved."))
        return redirect(url_for("authority.person", person_id=person_id))
    return render_template("manage/person.html", person=record)


@bp.post("/people/<int:person_id>/merge")
@staff_required
def merge_person(person_id: int):
    """Merge another record (chosen by id or by one of its names) into this one."""
    survivor = authority.get_person(person_id)
    other_ref = request.form.get("other", "").strip()
    other = authority.person_by_reference(other_ref)
    try:
        if other is None:
            raise ArchiveError(_("No person called %(name)s.", name=other_ref))
        authority.merge_people(survivor, other, user=current_user)
    except ArchiveError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Merged %(other)s into this record.", other=other.name))
    return redirect(url_for("authority.person", person_id=survivor.id))


@bp.route("/tags", methods=["GET", "POST"])
@staff_required
def tags():
    if request.method == "POST":
        try:
            tag = authority.tag_for(request.form.get("label", ""))
            authority.update_tag(
                tag,
                tag.label,
                request.form.get("label_en", ""),
                label_fr=request.form.get("label_fr", ""),
                synonyms=request.form.get("synonyms", ""),
                user=current_user,
            )
        except ArchiveError as exc:
            flash(str(exc), "error")
        return redirect(url_for("authority.tags"))
    listing, counts = authority.tags_with_counts()
    return render_template("manage/tags.html", tags=listing, counts=counts, glossary=glossary())


@bp.post("/tags/<int:tag_id>")
@staff_required
def edit_tag(tag_id: int):
    tag = authority.get_tag(tag_id)
    try:
        if request.form.get("merge_into"):
            survivor = authority.tag_labelled(request.form["merge_into"])
            if survivor is None:
                raise ArchiveError(_("No tag «%(label)s».", label=request.form["merge_into"]))
            authority.merge_tags(survivor, tag, user=current_user)
            flash(_("Merged."))
        else:
            authority.update_tag(
                tag,
                request.form.get("label", ""),
                request.form.get("label_en", ""),
                label_fr=request.form.get("label_fr"),
                synonyms=request.form.get("synonyms"),
                user=current_user,
            )
            flash(_("Saved."))
    except ArchiveError as exc:
        flash(str(exc), "error")
    return redirect(url_for("authority.tags"))


@bp.route("/collections", methods=["GET", "POST"])
@staff_required
def collections():
    if request.method == "POST":
        try:
            number = number_arg("id", values=request.form)
            collection = (
                authority.get_collection(number)
                if number
                else authority.collection_for(request.form.get("title", ""))
            )
            authority.update_collection(
                collection,
                {
                    key: request.form.get(key, "")
                    for key in ("title", "title_en", "description", "description_en")
                },
                user=current_user,
            )
        except ArchiveError as exc:
            flash(str(exc), "error")
        return redirect(url_for("authority.collections"))
    listing = authority.all_collections()
    return render_template("manage/collections.html", collections=listing)
