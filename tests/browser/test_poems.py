"""A poem's verses set as printed Arabic poetry in a real browser: the two halves side by side
at desktop width, stacked at 390 px, the verse being heard highlighted as the recording plays."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

ITEM = "/items/DEMO-001"  # Abu Firas, four verses in two stanzas, timed
MEDIA = "section.listen .media"
VERSES = "li.segment.verse-line"


def halves(page, number: int):
    """The bounding boxes of the two halves of a verse."""
    verse = page.locator(VERSES).nth(number)
    return [verse.locator(".hemistich").nth(i).bounding_box() for i in (0, 1)]


def open_poem(page, archive, width: int):
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(archive.url(ITEM))
    assert response.status == 200, archive.log()
    assert page.locator(VERSES).count() == 4
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("ol.transcript").screenshot(path=str(ARTIFACTS / f"poem-{width}.png"))


def test_halves_side_by_side_on_a_desktop(demo_collection, page):
    open_poem(page, demo_collection, 1280)
    for number in range(4):
        first, second = halves(page, number)
        assert abs(first["y"] - second["y"]) < 2  # one line
        assert first["x"] > second["x"] + second["width"]  # صدر on the right, a gap, then عجز
    text = page.locator(VERSES).first.locator(".hemistich").first.inner_text()
    assert text == "أَراكَ عَصِيَّ الدَّمعِ شيمَتُكَ الصَبرُ"  # diacritics intact
    align = page.locator(".hemistich").first.evaluate("e => getComputedStyle(e).textAlignLast")
    assert align == "justify"
    # The stanza break: more space after the second verse than after the first.
    boxes = [page.locator(VERSES).nth(i).bounding_box() for i in range(3)]
    inside = boxes[1]["y"] - (boxes[0]["y"] + boxes[0]["height"])
    between = boxes[2]["y"] - (boxes[1]["y"] + boxes[1]["height"])
    assert between > inside + 10


def test_halves_stacked_at_390_px(demo_collection, page):
    open_poem(page, demo_collection, 390)
    for number in range(4):
        first, second = halves(page, number)
        assert second["y"] >= first["y"] + first["height"] - 1  # عجز under صدر
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows


def test_the_verse_heard_is_highlighted(demo_collection, page):
    open_poem(page, demo_collection, 1280)
    page.wait_for_function(f"() => document.querySelector('{MEDIA}').readyState >= 1")
    starts = page.eval_on_selector_all(VERSES, "vs => vs.map(v => parseFloat(v.dataset.start))")
    for number in (2, 0, 3):
        page.eval_on_selector(MEDIA, f"m => {{ m.currentTime = {starts[number] + 0.2}; }}")
        expect(page.locator(VERSES).nth(number)).to_have_attribute("aria-current", "true")
        current = page.locator(f"{VERSES}[aria-current=true]")
        assert current.count() == 1
