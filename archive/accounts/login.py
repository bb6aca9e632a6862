"""Logging in and out (flask-login), CSRF on every form, and the staff and admin guards.

Staff change things only with a fresh login: the time of the login is kept in the session,
and a state-changing staff request made longer than ``[AUTH] FRESH_LOGIN_MINUTES`` after it
is sent to ``/reauth`` to re-enter the password (scripts get 401).  A session restored
from the remember-me cookie has no login time, so it is never fresh.
"""

from __future__ import annotations

import time
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
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from archive.accounts import throttle
from archive.accounts.users import find_user
from archive.db import db
from archive.models import User

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
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None  # deactivated: logged out


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOGIN_AT = "login_at"  # session key: when the password was last entered (epoch seconds)


def staff_required(view):
    """Only archivists and admins; others get 403, anonymous visitors the login page.
    Changes (any method but GET/HEAD/OPTIONS) also need a fresh login."""
    return _guard(view, lambda user: user.is_staff)


def admin_required(view):
    """Only admins (archivists get 403); changes need a fresh login."""
    return _guard(view, lambda user: user.is_admin)


def _guard(view, allowed):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            if wants_json():
                return jsonify({"error": _("Your session has ended: log in again.")}), 401
            return login_manager.unauthorized()
        if not allowed(current_user):
            abort(403)
        if request.method not in SAFE_METHODS and not login_is_fresh():
            return _ask_password_again()
        return view(*args, **kwargs)

    return wrapped


def login_is_fresh() -> bool:
    """The password was entered in this session less than FRESH_LOGIN_MINUTES ago."""
    at = session.get(LOGIN_AT)
    minutes = float(current_app.config["AUTH"]["FRESH_LOGIN_MINUTES"])
    return isinstance(at, int | float) and 0 <= time.time() - at < minutes * 60


def _ask_password_again():
    message = _("To change anything, enter your password again: your login is too old.")
    if wants_json() or request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return jsonify({"error": message, "reauth": url_for("auth.reauth")}), 401
    flash(message, "error")
    return redirect(url_for("auth.reauth", next=_page_to_return_to()))


def _page_to_return_to() -> str:
    """The page the refused change was made from (the form's page), else the catalogue."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.scheme in ("http", "https"):
        back = safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
        if back:
            return back
    return url_for("manage.dashboard")


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


def _too_many_failures(email: str, address: str, template: str):
    """A 429 page saying how long to wait, when the account or address failed too often."""
    wait = throttle.wait_seconds(email, address)
    if not wait:
        return None
    minutes = max(1, round(wait / 60))
    flash(_("Too many failed logins: try again in %(minutes)s minutes.", minutes=minutes), "error")
    response = current_app.make_response((render_template(template), 429))
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        email = request.form.get("email", "")
        address = request.remote_addr or "unknown"
        refused = _too_many_failures(email, address, "login.html")
        if refused is not None:
            return refused
        user = find_user(email)
        if (
            user is not None
            and user.active
            and user.check_password(request.form.get("password", ""))
        ):
            throttle.record(email, address, success=True)
            login_user(user, remember=bool(request.form.get("remember")))
            session[LOGIN_AT] = int(time.time())
            return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
        throttle.record(email, address, success=False)
        flash(_("Wrong email or password."), "error")
        return render_template("login.html"), 401
    return render_template("login.html")


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
def reauth():
    """Re-enter the password to make the login fresh again, then go back to ``next``."""
    back = safe_next(request.args.get("next")) or url_for("web.home")
    if request.method == "POST":
        email, address = current_user.email, request.remote_addr or "unknown"
        refused = _too_many_failures(email, address, "reauth.html")
        if refused is not None:
            return refused
        if current_user.check_password(request.form.get("password", "")):
            throttle.record(email, address, success=True)
            session[LOGIN_AT] = int(time.time())
            return redirect(back)
        throttle.record(email, address, success=False)
        flash(_("Wrong password."), "error")
        return render_template("reauth.html"), 401
    return render_template("reauth.html")


@bp.post("/logout")
def logout():
    logout_user()
    session.pop(LOGIN_AT, None)
    return redirect(url_for("web.home"))
