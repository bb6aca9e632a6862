"""The audio library in a real browser: Play all, the queue player, moving between pages while it
plays, a shared queue, media-session metadata, and axe on the bar in Arabic."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, _archive
from tests.browser.test_accessibility import AXE, axe_violations

pytestmark = pytest.mark.browser

AUDIO = "#queue-audio"
# identifier: (title, access, tone Hz); uploaded in this order into one collection
LIBRARY = {
    "LIB-1": ("يا ظلام السجن خيّم", "public", 330),
    "LIB-2": ("سجّل أنا عربي", "public", 440),
    "LIB-3": ("أغنية للباحثين وحدهم", "researchers", 550),
    "LIB-4": ("موّال الزنزانة", "public", 660),
}
DESCRIBE = """
import json, sys
from sqlalchemy import select
from archive import create_app
from archive.catalogue import items
from archive.db import db
from archive.models import Collection
app = create_app()
with app.app_context():
    for identifier, title, access in json.loads(sys.argv[1]):
        item = items.find_item(identifier)
        items.describe(item, {
            "title": title, "title_en": "Song " + identifier, "access": access, "date": "1980",
            "poets": "توفيق زياد", "performers": "مارسيل خليفة", "composers": "أحمد قعبور",
            "collections": "مكتبة الأسرى الصوتية"}, user=None)
        items.publish(items.find_item(identifier), user=None)
    print(db.session.scalar(select(Collection.id).where(Collection.title == "مكتبة الأسرى الصوتية")))
"""


@pytest.fixture(scope="module")
def library(live_archive, tmp_path_factory):
    """Four short songs (tones of 3 s), one for researchers only, in one collection."""
    folder = tmp_path_factory.mktemp("library")
    for identifier, (title, _access, freq) in LIBRARY.items():
        tone = folder / f"{identifier}.wav"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", f"sine=frequency={freq}:duration=3", str(tone)],
            check=True, timeout=60,
        )  # fmt: skip
        done = _archive(
            live_archive.env, "ingest", str(tone), "--identifier", identifier,
            "--title", title, "--type", "song", "--wait",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    rows = [[identifier, title, access] for identifier, (title, access, _) in LIBRARY.items()]
    done = subprocess.run(
        [sys.executable, "-c", DESCRIBE, json.dumps(rows)],
        env=live_archive.env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return live_archive, int(done.stdout.strip().splitlines()[-1])


def playing(page) -> dict:
    return page.evaluate(
        "() => { const a = document.querySelector('#queue-audio');"
        " return {src: a.currentSrc, time: a.currentTime, paused: a.paused,"
        " title: document.querySelector('.queue-title').textContent}; }"
    )


def wait_for_title(page, title: str) -> None:
    expect(page.locator("#queue-bar .queue-title")).to_have_text(title)


def test_play_all_plays_one_recording_after_the_other(library, page, traffic):
    archive, collection = library
    page.goto(archive.url(f"/collections/{collection}?lang=ar"))
    page.locator("a.play-all").click()
    bar = page.locator("#queue-bar")
    expect(bar).to_be_visible()
    wait_for_title(page, LIBRARY["LIB-1"][0])
    page.wait_for_function("() => !document.querySelector('#queue-audio').paused")
    people = page.locator("#queue-bar .queue-people").inner_text()
    assert "توفيق زياد" in people and "مارسيل خليفة" in people and "أحمد قعبور" in people
    # The researchers' song is not in a visitor's queue.
    entries = page.locator("#queue-entries li a").all_inner_texts()
    assert entries == [LIBRARY["LIB-1"][0], LIBRARY["LIB-2"][0], LIBRARY["LIB-4"][0]]
    assert LIBRARY["LIB-3"][0] not in page.content()
    # Near the end of the first, the second follows by itself.
    page.evaluate("document.querySelector('#queue-audio').currentTime = 2.6")
    wait_for_title(page, LIBRARY["LIB-2"][0])
    page.wait_for_function(
        "() => { const a = document.querySelector('#queue-audio');"
        " return !a.paused && a.currentTime > 0.2; }"
    )
    expect(page.locator("#queue-entries li").nth(1)).to_have_attribute("aria-current", "true")
    assert page.evaluate("navigator.mediaSession.metadata.title") == LIBRARY["LIB-2"][0]
    assert page.evaluate("navigator.mediaSession.metadata.artist") == "مارسيل خليفة"
    traffic.assert_clean(archive.log())


def test_keyboard_next_previous_shuffle_and_list(library, page, traffic):
    archive, collection = library
    page.goto(archive.url(f"/collections/{collection}?lang=en"))
    page.locator("a.play-all").focus()
    page.keyboard.press("Enter")
    wait_for_title(page, "Song LIB-1")
    toggle = page.locator("#queue-bar .queue-toggle")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-label", "Pause")
    page.keyboard.press("Tab")  # to "Next recording"
    expect(page.locator("#queue-bar .queue-next")).to_be_focused()
    expect(page.locator("#queue-bar .queue-next")).to_have_accessible_name("Next recording")
    page.keyboard.press("Enter")
    wait_for_title(page, "Song LIB-2")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#queue-bar .queue-prev")).to_be_focused()
    page.keyboard.press("Enter")
    wait_for_title(page, "Song LIB-1")
    page.locator("#queue-bar .queue-toggle").focus()
    page.keyboard.press("Space")  # Space on the play/pause button
    page.wait_for_function("() => document.querySelector('#queue-audio').paused")
    shuffle = page.locator("#queue-bar .queue-shuffle")
    shuffle.focus()
    page.keyboard.press("Enter")
    expect(shuffle).to_have_attribute("aria-pressed", "true")
    # Shuffled, the one playing stays first and current; the others all follow, once each.
    titles = page.locator("#queue-entries li a").all_inner_texts()
    assert titles[0] == "Song LIB-1" and sorted(titles) == [
        "Song LIB-1",
        "Song LIB-2",
        "Song LIB-4",
    ]
    listing = page.locator("#queue-bar .queue-list-toggle")
    listing.focus()
    page.keyboard.press("Enter")
    expect(listing).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#queue-entries")).to_be_visible()
    traffic.assert_clean(archive.log())


def test_moving_between_pages_keeps_the_same_audio_playing(library, page, traffic):
    archive, collection = library
    page.goto(archive.url(f"/collections/{collection}?lang=ar"))
    page.locator("a.play-all").click()
    page.wait_for_function("() => document.querySelector('#queue-audio').currentTime > 0.3")
    page.evaluate("window.sameDocument = document.querySelector('#queue-audio')")
    # To an item's own page (its listening player starts too), then to browse, then back.
    page.locator("main ul.items a[href='/items/LIB-4']").click()
    page.wait_for_url("**/items/LIB-4")
    expect(page.locator("main h1")).to_be_focused()
    expect(page.locator("main section.listen")).to_have_count(1)
    page.wait_for_function("() => document.querySelector('section.listen .media').readyState >= 1")
    before = playing(page)["time"]
    page.locator("header.site a[href='/browse']").click()
    page.wait_for_url("**/browse")
    expect(page.locator("main h1")).to_be_focused()
    page.wait_for_function(f"() => document.querySelector('#queue-audio').currentTime > {before}")
    assert page.evaluate("window.sameDocument === document.querySelector('#queue-audio')")
    assert not playing(page)["paused"]
    page.go_back()
    page.wait_for_url("**/items/LIB-4")
    expect(page.locator("main h1")).to_have_text(LIBRARY["LIB-4"][0])
    assert page.evaluate("window.sameDocument === document.querySelector('#queue-audio')")
    # The listening page's own player and the queue pause each other: one sound at a time.
    page.locator("section.listen button.play-toggle").first.click()
    page.wait_for_function("() => document.querySelector('#queue-audio').paused")
    # A full reload keeps the queue: the same recording, at about the same time, paused.
    page.locator("#queue-bar .queue-toggle").click()
    page.wait_for_function("() => !document.querySelector('#queue-audio').paused")
    page.evaluate("document.querySelector('#queue-audio').currentTime = 1.5")
    title = playing(page)["title"]
    page.reload()
    wait_for_title(page, title)
    page.wait_for_function("() => document.querySelector('#queue-audio').currentTime >= 1.4")
    # The language switch and staff pages are whole page loads.
    page.evaluate("window.sameDocument = true")
    page.locator("nav.languages a[lang=en]").click()
    page.wait_for_url("**lang=en")
    assert page.evaluate("window.sameDocument") is None
    traffic.assert_clean(archive.log())


def test_a_shared_link_restores_the_queue_without_restricted_items(library, page, traffic):
    archive, _collection = library
    response = page.goto(archive.url("/queue?items=LIB-4,LIB-3,LIB-2,LIB-1&i=2&lang=ar"))
    assert response.status == 200
    assert LIBRARY["LIB-3"][0] not in page.content()
    # LIB-3 is left out: i=2 (LIB-2 in the list as shared) is the second of those kept.
    wait_for_title(page, LIBRARY["LIB-2"][0])
    expect(page.locator("#queue-entries li")).to_have_count(3)
    share = page.locator("#queue-bar .queue-share-link").get_attribute("href")
    assert share == "/queue?items=LIB-4,LIB-2,LIB-1"
    page.locator("#queue-bar .queue-toggle").click()
    page.wait_for_function("() => document.querySelector('#queue-audio').currentTime > 0.2")
    traffic.assert_clean(archive.log())


def test_the_bar_has_no_axe_violation_in_arabic(library, page, traffic):
    if not AXE.is_file():
        pytest.skip("axe-core is not installed (tests/a11y/node_modules): run `make test`")
    archive, collection = library
    page.goto(archive.url(f"/collections/{collection}?lang=ar"))
    page.locator("a.play-all").click()
    wait_for_title(page, LIBRARY["LIB-1"][0])
    page.locator("#queue-bar .queue-list-toggle").click()
    expect(page.locator("#queue-entries")).to_be_visible()
    assert not axe_violations(page), "\n".join(axe_violations(page))
    names = page.eval_on_selector_all(
        "#queue-bar button",
        "buttons => buttons.map(b => b.getAttribute('aria-label') || b.textContent)",
    )
    assert all(name.strip() for name in names)
    traffic.assert_clean(archive.log())
