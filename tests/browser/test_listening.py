"""The listening page in a real browser, on the demo collection served by `archive serve`."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from indexer import normalize
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

MEDIA = "section.listen .media"
PASSAGES = Path(__file__).resolve().parents[1] / "data" / "arabic" / "passages.jsonl"


def open_item(page, archive, path: str):
    response = page.goto(archive.url(path))
    assert response.status == 200, archive.log()
    page.wait_for_function(
        "document.querySelector('section.listen .media').readyState >= 1", timeout=15_000
    )


def current_time(page) -> float:
    return page.eval_on_selector(MEDIA, "media => media.currentTime")


def segment_starts(page) -> list[float]:
    return [float(s) for s in page.eval_on_selector_all(
        "li.segment[data-start]", "items => items.map(li => li.dataset.start)"
    )]  # fmt: skip


def test_clicking_a_passage_plays_from_there(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive, "/items/DEMO-002")
    starts = segment_starts(page)
    assert len(starts) == 3 and starts[0] == 0
    third = page.locator("li.segment").nth(2)
    third.locator(".words").click()
    page.wait_for_function(f"document.querySelector('{MEDIA}').currentTime >= {starts[2] - 0.05}")
    expect(third).to_have_class("segment current")
    expect(third).to_have_attribute("aria-current", "true")
    # The time link is a real link (keyboard, screen reader) and does the same without reloading.
    page.evaluate("window.samePage = true")
    page.locator("li.segment").nth(1).locator("a.seg-time").click()
    page.wait_for_function(
        f"Math.abs(document.querySelector('{MEDIA}').currentTime - {starts[1]}) < 1"
    )
    assert page.evaluate("window.samePage") is True
    traffic.assert_clean(archive.log())


def test_a_moment_in_the_address_starts_playback_there(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive, "/items/DEMO-003?t=4.5")  # the video
    page.wait_for_function(f"Math.abs(document.querySelector('{MEDIA}').currentTime - 4.5) < 0.3")
    open_item(page, archive, "/items/DEMO-002?t=00:00:08")
    page.wait_for_function(f"Math.abs(document.querySelector('{MEDIA}').currentTime - 8) < 0.3")
    starts = segment_starts(page)
    covering = max(i for i, start in enumerate(starts) if start <= 8)
    expect(page.locator("li.segment").nth(covering)).to_have_class("segment current")
    open_item(page, archive, "/items/DEMO-002#t=0:06")
    page.wait_for_function(f"Math.abs(document.querySelector('{MEDIA}').currentTime - 6) < 0.3")
    traffic.assert_clean(archive.log())


def test_keys_play_pause_and_seek(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive, "/items/DEMO-002")
    page.locator("h1").click()  # focus on the page, not on a control
    page.keyboard.press("Space")
    page.wait_for_function(f"!document.querySelector('{MEDIA}').paused")
    page.keyboard.press("Space")
    page.wait_for_function(f"document.querySelector('{MEDIA}').paused")
    before = current_time(page)
    page.keyboard.press("ArrowRight")
    assert current_time(page) == pytest.approx(before + 5, abs=0.3)
    page.keyboard.press("ArrowLeft")
    assert current_time(page) == pytest.approx(before, abs=0.3)
    # Typing in the search box is typing, not a shortcut.
    page.locator(".find-input").press("Space")
    assert page.eval_on_selector(MEDIA, "media => media.paused")
    traffic.assert_clean(archive.log())


def test_search_in_the_transcript_folds_hamza_and_steps_through_hits(
    demo_collection, page, traffic
):
    archive = demo_collection
    open_item(page, archive, "/items/DEMO-002")
    page.locator(".find-input").fill("امي")  # typed without hamza
    hit = page.locator("mark.hit")
    expect(hit).to_have_count(1)
    expect(hit).to_have_text("أمي")
    expect(hit).to_have_class("hit current-hit")
    expect(page.locator(".find-count")).to_have_text("1 / 1")

    page.locator(".find-input").fill("كانت")
    expect(page.locator("mark.hit")).to_have_count(2)
    expect(page.locator(".find-count")).to_have_text("1 / 2")
    page.locator(".find-next").click()
    expect(page.locator(".find-count")).to_have_text("2 / 2")
    expect(page.locator("mark.current-hit")).to_have_count(1)
    page.locator(".find-input").press("Enter")
    expect(page.locator(".find-count")).to_have_text("1 / 2")
    page.locator(".find-prev").click()
    expect(page.locator(".find-count")).to_have_text("2 / 2")
    page.locator(".find-input").fill("زنزانة")
    expect(page.locator("mark.hit")).to_have_count(0)
    expect(page.locator(".find-count")).not_to_have_text("")

    open_item(page, archive, "/items/DEMO-003")
    page.locator(".find-input").fill("الاسري")  # for «الأسرى»: hamza and alef maqsura
    expect(page.locator("mark.hit")).to_have_text("الأسرى")
    # The highlight is on the original words: the passage's text is unchanged around it.
    words = page.locator("li.segment").nth(1).locator(".words")
    expect(words).to_have_text("كان الأسرى يعلمون بعضهم القراءة واللغات والتاريخ.")
    traffic.assert_clean(archive.log())


def test_folding_in_the_browser_is_the_index_normalization(demo_collection, page):
    """arabic-fold.js against indexer.normalize, character by character, then on real passages."""
    open_item(page, demo_collection, "/items/DEMO-001")
    codes = [
        *range(0x20, 0x250), *range(0x600, 0x700), *range(0x750, 0x780), *range(0x870, 0x900),
        *range(0x2000, 0x2070), *range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00),
    ]  # fmt: skip
    chars = [chr(code) for code in codes]
    folded = page.evaluate("chars => chars.map(c => window.ArabicFold.fold(c))", chars)
    differ = [
        f"U+{ord(c):04X} {c!r}: python {normalize(c)!r}, js {js!r}"
        for c, js in zip(chars, folded, strict=True)
        if normalize(c) != js
    ]
    assert not differ, "\n".join(differ[:20])
    texts = [json.loads(line)["text"] for line in PASSAGES.read_text(encoding="utf-8").splitlines()]
    folded = page.evaluate("texts => texts.map(t => window.ArabicFold.fold(t))", texts)
    assert folded == [normalize(text) for text in texts]


def test_switching_language_flips_direction_and_strings(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive, "/items/DEMO-002?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text("شهادة تجريبية عن يوم الزيارة")
    arabic_heading = page.locator("section.listen h2").inner_text()
    page.locator("nav.languages a[lang=en]").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("A demo testimony about visiting day")
    expect(page.locator("section.listen h2")).to_contain_text("Transcript")
    assert page.locator("section.listen h2").inner_text() != arabic_heading
    # The Arabic transcript keeps its own direction inside the English page.
    expect(page.locator("ol.transcript")).to_have_attribute("dir", "rtl")
    traffic.assert_clean(archive.log())


def test_the_waveform_is_drawn_from_the_peaks(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive, "/items/DEMO-002")
    canvas = page.locator("canvas.waveform")
    expect(canvas).to_have_class("waveform drawn")
    inked = canvas.evaluate(
        """canvas => {
          const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          let inked = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked += 1;
          return inked;
        }"""
    )
    assert inked > 500, f"only {inked} pixels drawn"
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
    duration = page.eval_on_selector(MEDIA, "media => media.duration")
    assert current_time(page) == pytest.approx(duration * 0.75, abs=duration * 0.05)
    traffic.assert_clean(archive.log())


def test_share_this_moment_gives_a_link_to_it(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive, "/items/DEMO-002?t=7")
    page.locator(".share-moment").click()
    field = page.locator(".share-field")
    expect(field).to_be_visible()
    expect(field).to_have_value(archive.url("/items/DEMO-002?t=7"))
    expect(page.locator(".share-status")).not_to_have_text("")
    traffic.assert_clean(archive.log())


@pytest.fixture
def other_site(tmp_path):
    """Another web site on this machine (http://localhost:PORT, another origin than the
    archive's 127.0.0.1), serving the files written to its folder."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield tmp_path, f"http://localhost:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()


def test_the_embed_plays_inside_another_site(demo_collection, page, traffic, other_site):
    archive = demo_collection
    folder, site = other_site
    (folder / "host.html").write_text(
        f'<!doctype html><title>host</title><iframe src="{archive.url("/embed/DEMO-002")}"'
        ' width="640" height="480"></iframe>'
    )
    page.goto(site + "/host.html")
    frame = page.frame_locator("iframe")
    expect(frame.locator("ol.transcript li.segment")).to_have_count(3)
    frame.locator("li.segment").nth(1).locator(".words").click()
    expect(frame.locator("li.segment").nth(1)).to_have_class("segment current")
    traffic.assert_clean(archive.log())


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_screenshots_at_phone_and_desktop_widths(demo_collection, page, traffic, lang):
    archive = demo_collection
    ARTIFACTS.mkdir(exist_ok=True)
    for name, width, height in (("phone", 390, 844), ("desktop", 1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        open_item(page, archive, f"/items/DEMO-002?lang={lang}&t=8")
        page.locator(".find-input").fill("الزيارة")
        expect(page.locator("mark.current-hit")).to_have_count(1)
        expect(page.locator("canvas.waveform")).to_have_class("waveform drawn")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} {lang}: the page is {overflow}px wider than the screen"
        page.screenshot(path=str(ARTIFACTS / f"listening-{lang}-{name}.png"), full_page=True)
    traffic.assert_clean(archive.log())
