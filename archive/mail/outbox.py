"""The mail outbox: a message waits in the catalogue until the SMTP server takes it.

``put()`` writes a message in the running unit of work, so it exists only if the change it
tells of commits, and queues the ``send_mail`` job for after the commit. Sending claims the
row first (pushing its next attempt past the time a send may take), so two workers never
send it twice, and a worker that dies half-way leaves it to the next attempt. A server that
is down, refuses for now (4xx) or cannot be reached is tried again after 1, 2, 4 ... minutes,
at most an hour apart, for ``[MAIL] RETRY_HOURS``; then, or at once when the server refuses
the address or the message for good (5xx), the message is "failed" and listed on the Needs attention page.
Nothing here ever fails the operation that wrote the message.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select, update

from archive.db import db
from archive.errors import ArchiveError, NotFound
from archive.holdings.queue import periodic, task
from archive.i18n import _
from archive.mail import configured
from archive.models import Mail, utcnow
from archive.uow import current, operation

BATCH = 100  # messages one run of ``send_due`` tries at most
LONGEST_WAIT = timedelta(hours=1)


class Undeliverable(Exception):
    """The server refused this message for good (a 5xx answer to its recipient or content)."""


def put(kind: str, recipient: str, language: str, subject: str, text: str, html: str,
        *, now: datetime | None = None) -> Mail | None:  # fmt: skip
    """Keep a message for ``recipient`` and send it once the running unit of work commits;
    nothing (None) when the archive sends no mail. ``now``: the time the message speaks for
    (a digest's), when not the clock's."""
    if not configured():
        return None
    clock = utcnow()
    hours = float(current_app.config["MAIL"]["RETRY_HOURS"])
    mail = Mail(
        kind=kind,
        recipient=recipient,
        language=language,
        subject=subject,
        text=text,
        html=html,
        created_at=now or clock,
        next_attempt_at=clock,
        give_up_at=clock + timedelta(hours=hours),
    )
    db.session.add(mail)
    db.session.flush()
    current().enqueue("send_mail", mail.id)
    return mail


@task
def send_mail(mail_id: int) -> None:
    """Send one message of the outbox, if it is still waiting (the job queued by ``put``)."""
    send(mail_id)


@periodic("send_due_mail", minute="*")
def send_due(now: datetime | None = None) -> list[int]:
    """Try again every message whose next attempt is due; return the ids sent."""
    if not configured():
        return []
    now = now or utcnow()
    due = db.session.scalars(
        select(Mail.id)
        .where(Mail.state == "pending", Mail.next_attempt_at <= now)
        .order_by(Mail.id)
        .limit(BATCH)
    ).all()
    return [mail_id for mail_id in due if send(mail_id, now=now)]


def send(mail_id: int, *, now: datetime | None = None) -> bool:
    """Hand message ``mail_id`` to the SMTP server when it is due; whether it was sent."""
    if not configured():
        return False  # kept: sent once a server is configured again
    settings = current_app.config["MAIL"]
    now = now or utcnow()
    lease = timedelta(seconds=float(settings["TIMEOUT"]) * 6 + 60)  # longer than one send
    claimed = db.session.execute(
        update(Mail)
        .where(Mail.id == mail_id, Mail.state == "pending", Mail.next_attempt_at <= now)
        .values(attempts=Mail.attempts + 1, next_attempt_at=now + lease)
    ).rowcount
    db.session.commit()
    if not claimed:
        return False
    mail = db.session.get(Mail, mail_id)
    db.session.refresh(mail)
    try:
        deliver(message(mail), settings)
    except Undeliverable as exc:
        _failed(mail, str(exc), now)
    except (OSError, smtplib.SMTPException, ValueError) as exc:  # ssl.SSLError is an OSError
        error = _describe(exc)
        if now >= mail.give_up_at:
            _failed(mail, error, now)
        else:
            wait = min(timedelta(minutes=2 ** (mail.attempts - 1)), LONGEST_WAIT)
            mail.next_attempt_at, mail.error = now + wait, error
            current_app.logger.warning(
                "Mail %s to %s not sent (attempt %s): %s", mail.id, mail.recipient,
                mail.attempts, error,
            )  # fmt: skip
    else:
        mail.state, mail.sent_at, mail.error = "sent", utcnow(), ""
    db.session.commit()
    return mail.state == "sent"


def _failed(mail: Mail, error: str, now: datetime) -> None:
    mail.state, mail.error, mail.next_attempt_at = "failed", error, now
    current_app.logger.error("Mail %s to %s not delivered: %s", mail.id, mail.recipient, error)


def message(mail: Mail) -> EmailMessage:
    """The message as it goes out: plain text with an HTML alternative, no remote content."""
    config = current_app.config
    site = config["SITE_NAME"] if mail.language == "ar" else config["SITE_NAME_EN"]
    sender = sender_address()
    msg = EmailMessage()
    msg["Subject"] = mail.subject
    msg["From"] = formataddr((site, sender))
    msg["To"] = mail.recipient
    msg["Date"] = format_datetime(mail.created_at.replace(tzinfo=UTC))
    msg["Message-ID"] = make_msgid(f"mail-{mail.id}", domain=sender.rpartition("@")[2])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the archive
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    msg["Content-Language"] = mail.language  # after the content, which sets Content-* anew
    return msg


def sender_address() -> str:
    """``[MAIL] SENDER``, or no-reply@ the host of ``[SERVER] BASE_URL``."""
    sender = str(current_app.config["MAIL"]["SENDER"]).strip()
    if sender:
        return sender
    host = urlsplit(current_app.config["SERVER"]["BASE_URL"]).hostname or "localhost"
    return f"no-reply@{host}"


def deliver(msg: EmailMessage, settings: dict) -> None:
    """Hand ``msg`` to the SMTP server of ``settings`` ([MAIL]), over TLS when asked."""
    host, port = str(settings["HOST"]).strip(), int(settings["PORT"])
    timeout = float(settings["TIMEOUT"])
    encrypted = settings["TLS"] or settings["STARTTLS"]
    if settings["USERNAME"] and not (encrypted or _loopback(host)):
        raise ValueError(
            "[MAIL] USERNAME is set but the connection would not be encrypted: set STARTTLS or "
            "TLS (the password is never sent in clear)."
        )
    context = ssl.create_default_context(cafile=settings["CA_FILE"] or None)
    if settings["TLS"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if settings["STARTTLS"] and not settings["TLS"]:
            smtp.starttls(context=context)
        if settings["USERNAME"]:
            smtp.login(settings["USERNAME"], settings["PASSWORD"])
        try:
            smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise Undeliverable(_describe(exc)) from exc
            raise
        except smtplib.SMTPDataError as exc:  # (a refused sender is the settings': retried)
            if 500 <= exc.smtp_code < 600:
                raise Undeliverable(_describe(exc)) from exc
            raise


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe(exc: BaseException) -> str:
    """The server's own words when it answered, else the error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{who}: {code} {_text(text)}" for who, (code, text) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# --- for staff ---------------------------------------------------------------------------


def failed(limit: int = 5) -> tuple[int, list[Mail]]:
    """How many messages were never delivered, and the latest ``limit`` of them."""
    count = db.session.scalar(select(func.count()).where(Mail.state == "failed"))
    latest = db.session.scalars(
        select(Mail).where(Mail.state == "failed").order_by(Mail.id.desc()).limit(limit)
    )
    return count, list(latest)


def waiting() -> int:
    """Messages not sent yet (the server was away), to be tried again."""
    return db.session.scalar(select(func.count()).where(Mail.state == "pending"))


@operation
def retry(mail_id: int) -> Mail:
    """Try a message that was never delivered again, for another ``[MAIL] RETRY_HOURS``."""
    mail = db.session.get(Mail, mail_id)
    if mail is None:
        raise NotFound(_("No such message."))
    if mail.state != "failed":
        raise ArchiveError(_("Only a message that was not delivered can be sent again."))
    now = utcnow()
    hours = float(current_app.config["MAIL"]["RETRY_HOURS"])
    mail.state, mail.next_attempt_at = "pending", now
    mail.give_up_at = now + timedelta(hours=hours)
    current().enqueue("send_mail", mail.id)
    return mail
