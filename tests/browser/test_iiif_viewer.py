"""The archive's IIIF manifests in a real IIIF AV viewer: Clover IIIF, installed from the npm
registry and vendored under tests/browser/iiif_viewer/ (see its README), on a page of another
origin than the archive's, as a partner's site would show them."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

VIEWER = Path(__file__).resolve().parent / "iiif_viewer"
MEDIA = "#viewer video"


class ViewerFiles(http.server.SimpleHTTPRequestHandler):
    """The fixture page and the viewer's script, kept gzipped and sent as such."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(VIEWER), **kwargs)

    def do_GET(self):
        if urlsplit(self.path).path != "/clover-viewer.js":
            return super().do_GET()
        body = (VIEWER / "clover-viewer.js.gz").read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def viewer_site():
    """The fixture page on its own origin (another port than the archive's)."""
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), ViewerFiles) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()


def read_manifest(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        return json.load(response)


@pytest.mark.parametrize("identifier", ["DEMO-002", "DEMO-003"])  # a sound, a video
def test_a_manifest_plays_in_clover_with_its_transcript(
    demo_collection, page, traffic, viewer_site, identifier
):
    archive = demo_collection
    manifest_url = archive.url(f"/iiif/items/{identifier}/manifest")
    manifest = read_manifest(manifest_url)
    canvas = manifest["items"][0]
    media_url = canvas["items"][0]["items"][0]["body"]["id"]
    texts = [
        annotation["body"]["value"]
        for page_ in canvas["annotations"][1:]
        for annotation in page_["items"]
    ]
    moments = [
        annotation["target"].split("#t=")[1] for annotation in canvas["annotations"][1]["items"]
    ]
    starts = [float(moment.split(",")[0]) for moment in moments]
    assert len(texts) >= 2 and starts[0] == 0
    # Clover draws each annotation over a picture of its region from an IIIF Image API
    # service, even on a canvas that has none (a sound, a video): it asks its own page's site
    # for "undefined/<region>/..." and is told 404. Its own fault, not the archive's.
    for moment in moments:
        traffic.expect_refusal(f"/undefined/{moment}/!NaN,NaN/0/default.jpg", 404)

    page.goto(f"{viewer_site}/index.html?manifest={quote(manifest_url, safe='')}")
    # The viewer read the manifest across origins and put the archive's access copy in place.
    expect(page.locator(MEDIA)).to_have_attribute("src", media_url)
    label = manifest["label"]["ar"][0]
    expect(page.get_by_role("banner").get_by_text(label, exact=True)).to_be_visible()

    # It plays: the clock moves.
    page.locator(MEDIA).evaluate("media => media.play()")
    page.wait_for_function(f"document.querySelector('{MEDIA}').currentTime > 0.5")
    page.locator(MEDIA).evaluate("media => media.pause()")

    # The transcript shows, passage by passage, and a passage takes the player to its moment.
    page.get_by_role("tab", name="Annotations").click()
    for text in texts:  # once as a cue of the WebVTT file, once as a timed text annotation
        expect(page.get_by_text(text, exact=True)).to_have_count(2)
    page.get_by_text(texts[-1], exact=True).first.click()
    page.wait_for_function(
        f"Math.abs(document.querySelector('{MEDIA}').currentTime - {starts[-1]}) < 0.5"
    )
    # The captions, a WebVTT file of the archive, were read across origins too.
    captions = canvas["annotations"][0]["items"][0]["body"]["id"]
    assert captions in traffic.requests
    traffic.assert_clean(archive.log())
