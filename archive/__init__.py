"""The archive's Flask application factory."""

from __future__ import annotations

import os
import secrets
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
    """A key kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
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

    from archive import web
    from archive.accounts import login as auth
    from archive.db import db
    from archive.holdings import fixity, jobs, queue  # noqa: F401  (importing registers tasks)
    from archive.web import page_cache

    db.init_app(app)
    page_cache.install()
    auth.init_app(app)
    queue.init_app(app)  # after importing jobs and fixity
    web.init_app(app)
    return app


def _fill_paths(app: Flask, instance: Path) -> None:
    """Resolve the folders under the instance folder that settings left empty."""
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'archive.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = (
        {"connect_args": {"timeout": 30}} if app.config["DATABASE_URL"].startswith("sqlite") else {}
    )
    media = app.config["MEDIA"]
    media["ROOT"] = str(Path(media["ROOT"] or instance / "media").resolve())
    index = app.config["INDEX"]
    index["DIR"] = str(Path(index["DIR"] or instance / "index").resolve())
