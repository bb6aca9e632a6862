"""Accounts: registering, a researcher's own page, asking for access to an item, and the
admin's pages for users and access requests."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from archive.access import grants
from archive.access.rules import can_view
from archive.accounts import tokens as api_tokens
from archive.accounts import users as accounts
from archive.accounts.login import admin_required, login_is_fresh
from archive.db import db
from archive.errors import ArchiveError
from archive.mail import configured as mail_configured
from archive.models import ROLES, Item, is_identifier

bp = Blueprint("accounts", __name__)

REGISTER_FIELDS = ("name", "email", "affiliation", "purpose")


@bp.app_context_processor
def _counts():
    """What waits for an admin, for the navigation (queried only when a page shows it)."""

    def admin_waiting() -> tuple[int, int]:
        return accounts.pending_count(), grants.pending_count()

    return {"admin_waiting": admin_waiting, "mail_configured": mail_configured}


def _tell_them_yourself() -> None:
    """After a decision the person is told of by mail: say when no mail goes out."""
    if not mail_configured():
        flash(_("Mail is not configured: nobody was told by email, tell them yourself."), "info")


@bp.route("/register", methods=["GET", "POST"])
def register():
    """A researcher's registration; an admin approves it before "researchers" items open.

    The answer is the same whether or not the email already has an account (that account is
    left as it was; the admins see a ``user.register-existing`` event), so this page never
    tells who has an account here.  Nobody is logged in by registering: a new account logs in
    with the password just chosen."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = {field: request.form.get(field, "") for field in REGISTER_FIELDS}
    if request.method == "POST":
        address = request.remote_addr or "unknown"
        wait = accounts.registration_wait(address)
        if wait:
            minutes = max(1, round(wait / 60))
            flash(
                _(
                    "Too many registrations from here: try again in %(minutes)s minutes.",
                    minutes=minutes,
                ),
                "error",
            )
            response = current_app.make_response(
                (render_template("accounts/register.html", form=form), 429)
            )
            response.headers["Retry-After"] = str(wait)
            return response
        accounts.count_registration(address)
        try:
            accounts.register(
                name=form["name"],
                email=form["email"],
                password=request.form.get("password", ""),
                confirmation=request.form.get("password2", ""),
                affiliation=form["affiliation"],
                purpose=form["purpose"],
                language=str(get_locale() or "ar"),
            )
        except ArchiveError as exc:
            flash(str(exc), "error")
            return render_template("accounts/register.html", form=form), 400
        flash(
            _(
                "Thank you: your registration is received. Log in with your email address and "
                "password. An admin will review a new account; until then it sees what the "
                "public sees."
            )
        )
        return redirect(url_for("auth.login"))
    return render_template("accounts/register.html", form=form)


@bp.get("/account")
@login_required
def account():
    """Your profile, your API tokens, and your access requests with their answers."""
    return _account_page()


def _account_page(**shown):
    requests = [
        (entry, grants.state_of(entry), _visible_item(entry), grants.last_day(entry))
        for entry in grants.requests_of(current_user)
    ]
    return render_template(
        "accounts/account.html",
        requests=requests,
        pending=accounts.is_pending(current_user),
        tokens=api_tokens.active_tokens(current_user),
        scopes=api_tokens.SCOPES,
        **shown,
    )


@bp.post("/account/tokens")
@login_required
def create_token():
    """Make a personal API token; its secret is shown on this answer only, never again (it is
    not flashed: a flashed message travels in the session cookie)."""
    if not login_is_fresh():
        flash(_("To make a token, enter your password again: your login is too old."), "error")
        return redirect(url_for("auth.reauth", next=url_for("accounts.account")))
    user = current_user._get_current_object()
    try:
        token, secret = api_tokens.create(
            user, request.form.get("name", ""), request.form.get("scope", "read")
        )
    except ArchiveError as exc:
        flash(str(exc), "error")
        return redirect(url_for("accounts.account"))
    response = current_app.make_response(_account_page(new_token=token, secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    user = current_user._get_current_object()
    token = api_tokens.get(user, token_id)  # only your own: anyone else's is not found
    api_tokens.revoke(token, by=user)
    flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name))
    return redirect(url_for("accounts.account"))


@bp.post("/account/language")
@login_required
def mail_language():
    """The language the archive's mail to you is written in."""
    user = current_user._get_current_object()
    try:
        accounts.set_language(user, request.form.get("language", ""))
    except ArchiveError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The archive will write to you in this language."))
    return redirect(url_for("accounts.account"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    """End every session of your account, on every device (this one too)."""
    user = current_user._get_current_object()
    accounts.log_out_everywhere(user, by=user)
    logout_user()
    flash(_("Every session of your account has ended, on every device: log in again."))
    return redirect(url_for("auth.login"))


def _visible_item(entry) -> Item | None:
    """The item of a request, only when the researcher may see it now."""
    item = grants.item_of(entry)
    return item if item is not None and can_view(current_user, item) else None


@bp.get("/request-access")
@login_required
def request_access_by_form():
    """The account page's form: go to the request page of the identifier typed."""
    identifier = request.args.get("identifier", "").strip()
    if not is_identifier(identifier):
        flash(_("“%(identifier)s” is not an item identifier.", identifier=identifier), "error")
        return redirect(url_for("accounts.account"))
    return redirect(url_for("accounts.request_access", identifier=identifier))


@bp.route("/items/<identifier>/request-access", methods=["GET", "POST"])
@login_required
def request_access(identifier: str):
    """Ask for one item by its identifier.  The page is the same whether the item exists or
    not, so it never tells who may not see an item that it is there."""
    if not is_identifier(identifier):
        abort(404)
    item = db.session.scalar(select(Item).where(Item.identifier == identifier))
    if current_user.is_staff or (item is not None and can_view(current_user, item)):
        return redirect(url_for("web.item", identifier=identifier))
    reason = request.form.get("reason", "")
    if request.method == "POST":
        try:
            grants.request_access(current_user, identifier, reason)
        except grants.AlreadyVisible:
            return redirect(url_for("web.item", identifier=identifier))
        except ArchiveError as exc:
            flash(str(exc), "error")
            return render_template(
                "accounts/request_access.html", identifier=identifier, reason=reason
            ), 400
        flash(
            _(
                "Your request for %(identifier)s is sent: the answer will appear on this page.",
                identifier=identifier,
            )
        )
        return redirect(url_for("accounts.account"))
    return render_template("accounts/request_access.html", identifier=identifier, reason=reason)


# --- the admin's pages -------------------------------------------------------------------


@bp.get("/manage/users")
@admin_required
def users():
    return render_template(
        "manage/users.html",
        users=accounts.list_users(),
        roles=ROLES,
        is_pending=accounts.is_pending,
    )


USER_ACTIONS = {
    "approve": lambda user, by: accounts.approve(user, by=by),
    "refuse": lambda user, by: accounts.refuse(user, by=by, note=request.form.get("note", "")),
    "role": lambda user, by: accounts.set_role(user, request.form.get("role", ""), by=by),
    "deactivate": lambda user, by: accounts.deactivate(user, by=by),
    "activate": lambda user, by: accounts.activate(user, by=by),
    "logout": lambda user, by: accounts.log_out_everywhere(user, by=by),
}


@bp.post("/manage/users/<int:user_id>/<action>")
@admin_required
def user_action(user_id: int, action: str):
    if action not in USER_ACTIONS:
        abort(404)
    user = accounts.get_user(user_id)
    try:
        USER_ACTIONS[action](user, current_user)
    except ArchiveError as exc:
        flash(str(exc), "error")
    else:
        flash(_user_done(action, user))
        if action in ("approve", "refuse"):
            _tell_them_yourself()
    return redirect(url_for("accounts.users"))


def _role_label(role: str) -> str:
    if role == "admin":
        return _("Admin")
    if role == "archivist":
        return _("Archivist")
    return _("Researcher")


def _user_done(action: str, user) -> str:
    if action == "approve":
        return _("%(email)s is approved.", email=user.email)
    if action == "refuse":
        return _("The registration of %(email)s is refused.", email=user.email)
    if action == "role":
        return _(
            "%(email)s now has the role %(role)s.", email=user.email, role=_role_label(user.role)
        )
    if action == "deactivate":
        return _("%(email)s is deactivated.", email=user.email)
    if action == "logout":
        return _("Every session of %(email)s has ended.", email=user.email)
    return _("%(email)s is active again.", email=user.email)


@bp.get("/manage/access-requests")
@admin_required
def access_requests():
    return render_template(
        "manage/access_requests.html",
        pending=[(entry, grants.item_of(entry)) for entry in grants.pending()],
        active=[(entry, grants.last_day(entry)) for entry in grants.active_grants()],
        decided=[(entry, grants.state_of(entry)) for entry in grants.decided()],
        default_until=grants.default_until().isoformat(),
    )


@bp.post("/manage/access-requests/<int:request_id>/<action>")
@admin_required
def access_request_action(request_id: int, action: str):
    if action not in ("grant", "refuse", "revoke"):
        abort(404)
    entry = grants.get_request(request_id)
    note = request.form.get("note", "")
    try:
        if action == "grant":
            until = request.form.get("until", "").strip()
            grants.grant(
                entry,
                by=current_user,
                until=grants.parse_until(until) if until else None,
                note=note,
            )
            flash(
                _(
                    "%(user)s may hear %(identifier)s until %(date)s.",
                    user=entry.user.email,
                    identifier=entry.identifier,
                    date=grants.last_day(entry).isoformat(),
                )
            )
        elif action == "refuse":
            grants.refuse(entry, by=current_user, note=note)
            flash(_("The request of %(user)s is refused.", user=entry.user.email))
        else:
            grants.revoke(entry, by=current_user, note=note)
            flash(_("The grant of %(user)s is revoked.", user=entry.user.email))
    except ArchiveError as exc:
        flash(str(exc), "error")
    else:
        _tell_them_yourself()
    return redirect(url_for("accounts.access_requests"))
