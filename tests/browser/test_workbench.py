"""The catalogue as a workbench in a real browser: filter, tick two rows, preview a batch,
confirm it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.test_cataloguing_pages import new_item, shoot

pytestmark = pytest.mark.browser

TAG = "أرشيف الزنازين"


def test_filter_select_two_rows_preview_and_confirm(archivist_page, live_archive, traffic):
    page, archive = archivist_page, live_archive
    for identifier, title in (
        ("WB-1", "قصيدة الزنزانة"),
        ("WB-2", "قصيدة الفجر"),
        ("WB-3", "قصيدة ثالثة"),
    ):
        new_item(page, archive, identifier, title, "poem")
    new_item(page, archive, "WB-4", "أغنية", "song")

    page.goto(archive.url("/manage/"))
    filters = page.locator("form.catalogue-filters")
    filters.locator("select[name=type]").select_option("poem")
    filters.locator("select[name=sort]").select_option("identifier")
    filters.locator("select[name=order]").select_option("asc")
    filters.locator("button[type=submit]").click()
    page.wait_for_url("**/manage/?*type=poem*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["type"] == ["poem"] and query["sort"] == ["identifier"]  # a view to bookmark
    rows = page.locator("table.catalogue tbody tr")
    # the live archive is shared with other tests' poems: this test's own, in order
    ours = rows.locator("bdi").filter(has_text=re.compile(r"^WB-\d+$"))
    expect(ours).to_have_text(["WB-1", "WB-2", "WB-3"])

    page.get_by_role("checkbox", name="WB-1").check()
    page.get_by_role("checkbox", name="WB-3").check()
    batch = page.locator("form.batch")
    batch.locator("select[name=action]").select_option("tag")
    batch.locator("input[name=value]").fill(TAG)
    batch.locator("fieldset button[type=submit]").click()

    page.wait_for_url(archive.url("/manage/batch"))
    expect(page.locator(".batch-summary")).to_contain_text("2")
    expect(page.locator("table.batch-changes tbody tr bdi")).to_have_text(["WB-1", "WB-3"])
    shoot(page, "workbench-preview")
    page.locator("main form button[type=submit]").click()

    page.wait_for_url("**/manage/?*type=poem*")  # back to the same filtered view
    expect(page.locator("ul.flashes li").first).to_contain_text("2")
    page.goto(archive.url("/manage/items/WB-1"))
    expect(page.locator("#describe [name=tags]")).to_have_value(TAG)
    page.goto(archive.url("/manage/items/WB-2"))
    expect(page.locator("#describe [name=tags]")).to_have_value("")
    assert not traffic.errors, traffic.errors
