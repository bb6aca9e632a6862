"""``/sitemap.xml`` and ``/robots.txt``: what crawlers may read, and where to find it.

The sitemap lists the public pages of ``archive.exchange.sitemap`` at the site's address
(``[SERVER] BASE_URL``), each with its ``lastmod`` and its English and French versions as
``hreflang`` alternates (the plain address is the Arabic page). Past 50,000 URLs ``/sitemap.xml``
is a sitemap index of ``/sitemap-N.xml`` files. ``robots.txt`` points to it and keeps crawlers
out of the staff pages, search result pages, media files and forms.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, Response, abort, current_app, request

from archive.exchange import sitemap
from archive.web.edge import site_url

bp = Blueprint("sitemaps", __name__)

XML = "application/xml; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
ALTERNATES = ("en", "fr")  # the plain URL is the Arabic page (the default language)

# Paths under the site's address that crawlers are asked to leave alone.
DISALLOWED = (
    "/manage",  # staff pages
    "/search",  # search result pages: endless, and the same items as the sitemap lists
    "/media/",  # audio, video, posters and waveforms
    "/embed/",  # the player alone: the listening page is the page to index
    "/suggest/",
    "/api/",  # the JSON API is for scripts; the pages say the same
    "/account",
    "/login",
    "/register",
    "/request-access",
    "/items/*/request-access",
)


@bp.get("/sitemap.xml")
def sitemap_xml():
    found = sitemap.entries()
    count = sitemap.pages(len(found))
    if count == 1:
        return _xml(_urlset(found))
    newest = [max((e.lastmod for e in sitemap.page(found, n) if e.lastmod), default=None)
              for n in range(1, count + 1)]  # fmt: skip
    return _xml(_index(newest))


@bp.get("/sitemap-<int:number>.xml")
def sitemap_page(number: int):
    found = sitemap.entries()
    if sitemap.pages(len(found)) == 1 or not sitemap.page(found, number):
        abort(404)  # one file needs no index: /sitemap.xml is the whole sitemap
    return _xml(_urlset(sitemap.page(found, number)))


@bp.get("/robots.txt")
def robots_txt():
    prefix = urlsplit(current_app.config["SERVER"]["BASE_URL"]).path.rstrip("/")
    lines = ["User-agent: *"]
    lines += [f"Disallow: {prefix}{path}" for path in DISALLOWED]
    lines += ["", f"Sitemap: {site_url('sitemaps.sitemap_xml')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


def _xml(chunks: Iterator[str]) -> Response:
    response = Response("".join(chunks), content_type=XML)
    response.add_etag()
    return response.make_conditional(request)


def _urlset(entries: list[sitemap.Entry]) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">\n'
    for entry in entries:
        url = site_url(entry.endpoint, **entry.values)
        yield f"<url><loc>{escape(url)}</loc>"
        if entry.lastmod is not None:
            yield f"<lastmod>{_w3c(entry.lastmod)}</lastmod>"
        yield f'<xhtml:link rel="alternate" hreflang="ar" href={quoteattr(url)}/>'
        for lang in ALTERNATES:
            other = site_url(entry.endpoint, **entry.values, lang=lang)
            yield f'<xhtml:link rel="alternate" hreflang="{lang}" href={quoteattr(other)}/>'
        yield "</url>\n"
    yield "</urlset>\n"


def _index(newest: list[datetime | None]) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<sitemapindex xmlns="{SITEMAP_NS}">\n'
    for number, lastmod in enumerate(newest, start=1):
        yield f"<sitemap><loc>{escape(site_url('sitemaps.sitemap_page', number=number))}</loc>"
        if lastmod is not None:
            yield f"<lastmod>{_w3c(lastmod)}</lastmod>"
        yield "</sitemap>\n"
    yield "</sitemapindex>\n"


def _w3c(moment: datetime) -> str:
    """A UTC moment as the W3C datetime the protocol asks for (catalogue times are naive UTC)."""
    return moment.replace(microsecond=0).isoformat() + "+00:00"
