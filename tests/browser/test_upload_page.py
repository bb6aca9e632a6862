"""The upload page in a real browser: several files at once, live progress, clear refusals."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SETTLED = re.compile(r"^(done|failed|rejected)$")
EDIT_LINK = re.compile(r"^/manage/items/AR-\d{6}$")

# Records every change the page's script makes to the upload rows, so that no
# intermediate progress value is missed between two samples taken from Python.
WATCH_ROWS = """() => {
  window.rowSamples = [];
  const list = document.getElementById("uploads");
  new MutationObserver(() => {
    for (const li of list.querySelectorAll("li")) {
      window.rowSamples.push({
        file: li.querySelector("bdi").textContent,
        state: li.dataset.state || "",
        value: li.querySelector("progress").value,
        text: li.querySelector(".state").textContent,
      });
    }
  }).observe(list, { subtree: true, childList: true, attributes: true, characterData: true });
}"""


def open_upload_page(page, archive, query: str = ""):
    response = page.goto(archive.url("/manage/upload" + query))
    assert response.status == 200, archive.log()
    # A value that lives only as long as this document: gone if the page reloads.
    page.evaluate("window.samePage = 'never reloaded'")


def upload(page, *files) -> None:
    page.set_input_files("#upload-form input[type=file]", [str(path) for path in files])
    page.locator("#upload-form button[type=submit]").click()


def row_of(page, name: str):
    return page.locator("#uploads li").filter(has=page.get_by_text(name, exact=True))


def settle(row, archive, timeout: float = 60_000) -> str:
    """Wait until the row is done, failed or rejected; return that state."""
    try:
        expect(row).to_have_attribute("data-state", SETTLED, timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nrow: {row.all_inner_texts()}{archive.log()}") from exc
    return row.get_attribute("data-state")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.samePage") == "never reloaded", "the upload page was reloaded"


def test_several_files_at_once_each_with_its_own_progress(
    archivist_page, live_archive, traffic, samples
):
    page, archive = archivist_page, live_archive
    tone = samples.tone("tone.wav", seconds=3, freq=471)  # bytes no other test uploads
    film = samples.video("film.mp4", seconds=2)
    notes = samples.text("notes.mp3")
    traffic.expect_refusal("/manage/upload", 422)
    open_upload_page(page, archive)

    upload(page, tone, film, notes)

    expect(page.locator("#uploads li")).to_have_count(3)
    for path in (tone, film, notes):
        expect(row_of(page, path.name).locator("progress")).to_have_count(1)
    for path in (tone, film):
        row = row_of(page, path.name)
        state = settle(row, archive)
        assert state == "done", f"{path.name}: {row.inner_text()}{archive.log()}"
        assert row.locator("progress").evaluate("bar => bar.value") == 100
        link = row.locator(".detail a")
        expect(link).to_have_text(re.compile(r"AR-\d{6}"))
        href = link.get_attribute("href")
        assert EDIT_LINK.match(href), href
        assert page.request.get(archive.url(href)).status == 200, archive.log()
    refused = row_of(page, notes.name)
    assert settle(refused, archive) == "rejected"
    expect(refused.locator(".detail")).to_contain_text("not an audio or video file")
    expect(refused.locator(".detail a")).to_have_count(0)

    assert_not_reloaded(page)
    traffic.assert_clean(archive.log())


def test_the_same_bytes_again_are_refused_naming_the_item(
    archivist_page, live_archive, traffic, samples
):
    page, archive = archivist_page, live_archive
    tone = samples.tone("interview.wav", seconds=2, freq=523)
    traffic.expect_refusal("/manage/upload", 422)
    open_upload_page(page, archive)
    first, again = page.locator("#uploads li").nth(0), page.locator("#uploads li").nth(1)

    upload(page, tone)
    expect(first.locator(".detail a")).to_have_text(re.compile(r"AR-\d{6}"))
    identifier = re.search(r"AR-\d{6}", first.locator(".detail a").inner_text()).group()
    upload(page, tone)

    assert settle(again, archive) == "rejected"
    expect(again.locator(".detail")).to_contain_text("already in the archive")
    expect(again.locator(".detail")).to_contain_text(identifier)
    assert settle(first, archive) == "done", f"{first.inner_text()}{archive.log()}"
    assert_not_reloaded(page)
    traffic.assert_clean(archive.log())


def test_upload_page_is_right_to_left_in_arabic(archivist_page, live_archive, traffic):
    page, archive = archivist_page, live_archive
    html = page.locator("html")

    open_upload_page(page, archive)
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")

    open_upload_page(page, archive, "?lang=en")
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")

    open_upload_page(page, archive)  # the choice is remembered
    expect(html).to_have_attribute("dir", "ltr")
    traffic.assert_clean(archive.log())


def test_progress_bar_moves_while_a_long_recording_transcodes(
    archivist_page, live_archive, traffic, samples
):
    page, archive = archivist_page, live_archive
    # Three minutes of CD-quality stereo: ~30 MB to send, several seconds of loudness-
    # normalised transcoding even on a quiet machine, so the worker reports progress several
    # times while the page polls it.
    lecture = samples.tone("lecture.wav", seconds=180, freq=330, channels=2)
    open_upload_page(page, archive)
    page.evaluate(WATCH_ROWS)

    upload(page, lecture)
    row = row_of(page, lecture.name)
    assert settle(row, archive) == "done", f"{row.inner_text()}{archive.log()}"

    samples_seen = page.evaluate("window.rowSamples")
    seen = [(sample["state"], sample["value"]) for sample in samples_seen]
    transcoding = [
        sample
        for sample in samples_seen
        if sample["state"] == "transcoding" and 1 <= sample["value"] <= 99
    ]
    values = [sample["value"] for sample in transcoding]
    assert len(set(values)) >= 2, f"the bar did not move while transcoding: {seen}{archive.log()}"
    assert values == sorted(values), f"transcoding progress went back: {seen}"
    for sample in transcoding:
        assert sample["text"].endswith(f" {sample['value']:g} %"), sample
    assert samples_seen[-1]["value"] == 100 and samples_seen[-1]["state"] == "done"
    assert_not_reloaded(page)
    traffic.assert_clean(archive.log())
