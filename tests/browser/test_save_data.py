"""The "Save data" switch in a real browser: it swaps the player's source for the small rendition
keeping the position, is remembered across reloads, and the Save-Data header or a slow
connection picks the small rendition by itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MEDIA = "section.listen .media"
ITEM = "/items/DEMO-002"


def open_item(page, archive, path: str = ITEM):
    response = page.goto(archive.url(path + "?lang=en"))
    assert response.status == 200, archive.log()
    page.wait_for_function(
        f"() => document.querySelector('{MEDIA}').readyState >= 1", timeout=15_000
    )


def playing_role(page) -> str:
    """Which file the media element plays: the last part of its current URL."""
    return page.eval_on_selector(MEDIA, "m => m.currentSrc.split('#')[0].split('/').pop()")


def first_source(page) -> str:
    return page.eval_on_selector(f"{MEDIA} source", "s => s.dataset.role")


def test_switch_swaps_the_source_and_is_remembered(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive)
    toggle = page.get_by_role("checkbox", name="Save data")
    expect(toggle).not_to_be_checked()
    assert playing_role(page) == "access" and first_source(page) == "access"

    page.eval_on_selector(MEDIA, "m => { m.currentTime = 1.5; }")
    page.wait_for_function(f"() => document.querySelector('{MEDIA}').currentTime >= 1.4")
    toggle.check()
    page.wait_for_function(
        f"() => document.querySelector('{MEDIA}').currentSrc.split('#')[0].endsWith('/small')"
    )
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('{MEDIA}').currentTime - 1.5) < 0.3"
    )  # the position is kept
    assert page.eval_on_selector(MEDIA, "m => m.paused") is True  # and it stays paused
    assert page.evaluate("localStorage.getItem('save-data')") == "on"

    page.reload()
    page.wait_for_function(f"() => document.querySelector('{MEDIA}').readyState >= 1")
    expect(page.get_by_role("checkbox", name="Save data")).to_be_checked()
    assert first_source(page) == "small"  # the server read the cookie
    assert playing_role(page) == "small"

    page.get_by_role("checkbox", name="Save data").uncheck()
    page.wait_for_function(
        f"() => document.querySelector('{MEDIA}').currentSrc.split('#')[0].endsWith('/access')"
    )
    page.reload()
    page.wait_for_function(f"() => document.querySelector('{MEDIA}').readyState >= 1")
    assert first_source(page) == "access" and playing_role(page) == "access"
    traffic.assert_clean(archive.log())


def test_save_data_header_picks_the_small_rendition(demo_collection, browser):
    archive = demo_collection
    context = browser.new_context(extra_http_headers={"Save-Data": "on"})
    try:
        page = context.new_page()
        open_item(page, archive)
        assert first_source(page) == "small" and playing_role(page) == "small"
        expect(page.get_by_role("checkbox", name="Save data")).to_be_checked()
    finally:
        context.close()


def test_slow_connection_picks_the_small_rendition(demo_collection, browser):
    archive = demo_collection
    context = browser.new_context()
    try:
        page = context.new_page()
        # Chromium's throttling as DevTools applies it: about a 2G line.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 800,
                "downloadThroughput": 35_000,
                "uploadThroughput": 32_000,
                "connectionType": "cellular2g",
            },
        )
        page.goto(archive.url(ITEM + "?lang=en"), timeout=60_000)
        effective = page.evaluate("navigator.connection && navigator.connection.effectiveType")
        assert effective in ("slow-2g", "2g", "3g"), effective
        # No header, no cookie: the server named the normal copy first; the script switched.
        assert page.request.get(archive.url(ITEM + "?lang=en")).text().index("/access") < (
            page.request.get(archive.url(ITEM + "?lang=en")).text().index("/small")
        )
        page.wait_for_function(
            f"() => document.querySelector('{MEDIA}').currentSrc.split('#')[0].endsWith('/small')",
            timeout=60_000,
        )
        expect(page.get_by_role("checkbox", name="Save data")).to_be_checked()
        assert page.evaluate("localStorage.getItem('save-data')") is None  # not a choice
    finally:
        context.close()
