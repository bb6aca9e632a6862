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
        "DATABASE.URL",
        "",
        "SQLAlchemy URL of the catalogue (postgresql+psycopg://user@host/name); empty means "
        "SQLite in the instance folder.",
    ),
    Setting("DATABASE_URL", "", "Older spelling of DATABASE.URL, honoured when that is empty."),
    Setting(
        "DATABASE.POOL_SIZE",
        5,
        "Connections each process keeps open to a PostgreSQL catalogue (as many again at a "
        "peak); every lock held takes one more (docs/deploy.md, Connections).",
    ),
    Setting(
        "LOCKS.URL",
        "",
        "redis://host:6379/0 to take the locks that keep hosts from doing the same work (outbox "
        "drain, job recovery, one transcode per recording) in Redis; empty: PostgreSQL advisory "
        "locks when the catalogue is on PostgreSQL (which then wins), else files in the instance.",
    ),
    Setting(
        "LOCKS.TTL",
        30,
        "Seconds a Redis lock outlives a holder that stopped renewing it (a host that died).",
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
    Setting(
        "MEDIA.UPLOAD_EXPIRES_HOURS",
        72,
        "Hours an unfinished resumable (tus) upload is kept before it is deleted.",
    ),
    Setting("MEDIA.PROBE_TIMEOUT", 120, "Seconds ffprobe may take on one file."),
    Setting(
        "MEDIA.TRANSCODE_TIMEOUT", 6 * 3600, "Seconds one transcode may take before it is killed."
    ),
    Setting(
        "MEDIA.MAX_DURATION",
        24 * 3600,
        "Longest recording accepted, in seconds (refused at ingest).",
    ),
    Setting(
        "MEDIA.CPU_SECONDS_PER_MEDIA_SECOND",
        4.0,
        "Processor seconds each ffmpeg run of a job may use per second of the recording.",
    ),
    Setting(
        "MEDIA.CPU_SECONDS_MINIMUM",
        300.0,
        "Processor seconds each ffmpeg run of a job may use on top of that, whatever the length.",
    ),
    Setting("MEDIA.AUDIO_BITRATE", "128k", "Bitrate of the AAC audio in access copies."),
    Setting("MEDIA.VIDEO_MAX_HEIGHT", 720, "Largest height in lines of video access copies."),
    Setting(
        "MEDIA.VIDEO_CRF", 23, "x264 constant rate factor of video access copies (lower is better)."
    ),
    Setting(
        "MEDIA.SMALL_RENDITIONS",
        True,
        "Also make a small rendition of each recording for slow connections (Save data).",
    ),
    Setting("MEDIA.SMALL_AUDIO_BITRATE", "32k", "Bitrate of the Opus audio of small renditions."),
    Setting("MEDIA.SMALL_VIDEO_HEIGHT", 360, "Largest height in lines of small video renditions."),
    Setting(
        "MEDIA.SMALL_VIDEO_BITRATE", "450k", "Average video bitrate of small video renditions."
    ),
    Setting(
        "MEDIA.X_ACCEL_REDIRECT",
        "",
        "When set (e.g. /protected-media/), media are sent by the reverse proxy.",
    ),
    Setting(
        "STORAGE.URL",
        "",
        "Where originals and access copies are kept: empty for the media folder (MEDIA.ROOT), "
        "or s3://bucket/prefix for S3-compatible object storage (needs the s3 extra, boto3).",
    ),
    Setting(
        "STORAGE.ENDPOINT_URL",
        "",
        "The S3 endpoint the archive talks to (http://127.0.0.1:8333 for SeaweedFS, MinIO's "
        "address); empty for AWS S3 of STORAGE.REGION.",
    ),
    Setting(
        "STORAGE.PUBLIC_ENDPOINT_URL",
        "",
        "The S3 endpoint as browsers reach it, used to sign media links; empty: ENDPOINT_URL.",
    ),
    Setting("STORAGE.ACCESS_KEY", "", "S3 access key id; empty: boto3's usual credentials."),
    Setting("STORAGE.SECRET_KEY", "", "S3 secret access key; empty: boto3's usual credentials."),
    Setting("STORAGE.REGION", "", "S3 region (us-east-1 when empty)."),
    Setting(
        "STORAGE.URL_LIFETIME",
        3600,
        "Seconds a media link into the bucket (a presigned redirect, given only after the "
        "access check) stays valid: long enough to play and seek through one recording.",
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
    Setting(
        "SERVER.BASE_URL",
        "http://127.0.0.1:5000",
        "The address the public reaches the archive at (scheme, host, port, path); every "
        "absolute URL (canonical link, Open Graph, JSON-LD, embed code) is built on it.",
    ),
    Setting(
        "SERVER.TRUSTED_HOSTS",
        [],
        "Host names the archive answers (others get 400); empty: BASE_URL's host, localhost, "
        "127.0.0.1 and ::1. A name starting with a dot also matches its subdomains.",
    ),
    Setting(
        "SERVER.MAX_FORM_BYTES",
        1024 * 1024,
        "Largest request body accepted, in bytes; only staff uploads and the CSV import may send "
        "more (up to MEDIA.MAX_UPLOAD_BYTES). Larger bodies get 413 before they are read.",
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
    Setting(
        "INDEX.SYNC_WAIT",
        2.0,
        "Seconds a change waits for a busy index writer before leaving its indexing to the worker.",
    ),
    Setting(
        "SEARCH.BACKEND",
        "whoosh",
        'Search engine: "whoosh" (an index in INDEX.DIR) or "postgresql" (full-text search in '
        "the catalogue's PostgreSQL database; needs DATABASE_URL on PostgreSQL).",
    ),
    Setting(
        "SEARCH.REPLICA_URL",
        "",
        "With the postgresql backend: a read replica of the catalogue's database that searches "
        "read (writes go to the primary); empty: searches read the primary.",
    ),
    Setting(
        "SEARCH.TIME_BUDGET",
        0.5,
        "Seconds one search may take; then it shows what it found so far, marked partial.",
    ),
    Setting(
        "SEARCH.CONCURRENT_PER_ADDRESS",
        2,
        "Searches one anonymous address (an IPv6 /64) may run at once; more are answered 429 "
        "(0: no limit).",
    ),
    Setting(
        "OAI.REPOSITORY_NAME",
        "",
        "Name of the archive told to OAI-PMH harvesters; empty: SITE_NAME and SITE_NAME_EN.",
    ),
    Setting(
        "OAI.REPOSITORY_IDENTIFIER",
        "",
        "The middle part of OAI identifiers (oai:<this>:<accession number>), a domain name the "
        "archive controls; empty: the host of [SERVER] BASE_URL. Never change it once harvested.",
    ),
    Setting(
        "OAI.ADMIN_EMAIL",
        "",
        "Address (or list of addresses) harvesters may write to about the OAI-PMH service; "
        "empty: webmaster@ the host of [SERVER] BASE_URL.",
    ),
    Setting(
        "MAIL.HOST",
        "",
        "SMTP server the archive sends its mail through (researchers told of their approval and "
        "requests, admins of new ones, staff of failed jobs); empty: no mail is sent, and the "
        "pages say so.",
    ),
    Setting("MAIL.PORT", 587, "Port of the SMTP server (587 submission, 465 with TLS, 25 relay)."),
    Setting(
        "MAIL.STARTTLS",
        True,
        "Upgrade the connection with STARTTLS before logging in and sending (refused mail "
        "waits when the server cannot).",
    ),
    Setting(
        "MAIL.TLS",
        False,
        "Speak TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS.",
    ),
    Setting(
        "MAIL.CA_FILE",
        "",
        "A PEM file of the certificate authorities trusted for the SMTP server's certificate "
        "(a private CA); empty: the system's.",
    ),
    Setting("MAIL.USERNAME", "", "Login at the SMTP server; empty: send without logging in."),
    Setting(
        "MAIL.PASSWORD",
        "",
        "Password of MAIL.USERNAME, sent only over TLS (or to a server on this machine).",
    ),
    Setting(
        "MAIL.SENDER",
        "",
        "The From address of the archive's mail; empty: no-reply@ the host of [SERVER] BASE_URL.",
    ),
    Setting("MAIL.TIMEOUT", 30, "Seconds to wait for the SMTP server at each step."),
    Setting(
        "MAIL.RETRY_HOURS",
        24,
        "Hours undelivered mail is retried (after 1, 2, 4 ... minutes, then hourly) before it is "
        "listed on the Needs attention page as not delivered.",
    ),
    Setting(
        "MAIL.DIGEST_MINUTES",
        15,
        "Staff get at most one mail listing the jobs that failed in this many minutes.",
    ),
    Setting("OAI.PAGE_SIZE", 100, "Records, headers or sets in one OAI-PMH list response."),
    Setting(
        "OAI.TOKEN_LIFETIME",
        3600,
        "Seconds an OAI-PMH resumption token stays valid after the response that gave it.",
    ),
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
