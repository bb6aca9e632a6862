"""Wires the views, the interface language and the response headers into the app."""

from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_babel import Babel

from archive.errors import Gone, NotFound
from archive.web import edge

LANGUAGES = ("ar", "en", "fr")
RTL = {"ar"}
babel = Babel()


def select_locale() -> str:
    """``?lang=`` first (remembered in a cookie), then the cookie, then Arabic. The API's
    problem details follow ``?lang=``, then the ``Accept-Language`` header, then English: a
    script has no cookie, and its authors read the API's documentation in English."""
    lang = request.args.get("lang")
    if request.path.startswith("/api/"):
        if lang in LANGUAGES:
            return lang
        return request.accept_languages.best_match(LANGUAGES) or "en"
    if lang in LANGUAGES:
        g.set_lang_cookie = lang
        return lang
    lang = request.cookies.get("lang")
    return lang if lang in LANGUAGES else "ar"


class SecureCookies:
    """WSGI middleware: over https, every cookie (session, remember-me, language) is marked
    Secure, so the browser never sends it back over plain http. Behind a reverse proxy the
    scheme is the one ``SERVER.PROXIES`` lets ProxyFix read from X-Forwarded-Proto."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.app(environ, start_response)

        def secure_start(status, headers, exc_info=None):
            headers = [
                (name, f"{value}; Secure")
                if name.lower() == "set-cookie" and "; secure" not in value.lower()
                else (name, value)
                for name, value in headers
            ]
            return start_response(status, headers, exc_info)

        return self.app(environ, secure_start)


def init_app(app: Flask) -> None:
    from archive.web import accounts as account_views
    from archive.web import (
        api,
        authority,
        manage,
        media_files,
        public,
        search,
        sitemaps,
        transcribe,
    )
    from archive.web import browse as browse_views
    from archive.web import exports as export_views
    from archive.web import iiif as iiif_views
    from archive.web import oai as oai_views
    from archive.web import queue as queue_views
    from archive.web import tus as tus_views
    from archive.web import withdrawal as withdrawal_views
    from archive.web import workbench as workbench_views
    from archive.web.api import errors as api_errors

    edge.init_app(app)  # first: the bounded <int:…> must be in place before any route
    babel.init_app(app, locale_selector=select_locale, default_locale="ar")
    app.register_blueprint(public.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(media_files.bp)
    app.register_blueprint(authority.bp)
    app.register_blueprint(transcribe.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(browse_views.bp)
    app.register_blueprint(account_views.bp)
    app.register_blueprint(withdrawal_views.bp)
    app.register_blueprint(workbench_views.bp)
    app.register_blueprint(sitemaps.bp)
    app.register_blueprint(export_views.bp)
    app.register_blueprint(iiif_views.bp)
    app.register_blueprint(oai_views.bp)
    app.register_blueprint(tus_views.bp)
    app.register_blueprint(queue_views.bp)
    api.init_app(app)

    @app.context_processor
    def _direction():
        from flask_babel import get_locale

        lang = str(get_locale() or "ar")
        return {"lang": lang, "dir": "rtl" if lang in RTL else "ltr", "languages": LANGUAGES}

    @app.after_request
    def _headers(response):
        lang = g.pop("set_lang_cookie", None)
        if lang:
            response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "web.embed":  # the embed is made to be framed elsewhere
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if "Content-Security-Policy" not in response.headers:
            from archive.web.media_files import content_security_policy

            response.headers["Content-Security-Policy"] = content_security_policy()
        return response

    @app.errorhandler(NotFound)
    def _not_found(exc):
        return render_template("error.html", code=404, message=str(exc)), 404

    @app.errorhandler(Gone)
    def _gone(exc):  # a plain page: no title, no details of what was withdrawn
        return render_template("error.html", code=410, message=""), 410

    for code in (403, 404, 405, 410, 413):

        @app.errorhandler(code)
        def _http_error(exc, code=code):
            if api_errors.under_api():  # never an HTML page under /api/
                return api_errors.from_http(exc)
            return render_template("error.html", code=code, message=exc.description), code
