"""The results page says what a query also searched: an English or French query finds the
Arabic demo testimony through the glossary, the forms are listed as links that search each form
alone in quotes, and a quoted query is not expanded."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_french_query_lists_what_it_also_searched(demo_collection, page, traffic):
    archive = demo_collection
    page.goto(archive.url("/search?q=parloir"))
    also = page.locator(".also-searched")
    expect(also).to_be_visible()
    expect(also.locator("li bdi").first).to_have_text("parloir")
    links = also.locator("a")
    forms = links.all_inner_texts()
    assert "الزيارة" in forms, forms
    # the Arabic testimony about visiting day is found by the French word
    expect(page.locator(".results-list a[href='/items/DEMO-002']")).to_be_visible()

    # each form searches itself alone, quoted: nothing is expanded then
    link = links.filter(has_text="الزيارة").first
    href = link.get_attribute("href")
    assert parse_qs(urlsplit(href).query)["q"] == ['"الزيارة"']
    link.click()
    expect(page.locator("#q")).to_have_value('"الزيارة"')
    expect(page.locator(".also-searched")).to_have_count(0)
    expect(page.locator(".results-list a[href='/items/DEMO-002']")).to_be_visible()
    traffic.assert_clean(archive.log())


def test_an_english_name_finds_the_arabic_poet(demo_collection, page, traffic):
    archive = demo_collection
    page.goto(archive.url("/search?q=Abu+Firas"))
    expect(page.locator(".results-list a[href='/items/DEMO-001']")).to_be_visible()
    forms = page.locator(".also-searched a").all_inner_texts()
    assert any("فراس" in f for f in forms), forms
    traffic.assert_clean(archive.log())
