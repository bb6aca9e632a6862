"""The background jobs: thin functions that take ids and call ``media``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select, update

import media
from archive import audit, locks
from archive.db import db
from archive.discovery import indexing
from archive.errors import ArchiveError, NotFound
from archive.holdings import redaction
from archive.holdings.queue import enqueue, huey, periodic, task
from archive.holdings.storage import derivatives_dir, media_root, store
from archive.models import Job, MediaFile, utcnow
from archive.uow import current, operation

MIMETYPES = {
    ("access", "audio"): "audio/mp4",
    ("access", "video"): "video/mp4",
    ("small", "audio"): "audio/webm",
    ("small", "video"): "video/mp4",
    ("public-small", "audio"): "audio/webm",
    ("public-small", "video"): "video/mp4",
    ("poster", "video"): "image/jpeg",
    ("peaks", "audio"): "application/json",
    ("peaks", "video"): "application/json",
    ("public", "audio"): "audio/mp4",
    ("public", "video"): "video/mp4",
    ("public-poster", "video"): "image/jpeg",
    ("public-peaks", "audio"): "application/json",
    ("public-peaks", "video"): "application/json",
}
EXTENSIONS = {"audio": ".m4a", "video": ".mp4"}
SMALL_EXTENSIONS = {"audio": ".webm", "video": ".mp4"}
RUNNING = ("probing", "transcoding")


@task
def transcode(job_id: int) -> None:
    """Make a recording's access copy, poster and waveform peaks, reporting progress; and,
    when passages of it are withheld, the public copy (see ``redaction``). A job of kind
    "public" makes the public copy alone.

    The recording's lock is held throughout: a job in a running state whose lock is free was
    left by a worker that died (see ``recover``).
    """
    recording_id = db.session.scalar(select(Job.recording_id).where(Job.id == job_id))
    if recording_id is None:
        return
    with recording_lock(recording_id) as held:
        if held:  # else another process works on this recording; ``recover`` comes back
            _transcode(job_id)


def _transcode(job_id: int) -> None:
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "queued")  # one run per queued job, whoever asks
        .values(state="probing", progress=0.0, error="", attempts=Job.attempts + 1,
                started_at=utcnow(), finished_at=None)
    ).rowcount  # fmt: skip
    db.session.commit()
    if not claimed:
        return
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    recording = job.recording
    if recording.item.status == "withdrawn":  # a withdrawn item keeps no access copies
        job.state, job.error, job.finished_at = "failed", "The item was withdrawn.", utcnow()
        db.session.commit()
        return
    _remove_partial_files(derivatives_dir(recording.id))  # left by a run killed half-way
    settings = current_app.config["MEDIA"]
    ranges = redaction.withheld_ranges(recording)
    made = {}
    try:
        original = recording.original.relpath
        if not store().exists(original):
            raise media.MediaError(
                f"The original file is missing from storage: {original.rsplit('/', 1)[-1]}."
            )
        # ffmpeg reads a local file: the original itself, or a download of it from a bucket
        # (read whole three times over, by the copy, the poster and the peaks).
        with store().local_copy(original) as source:
            # Probed once, at ingest: an original never changes (older rows are probed again).
            probe = media.ProbeResult.from_dict(recording.technical) or media.probe(
                source, timeout=settings["PROBE_TIMEOUT"]
            )
            job.state = "transcoding"
            db.session.commit()
            share = 0.9 / (2 if ranges and job.kind != "public" else 1)
            if job.kind == "small":  # the small rendition alone, for an item made before them
                _small(made, source, recording, probe, settings, _progress_reporter(job, share))
            elif job.kind != "public":
                _copies(made, source, recording, probe, settings, _progress_reporter(job, share))
            if ranges and job.kind == "small":
                report = _progress_reporter(job, share, start=0.9 - share)
                _small(made, source, recording, probe, settings, report, ranges=ranges)
            elif ranges:
                report = _progress_reporter(job, share, start=0.9 - share)
                _copies(made, source, recording, probe, settings, report, ranges=ranges)
        db.session.refresh(recording.item)
        if recording.item.status != "withdrawn":
            for role, path in made.items():  # into the store before a row names them
                store().put_file(_relpath(path), path, mimetype=MIMETYPES[(role, probe.kind)])
    except (OSError, media.MediaError) as exc:
        named = {f.relpath for f in recording.files}
        for path in made.values():  # a public copy under a new name that nothing names
            if _relpath(path) not in named:
                store().delete(_relpath(path))
        _drop_working_copies(made)
        db.session.rollback()
        job.state = "failed"
        job.error = _failure_text(exc)
        job.finished_at = utcnow()
        audit.record(
            None, "transcode-failed", recording.item, reindex=False, job=job.id, reason=str(exc)
        )
        db.session.commit()
        return
    if recording.item.status == "withdrawn":  # withdrawn while this job ran
        for path in made.values():
            store().delete(_relpath(path))
        _drop_working_copies(made)
        job.state, job.error, job.finished_at = "failed", "The item was withdrawn.", utcnow()
        db.session.commit()
        return
    replaced = [_replace_file(recording, role, path, probe.kind) for role, path in made.items()]
    if not ranges and job.kind != "small":  # nothing withheld: an older public copy goes
        replaced += [f.relpath for f in redaction.public_files(recording)]
        for stored in redaction.public_files(recording):
            recording.files.remove(stored)
    job.state, job.progress, job.finished_at = "done", 1.0, utcnow()
    audit.record(None, "transcoded", recording.item, reindex=False, job=job.id, kind=job.kind)
    db.session.commit()
    _drop_working_copies(made)
    kept = {_relpath(path) for path in made.values()}
    for relpath in replaced:  # files of an earlier run under another name (older public copies)
        if relpath is not None and relpath not in kept:
            store().delete(relpath)


def _copies(made: dict, source, recording, probe, settings, on_progress, *, ranges=()) -> None:
    """Make the access copy, poster and peaks of ``recording`` into ``made`` (role: path), as
    they are written; the public versions hiding ``ranges`` when given. Each ffmpeg run
    has the recording's processor-time budget."""
    folder = derivatives_dir(recording.id)
    names = {"access": folder / f"access{EXTENSIONS[probe.kind]}",
             "poster": folder / "poster.jpg", "peaks": folder / "peaks.json"}  # fmt: skip
    roles = {role: role for role in names}
    if ranges:
        roles = redaction.PUBLIC_ROLES
        names = {
            role: redaction.public_path(recording, roles[role], ranges, path.suffix)
            for role, path in names.items()
        }
    budget = _budget(probe, settings)
    timeout = settings["TRANSCODE_TIMEOUT"]
    small_share = 0.25 if settings["SMALL_RENDITIONS"] else 0.0

    def access_progress(fraction: float) -> None:
        on_progress(fraction * (1 - small_share))

    access = made[roles["access"]] = media.transcode(
        source,
        names["access"],
        kind=probe.kind,
        probe=probe,
        on_progress=access_progress,
        timeout=timeout,
        overrides=_overrides(settings),
        cpu_limit=budget,
        redact=ranges,
    )
    # The public poster and waveform come from the public copy: nothing withheld shows in them.
    made_from = access if ranges else source
    if probe.kind == "video":
        made[roles["poster"]] = media.make_poster(
            made_from, names["poster"], probe=probe, timeout=600, cpu_limit=budget
        )
    if probe.audio_codec is not None:  # a silent video has no waveform
        made[roles["peaks"]] = media.compute_peaks(
            made_from, names["peaks"], probe=probe, timeout=timeout, cpu_limit=budget
        )
    if small_share:  # after the normal copies: a listener on a good line is served first
        _small(made, source, recording, probe, settings,
               lambda fraction: on_progress(1 - small_share + fraction * small_share),
               ranges=ranges)  # fmt: skip


def _small(made: dict, source, recording, probe, settings, on_progress, *, ranges=()) -> None:
    """Make the small rendition of ``recording`` (Opus audio, 360p video) into ``made``;
    the public one hiding ``ranges`` when given."""
    path = derivatives_dir(recording.id) / f"small{SMALL_EXTENSIONS[probe.kind]}"
    role = "small"
    if ranges:
        role = redaction.PUBLIC_ROLES["small"]
        path = redaction.public_path(recording, role, ranges, path.suffix)
    made[role] = media.transcode(
        source,
        path,
        kind=f"small-{probe.kind}",
        probe=probe,
        on_progress=on_progress,
        timeout=settings["TRANSCODE_TIMEOUT"],
        overrides=_small_overrides(settings, probe.kind),
        cpu_limit=_budget(probe, settings),
        redact=ranges,
    )


def _budget(probe, settings) -> float:
    return media.cpu_budget(
        probe.duration,
        per_second=settings["CPU_SECONDS_PER_MEDIA_SECOND"],
        minimum=settings["CPU_SECONDS_MINIMUM"],
    )


@operation
def retry(job_id: int) -> Job:
    """Queue a failed job again."""
    job = get(job_id)
    if job.state != "failed":
        raise ArchiveError(f"Job {job_id} is {job.state}; only a failed job can be retried.")
    job.state, job.progress = "queued", 0.0
    current().enqueue("transcode", job.id)
    return job


def get(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound(f"No job {job_id}.")
    return job


def unfinished() -> list[Job]:
    """Jobs queued, running or failed, oldest first (``archive jobs list``)."""
    return list(db.session.scalars(select(Job).where(Job.state != "done").order_by(Job.id)))


def cancel_queued(recordings, reason: str) -> None:
    """Mark the queued jobs of ``recordings`` failed with ``reason`` (a worker that takes one
    later finds it is no longer queued and leaves it)."""
    db.session.execute(
        update(Job)
        .where(Job.recording_id.in_([r.id for r in recordings]), Job.state == "queued")
        .values(state="failed", error=reason, finished_at=utcnow())
    )


def with_ids(ids: list[int]) -> list[Job]:
    """The jobs of ``ids`` that exist (the upload page follows its own)."""
    return list(db.session.scalars(select(Job).where(Job.id.in_(ids)))) if ids else []


@contextmanager
def recording_lock(recording_id: int) -> Iterator[bool]:
    """Try to lock a recording for one job; yields whether this block got the lock.

    A lock of ``archive.locks``, seen by every worker on every host, that comes free when
    its holder dies, even by kill -9 (the kernel drops an flock, PostgreSQL ends the dead
    session's advisory locks, a Redis lock expires): a free lock means nobody works on it.
    """
    with locks.attempt(f"recording-{recording_id}") as held:
        yield held


@periodic("recover_jobs", minute="*")
def recover() -> list[int]:
    """Queue again every job a dead worker left unfinished; return their ids.

    A job "probing" or "transcoding" whose recording nobody holds locked was running in a
    worker that died; it starts again from the beginning.  A "queued" job that the queue
    does not hold (the worker had taken it when it died, or the queue lost it) is queued
    again; a duplicate would do nothing, as each job is claimed once.  And changes that a
    killed process committed but had not indexed yet are indexed.  One recovery at a time
    across every host (another would queue the same jobs twice): a worker that finds one
    running leaves it the work.
    """
    with locks.attempt("recover-jobs") as held:
        return _recover() if held else []


def _recover() -> list[int]:
    with contextlib.suppress(ArchiveError):  # busy: the process writing it drains the outbox
        indexing.sync(timeout=5)
    waiting = _queued_job_ids()
    requeued = []
    stuck = db.session.scalars(
        select(Job).where(Job.state.in_(("queued", *RUNNING))).order_by(Job.id)
    )
    for job in list(stuck):
        if job.state == "queued" and job.id in waiting:
            continue
        with recording_lock(job.recording_id) as held:
            if not held:
                continue  # running now
            db.session.refresh(job)
            if job.state in RUNNING:
                audit.record(None, "transcode-recovered", job.recording.item, reindex=False,
                             job=job.id, state=job.state)  # fmt: skip
                job.state, job.progress = "queued", 0.0
                db.session.commit()
            elif job.state != "queued":
                continue
        enqueue("transcode", job.id)
        requeued.append(job.id)
    return requeued


def _queued_job_ids() -> set[int]:
    """The jobs whose transcode task is waiting in the queue."""
    if current_app.config["QUEUE"]["IMMEDIATE"]:
        return set()
    return {task.args[0] for task in huey().pending() if task.name == "transcode" and task.args}


def _remove_partial_files(folder) -> None:
    """Remove the temporary files of an earlier run (ours hold the recording's lock)."""
    if folder.is_dir():
        for partial in folder.glob(".*.part"):
            partial.unlink(missing_ok=True)


def _progress_reporter(job: Job, share: float, *, start: float = 0.0):
    """Save progress at most twice a second, as ``share`` of the whole job after ``start``."""
    last = [0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and fraction < 1.0:
            return
        last[0] = now
        job.progress = start + max(0.0, min(1.0, fraction)) * share
        db.session.commit()

    return report


def _relpath(path) -> str:
    """The store's name for a file a job wrote into the media folder (laid out as the store)."""
    return path.relative_to(media_root()).as_posix()


def _drop_working_copies(made: dict) -> None:
    """With a bucket, the files a job wrote on this machine were only working copies."""
    if store().local_root is None:
        for path in made.values():
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # the recording's folder, once empty
                path.parent.rmdir()


def _replace_file(recording, role: str, path, kind: str):
    """Record ``path`` as the recording's ``role`` file; the relpath of the one it replaces."""
    relpath = _relpath(path)
    existing = recording.file(role)
    replaced = None
    if existing is not None:
        replaced = existing.relpath
        recording.files.remove(existing)
        db.session.flush()
    recording.files.append(
        MediaFile(
            role=role,
            relpath=relpath,
            sha256=media.sha256_file(path),
            size=path.stat().st_size,
            mimetype=MIMETYPES[(role, kind)],
        )
    )
    return replaced


def _overrides(settings: dict) -> dict:
    return {
        "audio_bitrate": settings["AUDIO_BITRATE"],
        "max_height": settings["VIDEO_MAX_HEIGHT"],
        "crf": settings["VIDEO_CRF"],
    }


def _small_overrides(settings: dict, kind: str) -> dict:
    if kind == "audio":
        return {"audio_bitrate": settings["SMALL_AUDIO_BITRATE"]}
    return {
        "max_height": settings["SMALL_VIDEO_HEIGHT"],
        "video_bitrate": settings["SMALL_VIDEO_BITRATE"],
    }


def _failure_text(exc: media.MediaError) -> str:
    message = str(exc)
    detail = getattr(exc, "ffmpeg_message", "")
    return f"{message}\n{detail}".strip() if detail else message
