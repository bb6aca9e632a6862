"""Logging in and out (flask-login), CSRF on every form, and the staff and admin guards.

Staff change things only with a fresh login: the time of the login is kept in the session,
and a state-changing staff request made longer than ``[AUTH] FRESH_LOGIN_MINUTES`` after it
is sent to ``/reauth`` to re-enter the password (scripts get 401).  A session restored
from the remember-me cookie has no login time, so it is never fresh.

Sessions end on the server: the session and the remember-me cookie carry the account's
session version ("id:version", ``User.get_id``), and a cookie made with an older version than
the account's is refused on every request.  Logging out, a new password, deactivation and
"Log out everywhere" raise the version (``archive.accounts.users``), so every copy of every
cookie of the account stops working at once, on every worker and host.
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
from archive.accounts import users as accounts
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
    """The account a session or remember-me cookie names, unless it was ended since."""
    number, _, version = user_id.partition(":")
    if not all(part.isascii() and part.isdigit() and len(part) < 19 for part in (number, version)):
        return None  # a cookie from before session versions, or not ours
    user = db.session.get(User, int(number))
    if user is None or not user.active or user.session_version != int(version):
        return None  # deactivated, logged out, or its sessions were ended: logged out here
    return user


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
    """Count this attempt; a 429 page saying how long to wait when the account or the address
    failed too often (the password is then not checked)."""
    wait = throttle.begin(email, address)
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
        user = accounts.authenticate(email, request.form.get("password", ""))
        throttle.end(email, address, success=user is not None)
        if user is not None:
            login_user(user, remember=bool(request.form.get("remember")))
            session[LOGIN_AT] = int(time.time())
            return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
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
        checked = current_user.check_password(request.form.get("password", ""))
        throttle.end(email, address, success=checked)
        if checked:
            session[LOGIN_AT] = int(time.time())
            return redirect(back)
        flash(_("Wrong password."), "error")
        return render_template("reauth.html"), 401
    return render_template("reauth.html")


@bp.post("/logout")
def logout():
    """Log out: every session and remember-me cookie of the account ends, here and elsewhere."""
    if current_user.is_authenticated:
        accounts.log_out(current_user._get_current_object())
    logout_user()
    session.pop(LOGIN_AT, None)
    return redirect(url_for("web.home"))
