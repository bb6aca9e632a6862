"""Who is told what: each message rendered in its recipient's language and put in the outbox.

The operations call these inside their unit of work (``archive.accounts.users``,
``archive.access.grants``; the failed-jobs digest below runs on the worker's clock). A
message is rendered from ``templates/mail/<kind>.html``, whose macros ``subject``, ``text``
and ``html`` give its three parts, under the recipient's language (``User.language``). Links
are absolute, at ``[SERVER] BASE_URL``, and carry ``?lang=`` so the page opens in the
language of the mail; the HTML has no image, style sheet or link to anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from archive import locks
from archive.db import db
from archive.holdings.queue import periodic
from archive.mail import configured, language
from archive.mail.outbox import put
from archive.models import AccessRequest, Job, Mail, User, utcnow
from archive.uow import unit_of_work

DIGEST_ROWS = 50  # failed jobs listed in one digest; the rest are counted
FIRST_DIGEST_LOOKBACK = timedelta(days=1)


def link(endpoint: str, lang: str, **values) -> str:
    """The absolute address of ``endpoint`` at ``[SERVER] BASE_URL``, opening in ``lang``."""
    base = urlsplit(current_app.config["SERVER"]["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, {**values, "lang": lang}, force_external=True)


def render(kind: str, lang: str, **context) -> tuple[str, str, str]:
    """The subject, plain text and HTML of message ``kind`` in language ``lang``."""
    site = current_app.config["SITE_NAME" if lang == "ar" else "SITE_NAME_EN"]
    with force_locale(lang):
        template = current_app.jinja_env.get_template(f"mail/{kind}.html")
        module = template.make_module(
            {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr", "site": site, **context}
        )
        subject = " ".join(str(module.subject()).split())
        text = _tidy(str(module.text()))
        html = str(module.html(subject)).strip() + "\n"
    return subject, text, html


def _tidy(text: str) -> str:
    """Plain text as written in a template: no trailing spaces, at most one blank line."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def tell(kind: str, person: User, **context) -> Mail | None:
    """Put message ``kind`` for ``person`` in the outbox, in their language."""
    if not configured() or not person.email:
        return None
    lang = language(person.language)
    subject, text, html = render(kind, lang, person=person, **context)
    return put(kind, person.email, lang, subject, text, html, now=context.get("now"))


def admins() -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.role == "admin", User.active).order_by(User.id))
    )


def staff() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role.in_(("admin", "archivist")), User.active).order_by(User.id)
        )
    )


# --- accounts ------------------------------------------------------------------------------


def registration_received(user: User) -> None:
    """Admins: a researcher registered and waits for approval."""
    for admin in admins():
        tell("registration-received", admin, researcher=user,
             url=link("accounts.users", language(admin.language)))  # fmt: skip


def registration_existing(user: User) -> None:
    """The owner of an address someone tried to register again (only they are told)."""
    tell("registration-existing", user, url=link("auth.login", language(user.language)))


def registration_decided(user: User, *, approved: bool, note: str = "") -> None:
    """The researcher: their registration was approved, or refused."""
    lang = language(user.language)
    if approved:
        tell("registration-approved", user, url=link("auth.login", lang))
    else:
        tell("registration-refused", user, note=note.strip())


# --- access requests -----------------------------------------------------------------------


def access_requested(request: AccessRequest) -> None:
    """Admins: a researcher asks to hear an item."""
    user = request.user
    who = f"{user.name} ({user.email})" if user.name else user.email
    for admin in admins():
        tell("access-requested", admin, request=request, researcher=user, who=who,
             url=link("accounts.access_requests", language(admin.language)))  # fmt: skip


def access_decided(request: AccessRequest, last_day=None) -> None:
    """The researcher: their request was granted (until ``last_day``), refused or revoked."""
    user = request.user
    lang = language(user.language)
    if request.state == "granted":
        url = link("web.item", lang, identifier=request.identifier)
    else:
        url = link("accounts.account", lang)
    tell(f"access-{request.state}", user, request=request, last_day=last_day, url=url)


# --- failed jobs ---------------------------------------------------------------------------


@periodic("mail_failed_jobs", minute="*")
def failed_jobs_digest(now: datetime | None = None) -> int:
    """Tell staff, in one message each, of the jobs that failed since the last such message,
    at most once per ``[MAIL] DIGEST_MINUTES``; return how many jobs it listed.

    The last digest's time (its outbox rows) is where the next one starts; the first looks
    back one day. One worker at a time writes it (a lock across hosts).
    """
    if not configured():
        return 0
    with locks.attempt("mail-digest") as held:
        if not held:
            return 0
        now = now or utcnow()
        last = db.session.scalar(
            select(func.max(Mail.created_at)).where(Mail.kind == "jobs-failed")
        )
        minutes = float(current_app.config["MAIL"]["DIGEST_MINUTES"])
        if last is not None and now - last < timedelta(minutes=minutes):
            return 0
        since = last if last is not None else now - FIRST_DIGEST_LOOKBACK
        jobs = list(
            db.session.scalars(
                select(Job)
                .where(Job.state == "failed", Job.finished_at > since, Job.finished_at <= now)
                .order_by(Job.finished_at, Job.id)
            )
        )
        if not jobs:
            return 0
        with unit_of_work():
            jobs_failed(jobs, now=now)
        return len(jobs)


def jobs_failed(jobs: Sequence[Job], *, now: datetime) -> None:
    """Every member of staff: these jobs failed (one message, the first rows listed)."""
    for person in staff():
        lang = language(person.language)
        rows = [
            {
                "identifier": job.recording.item.identifier,
                "error": (job.error or "").strip().splitlines()[0][:300] if job.error else "",
                "url": link("manage.edit", lang, identifier=job.recording.item.identifier),
            }
            for job in jobs[:DIGEST_ROWS]
        ]
        tell("jobs-failed", person, rows=rows, count=len(jobs), more=len(jobs) - len(rows),
             url=link("workbench.attention", lang), now=now)  # fmt: skip
