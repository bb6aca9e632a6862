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


QUEUE = "#queue-audio"


def queue_file(page) -> str:
    """Which file the queue player plays: the last part of its URL."""
    return page.eval_on_selector(QUEUE, "a => a.currentSrc.split('#')[0].split('/').pop()")


def test_switch_on_a_page_the_queue_player_swapped_in(demo_collection, page, traffic):
    """The queue keeps playing while the visitor goes from one listening page to another (each
    <main> swapped in, the scripts run once): the second page's switch works all the same, and
    the queue goes over to the small renditions with it."""
    archive = demo_collection
    page.goto(archive.url("/queue?items=DEMO-001,DEMO-002&lang=en"))
    expect(page.locator("#queue-bar")).to_be_visible()
    page.locator("#queue-bar .queue-toggle").click()
    page.wait_for_function(f"() => document.querySelector('{QUEUE}').currentTime > 0.3")
    assert queue_file(page) == "access"
    page.evaluate(f"window.sameDocument = document.querySelector('{QUEUE}')")
    page.locator("main ol.queue-list a[href='/items/DEMO-001']").click()
    page.wait_for_url("**/items/DEMO-001")
    expect(page.locator("main section.listen")).to_have_count(1)
    page.locator("#queue-bar .queue-list-toggle").click()  # on, from the queue's own list
    page.locator("#queue-entries a[href='/items/DEMO-002']").click()
    page.wait_for_url("**/items/DEMO-002")
    page.wait_for_function(f"() => document.querySelector('{MEDIA}').readyState >= 1")
    assert page.evaluate(f"window.sameDocument === document.querySelector('{QUEUE}')")
    assert playing_role(page) == "access"
    switch = page.locator("main .save-data-toggle")
    expect(switch).not_to_be_checked()
    switch.check()
    page.wait_for_function(
        f"() => document.querySelector('{MEDIA}').currentSrc.split('#')[0].endsWith('/small')"
    )
    page.wait_for_function(
        f"() => document.querySelector('{QUEUE}').currentSrc.endsWith('/small')"
    )  # the queue too, from where it was, still playing
    page.wait_for_function(f"() => !document.querySelector('{QUEUE}').paused")
    expect(page.locator("#queue-bar .save-data-toggle")).to_be_checked()
    assert page.evaluate("localStorage.getItem('save-data')") == "on"
    # And back, from the queue's own switch: the listening page's player follows.
    page.locator("#queue-bar .save-data-toggle").uncheck()
    page.wait_for_function(
        f"() => document.querySelector('{MEDIA}').currentSrc.split('#')[0].endsWith('/access')"
    )
    page.wait_for_function(
        f"() => document.querySelector('{QUEUE}').currentSrc.endsWith('/access')"
    )
    expect(switch).not_to_be_checked()
    traffic.assert_clean(archive.log())


def test_the_queue_plays_small_renditions_when_data_is_saved(demo_collection, browser):
    """Save-Data on: the queue plays each small rendition; its switch says so and turning
    it off goes back to the normal copy at the same moment, still playing."""
    archive = demo_collection
    context = browser.new_context(extra_http_headers={"Save-Data": "on"})
    try:
        page = context.new_page()
        page.goto(archive.url("/queue?items=DEMO-002,DEMO-001&lang=ar"))
        bar_switch = page.locator("#queue-bar .save-data-toggle")
        expect(bar_switch).to_be_visible()
        expect(bar_switch).to_be_checked()
        expect(bar_switch).to_have_accessible_name("توفير البيانات")
        page.locator("#queue-bar .queue-toggle").click()
        page.wait_for_function(f"() => document.querySelector('{QUEUE}').currentTime > 1")
        assert queue_file(page) == "small"
        page.locator("#queue-bar .queue-next").click()  # the next one small as well
        page.wait_for_function(
            f"() => document.querySelector('{QUEUE}').currentTime > 0.3"
            f" && document.querySelector('.queue-title').textContent !== ''"
        )
        assert queue_file(page) == "small"
        page.locator("#queue-bar .queue-prev").click()
        page.wait_for_function(f"() => document.querySelector('{QUEUE}').currentTime > 1")
        before = page.eval_on_selector(QUEUE, "a => a.currentTime")
        bar_switch.uncheck()
        page.wait_for_function(
            f"() => document.querySelector('{QUEUE}').currentSrc.endsWith('/access')"
        )
        page.wait_for_function(
            f"() => !document.querySelector('{QUEUE}').paused"
            f" && document.querySelector('{QUEUE}').currentTime >= {before}"
        )
        assert page.evaluate("localStorage.getItem('save-data')") == "off"
    finally:
        context.close()
