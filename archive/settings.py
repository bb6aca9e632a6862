"""Every setting the archive reads, declared once with its default and meaning.

`config.toml` (or the file named by ``ARCHIVE_CONFIG``) overrides these; a test
checks that every key in it is declared here.  Top-level keys and tables are
UPPERCASE, because Flask only keeps uppercase keys from a mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GiB = 1024**3


@dataclass(frozen=True)
class Setting:
    key: str  # "SECRET_KEY" or "TABLE.KEY"
    default: Any
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        "",
        "Signs sessions and CSRF tokens; generated into the instance folder when empty.",
    ),
    Setting("SITE_NAME", "أرشيف الحركة الأسيرة", "Name of the archive shown in page titles."),
    Setting(
        "SITE_NAME_EN", "Prisoners' Movement Oral History Archive", "English name of the archive."
    ),
    Setting(
        "DATABASE_URL",
        "",
        "SQLAlchemy URL of the catalogue; empty means SQLite in the instance folder.",
    ),
    Setting("ITEMS_PER_PAGE", 20, "Items per page in listings."),
    Setting("IDENTIFIER_PREFIX", "AR-", "Prefix of generated item identifiers (AR-000123)."),
    Setting(
        "MEDIA.ROOT",
        "",
        "Folder holding originals and access copies; empty means <instance>/media.",
    ),
    Setting(
        "MEDIA.MAX_UPLOAD_BYTES", 4 * GiB, "Largest file accepted by an upload or ingest, in bytes."
    ),
    Setting("MEDIA.PROBE_TIMEOUT", 120, "Seconds ffprobe may take on one file."),
    Setting(
        "MEDIA.TRANSCODE_TIMEOUT", 6 * 3600, "Seconds one transcode may take before it is killed."
    ),
    Setting("MEDIA.AUDIO_BITRATE", "128k", "Bitrate of the AAC audio in access copies."),
    Setting("MEDIA.VIDEO_MAX_HEIGHT", 720, "Largest height in lines of video access copies."),
    Setting(
        "MEDIA.VIDEO_CRF", 23, "x264 constant rate factor of video access copies (lower is better)."
    ),
    Setting(
        "MEDIA.X_ACCEL_REDIRECT",
        "",
        "When set (e.g. /protected-media/), media are sent by the reverse proxy.",
    ),
    Setting(
        "QUEUE.URL",
        "",
        "Huey storage: empty for SQLite in the instance folder, or redis://host:port/db.",
    ),
    Setting("QUEUE.WORKERS", 2, "Worker threads of `archive worker`."),
    Setting(
        "QUEUE.IMMEDIATE",
        False,
        "Run background jobs inline in the calling process (tests, scripts).",
    ),
    Setting("SERVER.WORKERS", 2, "gunicorn worker processes started by `archive serve`."),
    Setting("SERVER.THREADS", 8, "Threads per gunicorn worker (long uploads hold one each)."),
    Setting(
        "SERVER.PROXIES",
        0,
        "Reverse proxies in front of the archive whose X-Forwarded-For/-Proto/-Host headers "
        "are trusted (0: none; the headers are then ignored, so they cannot be forged).",
    ),
    Setting("AUTH.LOGIN_WINDOW", 900, "Seconds over which failed logins are counted."),
    Setting(
        "AUTH.LOGIN_LIMIT_ACCOUNT", 5, "Failed logins to one account in the window before it waits."
    ),
    Setting(
        "AUTH.LOGIN_LIMIT_ADDRESS",
        20,
        "Failed logins from one address in the window before it waits.",
    ),
    Setting(
        "AUTH.LOGIN_STORE",
        "",
        "Where failed logins are counted: empty for the database, or a Redis URL "
        "(redis://host:6379/1) shared by every web process.",
    ),
    Setting(
        "AUTH.FRESH_LOGIN_MINUTES",
        30,
        "Minutes after logging in during which staff may change things without re-entering"
        " their password.",
    ),
    Setting("AUTH.REGISTER_WINDOW", 3600, "Seconds over which registrations are counted."),
    Setting(
        "AUTH.REGISTER_LIMIT_ADDRESS",
        10,
        "Registration attempts from one address in the window before it waits.",
    ),
    Setting("AUTH.GRANT_DAYS", 90, "Days an access grant lasts unless the admin picks a date."),
    Setting("INDEX.DIR", "", "Folder of the Whoosh search index; empty means <instance>/index."),
)


def defaults() -> dict[str, Any]:
    """The declared defaults as a nested mapping ready for ``app.config``."""
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        table, _, key = setting.key.rpartition(".")
        target = config.setdefault(table, {}) if table else config
        target[key] = setting.default
    return config


def declared_keys() -> set[str]:
    return {setting.key for setting in SETTINGS}


def merge(config: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Merge ``overrides`` into ``config``; tables merge key by key."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key].update(value)
        else:
            config[key] = value


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"MEDIA": {"ROOT": x}}`` → ``{"MEDIA.ROOT": x}``."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat
