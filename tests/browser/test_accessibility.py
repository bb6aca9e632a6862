"""Every public page, in Arabic, English and French, at desktop and phone widths, under two
accessibility engines in the real browser: axe-core and HTML_CodeSniffer (WCAG 2.2 AA).

Two engines, because axe-core silently skips colour contrast on Arabic text (it takes Arabic
letters for icon ligatures), and Arabic text is what this archive is for: HTML_CodeSniffer
measures it. Both come from the npm registry into tests/a11y/node_modules (`make test` runs
`npm ci` there); axe is injected into the Playwright page, HTML_CodeSniffer runs through
pa11y in one node process for all pages, on the same Debian chromium.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass

import pytest

from tests.browser.conftest import CHROMIUM, ROOT, _archive

pytestmark = pytest.mark.browser

A11Y = ROOT / "tests" / "a11y"
AXE = A11Y / "node_modules" / "axe-core" / "axe.min.js"
HTMLCS = A11Y / "htmlcs.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LANGUAGES = ["ar", "en", "fr"]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
RESEARCHER = ("a11y-researcher@example.org", "accessibility tests researcher password")
# Low-contrast Arabic text (#bbb on white: 1.9:1), to prove the contrast of Arabic is measured.
FAINT_ARABIC = (
    '<p class="faint-arabic" lang="ar" dir="rtl" data-color="#bbbbbb" data-background="#ffffff">'
    "نص عربي باهت لا يكاد يقرأ</p>"
)


@dataclass(frozen=True)
class Check:
    """One page, in one language, at one width."""

    page: str
    lang: str
    width: str

    @property
    def id(self) -> str:
        return f"{self.page} {self.lang} {self.width}"


def node_tools() -> None:
    """Skip when node is not installed; fail when it is but `npm ci` has not run."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the accessibility engines (axe-core, pa11y) need it")
    if not AXE.is_file() or not (A11Y / "node_modules" / "pa11y").is_dir():
        pytest.fail(
            f"{A11Y}/node_modules is missing: run `make test`, or `make tests/a11y/node_modules`",
            pytrace=False,
        )
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs it)", pytrace=False)


def _first_link(archive, path: str, pattern: str) -> str:
    with urllib.request.urlopen(archive.url(path), timeout=10) as response:
        html = response.read().decode("utf-8")
    found = re.search(rf'href="({pattern})"', html)
    assert found, f"no link matching {pattern} on {path}"
    return found[1]


@pytest.fixture(scope="session")
def public_pages(demo_collection) -> dict[str, str]:
    """Name -> path of every public page, the demo's records found by following links."""
    archive = demo_collection
    return {
        "home": "/",
        "listening": "/items/DEMO-002",
        "listening video": "/items/DEMO-003",
        "embed": "/embed/DEMO-002",
        "search results": "/search?q=" + urllib.request.quote("الزيارة"),
        "browse": "/browse",
        "browse types": "/browse/types",
        "browse decades": "/browse/decades",
        "browse people": "/browse/people",
        "browse tags": "/browse/tags",
        "browse places": "/browse/places",
        "collections": "/collections",
        "type": "/types/testimony",
        "decade": "/decades/1980",
        "tag": _first_link(archive, "/browse/tags", r"/tags/\d+"),
        "place": _first_link(archive, "/browse/places", r"/places/\d+"),
        "person": _first_link(archive, "/items/DEMO-002", r"/people/\d+"),
        "collection": _first_link(archive, "/collections", r"/collections/\d+"),
        "figures": "/figures",
        "play queue": "/queue?items=DEMO-001,DEMO-002,DEMO-003&i=1",
        "login": "/login",
        "register": "/register",
        "account": "/account",  # logged in as a researcher
    }


@pytest.fixture(scope="session")
def researcher(demo_collection):
    """An approved researcher, for the account page (its own, so no other test logs it out)."""
    email, password = RESEARCHER
    done = _archive(
        demo_collection.env, "users", "create", email, "--role", "researcher", input=password + "\n"
    )
    assert done.returncode == 0, f"archive users create failed:\n{done.stdout}\n{done.stderr}"
    return email, password


def log_in(tab, archive, email: str, password: str) -> None:
    tab.goto(archive.url("/login"))
    tab.fill("input[name=email]", email)
    tab.fill("input[name=password]", password)
    tab.locator("main form button[type=submit]").click()
    tab.wait_for_url(archive.url("/"))


#: Pages whose script shows more than their HTML: what to wait for, then what to press, so
#: that both engines check it shown. The queue's page loads the queue into the player's bar
#: (the bar of every page while a queue plays) and its list is opened.
SHOWN = {"play queue": ("#queue-bar .queue-title", ["#queue-bar .queue-list-toggle"])}


def show(tab, name: str) -> None:
    """Wait for what the page's script shows, and press what opens the rest."""
    if name in SHOWN:
        visible, presses = SHOWN[name]
        tab.locator(visible).wait_for(state="visible")
        for selector in presses:
            tab.locator(selector).click()


def with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def every_check() -> list[Check]:
    return [Check("", lang, width) for lang in LANGUAGES for width in WIDTHS]


# axe-core, in the Playwright page


def axe_violations(tab) -> list[str]:
    """Run axe on the page as it is; one line per failing element: rule, selector, message."""
    if not tab.evaluate("typeof window.axe === 'object'"):
        tab.evaluate(AXE.read_text(encoding="utf-8"))  # evaluate: the page's CSP does not apply
    found = tab.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(result => result.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map("
        "n => ({target: n.target.join(' '), summary: n.failureSummary}))})))",
        AXE_TAGS,
    )
    return [
        f"{v['id']} | {node['target']} | {v['help']}: {node['summary']}"
        for v in found
        for node in v["nodes"]
    ]


@pytest.mark.parametrize("lang,width", [(c.lang, c.width) for c in every_check()], ids=lambda v: v)
def test_axe_finds_no_violation(demo_collection, browser, public_pages, researcher, lang, width):
    node_tools()
    archive = demo_collection
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    try:
        tab = context.new_page()
        problems = []
        for name, path in public_pages.items():
            if name == "account":
                log_in(tab, archive, *researcher)
            response = tab.goto(archive.url(with_lang(path, lang)), wait_until="load")
            assert response.status == 200, f"{name}: GET {path} answered {response.status}"
            show(tab, name)
            problems += [f"{name} ({path}): {line}" for line in axe_violations(tab)]
        assert not problems, f"axe-core, {lang} at {width} width:\n" + "\n".join(problems)
    finally:
        context.close()


# HTML_CodeSniffer, through pa11y, in one node process for every page


@pytest.fixture(scope="session")
def htmlcs_results(demo_collection, browser, public_pages, researcher) -> dict[str, dict]:
    """Every page × language × width (and the faint-Arabic probe) through pa11y once."""
    node_tools()
    archive = demo_collection
    context = browser.new_context()
    try:
        log_in(context.new_page(), archive, *researcher)
        session = [
            {key: cookie[key] for key in ("name", "value", "domain", "path", "httpOnly")}
            for cookie in context.cookies()
            if cookie["name"] != "lang"
        ]
    finally:
        context.close()
    jobs = []
    for check in every_check():
        w, h = WIDTHS[check.width]
        for name, path in public_pages.items():
            job = Check(name, check.lang, check.width)
            jobs.append({
                "id": job.id,
                "url": archive.url(with_lang(path, check.lang)),
                "viewport": {"width": w, "height": h},
                "cookies": session if name == "account" else [],
                **({"waitFor": SHOWN[name][0], "click": SHOWN[name][1]} if name in SHOWN else {}),
            })  # fmt: skip
    jobs.append({
        "id": "faint arabic probe",
        "url": archive.url(with_lang(public_pages["listening"], "ar")),
        "viewport": {"width": 1280, "height": 900},
        "inject": FAINT_ARABIC,
    })  # fmt: skip
    done = subprocess.run(
        ["node", str(HTMLCS)],
        input=json.dumps(jobs), cwd=A11Y, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, f"pa11y failed:\n{done.stderr[-3000:]}"
    results = {result["id"]: result for result in json.loads(done.stdout)}
    assert len(results) == len(jobs), f"pa11y checked {len(results)} of {len(jobs)} pages"
    return results


def htmlcs_problems(result: dict) -> list[str]:
    if result["error"]:
        return [f"{result['id']}: pa11y could not check {result['url']}: {result['error']}"]
    return [
        f"{result['id']}: {issue['code']} | {issue['selector']} | {issue['message']}"
        for issue in result["issues"]
    ]


@pytest.mark.parametrize("lang,width", [(c.lang, c.width) for c in every_check()], ids=lambda v: v)
def test_html_codesniffer_finds_no_error(htmlcs_results, public_pages, lang, width):
    problems = []
    for name in public_pages:
        problems += htmlcs_problems(htmlcs_results[Check(name, lang, width).id])
    assert not problems, f"HTML_CodeSniffer (WCAG2AA), {lang} at {width} width:\n" + "\n".join(
        problems
    )


def test_the_contrast_of_arabic_text_is_measured(htmlcs_results):
    """Faint Arabic text put on the listening page is reported: the check that axe skips runs."""
    result = htmlcs_results["faint arabic probe"]
    assert not result["error"], result["error"]
    contrast = [
        issue
        for issue in result["issues"]
        if "1_4_3" in issue["code"] and "faint-arabic" in issue["context"]
    ]
    assert contrast, "HTML_CodeSniffer did not report faint Arabic text:\n" + "\n".join(
        htmlcs_problems(result)
    )
    assert "contrast ratio of 1.9" in contrast[0]["message"]
