"""Logging in and out (flask-login), CSRF on every form, and the staff-only guard."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from archive import throttle
from archive.db import db
from archive.models import User
from archive.users import find_user

login_manager = LoginManager()
csrf = CSRFProtect()
bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def _csrf_failed(exc):
        message = _(
            "The form has expired or was not sent by this site: reload the page and try again."
        )
        if wants_json():
            return jsonify({"error": message}), 400
        return render_template("error.html", code=400, message=message), 400


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def staff_required(view):
    """Only archivists and admins; others get 403, anonymous visitors the login page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            if wants_json():
                return jsonify({"error": _("Your session has ended: log in again.")}), 401
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def wants_json() -> bool:
    """A script asked (Accept: application/json), not a person's browser navigating."""
    accept = request.accept_mimetypes
    return accept.accept_json and not accept.accept_html


def safe_next(target: str | None) -> str | None:
    """A local path to go back to after login, or None (never another site)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        email = request.form.get("email", "")
        address = request.remote_addr or "unknown"
        wait = throttle.wait_seconds(email, address)
        if wait:
            minutes = max(1, round(wait / 60))
            flash(
                _("Too many failed logins: try again in %(minutes)s minutes.", minutes=minutes),
                "error",
            )
            response = current_app.make_response((render_template("login.html"), 429))
            response.headers["Retry-After"] = str(wait)
            return response
        user = find_user(email)
        if (
            user is not None
            and user.active
            and user.check_password(request.form.get("password", ""))
        ):
            throttle.record(email, address, success=True)
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
        throttle.record(email, address, success=False)
        flash(_("Wrong email or password."), "error")
        return render_template("login.html"), 401
    return render_template("login.html")


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("web.home"))
