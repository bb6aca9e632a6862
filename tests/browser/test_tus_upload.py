"""The upload page over tus in a real browser: the connection drops mid-upload (Playwright's
offline mode) and the upload continues where it stopped once the connection returns."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RATE = 4 * 1024 * 1024  # bytes per second from the browser to the server, through the proxy
STALE_OFFSET = "the server responded with a status of 409 "
NETWORK_ERRORS = re.compile(r"net::ERR_(INTERNET_DISCONNECTED|CONNECTION_\w+|EMPTY_RESPONSE)")


class SlowProxy:
    """A TCP proxy in front of `archive serve` that lets the request bodies through at RATE,
    so that an upload of a few MB lasts long enough to be cut off half-way. Closing either
    side closes the other, as a broken connection would."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.open += [client, server]
            threading.Thread(target=self._pump, args=(client, server, RATE), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, 0), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, rate: int):
        try:
            while data := source.recv(64 * 1024):
                sink.sendall(data)
                if rate:
                    time.sleep(len(data) / rate)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()

    def cut(self):
        """Break every open connection, as a network that goes away does."""
        for end in self.open:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.open.clear()

    def close(self):
        self.cut()
        self.listener.close()


@pytest.fixture
def slow(live_archive):
    address = urlsplit(live_archive.base_url)
    proxy = SlowProxy((address.hostname, address.port))
    proxy.url = f"http://127.0.0.1:{proxy.port}"
    yield proxy
    proxy.close()


def part_sizes(instance: Path) -> list[int]:
    return [
        part.stat().st_size for part in (instance / "media" / "incoming" / "tus").glob("*.part")
    ]


def test_an_upload_cut_by_the_network_completes_when_it_returns(
    archivist_page, live_archive, traffic, samples, slow
):
    page, archive = archivist_page, live_archive
    # Four minutes of mono CD-quality sound: about 21 MB, some five seconds through the proxy.
    recording = samples.tone("long-testimony.wav", seconds=240, freq=367)
    size = recording.stat().st_size
    patches: list[int] = []
    page.on(
        "request",
        lambda r: patches.append(int(r.headers["upload-offset"])) if r.method == "PATCH" else None,
    )
    assert page.goto(slow.url + "/manage/upload?lang=en").status == 200, archive.log()
    page.set_input_files("#upload-form input[type=file]", str(recording))
    page.locator("#upload-form button[type=submit]").click()
    row = page.locator("#uploads li").filter(has=page.get_by_text(recording.name, exact=True))
    expect(row.locator("progress")).to_have_attribute("aria-label", recording.name)

    # Cut the connection once the server holds a few MB of the file, far from its end.
    deadline = time.monotonic() + 30
    while not any(4 * 1024 * 1024 < part < size for part in part_sizes(archive.instance)):
        assert time.monotonic() < deadline, f"the upload never got going{archive.log()}"
        time.sleep(0.05)
    # Offline mode stops new requests; the request already sending is cut by the network.
    page.context.set_offline(True)
    slow.cut()
    expect(row).to_have_attribute("data-state", "offline", timeout=30_000)
    held = part_sizes(archive.instance)
    assert held and 0 < held[0] < size, held

    page.context.set_offline(False)
    expect(row).to_have_attribute("data-state", re.compile("^(queued|probing|transcoding|done)$"),
                                  timeout=60_000)  # fmt: skip
    link = row.locator(".detail a")
    expect(link).to_have_text(re.compile(r"AR-\d{6}"))
    # It went on from where it stopped: a PATCH began at an offset past 0, none sent it all again.
    assert patches[0] == 0 and any(offset > 0 for offset in patches[1:]), patches
    assert all(offset == 0 or offset >= held[0] for offset in patches), (patches, held)

    # The archive kept exactly the bytes of the file.
    assert not part_sizes(archive.instance)  # nothing left half-received
    digest = hashlib.sha256(recording.read_bytes()).hexdigest()
    found = (archive.instance / "media" / "originals").rglob(f"{digest}*")
    assert any(found), f"no original named by the file's SHA-256{archive.log()}"

    # Network errors while offline are the test's own doing; a 409 is the protocol telling
    # the client its offset is stale (a retry sent before the cut request's last bytes were
    # written), after which it asks the offset again: both are part of resuming.
    errors = [
        (m, url)
        for m, url in traffic.errors
        if not NETWORK_ERRORS.search(m)
        and not (STALE_OFFSET in m and urlsplit(url).path.startswith("/manage/tus/"))
    ]
    assert not errors, errors
    assert not traffic.foreign_requests()


def start_slow_upload(page, archive, slow, recording, patches):
    page.on(
        "request",
        lambda r: patches.append(int(r.headers["upload-offset"])) if r.method == "PATCH" else None,
    )
    assert page.goto(slow.url + "/manage/upload?lang=en").status == 200, archive.log()
    page.set_input_files("#upload-form input[type=file]", str(recording))
    page.locator("#upload-form button[type=submit]").click()
    deadline = time.monotonic() + 30
    while not any(2 * 1024 * 1024 < part for part in part_sizes(archive.instance)):
        assert time.monotonic() < deadline, f"the upload never got going{archive.log()}"
        time.sleep(0.05)
    return page.locator("#uploads li").filter(has=page.get_by_text(recording.name, exact=True))


def test_pause_and_resume(archivist_page, live_archive, samples, slow):
    page, archive = archivist_page, live_archive
    recording = samples.tone("paused-lecture.wav", seconds=240, freq=411)
    patches: list[int] = []
    row = start_slow_upload(page, archive, slow, recording, patches)
    row.get_by_role("button", name=f"Pause: {recording.name}").click()
    expect(row).to_have_attribute("data-state", "paused")
    slow.cut()  # what the browser had already handed to the network stops too
    held = part_sizes(archive.instance)[0]
    assert 0 < held < recording.stat().st_size
    row.get_by_role("button", name=f"Resume: {recording.name}").click()
    expect(row.locator(".detail a")).to_have_text(re.compile(r"AR-\d{6}"), timeout=60_000)
    assert patches[0] == 0 and len(patches) >= 2 and patches[-1] > 0, patches


def test_a_reloaded_page_continues_the_same_file(archivist_page, live_archive, samples, slow):
    page, archive = archivist_page, live_archive
    recording = samples.tone("reloaded-poem.wav", seconds=240, freq=433)
    patches: list[int] = []
    start_slow_upload(page, archive, slow, recording, patches)
    page.goto(slow.url + "/manage/upload?lang=en")  # the tab is reloaded mid-upload
    slow.cut()
    unfinished = page.locator("#unfinished")
    expect(unfinished).to_be_visible()
    expect(unfinished.locator("li")).to_have_text([recording.name])
    held = part_sizes(archive.instance)[0]
    patches.clear()
    page.set_input_files("#upload-form input[type=file]", str(recording))
    page.locator("#upload-form button[type=submit]").click()
    row = page.locator("#uploads li").filter(has=page.get_by_text(recording.name, exact=True))
    expect(row.locator(".detail a")).to_have_text(re.compile(r"AR-\d{6}"), timeout=60_000)
    assert patches and patches[0] >= held > 0, (patches, held)  # not from the beginning
