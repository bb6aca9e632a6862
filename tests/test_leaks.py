"""Nothing leaks: every route the app registers, walked as anonymous, researcher and archivist.

The catalogue holds one item of each kind a visitor may or may not see — public, "researchers",
staff, embargoed, draft, withdrawn, and a public item with one withheld passage and one restricted
transcript — each with its own marker words in every field (titles, description, transcript,
people, tags, collections, places, original filename) and a real access copy, poster and waveform.

The walk builds its URLs from ``app.url_map``: each rule's arguments are filled from
``argument_values`` below, and a rule with an argument it does not know fails the test, so a new
route cannot be forgotten. Every response (body and headers, every status) is searched for the
markers of what that visitor may not see; the URLs of hidden things must answer 404 (410 when
withdrawn), staff routes the login page or 403; totals and facet counts must count only what the
visitor may see; POSTs to staff routes by anyone else change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest
from flask import url_for
from sqlalchemy import select, text
from werkzeug.routing import IntegerConverter

from archive import create_app, migrate
from archive.accounts.users import create_user
from archive.audit import record
from archive.catalogue import authority, items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment
from archive.db import db
from archive.discovery import indexing
from archive.holdings.ingest import ingest
from archive.holdings.storage import local
from archive.models import AccessRequest, Collection, Item, Place, Tag, User, utcnow
from tests.conftest import PASSWORD
from tests.databases import own_database
from tests.test_upload import make_video

# --- the fixtures -----------------------------------------------------------------------------

# key: (Arabic marker word, access, status, type, date); every marker is unique to its item.
SPECS = {
    "PUBLIC": ("عامة", "public", "published", "testimony", "1985"),
    "WHELD": ("محجوبة", "public", "published", "testimony", "1987-05"),
    "RSRCH": ("باحثين", "researchers", "published", "testimony", "1984"),
    "STAFF": ("موظفين", "staff", "published", "song", "1951"),
    "EMBRG": ("حظرزمني", "public", "published", "event", "1962"),
    "DRAFT": ("مسودات", "public", "draft", "lecture", "1973"),
    "GONE": ("مسحوبة", "public", "withdrawn", "interview", "1946"),
}
KEYS = tuple(SPECS)
PASSAGE = "PASSAGE"  # the withheld passage of WHELD
TRANSCRIPT = "TRANSCRIPT"  # the restricted English transcript of PUBLIC
ORIGINAL = "ORIGINAL"  # the originals: staff only, whatever the item
OTHER = "OTHER"  # another researcher: their account and their request for access
ALWAYS_HIDDEN = {"STAFF", "EMBRG", "DRAFT", "GONE", PASSAGE, TRANSCRIPT, ORIGINAL, OTHER}
HIDDEN = {
    "anonymous": ALWAYS_HIDDEN | {"RSRCH"},
    "researcher": ALWAYS_HIDDEN,
    "archivist": set(),
}
HIDDEN["pending"] = HIDDEN["anonymous"]  # registered, not yet approved: sees what the public sees
VISIBLE = {
    "anonymous": {"PUBLIC", "WHELD"},
    "researcher": {"PUBLIC", "WHELD", "RSRCH"},
    "archivist": set(KEYS),
}
VISIBLE["pending"] = VISIBLE["anonymous"]
SHARED = {
    "narrator": "راوي مشترك",
    "tag": "وسم مشترك",
    "collection": "مجموعة مشتركة",
    "place": "سجن مشترك",
}
EMAILS = {
    "researcher": "researcher@example.org",
    "archivist": "archivist@example.org",
    "pending": "pending@example.org",
}
OTHER_EMAIL = "otherresearcher@example.org"


def identifier(key: str) -> str:
    return f"LK-{key}"


def words(key: str) -> dict[str, str]:
    """The marker words of one item, field by field."""
    ar = SPECS[key][0]
    return {
        "title": f"عنوان{ar} TITLE{key}",
        "title_en": f"TITLEEN{key}",
        "description": f"وصف{ar} DESC{key}",
        "description_en": f"DESCEN{key}",
        "place": f"PLACE{key}",
        "narrator": f"راوي{ar}",
        "interviewer": f"PERSON{key}",
        "tag": f"وسم{ar}",
        "tag_latin": f"TAG{key}",
        "collection": f"COLL{key}",
        "prison": f"PRISON{key}",
        "said": f"SECRET{key} سرية{ar}",
        "filename": f"ORIG{key}.mp4",
    }


def markers(key: str) -> list[str]:
    if key == PASSAGE:
        return ["SECRETPASSAGE", "سريةمحجوز"]
    if key == TRANSCRIPT:
        return ["SECRETTRANSCRIPT"]
    if key == ORIGINAL:
        return []
    if key == OTHER:
        return [OTHER_EMAIL, "AFFILOTHER", "PURPOSEOTHER", "REASONOTHER"]
    found = [identifier(key)]
    for value in words(key).values():
        found += value.split()
    return found


@dataclass
class Catalogue:
    """What the walk substitutes into the routes, and whose each value is."""

    items: dict[str, int] = field(default_factory=dict)  # key -> item id
    recordings: dict[str, int] = field(default_factory=dict)
    transcripts: dict[int, str] = field(default_factory=dict)  # transcript id -> owner key
    jobs: dict[int, str] = field(default_factory=dict)
    people: dict[int, str | None] = field(default_factory=dict)  # None: shared by all items
    tags: dict[int, str | None] = field(default_factory=dict)
    collections: dict[int, str | None] = field(default_factory=dict)
    places: dict[int, str | None] = field(default_factory=dict)
    segments: dict[int, str] = field(default_factory=dict)
    users: dict[int, str | None] = field(default_factory=dict)
    requests: dict[int, str] = field(default_factory=dict)

    def url_markers(self, key: str) -> list[re.Pattern]:
        """The URLs that would give a hidden thing away: its pages, media, records."""
        patterns = []
        for kind, records in (
            ("people", self.people),
            ("tags", self.tags),
            ("collections", self.collections),
            ("places", self.places),
        ):
            patterns += [re.compile(rf"/{kind}/{n}(?![0-9])") for n, k in records.items()
                         if k == key]  # fmt: skip
        if key in self.recordings:
            patterns.append(re.compile(rf"/media/{self.recordings[key]}/"))
        patterns += [re.compile(rf"/transcripts/{n}(?![0-9])") for n, k in self.transcripts.items()
                     if k == key]  # fmt: skip
        return patterns


def build_catalogue(tmp: Path) -> Catalogue:
    """The fixture items, made through the real operations, with real media."""
    made = Catalogue()
    for n, key in enumerate(KEYS):
        ar, access, status, type_, date = SPECS[key]
        w = words(key)
        video = make_video(
            tmp / w["filename"], seconds=1, size="160x120", extra=("-metadata", f"track={n + 1}")
        )  # distinct bytes
        done = ingest(local(video), user=None, identifier=identifier(key), title=w["title"],
                      type=type_)  # fmt: skip
        item = done.item
        assert done.job.state == "done", done.job.error
        items.describe(item, {
            "title_en": w["title_en"], "description": w["description"],
            "description_en": w["description_en"], "place": w["place"], "date": date,
            "narrators": [SHARED["narrator"], w["narrator"]], "interviewers": [w["interviewer"]],
            "tags": [SHARED["tag"], w["tag"], w["tag_latin"]],
            "collections": [SHARED["collection"], w["collection"]],
            "prisons": [SHARED["place"], w["prison"]], "access": access, "languages": "ar|en",
        }, user=None)  # fmt: skip
        segments = [
            ParsedSegment(start=0.0, end=0.4, text=f"كلمات نفحة {w['said']}"),
            ParsedSegment(start=0.4, end=0.8, text="وكانت الأسرى صامدين في نفحة"),
        ]
        if key == "WHELD":
            segments.append(ParsedSegment(start=0.8, end=1.0, text=" ".join(markers(PASSAGE))))
        transcript = transcripts.attach(item, segments, language="ar", user=None)
        made.transcripts[transcript.id] = key
        if key == "WHELD":
            passage = transcript.segments[-1]
            transcripts.restrict_segment(passage, True, user=None)
            made.segments[passage.id] = PASSAGE
        if key == "PUBLIC":
            english = transcripts.attach(
                item, [ParsedSegment(start=0.0, end=1.0, text="SECRETTRANSCRIPT words")],
                language="en", user=None,
            )  # fmt: skip
            transcripts.restrict_transcript(english, True, user=None)
            made.transcripts[english.id] = TRANSCRIPT
        if status in ("published", "withdrawn"):
            items.publish(item, user=None)
        if key == "EMBRG":
            item.embargo_until = utcnow() + timedelta(days=365)
            record(None, "describe", item, changes={"embargo_until": "next year"})
            db.session.commit()
            indexing.sync()
        if status == "withdrawn":
            withdraw(item)
        made.items[key] = item.id
        made.recordings[key] = done.recording.id
        made.jobs[done.job.id] = key
    for key in KEYS:
        w = words(key)
        for name in (w["narrator"], w["interviewer"]):
            made.people[authority.find_person(name).id] = key
        for label in (w["tag"], w["tag_latin"]):
            made.tags[db.session.scalar(select(Tag.id).where(Tag.label == label))] = key
        made.collections[
            db.session.scalar(select(Collection.id).where(Collection.title == w["collection"]))
        ] = key
        made.places[db.session.scalar(select(Place.id).where(Place.name == w["prison"]))] = key
    made.people[authority.find_person(SHARED["narrator"]).id] = None
    made.tags[db.session.scalar(select(Tag.id).where(Tag.label == SHARED["tag"]))] = None
    made.collections[
        db.session.scalar(select(Collection.id).where(Collection.title == SHARED["collection"]))
    ] = None
    made.places[db.session.scalar(select(Place.id).where(Place.name == SHARED["place"]))] = None
    return made


def withdraw(item: Item) -> None:
    try:
        from archive.catalogue.withdrawal import withdraw as operation
    except ImportError:  # before the withdrawal operation existed
        item.status, item.withdrawn_at, item.withdrawn_reason = "withdrawn", utcnow(), "test"
        record(None, "withdraw", item)
        db.session.commit()
        indexing.sync()
    else:
        operation(item, "The narrator withdrew consent.", user=None)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with own_database() as database_url:  # on PostgreSQL when the suite runs there
        yield from _world(tmp_path_factory.mktemp("leaks"), database_url)


def _world(tmp, database_url: str):
    app = create_app({"INSTANCE_PATH": str(tmp / "instance"), "TESTING": True,
                      "SECRET_KEY": "test", "QUEUE": {"IMMEDIATE": True},
                      "DATABASE": {"URL": database_url}})  # fmt: skip
    with app.app_context():
        migrate.upgrade()
        create_user("admin@example.org", PASSWORD, "admin")
        create_user(EMAILS["archivist"], PASSWORD, "archivist")
        create_user(EMAILS["researcher"], PASSWORD, "researcher", approved=True)
        create_user(EMAILS["pending"], PASSWORD, "researcher", approved=False)
        catalogue = build_catalogue(tmp)
        for user in db.session.scalars(select(User)):
            catalogue.users[user.id] = None
        other = create_user(OTHER_EMAIL, PASSWORD, "researcher", approved=True)
        other.affiliation, other.purpose = "AFFILOTHER", "PURPOSEOTHER"
        asked = AccessRequest(user=other, item_id=catalogue.items["RSRCH"], reason="REASONOTHER")
        db.session.add(asked)
        db.session.commit()
        catalogue.users[other.id] = OTHER
        catalogue.requests[asked.id] = OTHER
        db.session.remove()
    yield app, catalogue
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def csrf_token(client) -> str:
    for path in ("/", "/login"):
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf-token" content="([^"]+)"', page) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', page
        )
        if found:
            return found.group(1)
    raise AssertionError("no CSRF token on / or /login")


def client_as(app, who: str):
    client = app.test_client()
    if who != "anonymous":
        response = client.post("/login", data={"email": EMAILS[who], "password": PASSWORD,
                                               "csrf_token": csrf_token(client)})  # fmt: skip
        # A researcher waiting for approval may or may not be let in: either way is walked.
        assert response.status_code == 302 or who == "pending", f"{who} could not log in"
    return client


# --- the walk ---------------------------------------------------------------------------------

NOWHERE = "LK-NOWHERE"  # an identifier no item has: hidden items must answer like it


def argument_values(app, catalogue: Catalogue, rule) -> dict[str, list[tuple[object, str | None]]]:
    """Every argument name a route may take, with (value, owner key or None) to try."""
    kind = (rule.defaults or {}).get("kind")
    subjects = {"people": catalogue.people, "tags": catalogue.tags,
                "collections": catalogue.collections, "places": catalogue.places}  # fmt: skip
    static = Path(app.static_folder)
    return {
        "identifier": [(identifier(k), k) for k in KEYS] + [(NOWHERE, None)],
        "transcript_id": list(catalogue.transcripts.items()) + [(999999, None)],
        "fmt": [("vtt", None), ("txt", None), ("json", None)],
        "recording_id": [(n, k) for k, n in catalogue.recordings.items()] + [(999999, None)],
        "role": [
            ("access", None),
            ("small", None),
            ("poster", None),
            ("peaks", None),
            ("original", ORIGINAL),
        ],  # fmt: skip
        "person_id": list(catalogue.people.items()),
        "record_id": list(subjects[kind].items()) if kind in subjects else [],
        "tag_id": list(catalogue.tags.items()),
        "job_id": list(catalogue.jobs.items()),
        "segment_id": list(catalogue.segments.items()),
        "decade": [(d, None) for d in (1940, 1950, 1960, 1970, 1980)],
        "number": [(1, None), (2, None)],  # the numbered files of a large sitemap
        "token_id": [(999999, None)],  # another user's API token, or none
        "upload_id": [("0" * 32, None)],  # a resumable upload (staff only; none exists)
        "mail_id": [(999999, None)],  # a message of the mail outbox (admins only; none exists)
        "code": [(code, None) for code in ("testimony", "song", "event", "lecture", "interview")],
        "kind": [(k, None) for k in ("people", "tags", "collections", "places")],
        "filename": [
            (p.relative_to(static).as_posix(), None) for p in sorted(static.rglob("*.css"))[:2]
        ],  # fmt: skip
        "item_id": [(n, k) for k, n in catalogue.items.items()],
        "user_id": list(catalogue.users.items()),
        "request_id": list(catalogue.requests.items()),
        "action": [
            (a, None)
            for a in ("approve", "refuse", "role", "deactivate", "activate", "grant", "revoke")
        ],  # fmt: skip
    }


@dataclass
class Target:
    rule: str
    endpoint: str
    url: str
    owners: frozenset
    staff_route: bool
    args: tuple = ()  # (name, value, owner key or None)

    def nowhere_url(self, app, hidden: set[str], nowhere: str = "") -> str | None:
        """The same URL with each hidden thing replaced by one that does not exist, or None."""
        args = {}
        for name, value, owner in self.args:
            if owner in hidden:
                if name == "identifier":
                    value = nowhere or NOWHERE
                elif isinstance(value, int):
                    value = 999999
                else:
                    return None
            args[name] = value
        with app.test_request_context():
            return url_for(self.endpoint, **args)


def targets(app, catalogue: Catalogue, methods: set[str]) -> list[Target]:
    """Concrete URLs for every rule answering one of ``methods``, from ``app.url_map``."""
    found = []
    for rule in app.url_map.iter_rules():
        if not (rule.methods or set()) & methods:
            continue
        values = argument_values(app, catalogue, rule)
        needed = sorted(set(rule.arguments) - set(rule.defaults or {}))
        unknown = [name for name in needed if name not in values]
        assert not unknown, (
            f"{rule.rule} takes {unknown}: teach argument_values() in tests/test_leaks.py "
            "which fixture values to try there, so the new route is walked too"
        )
        combos: list[tuple] = [()]
        for name in needed:
            assert values[name], f"{rule.rule}: no values for {name}"
            combos = [(*args, (name, value, owner))
                      for args in combos for value, owner in values[name]]  # fmt: skip
        for args in combos:
            with app.test_request_context():
                url = url_for(rule.endpoint, **{name: value for name, value, _ in args})
            owners = frozenset(owner for _, _, owner in args if owner is not None)
            found.append(
                Target(rule.rule, rule.endpoint, url, owners, rule.rule.startswith("/manage"), args)
            )
    return found


PROBES = [
    "SECRET", "SECRET*", "SECRETSTAF", "SECRETRSRC", "SECRETPASSAG", "TITLE*", "PERSON*", "TAG*",
    "COLL*", "PRISON*", "LK-*", "سرية*", "سريةموظفي", "سريةمحجو", "راوي*", "وسم*", "عنوان*",
    "narrator:راوي*", "decade:1950", "SECRETSTAFF OR SECRETRSRCH OR SECRETDRAFT OR SECRETEMBRG "
    "OR SECRETGONE OR SECRETPASSAGE OR SECRETTRANSCRIPT",
]  # fmt: skip
FACET_PROBES = [
    {"type": "song"}, {"decade": "1950"}, {"narrator": "راويموظفين"}, {"tag": "وسمموظفين"},
    {"collection": "COLLSTAFF"}, {"place": "PRISONSTAFF"}, {"narrator": "راويباحثين"},
]  # fmt: skip


def with_query(url: str, params: dict) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


class Walk:
    """Requests as one visitor, and what they must not find."""

    def __init__(self, app, catalogue: Catalogue, who: str):
        self.app, self.catalogue, self.who = app, catalogue, who
        self.client = client_as(app, who)
        self.hidden = HIDDEN[who]
        self.words = [(key, w) for key in self.hidden for w in markers(key)]
        self.patterns = [(key, p) for key in self.hidden for p in catalogue.url_markers(key)]
        self.requests = 0
        self.leaks: list[str] = []

    def leaked(self, url: str, response) -> list[str]:
        """Markers of hidden things in the response, except an echo of the URL asked for."""
        asked = _unquoted(url)
        page = response.get_data().decode("utf-8", "replace")
        headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
        haystack = page + "\n" + _unquoted(headers)
        found = [f"{key}: {w!r}" for key, w in self.words if w in haystack and w not in asked]
        found += [f"{key}: {p.pattern}" for key, p in self.patterns
                  if p.search(haystack) and not p.search(asked)]  # fmt: skip
        return found

    def request(self, method: str, url: str, target: Target | None = None, **kwargs):
        response = self.client.open(url, method=method, **kwargs)
        response.get_data()  # read (and keep) the whole body, then let go of the file
        response.close()
        self.requests += 1
        status = response.status_code
        where = f"{self.who} {method} {url} -> {status}"
        if status >= 500:
            self.leaks.append(f"{where}: server error")
        for leak in self.leaked(url, response):
            self.leaks.append(f"{where}: shows {leak}")
        if target is not None and self.who != "archivist":
            self.check_refusal(target, response, where, kwargs)
        return response

    def check_refusal(self, target: Target, response, where: str, kwargs: dict) -> None:
        status = response.status_code
        if target.staff_route:
            if status in (302, 303):
                location = response.headers.get("Location", "")
                if "/login" not in location:
                    self.leaks.append(f"{where}: staff route redirects to {location}")
            elif status not in (400, 401, 403, 404, 405):
                self.leaks.append(f"{where}: a staff route answered a {self.who}")
            return
        hidden = target.owners & self.hidden
        if not hidden or status == 405:
            return
        allowed = {410, 404} if "GONE" in hidden else {404}
        if status in allowed:
            return
        # Otherwise the route must answer exactly as it does for a thing that does not exist.
        method = response.request.method
        fresh = "" if method in ("GET", "HEAD") else f"{NOWHERE}-{self.requests}"
        nowhere = target.nowhere_url(self.app, self.hidden, fresh)
        if nowhere is None:
            self.leaks.append(f"{where}: hidden {sorted(hidden)} should be {sorted(allowed)}")
            return
        if method in ("GET", "HEAD"):
            # Both asked afresh, one after the other (a message flashed by an earlier
            # request shows on the next page only).
            again = self.client.open(target.url, method=method, **kwargs)
        else:  # a POST's first answer, beside the first answer for a thing never asked for
            again = response
        other = self.client.open(nowhere, method=method, **kwargs)
        mine, theirs = self.comparable(again, target), self.comparable(other, target, fresh)
        if (again.status_code, mine) != (other.status_code, theirs):
            self.leaks.append(
                f"{where}: hidden {sorted(hidden)} answers unlike {nowhere} "
                f"({other.status_code}), so it tells the thing is there"
            )

    def comparable(self, response, target: Target, fresh: str = "") -> str:
        """The answer with the hidden values (or those standing in for them) blanked."""
        page = without_tokens(response.get_data().decode("utf-8", "replace"))
        page += "\nLocation: " + response.headers.get("Location", "")
        values = [str(v) for _, v, owner in target.args if owner in self.hidden]
        for value in sorted({*values, fresh or NOWHERE, "999999"}, key=len, reverse=True):
            page = page.replace(value, "X")
        return page


def without_tokens(page: str) -> str:
    """A page without its CSRF tokens (signed with the time, so different at each request)."""
    return re.sub(r'(name="csrf[-_]token"[^>]*(?:content|value)=")[^"]+', r"\1", page)


def _unquoted(text: str) -> str:
    return unquote(text)


def walk_gets(walk: Walk, langs=("ar", "en")) -> None:
    """GET and HEAD every URL of every GET rule, in Arabic and English, plus search probes."""
    found = targets(walk.app, walk.catalogue, {"GET"})
    for lang in langs:
        walk.client.get(f"/?lang={lang}")
        for target in found:
            response = walk.request("GET", target.url, target)
            if lang == langs[0]:
                head = walk.request("HEAD", target.url, target)
                if head.status_code != response.status_code:
                    walk.leaks.append(f"{walk.who} HEAD {target.url}: {head.status_code} "
                                      f"but GET {response.status_code}")  # fmt: skip
            if target.owners or target.rule.startswith("/static"):
                continue
            if lang == langs[0] or target.endpoint.startswith(("search.", "authority.suggest")):
                for probe in PROBES:
                    walk.request("GET", with_query(target.url, {"q": probe}), target)
            if target.endpoint.startswith("search."):
                for facet in FACET_PROBES:
                    walk.request("GET", with_query(target.url, facet), target)


def test_every_rule_is_walked(world):
    """The walk knows every argument of every rule (a new route with a new argument fails)."""
    app, catalogue = world
    found = targets(app, catalogue, {"GET", "POST", "PUT", "PATCH", "DELETE"})
    walked = {t.rule for t in found}
    every = {rule.rule for rule in app.url_map.iter_rules()}
    assert walked == every
    print(f"\n{len(every)} rules, {len(found)} URLs:\n" + "\n".join(sorted(every)))


def test_archivist_sees_every_fixture(world):
    """The fixtures are real: staff find every marker where the others must not."""
    app, catalogue = world
    walk = Walk(app, catalogue, "archivist")
    for key in KEYS:
        page = walk.request("GET", f"/manage/items/{identifier(key)}").get_data(as_text=True)
        assert words(key)["title_en"] in page and words(key)["collection"] in page
        found = walk.request("GET", f"/items/{identifier(key)}")
        assert found.status_code == 200, key
        assert f"TITLE{key}" in found.get_data(as_text=True)
        original = walk.request("GET", f"/media/{catalogue.recordings[key]}/original")
        assert original.status_code == 200 and original.data[4:8] == b"ftyp"
        access = walk.request("GET", f"/media/{catalogue.recordings[key]}/access")
        assert access.status_code == (404 if key == "GONE" else 200), key  # withdrawn: removed
        if key != "GONE":
            assert (
                walk.request("GET", f"/media/{catalogue.recordings[key]}/poster").status_code == 200
            )
            assert (
                walk.request("GET", f"/media/{catalogue.recordings[key]}/small").status_code == 200
            )
            assert (
                walk.request("GET", f"/media/{catalogue.recordings[key]}/peaks").status_code == 200
            )
    page = walk.request("GET", f"/items/{identifier('WHELD')}").get_data(as_text=True)
    assert "SECRETPASSAGE" in page
    english = next(n for n, k in catalogue.transcripts.items() if k == TRANSCRIPT)
    vtt = walk.request("GET", f"/items/{identifier('PUBLIC')}/transcripts/{english}.vtt")
    assert vtt.status_code == 200 and "SECRETTRANSCRIPT" in vtt.get_data(as_text=True)
    body = walk.request("GET", "/api/search?q=SECRET*&per_page=100").get_json()
    gone = {identifier("GONE")}  # a withdrawn item leaves the index
    assert {r["identifier"] for r in body["results"]} | gone == {identifier(k) for k in KEYS}
    assert walk.leaks == []


@pytest.mark.slow  # every GET route, every argument, two languages, search probes
@pytest.mark.parametrize("who", ["anonymous", "researcher", "pending"])
def test_walk_every_get_route_finds_no_leak(world, who):
    app, catalogue = world
    # Staff first: a page rendered for them and kept (a cache) must not reach the others.
    walk_gets(Walk(app, catalogue, "archivist"), langs=("ar",))
    walk = Walk(app, catalogue, who)
    walk_gets(walk)
    print(f"\n{who}: {walk.requests} requests")
    assert walk.leaks == [], f"{len(walk.leaks)} leak(s):\n" + "\n".join(walk.leaks[:60])


# --- totals and counts ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "researcher", "pending", "archivist"])
def test_totals_and_facet_counts_count_only_what_may_be_seen(world, who):
    app, _catalogue = world
    client = client_as(app, who)
    visible = VISIBLE[who] - ({"GONE"} if who == "archivist" else set())  # withdrawn: unindexed
    for q in ("", "نفحة", "SECRET*", "راوي*"):
        body = client.get("/api/search", query_string={"q": q, "per_page": 100}).get_json()
        assert body["total"] == len(visible), (who, q, body["total"])
        assert {r["identifier"] for r in body["results"]} == {identifier(k) for k in visible}
        facets = {name: {e["value"]: e["count"] for e in entries}
                  for name, entries in body["facets"].items()}  # fmt: skip
        assert facets["narrator"].get(SHARED["narrator"]) == len(visible), (who, q)
        assert facets["tag"].get(SHARED["tag"]) == len(visible), (who, q)
        assert facets["collection"].get(SHARED["collection"]) == len(visible), (who, q)
        assert facets["place"].get(SHARED["place"]) == len(visible), (who, q)
        types = {}
        for key in visible:
            types[SPECS[key][3]] = types.get(SPECS[key][3], 0) + 1
        assert facets["type"] == types, (who, q)
        decades = {}
        for key in visible:
            decade = str(int(SPECS[key][4][:4]) // 10 * 10)
            decades[decade] = decades.get(decade, 0) + 1
        assert {str(k): v for k, v in facets["decade"].items()} == decades, (who, q)
        own = {words(k)["narrator"] for k in visible} | {SHARED["narrator"]}
        assert set(facets["narrator"]) == own, (who, q)


@pytest.mark.parametrize("who", ["anonymous", "researcher", "pending"])
def test_browse_counts_count_only_what_may_be_seen(world, who):
    """The browsing pages' counts: the shared tag, person, collection and place are in every
    item, so each page shows the number of visible items beside them, never more."""
    app, catalogue = world
    count = len(VISIBLE[who])
    with app.app_context():
        from archive.discovery import browse
        from archive.models import User

        user = None
        if who != "anonymous":
            user = db.session.scalar(select(User).where(User.email == EMAILS[who]))
        assert browse.totals(user)["items"] == count
        assert sum(n for _, n in browse.type_counts(user)) == count
        assert sum(n for _, n in browse.decade_counts(user)) == count
        for kind, records in (("people", catalogue.people), ("tags", catalogue.tags),
                              ("collections", catalogue.collections),
                              ("places", catalogue.places)):  # fmt: skip
            counts = browse.subject_counts(kind, user)
            shared = next(n for n, k in records.items() if k is None)
            assert counts[shared] == count, (kind, counts)
            assert {records[n] for n in counts} <= VISIBLE[who] | {None}, kind
        db.session.remove()
    client = client_as(app, who)
    for path, kind, records in (
        ("/browse/tags", "tags", catalogue.tags),
        ("/browse/people", "people", catalogue.people),
        ("/collections", "collections", catalogue.collections),
        ("/browse/places", "places", catalogue.places),
    ):
        page = client.get(path).get_data(as_text=True)
        shared = next(n for n, k in records.items() if k is None)
        beside = re.search(
            rf'href="/{kind}/{shared}"[^>]*>[^<]*</a>\s*<bdi class="count">(\d+)<', page
        )
        assert beside and int(beside.group(1)) == count, (path, beside and beside.group(1))
    figures = client.get("/figures").get_data(as_text=True)
    assert re.search(r'id="figure-items"><bdi>(\d+)<', figures).group(1) == str(count)
    types = client.get("/browse/types").get_data(as_text=True)
    assert sum(map(int, re.findall(r'<td class="count"><bdi>(\d+)<', types))) == count


# --- POSTs ------------------------------------------------------------------------------------

# POST routes outside /manage that anyone may use, and the tables their use may change.
PUBLIC_POSTS = {
    "auth.login": {"login_attempts", "login_counters"},
    "auth.logout": {"users"},  # the account's session version: every session of it ends
    "auth.reauth": {"login_attempts", "login_counters"},
    "accounts.register": {"users", "audit_events"},  # a researcher account waiting for approval
    "accounts.request_access": {"access_requests", "audit_events"},
    "accounts.logout_everywhere": {"users", "audit_events"},  # one's own sessions
    "oai.endpoint": {"harvest_records"},  # a harvest brings the records' datestamps up to date
    "accounts.create_token": {"api_tokens", "audit_events"},  # one's own API token
    "accounts.revoke_token": set(),
    "accounts.mail_language": {"users"},  # the language of one's own mail
    # The API's writes: only with a read-write token of a staff account (never a cookie).
    "api.create_item": set(),
    "api.update_item": set(),
    "api.publish_item": set(),
    "api.unpublish_item": set(),
    "api.attach_transcript": set(),
    "api.ingest_recording": set(),
    "api.add_recording": set(),
}
FORM = {
    "title": "HACKED", "title_en": "HACKED", "access": "public", "status": "published",
    "reason": "HACKED", "confirm": "LK-STAFF", "label": "HACKED", "label_en": "HACKED",
    "name": "HACKED", "role": "admin", "other": "1", "merge_into": "وسم مشترك",
    "restricted": "0", "embargo_until": "", "email": "x@example.org",
}  # fmt: skip


def snapshot(app) -> dict:
    """Every row of every table (but the login attempts), and every stored file."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            if table.name == "login_attempts":
                continue
            rows[table.name] = sorted(
                map(repr, db.session.execute(text(f'SELECT * FROM "{table.name}"')).all())
            )
        db.session.remove()
    media = Path(app.config["MEDIA"]["ROOT"])
    files = sorted((p.as_posix(), p.stat().st_size) for p in media.rglob("*") if p.is_file())
    return {"rows": rows, "files": files}


@pytest.mark.slow  # every staff route, three ways, and every table compared
@pytest.mark.parametrize("who", ["anonymous", "researcher", "pending"])
def test_posts_to_staff_routes_change_nothing(world, who):
    app, catalogue = world
    walk = Walk(app, catalogue, who)
    token = csrf_token(walk.client)
    found = targets(app, catalogue, {"POST", "PUT", "PATCH", "DELETE"})
    unknown = {t.endpoint for t in found if not t.staff_route and t.endpoint not in PUBLIC_POSTS}
    assert not unknown, (
        f"POST routes outside /manage: {sorted(unknown)}; say in PUBLIC_POSTS which tables "
        "their use may change, or move them under /manage"
    )
    before = snapshot(app)
    for target in (t for t in found if t.staff_route):
        for headers, data in (
            ({}, FORM),  # no CSRF token
            ({"X-CSRFToken": token}, {**FORM, "csrf_token": token}),
            ({"X-CSRFToken": token, "Accept": "application/json"}, {**FORM, "csrf_token": token}),
        ):
            walk.request("POST", target.url, target, data=data, headers=headers)
    assert walk.leaks == [], "\n".join(walk.leaks[:60])
    after = snapshot(app)
    changed = [name for name in before["rows"] if before["rows"][name] != after["rows"][name]]
    assert changed == [] and before["files"] == after["files"], changed
    print(f"\n{who}: {walk.requests} POSTs to staff routes, nothing changed")


def test_unknown_items_and_hidden_items_answer_alike(world):
    """A hidden item's URLs answer exactly like those of an item that does not exist."""
    app, catalogue = world
    for who in ("anonymous", "researcher"):
        client = client_as(app, who)
        nowhere = client.get(f"/items/{NOWHERE}")
        for key in HIDDEN[who] & set(KEYS):
            response = client.get(f"/items/{identifier(key)}")
            if key == "GONE":
                assert response.status_code == 410
                continue
            assert response.status_code == nowhere.status_code == 404
            page = without_tokens(response.get_data(as_text=True))
            assert page.replace(identifier(key), NOWHERE) == without_tokens(
                nowhere.get_data(as_text=True)
            )
            for role in ("access", "small", "poster", "peaks", "original"):
                media = client.get(f"/media/{catalogue.recordings[key]}/{role}")
                assert media.status_code == 404, (who, key, role)
                assert client.head(f"/media/{catalogue.recordings[key]}/{role}").status_code == 404
        for role in ("access", "small", "poster", "peaks", "original"):
            gone = client.get(f"/media/{catalogue.recordings['GONE']}/{role}")
            assert gone.status_code in (404, 410), (who, role)


def test_an_embargo_that_ends_opens_every_channel(world):
    """Sanity of the embargo fixture: the same item, once its date has passed, is public."""
    app, catalogue = world
    client = client_as(app, "anonymous")
    assert client.get(f"/items/{identifier('EMBRG')}").status_code == 404
    with app.app_context():
        item = db.session.get(Item, catalogue.items["EMBRG"])
        until = item.embargo_until
        item.embargo_until = utcnow() - timedelta(seconds=1)
        record(None, "describe", item, changes={"embargo_until": "ended"})
        db.session.commit()
        indexing.sync()
        try:
            assert client.get(f"/items/{identifier('EMBRG')}").status_code == 200
            body = client.get("/api/search?q=SECRETEMBRG").get_json()
            assert body["total"] == 1
            media = client.get(f"/media/{catalogue.recordings['EMBRG']}/access")
            media.close()
            assert media.status_code == 200
        finally:
            item = db.session.get(Item, catalogue.items["EMBRG"])
            item.embargo_until = until
            record(None, "describe", item, changes={"embargo_until": "next year"})
            db.session.commit()
            indexing.sync()
            db.session.remove()
    assert client.get(f"/items/{identifier('EMBRG')}").status_code == 404


# What other systems collect: whoever asks, only what an anonymous visitor may see.
OAI_LISTS = [
    {"verb": "Identify"}, {"verb": "ListMetadataFormats"}, {"verb": "ListSets"},
    {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
    {"verb": "ListRecords", "metadataPrefix": "mods"},
]  # fmt: skip
OAI_NS = {"o": "http://www.openarchives.org/OAI/2.0/"}


@pytest.mark.parametrize("who", ["anonymous", "researcher", "archivist"])
def test_harvests_manifests_and_sitemaps_show_only_what_anyone_may_see(world, who):
    """OAI-PMH, IIIF, OHMS and the sitemap answer every visitor, staff included, as they answer
    an anonymous one: no marker of what the public may not see, in any verb, set or format."""
    from xml.etree import ElementTree as ET

    app, catalogue = world
    walk = Walk(app, catalogue, who)
    walk.hidden = HIDDEN["anonymous"]
    walk.words = [(key, w) for key in walk.hidden for w in markers(key)]
    walk.patterns = [(key, p) for key in walk.hidden for p in catalogue.url_markers(key)]
    identifiers = []
    for arguments in OAI_LISTS:
        url = with_query("/oai", arguments)
        while url:
            response = walk.request("GET", url)
            assert response.status_code == 200, url
            root = ET.fromstring(response.data)
            identifiers += [e.text for e in root.iterfind(".//o:header/o:identifier", OAI_NS)]
            token = root.findtext(".//o:resumptionToken", "", OAI_NS)
            url = (
                with_query("/oai", {"verb": arguments["verb"], "resumptionToken": token})
                if token
                else ""
            )
    assert identifiers, "the harvest found nothing"
    assert {i.rsplit(":", 1)[1] for i in identifiers} == {
        identifier(k) for k in VISIBLE["anonymous"]
    }
    prefix = identifiers[0].rsplit(":", 1)[0]
    for key in KEYS:
        for form in ("oai_dc", "mods"):
            params = {"verb": "GetRecord", "identifier": f"{prefix}:{identifier(key)}",
                      "metadataPrefix": form}  # fmt: skip
            body = walk.request("GET", with_query("/oai", params)).get_data(as_text=True)
            assert ("idDoesNotExist" in body) == (key not in VISIBLE["anonymous"]), (key, form)
    for url in ("/sitemap.xml", "/iiif/collections"):
        walk.request("GET", url)
    for key in KEYS:
        for url in (
            f"/iiif/items/{identifier(key)}/manifest",
            f"/items/{identifier(key)}/ohms.xml",
        ):
            response = walk.request("GET", url)
            assert (response.status_code == 200) == (key in VISIBLE["anonymous"]), (
                url,
                response.status_code,
            )
    for collection_id in catalogue.collections:
        walk.request("GET", f"/iiif/collections/{collection_id}")
    assert walk.leaks == [], "\n".join(walk.leaks[:60])


@pytest.mark.parametrize("who", ["anonymous", "researcher"])
def test_public_posts_tell_nothing_and_grant_nothing(world, who):
    """The POST routes outside /manage (login, registration, asking for access), sent with
    hidden items' identifiers and a form asking for every power: no marker in any answer, only
    their own tables change, and nobody becomes staff or approved."""
    app, catalogue = world
    walk = Walk(app, catalogue, who)
    token = csrf_token(walk.client)
    found = [t for t in targets(app, catalogue, {"POST"}) if t.endpoint in PUBLIC_POSTS]
    found.sort(key=lambda t: t.endpoint == "auth.logout")  # log out last
    before = snapshot(app)
    form = {**FORM, "csrf_token": token, "password": "a long enough password",
            "password2": "a long enough password", "approved": "1"}  # fmt: skip
    for target in found:
        walk.request("POST", target.url, target, data=form)
    assert walk.leaks == [], "\n".join(walk.leaks[:60])
    after = snapshot(app)
    allowed = set().union(*(PUBLIC_POSTS[t.endpoint] for t in found))
    changed = {name for name in before["rows"] if before["rows"][name] != after["rows"][name]}
    assert changed <= allowed, changed - allowed
    assert before["files"] == after["files"]
    with app.app_context():
        for user in db.session.scalars(select(User).where(User.email == FORM["email"])):
            assert user.role == "researcher" and not user.approved, (user.role, user.approved)
        db.session.remove()


# --- hostile numbers ----------------------------------------------------------------------------

HOSTILE_NUMBERS = ["9" * 30, "-1", "x1"]  # beyond any database integer, negative, not a number
NUMERIC_ARGUMENTS = ("page", "per_page", "replace", "ids", "id", "t", "item", "recording")


def hostile_urls(app, catalogue: Catalogue, methods: set[str]) -> list[tuple[str, str]]:
    """(method, URL) for every rule answering one of ``methods``: each ``<int:…>`` part in turn
    replaced by each hostile number; and for GET, each numeric query argument set to one."""
    urls = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & methods):
            values = argument_values(app, catalogue, rule)
            needed = sorted(set(rule.arguments) - set(rule.defaults or {}))
            if any(not values[name] for name in needed):
                continue  # (test_every_rule_is_walked says which)
            first = {name: values[name][0][0] for name in needed}
            numeric = [n for n in needed if isinstance(rule._converters[n], IntegerConverter)]
            for name in numeric:
                stand_in = 7_000_000_000_000_000_001  # fits, and shows nowhere else in a URL
                with app.test_request_context():
                    url = url_for(rule.endpoint, **{**first, name: stand_in})
                urls += [(method, url.replace(str(stand_in), n)) for n in HOSTILE_NUMBERS]
            if method == "GET" and not rule.rule.startswith("/static"):
                with app.test_request_context():
                    url = url_for(rule.endpoint, **first)
                urls += [(method, with_query(url, {arg: n}))
                         for arg in NUMERIC_ARGUMENTS for n in HOSTILE_NUMBERS]  # fmt: skip
    return urls


@pytest.mark.parametrize("who", ["anonymous", "archivist"])
def test_hostile_numbers_in_every_route_answer_no_server_error(world, who):
    """A huge, a negative and a non-number in every numeric part and argument: never a 5xx
    (a number no database integer holds once answered 500, from SQLite's overflow)."""
    app, catalogue = world
    walk = Walk(app, catalogue, who)
    token = csrf_token(walk.client)
    found = hostile_urls(app, catalogue, {"GET", "POST"})
    assert any("9" * 30 in url and "/people/" in url for _, url in found)
    before = snapshot(app)
    for method, url in found:
        kwargs = {"data": {"csrf_token": token}} if method == "POST" else {}
        walk.request(method, url, **kwargs)
    assert walk.leaks == [], f"{len(walk.leaks)}:\n" + "\n".join(walk.leaks[:60])
    assert snapshot(app) == before  # no URL named a real thing: nothing changed
    print(f"\n{who}: {walk.requests} requests with hostile numbers")
