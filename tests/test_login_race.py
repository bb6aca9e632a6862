"""Failed logins sent in parallel are counted one by one: of ten wrong passwords sent at once
to one account, only as many as the limit are checked, whatever the spelling of the address.

The attempts are real HTTP requests, released together, to a real threaded server."""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from contextlib import contextmanager
from urllib.parse import urlencode

from werkzeug.serving import make_server

from tests.conftest import PASSWORD

PARALLEL = 10
VARIANTS = (
    "archivist@example.org",
    "ARCHIVIST@example.org",
    " archivist@example.org",
    "Archivist@Example.Org ",
    "archivist @example.org",
    "\tarchivist@EXAMPLE.org\n",
    "ａｒｃｈｉｖｉｓｔ@example.org",  # full-width letters
)


@contextmanager
def serving(app):
    """The app on a real threaded HTTP server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join()


class Browser:
    """One visitor: a session cookie and the login form's CSRF token, reused by every try."""

    def __init__(self, port: int):
        self.port = port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/login")
        response = connection.getresponse()
        page = response.read().decode()
        self.cookie = response.getheader("Set-Cookie").split(";")[0]
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        connection.close()

    def log_in(self, email: str, password: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        body = urlencode({"email": email, "password": password, "csrf_token": self.token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}
        connection.request("POST", "/login", body=body, headers=headers)
        status = connection.getresponse().status
        connection.close()
        return status


def in_parallel(browser: Browser, emails: list[str], password: str = "wrong") -> Counter:
    """Send one login per email, all released at the same moment; count the answers."""
    start = threading.Barrier(len(emails))
    answers: list[int] = []

    def attempt(email: str) -> None:
        start.wait()
        answers.append(browser.log_in(email, password))

    threads = [threading.Thread(target=attempt, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(answers)


def check_parallel_failures_are_limited(app) -> None:
    """The race, for whichever store ``app`` counts in (the Redis tests call it too)."""
    limit = int(app.config["AUTH"]["LOGIN_LIMIT_ACCOUNT"])
    with serving(app) as port:
        browser = Browser(port)
        answers = in_parallel(browser, [VARIANTS[n % len(VARIANTS)] for n in range(PARALLEL)])
        assert answers == {401: limit, 429: PARALLEL - limit}, answers
        # the account now waits, even with the right password and another spelling
        assert browser.log_in("ARCHIVIST@EXAMPLE.ORG", PASSWORD) == 429
        # another account is not held up
        assert browser.log_in("admin@example.org", PASSWORD) == 302


def test_parallel_failures_are_counted_one_by_one(app):
    check_parallel_failures_are_limited(app)


def test_parallel_failures_on_many_accounts_hold_the_address_limit(app):
    limit = int(app.config["AUTH"]["LOGIN_LIMIT_ADDRESS"])
    with serving(app) as port:
        answers = in_parallel(Browser(port), [f"nobody{n}@example.org" for n in range(limit + 6)])
    assert answers == {401: limit, 429: 6}, answers


def test_successes_do_not_count_against_the_address(app):
    """A login being checked counts until it is known; once it succeeds, it counts no more."""
    app.config["AUTH"]["LOGIN_LIMIT_ADDRESS"] = 3
    with serving(app) as port:
        browser = Browser(port)
        assert [browser.log_in("admin@example.org", PASSWORD) for _ in range(6)] == [302] * 6
        assert in_parallel(browser, ["nobody@example.org"] * 5) == {401: 3, 429: 2}
