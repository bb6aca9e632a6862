"""/api/docs in headless Chromium: Swagger UI, served by the archive itself, starts under the
pages' Content-Security-Policy (no inline script), lists every operation of the OpenAPI
document, and nothing is fetched from anywhere else."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_the_docs_page_works_from_the_archive_s_own_files(page, traffic, live_archive):
    base = live_archive.base_url
    page.goto(f"{base}/api/docs?lang=en")
    page.wait_for_selector(".opblock", timeout=15_000)
    document = httpx.get(f"{base}/api/openapi.json", timeout=30).json()
    operations = sum(len(path) for path in document["paths"].values())
    assert page.locator(".opblock").count() == operations
    assert traffic.errors == []
    assert all(url.startswith(base) for url in traffic.requests), traffic.requests
