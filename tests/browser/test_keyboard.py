"""The listening page with the keyboard alone: the skip link, a visible focus on everything that
takes it, the player, the transcript's search, sharing and the language switch, no trap; the
player's names in the page's language; reflow at 320 CSS px and at 200 % zoom; and reduced
motion honoured by the transcript's auto-scroll."""

from __future__ import annotations

import re

import pytest
from babel.support import Translations
from playwright.sync_api import expect

from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser

ITEM = "/items/DEMO-002"
MEDIA = "section.listen .media"
CATALOGS = ROOT / "archive" / "translations"
# What a keyboard can reach (the browser's own tabbable set, less what is hidden).
TABBABLE = (
    "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), "
    "select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])"
)
# The player's controls and the transcript's tools, with the message each is named by.
NAMED = {
    ".play-toggle": "Play",
    ".mute-toggle": "Mute",
    ".speed-choice": "Speed",
    "canvas.waveform": "Waveform: position in the recording",
    ".share-moment": "Share this moment",
    ".find-input": "Find in this transcript",
    ".find-prev": "Previous match",
    ".find-next": "Next match",
    "nav.languages": "Language",
}
PLAYER_MESSAGES = ["Pause", "%(elapsed)s of %(total)s", *NAMED.values()]


def gettext(lang: str, message: str) -> str:
    return Translations.load(str(CATALOGS), [lang]).gettext(message)


def open_item(page, archive, path=ITEM):
    response = page.goto(archive.url(path))
    assert response.status == 200, archive.log()
    page.wait_for_function(f"document.querySelector('{MEDIA}').readyState >= 1")


def focused(page) -> dict:
    """What has the focus: its place in the document, a selector-like name, where it is."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body || el === document.documentElement) return {walk: null};
          const name = el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
            ? "." + el.className.trim().split(/\\s+/).join(".") : "") + (el.id ? "#" + el.id : "");
          const region = el.closest(".player") ? "player" : el.closest("ol.transcript") ? "transcript"
            : el.closest("#queue-bar") ? "queue"
            : el.closest(".transcript-tools") ? "transcript tools" : el.closest("main") ? "main" : "header";
          return {walk: Number(el.dataset.walk), name, region};
        }"""
    )


def number_the_elements(page) -> list[int]:
    """Number every element in document order; return the numbers of those a keyboard reaches."""
    return page.evaluate(
        """selector => {
          document.querySelectorAll("*").forEach((el, i) => { el.dataset.walk = i; });
          return Array.from(document.querySelectorAll(selector))
            .filter(el => el.getClientRects().length && !el.closest("[hidden], [inert]")
                          && getComputedStyle(el).visibility !== "hidden")
            .map(el => Number(el.dataset.walk));
        }""",
        TABBABLE,
    )


def tab_to(page, selector: str, *, limit=60, key="Tab"):
    """Press Tab until the element matching `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press(key)
    pytest.fail(f"{limit} presses of {key} never reached {selector}; last: {focused(page)}")


def test_the_skip_link_comes_first_and_skips_to_the_content(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(gettext("ar", "Skip to content"))
    box = skip.bounding_box()
    viewport = page.viewport_size
    assert 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"], f"skip link at {box}"
    assert 0 <= box["y"] < viewport["height"], f"the focused skip link is off screen: {box}"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page).get("region") not in (None, "header"), focused(page)
    assert page.evaluate("document.activeElement.closest('main') !== null")
    traffic.assert_clean(archive.log())


@pytest.mark.parametrize("queue", [False, True], ids=["alone", "with the queue player"])
def test_every_focusable_element_shows_its_focus_and_nothing_traps_it(
    demo_collection, page, traffic, queue
):
    """Tab walks everything from the skip link to the end of the page, through the player and
    out of the transcript (and, with a queue, through the queue player's bar and its list);
    every stop draws an outline or a shadow it has not without the focus; Shift+Tab walks back
    to the start."""
    archive = demo_collection
    if queue:  # a queue waiting in the bar, kept across the full load of the listening page
        page.goto(archive.url("/queue?items=DEMO-001,DEMO-003"))
        expect(page.locator("#queue-bar .queue-title")).to_be_visible()
    open_item(page, archive)
    if queue:
        expect(page.locator("#queue-bar .queue-title")).to_be_visible()
        page.evaluate("document.querySelector('#queue-bar .queue-list-toggle').click()")
        expect(page.locator("#queue-entries")).to_be_visible()
    reachable = number_the_elements(page)
    forward, unmarked = [], []
    for _ in range(len(reachable) + 5):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["walk"] is None or (forward and now["walk"] == forward[0]["walk"]):
            break  # out of the page (or round to its start): no trap on the way
        assert now["walk"] not in [seen["walk"] for seen in forward], (
            f"Tab came back to {now['name']} before the end of the page: a trap"
        )
        forward.append(now)
        look = page.evaluate(
            """() => {
              const el = document.activeElement;
              const look = () => {
                const s = getComputedStyle(el);
                return {outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
                        style: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow};
              };
              const focusedLook = look();
              el.blur();
              const plain = look();
              el.focus();
              return {focusedLook, plain};
            }"""
        )
        on, off = look["focusedLook"], look["plain"]
        drawn = (
            on["style"] not in ("none", "hidden") and (on["width"] >= 2 or on["style"] == "auto")
        ) or (on["shadow"] != "none")
        if not drawn or (on["outline"], on["shadow"]) == (off["outline"], off["shadow"]):
            unmarked.append(f"{now['name']}: focused {on}, unfocused {off}")
    else:
        pytest.fail(f"Tab never left the page after {len(forward)} stops: {forward[-3:]}")
    assert not unmarked, "no visible focus indicator:\n" + "\n".join(unmarked)
    walked = [stop["walk"] for stop in forward]
    missed = sorted(set(reachable) - set(walked))
    assert not missed, f"Tab never reached elements {missed} of {reachable}"
    assert walked == sorted(walked), "the focus order is not the reading order"
    regions = [stop["region"] for stop in forward]
    for region in ("player", "transcript", *(["queue"] if queue else [])):
        assert region in regions, f"Tab never entered the {region}"
        last = max(i for i, r in enumerate(regions) if r == region)
        # The queue's bar ends the page: Tab leaves it for the browser's own controls.
        assert region == "queue" or last + 1 < len(regions), f"Tab did not leave the {region}"
    # And back: from past the end, Shift+Tab walks every stop in reverse to the skip link.
    backward = []
    while len(backward) < len(forward) and (not backward or backward[-1] != walked[0]):
        page.keyboard.press("Shift+Tab")
        backward.append(focused(page)["walk"])
    assert backward == walked[::-1], "Shift+Tab does not retrace Tab's steps"
    traffic.assert_clean(archive.log())


def test_play_pause_seek_mute_and_speed_by_keyboard(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive)
    media = page.locator(MEDIA)
    toggle = page.locator(".play-toggle")
    tab_to(page, ".play-toggle")
    page.keyboard.press("Enter")
    page.wait_for_function(f"!document.querySelector('{MEDIA}').paused")
    expect(toggle).to_have_accessible_name(gettext("ar", "Pause"))
    page.keyboard.press("Space")
    page.wait_for_function(f"document.querySelector('{MEDIA}').paused")
    expect(toggle).to_have_accessible_name(gettext("ar", "Play"))

    page.keyboard.press("Tab")
    expect(page.locator(".mute-toggle")).to_be_focused()
    page.keyboard.press("Space")
    assert media.evaluate("m => m.muted")
    expect(page.locator(".mute-toggle")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    assert not media.evaluate("m => m.muted")

    page.keyboard.press("Tab")
    expect(page.locator(".speed-choice")).to_be_focused()
    page.keyboard.press("ArrowDown")
    assert media.evaluate("m => m.playbackRate") == 1.25

    page.keyboard.press("Tab")
    slider = page.locator("canvas.waveform")
    expect(slider).to_be_focused()
    duration = media.evaluate("m => m.duration")
    page.keyboard.press("ArrowRight")
    assert media.evaluate("m => m.currentTime") == pytest.approx(5, abs=0.3)
    expect(slider).to_have_attribute("aria-valuenow", "5")
    expect(slider).to_have_attribute("aria-valuetext", re.compile(r"0:05\D+0:\d\d"))
    page.keyboard.press("ArrowLeft")
    assert media.evaluate("m => m.currentTime") == pytest.approx(0, abs=0.3)
    page.keyboard.press("End")
    assert media.evaluate("m => m.currentTime") == pytest.approx(duration, abs=0.3)
    page.keyboard.press("Home")
    assert media.evaluate("m => m.currentTime") == pytest.approx(0, abs=0.3)
    page.keyboard.press("Space")  # on the slider: plays, as anywhere outside a button or field
    page.wait_for_function(f"!document.querySelector('{MEDIA}').paused")
    page.keyboard.press("Space")
    page.wait_for_function(f"document.querySelector('{MEDIA}').paused")
    traffic.assert_clean(archive.log())


def test_transcript_search_and_matches_by_keyboard(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive)
    count = page.locator(".find-count")
    tab_to(page, ".find-input")
    page.keyboard.type("كانت")
    expect(count).to_have_text("1 / 2")
    page.keyboard.press("Enter")
    expect(count).to_have_text("2 / 2")
    page.keyboard.press("Shift+Enter")
    expect(count).to_have_text("1 / 2")
    page.keyboard.press("Tab")
    expect(page.locator(".find-prev")).to_be_focused()
    page.keyboard.press("Enter")
    expect(count).to_have_text("2 / 2")
    page.keyboard.press("Tab")
    expect(page.locator(".find-next")).to_be_focused()
    page.keyboard.press("Space")
    expect(count).to_have_text("1 / 2")
    expect(page.locator("mark.current-hit")).to_have_count(1)
    # A passage's time is a link: Enter plays from there.
    tab_to(page, "li.segment:nth-child(2) a.seg-time")
    page.keyboard.press("Enter")
    expect(page.locator("li.segment").nth(1)).to_have_class("segment current")
    traffic.assert_clean(archive.log())


def test_share_by_keyboard(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive, ITEM + "?t=7")
    tab_to(page, ".share-moment")
    page.keyboard.press("Enter")
    field = page.locator(".share-field")
    expect(field).to_be_focused()
    expect(field).to_have_value(archive.url(ITEM + "?t=7"))
    expect(page.locator(".share-status")).not_to_have_text("")
    traffic.assert_clean(archive.log())


def test_language_switch_by_keyboard(demo_collection, page, traffic):
    archive = demo_collection
    open_item(page, archive, ITEM + "?lang=ar")
    tab_to(page, "nav.languages a[lang=fr]")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    # Back to Arabic walking backwards from the player.
    page.wait_for_function(f"document.querySelector('{MEDIA}').readyState >= 1")
    page.locator(".play-toggle").focus()
    tab_to(page, "nav.languages a[lang=ar]", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    traffic.assert_clean(archive.log())


@pytest.mark.parametrize("lang", ["ar", "en", "fr"])
def test_the_player_is_named_in_the_page_language(demo_collection, page, traffic, lang):
    """Names read from the accessibility tree, against the interface's own catalog."""
    archive = demo_collection
    open_item(page, archive, f"{ITEM}?lang={lang}")
    for selector, message in NAMED.items():
        expect(page.locator(selector).first).to_have_accessible_name(gettext(lang, message))
    expect(page.locator("canvas.waveform")).to_have_role("slider")
    expect(page.locator("a.seg-time").nth(1)).to_have_accessible_name(
        gettext(lang, "Play from %(time)s") % {"time": "0:07"}
    )
    text = page.locator("canvas.waveform").get_attribute("aria-valuetext")
    template = gettext(lang, "%(elapsed)s of %(total)s")
    assert text == template % {"elapsed": "0:00", "total": "0:20"}, text
    # The browser's own controls (named in the browser's language) give way to these.
    assert page.eval_on_selector(MEDIA, "media => media.controls") is False
    traffic.assert_clean(archive.log())


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_the_players_messages_are_translated(lang):
    """Every name the player gives its controls has its translation in the catalog."""
    from babel.messages.pofile import read_po

    po = ROOT / "archive" / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    # a translation may be spelled like the English («Pause» in French): present is enough
    missing = [m for m in PLAYER_MESSAGES if catalog.get(m) is None or not catalog.get(m).string]
    assert not missing, f"not translated into {lang} (archive/translations): {missing}"


def controls_out_of_view(page) -> list[str]:
    return page.evaluate(
        """selector => Array.from(document.querySelectorAll(selector + ", canvas, video, audio"))
          .filter(el => el.getClientRects().length && !el.closest(".visually-hidden, .skip, [hidden]"))
          .map(el => [el, el.getBoundingClientRect()])
          .filter(([el, r]) => r.left < -1 || r.right > window.innerWidth + 1 || r.width < 1)
          .map(([el, r]) => `${el.tagName.toLowerCase()}.${el.className}: ${Math.round(r.left)}..${Math.round(r.right)}`)""",
        TABBABLE,
    )


@pytest.mark.parametrize(
    "width,height,scale",
    [(320, 640, 1), (640, 450, 2)],  # 320 CSS px; a 1280 × 900 window at 200 % zoom
    ids=["320px", "200%-zoom"],
)
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_reflow_loses_nothing(demo_collection, browser, lang, width, height, scale):
    archive = demo_collection
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale
    )
    try:
        tab = context.new_page()
        open_item(tab, archive, f"{ITEM}?lang={lang}")
        tab.locator(".find-input").fill("الزيارة")
        tab.locator(".share-moment").click()
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
        cut = controls_out_of_view(tab)
        assert not cut, "controls cut off:\n" + "\n".join(cut)
    finally:
        context.close()


def jump_after_a_seek(browser, archive, motion: str) -> tuple[float, float]:
    """Scroll position of the transcript right after a seek that moves the current passage out
    of view, and once it has settled."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion=motion)
    try:
        tab = context.new_page()
        open_item(tab, archive)
        tab.evaluate(
            """() => {
              const list = document.querySelector("ol.transcript");
              list.style.maxHeight = "4rem";  // only the first passage in view: the rest scrolls
              document.addEventListener("keydown", () => { window.rightAfter = list.scrollTop; });
            }"""
        )
        assert tab.evaluate(
            "(l => l.scrollHeight > l.clientHeight)(document.querySelector('ol.transcript'))"
        )
        tab.locator("canvas.waveform").focus()
        tab.keyboard.press("End")  # to the last passage
        expect(tab.locator("li.segment").nth(2)).to_have_class("segment current")
        right_after = tab.evaluate("window.rightAfter")
        tab.wait_for_timeout(1000)
        return right_after, tab.evaluate("document.querySelector('ol.transcript').scrollTop")
    finally:
        context.close()


def test_reduced_motion_makes_the_transcript_jump(demo_collection, browser):
    archive = demo_collection
    right_after, settled = jump_after_a_seek(browser, archive, "reduce")
    assert settled > 0, "the transcript did not follow the recording"
    assert right_after == settled, f"scrolled smoothly ({right_after} then {settled})"
    # Without the preference it glides: the same measure sees the scroll still under way.
    right_after, settled = jump_after_a_seek(browser, archive, "no-preference")
    assert settled > 0 and right_after < settled
