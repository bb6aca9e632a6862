"""Mail: the archive tells people what concerns them, in their own language.

Researchers hear of their registration and their access requests, admins of new ones,
staff of failed jobs (one digest). The operations call ``archive.mail.messages``, which writes
each message, rendered from ``templates/mail/``, into the outbox (``archive.mail.outbox``) in
the operation's own transaction; a job sends it once that commits, and the outbox retries
what the SMTP server did not take. With no ``[MAIL] HOST`` nothing is written or sent.
"""

from __future__ import annotations

from flask import current_app

LANGUAGES = ("ar", "en", "fr")  # the languages mail is written in (the interface's)


def configured() -> bool:
    """Whether the archive sends mail (``[MAIL] HOST`` is set)."""
    return bool(str(current_app.config["MAIL"]["HOST"]).strip())


def language(value: str | None) -> str:
    """``value`` when mail can be written in it, else Arabic, the archive's first language."""
    value = (value or "").strip().lower()[:2]
    return value if value in LANGUAGES else "ar"
