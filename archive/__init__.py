"""The archive's Flask application factory."""

from __future__ import annotations

import os
import secrets
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from archive import settings

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def templates_path() -> Path:
    """The Jinja templates: ``templates/`` beside the package in a source checkout, packaged
    inside it (``archive/templates``) by a wheel."""
    packaged = PACKAGE / "templates"
    return packaged if packaged.is_dir() else ROOT / "templates"


def instance_path() -> Path:
    """The instance folder: ``ARCHIVE_INSTANCE`` or ``instance/`` in the working directory."""
    return Path(os.environ.get("ARCHIVE_INSTANCE", "instance")).resolve()


def config_file() -> Path | None:
    """The TOML settings file: ``ARCHIVE_CONFIG`` or ``config.toml`` in the working directory."""
    named = os.environ.get("ARCHIVE_CONFIG")
    if named:
        return Path(named)
    for candidate in (Path("config.toml"), ROOT / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    config = settings.defaults()
    path = config_file()
    if path is not None:
        with open(path, "rb") as fh:
            settings.merge(config, tomllib.load(fh))
    if overrides:
        settings.merge(config, overrides)
    return config


def _secret_key(instance: Path) -> str:
    """A key kept in the instance folder, so sessions survive restarts.

    Several processes may start at once on a new instance (a web server and
    its worker): the key is written whole to a private file and linked into
    place, so each either places it or reads the one another process placed.
    """
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(prefix=".secret_key.", dir=instance)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the archive; ``config`` (a test's mapping) overrides everything else."""
    config = dict(config or {})
    instance = Path(config.pop("INSTANCE_PATH", None) or instance_path()).resolve()
    app = Flask(
        __name__,
        instance_path=str(instance),
        template_folder=str(templates_path()),
        static_folder=str(PACKAGE / "web" / "static"),
        static_url_path="/static",
    )
    values = load_config(config)
    app.config.from_mapping(values)
    _fill_paths(app, instance)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(instance)
    # Each request's limit is set by archive.web.edge (small, large for staff uploads).
    app.config["MAX_CONTENT_LENGTH"] = None
    # Not setdefault: Flask's own defaults already hold these keys (SameSite None).
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    from archive.web import SecureCookies

    app.wsgi_app = SecureCookies(app.wsgi_app)
    proxies = int(app.config["SERVER"]["PROXIES"] or 0)
    if proxies > 0:  # the client's address and scheme as the proxy saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from archive import versions, web
    from archive.accounts import login as auth
    from archive.db import db
    from archive.holdings import fixity, jobs, queue, resumable  # noqa: F401  (registers tasks)
    from archive.mail import messages, outbox  # noqa: F401  (registers the mail tasks)

    db.init_app(app)
    versions.install()
    auth.init_app(app)
    queue.init_app(app)  # after importing jobs, fixity and mail
    web.init_app(app)
    return app


def _fill_paths(app: Flask, instance: Path) -> None:
    """Resolve the folders under the instance folder that settings left empty."""
    # [DATABASE] URL, or its older spelling DATABASE_URL; both keys then hold the one in use.
    url = app.config["DATABASE"]["URL"] or app.config["DATABASE_URL"]
    url = url or f"sqlite:///{instance / 'archive.db'}"
    app.config["DATABASE"]["URL"] = app.config["DATABASE_URL"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    else:  # a server: connections it closed (a restart, a failover) are found before use
        size = int(app.config["DATABASE"]["POOL_SIZE"])
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_size": size,
            "max_overflow": size,
            "pool_pre_ping": True,
        }
    media = app.config["MEDIA"]
    media["ROOT"] = str(Path(media["ROOT"] or instance / "media").resolve())
    index = app.config["INDEX"]
    index["DIR"] = str(Path(index["DIR"] or instance / "index").resolve())
