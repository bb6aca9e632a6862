"""Absolute URLs come from ``[SERVER] BASE_URL``; a forged Host is refused and never reaches a
page, nor a page kept in memory for the next visitors (the cache-poisoning attack)."""

from __future__ import annotations

import re

import pytest

from archive import create_app, migrate
from archive.web import page_cache
from archive.web.edge import trusted_hosts
from tests.test_listening import json_ld, open_graph, published  # noqa: F401  (a fixture)

FORGED = "evil.example"
SITE = "https://archive.example.org"
MIRROR = "mirror.example.net"


@pytest.fixture(autouse=True)
def _empty_cache():
    page_cache.clear()
    yield
    page_cache.clear()


def absolute_urls(page: str) -> list[str]:
    """Every absolute URL the page gives: canonical link, Open Graph, JSON-LD, embed code."""
    canonical = re.findall(r'<link rel="canonical" href="([^"]+)"', page)
    og = [v for k, v in open_graph(page).items() if k in ("og:url", "og:audio", "og:image")]
    data = json_ld(page) or {}
    ld = [data.get(k) for k in ("url", "embedUrl", "contentUrl", "thumbnailUrl") if data.get(k)]
    ld += [person["url"] for person in data.get("creator", []) + data.get("contributor", [])]
    iframes = re.findall(r"&lt;iframe src=&#34;([^&]+)&#34;|<iframe src=\"([^\"]+)\"", page)
    return canonical + og + ld + [a or b for a, b in iframes]


def site(app, base_url: str, trusted: list[str] | None = None) -> None:
    """Configure the site address (and trusted names) of a running app, as config.toml would."""
    app.config["SERVER"] = {**app.config["SERVER"], "BASE_URL": base_url,
                            "TRUSTED_HOSTS": trusted or []}  # fmt: skip
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config["SERVER"])


def test_the_trusted_hosts_default_to_the_site_and_loopback():
    server = {"BASE_URL": "https://archive.example.org:8443/oral", "TRUSTED_HOSTS": []}
    assert trusted_hosts(server) == ["archive.example.org", "localhost", "127.0.0.1", "::1"]
    assert trusted_hosts({**server, "TRUSTED_HOSTS": [" a.example ", ".b.example"]}) == [
        "a.example",
        ".b.example",
    ]
    default = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": "/nonexistent"})
    assert default.config["SERVER"]["BASE_URL"] == "http://127.0.0.1:5000"
    assert default.config["TRUSTED_HOSTS"] == ["127.0.0.1", "localhost", "::1"]


@pytest.mark.parametrize("base_url", ["archive.example.org", "ftp://example.org/", "https://"])
def test_an_unusable_base_url_stops_the_start(tmp_path, base_url):
    with pytest.raises(ValueError, match="BASE_URL"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
                    "SERVER": {"BASE_URL": base_url}})  # fmt: skip


@pytest.mark.parametrize("path", ["/items/{id}", "/embed/{id}", "/", "/browse", "/login"])
def test_a_forged_host_is_refused_and_poisons_no_page(client, published, path):  # noqa: F811
    url = path.format(id=published["identifier"])
    forged = client.get(url, headers={"Host": FORGED})
    assert forged.status_code == 400
    assert FORGED not in forged.get_data(as_text=True)
    assert client.get(url, headers={"Host": f"{FORGED}:5000"}).status_code == 400
    # The next visitor, by a trusted name, gets a page that never heard of the forged host.
    page = client.get(url)
    assert page.status_code == 200
    assert FORGED not in page.get_data(as_text=True)


def test_absolute_urls_come_from_the_base_url_by_whatever_trusted_name(
    app,
    client,
    published,  # noqa: F811
):
    site(app, SITE, ["archive.example.org", "localhost", MIRROR])
    ident = published["identifier"]
    for path in (f"/items/{ident}", f"/embed/{ident}"):
        # The first visitor comes by the mirror's name: the page they leave in memory...
        first = client.get(path, headers={"Host": MIRROR})
        assert first.status_code == 200
        urls = absolute_urls(first.get_data(as_text=True))
        assert urls and all(url.startswith(f"{SITE}/") for url in urls), urls
        # ... is the page everyone gets, by any name, and the one they would have got anyway.
        for host in ("localhost", "archive.example.org"):
            again = client.get(path, headers={"Host": host}, base_url="https://localhost")
            assert again.get_data() == first.get_data()
        page_cache.clear()
        assert client.get(path).get_data() == first.get_data()
    page = client.get(f"/items/{ident}").get_data(as_text=True)
    assert f'<link rel="canonical" href="{SITE}/items/{ident}">' in page
    assert open_graph(page)["og:audio"] == f"{SITE}/media/{published['recording']}/access"
    assert json_ld(page)["embedUrl"] == f"{SITE}/embed/{ident}"


def test_a_site_under_a_path_keeps_its_path(app, client, published):  # noqa: F811
    site(app, "https://example.org/oral-history/")
    ident = published["identifier"]
    page = client.get(f"/items/{ident}").get_data(as_text=True)
    assert open_graph(page)["og:url"] == f"https://example.org/oral-history/items/{ident}"


def test_the_cache_keeps_pages_of_another_mount_point_apart(client, published):  # noqa: F811
    """Relative links carry the mount point (SCRIPT_NAME): a page made for one is not another's."""
    ident = published["identifier"]
    mounted = client.get(f"/items/{ident}", environ_overrides={"SCRIPT_NAME": "/archive"})
    assert 'href="/archive/static/' in mounted.get_data(as_text=True)
    plain = client.get(f"/items/{ident}").get_data(as_text=True)
    assert 'href="/archive/' not in plain


def test_behind_a_proxy_a_forged_forwarded_host_is_refused(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "SECRET_KEY": "test", "SERVER": {"PROXIES": 1}})  # fmt: skip
    with app.app_context():
        migrate.upgrade()
    client = app.test_client()
    assert client.get("/login", headers={"X-Forwarded-Host": FORGED}).status_code == 400
    assert client.get("/login", headers={"X-Forwarded-Host": "localhost"}).status_code == 200
