"""The staff cataloguing pages in a real browser: describing an item with suggestions as you
type, its history, and correcting a transcript while listening to the recording."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

SAVED = "حُفظت التغييرات."  # "Saved." in Arabic, the default language
HUNGER_STRIKE, EDUCATION = "الإضراب عن الطعام", "التعليم"
NARRATOR, NARRATOR_VARIANT = "محمود الأسير", "محمود الاسير"  # the variant has no hamza
PLAYER = "#player"
CUES = [  # (start, end, text): the third starts at 12 s, well past the first two
    (0.0, 4.0, "كنا في الزنزانة نعدّ الأيام."),
    (5.0, 10.0, "ثم بدأ الإضراب عن الطعام."),
    (12.0, 18.0, "وبعد أسبوعين جاءت الزيارة الأولى."),
]


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def new_item(page, archive, identifier: str, title: str, type_: str = "testimony") -> None:
    """Create a draft item through /manage/items/new; end on its edit page."""
    response = page.goto(archive.url("/manage/items/new"))
    assert response.status == 200, archive.log()
    form = page.locator("main form")
    form.locator("input[name=identifier]").fill(identifier)
    form.locator("input[name=title]").fill(title)
    form.locator("select[name=type]").select_option(type_)
    form.locator("button[type=submit]").click()
    page.wait_for_url(archive.url(f"/manage/items/{identifier}"))
    expect(page.locator("h1 bdi")).to_have_text(identifier)


def field(page, name: str):
    return page.locator(f"#describe [name={name}]")


def save_description(page, archive, identifier: str) -> None:
    page.locator("#describe > button[type=submit]").click()
    page.wait_for_url(archive.url(f"/manage/items/{identifier}"))
    flashes = page.locator("ul.flashes li")
    expect(flashes).to_have_text([SAVED])
    expect(flashes).not_to_have_class("error")


def suggestions_for(page, name: str):
    """The suggestion list suggest.js puts right after the input."""
    return page.locator(f"#describe input[name={name}] + ul.suggestions")


def test_tags_and_narrators_are_suggested_as_you_type(archivist_page, live_archive, traffic):
    page, archive = archivist_page, live_archive
    new_item(page, archive, "CAT-TAGS-1", "شهادة عن إضراب ١٩٩٢")
    field(page, "tags").fill(f"{HUNGER_STRIKE} | {EDUCATION}")
    field(page, "narrators").fill(NARRATOR)
    save_description(page, archive, "CAT-TAGS-1")
    expect(field(page, "tags")).to_have_value(f"{HUNGER_STRIKE} | {EDUCATION}")

    # The narrator's record gets a variant spelling, through the person page.
    page.goto(archive.url("/manage/people"))
    page.locator("main ul.items a", has_text=NARRATOR).click()
    page.locator("textarea[name=variants]").fill(NARRATOR_VARIANT)
    page.locator("main form.stack button[type=submit]").click()
    expect(page.locator("ul.flashes li")).to_have_text([SAVED])
    expect(page.locator("textarea[name=variants]")).to_have_value(NARRATOR_VARIANT)

    new_item(page, archive, "CAT-TAGS-2", "قصيدة من سجن نفحة", "poem")
    tags, listing = field(page, "tags"), suggestions_for(page, "tags")
    expect(listing).to_be_hidden()
    tags.press_sequentially("الإض", delay=40)
    choice = listing.locator("li", has_text=HUNGER_STRIKE)
    expect(choice).to_be_visible()
    expect(choice).to_have_attribute("role", "option")
    expect(tags).to_have_attribute("aria-controls", listing.get_attribute("id"))
    shoot(page, "cataloguing-edit-page-suggestions")
    choice.click()
    expect(tags).to_have_value(f"{HUNGER_STRIKE} | ")
    expect(listing).to_be_hidden()
    expect(tags).to_be_focused()
    # The next value typed after "|" is suggested on its own and replaces only itself.
    tags.press_sequentially("التع", delay=40)
    listing.locator("li", has_text=EDUCATION).click()
    expect(tags).to_have_value(f"{HUNGER_STRIKE} | {EDUCATION} | ")

    # A person is found by a variant spelling, and offered under the primary name.
    narrators, people = field(page, "narrators"), suggestions_for(page, "narrators")
    narrators.press_sequentially("الاسي", delay=40)
    expect(people.locator("li")).to_have_text([NARRATOR])
    people.locator("li").click()
    expect(narrators).to_have_value(f"{NARRATOR} | ")

    save_description(page, archive, "CAT-TAGS-2")
    expect(field(page, "tags")).to_have_value(f"{HUNGER_STRIKE} | {EDUCATION}")
    expect(field(page, "narrators")).to_have_value(NARRATOR)
    # Chosen, not made again: still one person, now credited on both items.
    page.goto(archive.url("/manage/people"))
    expect(page.locator("main ul.items a", has_text=NARRATOR)).to_have_count(1)
    page.locator("main ul.items a", has_text=NARRATOR).click()
    expect(page.locator("main ul li a bdi")).to_have_text(["CAT-TAGS-1", "CAT-TAGS-2"])
    traffic.assert_clean(archive.log())


def test_the_edit_form_is_right_to_left_and_saving_is_in_the_history(
    archivist_page, live_archive, traffic
):
    page, archive = archivist_page, live_archive
    new_item(page, archive, "CAT-HIST-1", "لقاء مع أسير محرر")
    html, form = page.locator("html"), page.locator("#describe")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(form).to_have_css("direction", "rtl")
    expect(field(page, "title")).to_have_attribute("dir", "rtl")
    expect(field(page, "title_en")).to_have_attribute("dir", "ltr")
    expect(field(page, "title_en")).to_have_css("direction", "ltr")
    history = page.locator("ol.history li")
    expect(history).to_have_count(1)
    expect(history.first).to_have_attribute("data-action", "create")

    field(page, "description").fill("يروي فيها سنوات الأسر في سجن عسقلان.")
    field(page, "date").fill("1988-04")
    save_description(page, archive, "CAT-HIST-1")

    expect(history).to_have_count(2)  # newest first
    expect(history.first).to_have_attribute("data-action", "describe")
    expect(history.first).to_contain_text(archive.email)
    expect(history.first.locator("small")).to_have_text("description, date")
    expect(history.nth(1)).to_have_attribute("data-action", "create")
    expect(field(page, "date")).to_have_value("1988-04")
    shoot(page, "cataloguing-edit-page")
    traffic.assert_clean(archive.log())


def write_vtt(path, cues) -> None:
    def stamp(seconds: float) -> str:
        minutes, rest = divmod(seconds, 60)
        return f"00:{int(minutes):02d}:{rest:06.3f}"

    blocks = [f"{stamp(start)} --> {stamp(end)}\n{text}" for start, end, text in cues]
    path.write_text("WEBVTT\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")


def ingest(archive, *args: str) -> int:
    """`archive ingest` on the live instance; the id of the transcoding job it queued."""
    done = subprocess.run(
        [sys.executable, "-m", "archive", "ingest", *args],
        env=archive.env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, f"archive ingest failed:\n{done.stdout}\n{done.stderr}"
    return int(re.search(r"\(\w+, job (\d+)\)", done.stdout).group(1))


def wait_for_job(page, archive, job_id: int, timeout: float = 60) -> None:
    """Poll the job's status, as the upload page does, until `archive serve` has run it."""
    deadline = time.monotonic() + timeout
    while True:
        job = page.request.get(archive.url(f"/manage/jobs/{job_id}")).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert job["state"] == "done", f"job {job_id}: {job}{archive.log()}"


def test_the_transcript_editor_plays_from_a_segment_and_saves_corrections(
    archivist_page, live_archive, traffic, samples
):
    page, archive = archivist_page, live_archive
    recording = samples.tone("prison-visit.wav", seconds=20, freq=392)
    vtt = samples.folder / "prison-visit.vtt"
    write_vtt(vtt, CUES)
    # Not --wait: it would transcode in this process *and* queue the job for the running
    # worker, so the access copy could be rewritten while the browser plays it.
    job = ingest(archive, str(recording), "--identifier", "CAT-TR-1", "--transcript", str(vtt))
    wait_for_job(page, archive, job)

    page.goto(archive.url("/manage/items/CAT-TR-1"))
    page.locator("a[href^='/manage/items/CAT-TR-1/transcripts/']").click()  # "Correct"
    page.wait_for_url("**/manage/items/CAT-TR-1/transcripts/*")
    editor_url = page.url
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    rows = page.locator("table.segments tbody tr:not(.new)")
    expect(rows).to_have_count(3)
    texts = rows.locator("textarea[name=text]")
    expect(texts).to_have_text([text for _, _, text in CUES])
    expect(texts.first).to_have_attribute("dir", "rtl")
    # Functions, not expressions: the archive's CSP forbids the eval() that polling one needs.
    page.wait_for_function(f"() => document.querySelector('{PLAYER}').readyState >= 1")
    assert page.eval_on_selector(PLAYER, "player => player.duration") == pytest.approx(20, abs=0.5)

    rows.nth(2).locator("button.play").click()
    # Setting currentTime is instant: wait until the recording actually plays on from there.
    page.wait_for_function(
        "player => !player.paused && player.currentTime >= 12.3",
        arg=page.query_selector(PLAYER),
        timeout=5_000,
    )
    assert 11.5 <= page.eval_on_selector(PLAYER, "player => player.currentTime") < 17
    page.eval_on_selector(PLAYER, "player => player.pause()")

    corrected = "كنا في الزنزانة نعدّ الأيام والليالي."
    texts.first.fill(corrected)
    rows.first.locator("input[name=end]").fill("4.5")
    page.locator("#segments > button[type=submit]").click()
    page.wait_for_url(editor_url)
    expect(page.locator("ul.flashes li")).to_have_text([SAVED])
    shoot(page, "cataloguing-transcript-editor")

    page.reload()
    expect(page.locator("ul.flashes")).to_have_count(0)
    expect(texts).to_have_text([corrected, CUES[1][2], CUES[2][2]])
    expect(rows.first.locator("input[name=end]")).to_have_value("4.500")
    expect(rows.first.locator("input[name=start]")).to_have_value("0.000")
    page.goto(archive.url("/manage/items/CAT-TR-1"))
    expect(page.locator("ol.history li").first).to_have_attribute(
        "data-action", "correct-transcript"
    )
    traffic.assert_clean(archive.log())
