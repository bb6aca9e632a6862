"""Staff pages for transcripts: attach a file, correct segments while listening."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from archive.accounts.login import staff_required
from archive.catalogue import items, transcripts
from archive.db import db
from archive.errors import ArchiveError
from archive.models import Recording
from archive.web.edge import large_bodies, number_arg

bp = Blueprint("transcribe", __name__, url_prefix="/manage/items/<identifier>/transcripts")


@bp.post("")
@staff_required
@large_bodies
def attach(identifier: str):
    item = items.find_item(identifier)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ArchiveError(_("Choose a transcript file."))
        segments, fmt = transcripts.read_file(
            upload.filename, data=upload.read(), filename=upload.filename
        )
        recording = None
        number = number_arg("recording", values=request.form)
        if number is not None:
            recording = db.session.get(Recording, number)
        transcript = transcripts.attach(
            item,
            segments,
            language=request.form.get("language", "ar").strip(),
            recording=recording,
            source_format=fmt,
            user=current_user,
        )
    except ArchiveError as exc:
        flash(str(exc), "error")
        return redirect(url_for("manage.edit", identifier=identifier))
    flash(_("Attached a transcript of %(count)s segments.", count=len(transcript.segments)))
    return redirect(
        url_for("transcribe.transcript", identifier=identifier, transcript_id=transcript.id)
    )


@bp.route("/<int:transcript_id>", methods=["GET", "POST"])
@staff_required
def transcript(identifier: str, transcript_id: int):
    """Correct segment text, speaker and times, with the recording beside them."""
    item = items.find_item(identifier)
    record = transcripts.get(item, transcript_id)
    if request.method == "POST":
        form = request.form
        rows = [
            {"id": seg_id, "start": start, "end": end, "speaker": speaker, "text": text}
            for seg_id, start, end, speaker, text in zip(
                form.getlist("id"),
                form.getlist("start"),
                form.getlist("end"),
                form.getlist("speaker"),
                form.getlist("text"),
                strict=True,
            )
            if not (seg_id == "" and not text.strip())  # the empty "new segment" row
        ]
        deleted = set(form.getlist("delete"))
        rows = [row for row in rows if row["id"] not in deleted]
        here = url_for("transcribe.transcript", identifier=identifier, transcript_id=transcript_id)
        try:
            transcripts.correct(record, rows, user=current_user)
        except ArchiveError as exc:
            flash(str(exc), "error")
            return redirect(here)
        flash(_("Saved."))
        return redirect(here)
    return render_template("manage/transcript.html", item=item, transcript=record)


@bp.post("/<int:transcript_id>/restrict")
@staff_required
def restrict(identifier: str, transcript_id: int):
    """Hide the whole transcript from everyone but staff, or publish it again."""
    record = transcripts.get(items.find_item(identifier), transcript_id)
    restricted = request.form.get("restricted") == "1"
    if transcripts.restrict_transcript(record, restricted, user=current_user):
        flash(
            _("The transcript is now staff only.")
            if restricted
            else _("The transcript is published again.")
        )
    return redirect(
        url_for("transcribe.transcript", identifier=identifier, transcript_id=transcript_id)
    )


@bp.post("/<int:transcript_id>/segments/<int:segment_id>/restrict")
@staff_required
def restrict_segment(identifier: str, transcript_id: int, segment_id: int):
    """Withhold one passage ("this passage is not published"), or publish it again."""
    record = transcripts.get(items.find_item(identifier), transcript_id)
    segment = next((s for s in record.segments if s.id == segment_id), None)
    if segment is None:
        abort(404)
    restricted = request.form.get("restricted") == "1"
    if transcripts.restrict_segment(segment, restricted, user=current_user):
        number = segment.position + 1
        flash(
            _("Passage %(number)s is withheld: staff only.", number=number)
            if restricted
            else _("Passage %(number)s is published again.", number=number)
        )
    target = url_for("transcribe.transcript", identifier=identifier, transcript_id=transcript_id)
    return redirect(f"{target}#segment-{segment_id}")
