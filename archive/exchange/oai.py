"""The OAI-PMH 2.0 protocol: its six verbs, their arguments, its errors and resumption tokens.

:func:`respond` takes a request's arguments (as sent, repeated ones included) and a
:class:`Repository` (what the site's settings say), and gives the XML answer; the web view
(``archive.web.oai``) only reads the request and sends the bytes, always with HTTP 200.

- **Identifiers** are ``oai:<repository identifier>:<accession number>``, the repository
  identifier being ``[OAI] REPOSITORY_IDENTIFIER`` or else the host of ``[SERVER] BASE_URL``.
  An identifier that is not ours, unknown, or of an item never public gets the same
  idDoesNotExist.
- **Records** are those of ``archive.exchange.harvest``: items an anonymous visitor may see, and
  those that were once and are no longer (``status="deleted"``, no metadata, for ever).
- **Arguments** are checked strictly: a repeated, unknown or missing one, an illegal value
  (dates other than ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ``, ``from`` and ``until`` of
  different granularity or ``from`` after ``until``), or a resumptionToken with anything but
  the verb is badArgument; after badVerb and badArgument the ``request`` element carries no
  attributes (section 3.2). A day as ``until`` means the end of that day.
- **Resumption tokens** carry everything (format, ``from``, ``until``, set, the last record
  given, cursor, complete list size, the moment the list was taken and an expiry), signed with
  the application's secret key. One that is forged, garbled, expired, of another verb, or
  whose list changed since it was taken (a record of its selection dated after that moment)
  is badResumptionToken: the harvester starts again rather than miss or repeat records.
  Lists are paged by (datestamp, identifier), never by offset.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from itsdangerous import BadData, URLSafeSerializer
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.access.rules import can_view
from archive.db import db
from archive.exchange import crosswalk, harvest
from archive.models import Credit, HarvestRecord, Item, Recording, is_identifier

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
XSI = crosswalk.XSI
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
TOKEN_SALT = "archive.oai.resumption-token"

LISTS = ("ListIdentifiers", "ListRecords")
#: verb: (required arguments, optional arguments, whether a resumptionToken may stand for them)
VERBS = {
    "Identify": (set(), set(), False),
    "ListMetadataFormats": (set(), {"identifier"}, False),
    "ListSets": (set(), set(), True),
    "GetRecord": ({"identifier", "metadataPrefix"}, set(), False),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}, True),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}, True),
}
# The syntax of values (the protocol's schema; an identifier is a URI).
PREFIX_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
SET_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")
URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+")
DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
SECOND_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
DOMAIN_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(?:\.[a-zA-Z][a-zA-Z0-9\-]*)+")
EMAIL_RE = re.compile(r"\S+@(?:\S+\.)+\S+")
NOT_XML = crosswalk.NOT_XML
TYPE_SETS = "أنواع المواد / Item types"
COLLECTION_SETS = "المجموعات / Collections"


@dataclass(frozen=True)
class Repository:
    """What the settings say about this repository (built by the web view)."""

    name: str
    base_url: str  # this endpoint: the protocol's baseURL
    site_url: str  # the site's address, for the items' pages
    repository_identifier: str  # oai:<this>:<accession number>
    admin_emails: tuple[str, ...]
    page_size: int
    token_lifetime: int  # seconds
    secret: str
    sample_identifier: str = "AR-000001"

    def oai_identifier(self, identifier: str) -> str:
        return f"oai:{self.repository_identifier}:{identifier}"

    def local_identifier(self, oai_identifier: str) -> str | None:
        """The accession number an OAI identifier of ours names, else None."""
        prefix = f"oai:{self.repository_identifier}:"
        if not oai_identifier.startswith(prefix):
            return None
        local = oai_identifier[len(prefix) :]
        return local if is_identifier(local) else None


class OAIError(Exception):
    """An OAI-PMH error condition; ``echo`` says whether the request was valid enough for its
    arguments to be repeated in the ``request`` element."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message
        self.echo = code not in ("badVerb", "badArgument")


def check_settings(oai: dict, base_url: str) -> None:
    """Refuse settings the protocol cannot work with (called when the app starts)."""
    for key in ("PAGE_SIZE", "TOKEN_LIFETIME"):
        value = oai.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"[OAI] {key} must be a whole number of at least 1, not {value!r}")
    named = oai.get("REPOSITORY_IDENTIFIER") or ""
    if named and not DOMAIN_RE.fullmatch(named):
        raise ValueError(
            f"[OAI] REPOSITORY_IDENTIFIER must be a domain name such as archive.example.org, "
            f"not {named!r}"
        )
    for address in admin_emails(oai, base_url):
        if not EMAIL_RE.fullmatch(address):
            raise ValueError(f"[OAI] ADMIN_EMAIL: {address!r} is not an e-mail address")


def admin_emails(oai: dict, base_url: str) -> tuple[str, ...]:
    """``ADMIN_EMAIL`` (one address or a list), or else ``webmaster@`` the site's host (RFC
    2142's mailbox for a web service; ``.localdomain`` added to a host without a dot, so
    that it has the form the protocol requires)."""
    named = oai.get("ADMIN_EMAIL") or ()
    addresses = (named,) if isinstance(named, str) else tuple(named)
    addresses = tuple(a.strip() for a in addresses if a and a.strip())
    if addresses:
        return addresses
    host = urlsplit(base_url).hostname or "localhost"
    return (f"webmaster@{host if '.' in host else host + '.localdomain'}",)


# --- the request ------------------------------------------------------------------------------


def respond(arguments: list[tuple[str, str]], repository: Repository) -> bytes:
    """The XML answer to one OAI-PMH request with ``arguments`` (name, value) as sent."""
    try:
        verb, args = parse(arguments)
    except OAIError as error:
        return _document(harvest.now_seconds(), repository, None, _errors(error))
    snapshot = harvest.reconcile()
    request = {"verb": verb, **args}
    try:
        body = HANDLERS[verb](args, repository, snapshot)
    except OAIError as error:
        return _document(snapshot, repository, request if error.echo else None, _errors(error))
    return _document(snapshot, repository, request, body)


def parse(arguments: list[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """The verb and its other arguments, checked; OAIError (badVerb, badArgument) else."""
    verbs = [value for name, value in arguments if name == "verb"]
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OAIError("badVerb", "The verb is missing, repeated or not an OAI-PMH verb.")
    verb = verbs[0]
    required, optional, resumable = VERBS[verb]
    args: dict[str, str] = {}
    for name, value in arguments:
        if name == "verb":
            continue
        if name in args:
            raise OAIError("badArgument", f"The argument {name} is repeated.")
        allowed = required | optional | ({"resumptionToken"} if resumable else set())
        if name not in allowed:
            raise OAIError("badArgument", f"{verb} takes no argument {name}.")
        if NOT_XML.search(value) or not value:
            raise OAIError("badArgument", f"The argument {name} has an illegal value.")
        args[name] = value
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OAIError("badArgument", "A resumptionToken is the only argument besides verb.")
        return verb, args
    missing = required - set(args)
    if missing:
        raise OAIError("badArgument", f"{verb} needs the argument {', '.join(sorted(missing))}.")
    if "identifier" in args and not URI_RE.fullmatch(args["identifier"]):
        raise OAIError("badArgument", "The identifier is not a URI.")
    if "metadataPrefix" in args and not PREFIX_RE.fullmatch(args["metadataPrefix"]):
        raise OAIError("badArgument", "The metadataPrefix has an illegal syntax.")
    if "set" in args and not SET_RE.fullmatch(args["set"]):
        raise OAIError("badArgument", "The set has an illegal syntax.")
    since = _date(args.get("from"), end=False)
    until = _date(args.get("until"), end=True)
    if since and until:
        if since[1] != until[1]:
            raise OAIError("badArgument", "from and until have different granularities.")
        if since[0] > until[0]:
            raise OAIError("badArgument", "from is later than until.")
    return verb, args


def _date(value: str | None, *, end: bool) -> tuple[datetime, str] | None:
    """(the moment, its granularity) of a ``from`` (``end`` False) or ``until`` argument."""
    if value is None:
        return None
    with suppress(ValueError):  # a day or a time that does not exist: refused below
        if DAY_RE.fullmatch(value):
            day = datetime.strptime(value, "%Y-%m-%d")
            return (day + timedelta(days=1, seconds=-1) if end else day), "day"
        if SECOND_RE.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ"), "second"
    raise OAIError("badArgument", f"{value!r} is not a date YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.")


# --- the verbs ----------------------------------------------------------------------------------


def identify(args: dict, repository: Repository, snapshot: datetime) -> etree._Element:
    body = _oai("Identify")
    _oai("repositoryName", repository.name, parent=body)
    _oai("baseURL", repository.base_url, parent=body)
    _oai("protocolVersion", "2.0", parent=body)
    for address in repository.admin_emails:
        _oai("adminEmail", address, parent=body)
    _oai("earliestDatestamp", _stamp(harvest.earliest() or snapshot), parent=body)
    _oai("deletedRecord", "persistent", parent=body)
    _oai("granularity", GRANULARITY, parent=body)
    if DOMAIN_RE.fullmatch(repository.repository_identifier):
        description = _oai("description", parent=body)
        scheme = etree.SubElement(
            description, f"{{{OAI_IDENTIFIER}}}oai-identifier", nsmap={None: OAI_IDENTIFIER}
        )
        scheme.set(f"{{{XSI}}}schemaLocation", f"{OAI_IDENTIFIER} {OAI_IDENTIFIER_SCHEMA}")
        for name, value in (
            ("scheme", "oai"),
            ("repositoryIdentifier", repository.repository_identifier),
            ("delimiter", ":"),
            ("sampleIdentifier", repository.oai_identifier(repository.sample_identifier)),
        ):
            etree.SubElement(scheme, f"{{{OAI_IDENTIFIER}}}{name}").text = value
    return body


def list_metadata_formats(args: dict, repository: Repository, snapshot: datetime):
    if "identifier" in args:
        _record_named(args["identifier"], repository)
    # Every record is offered in every format, so noMetadataFormats never occurs (it would be
    # for an item that exists but can be given in no format).
    body = _oai("ListMetadataFormats")
    for form in crosswalk.FORMATS.values():
        entry = _oai("metadataFormat", parent=body)
        _oai("metadataPrefix", form.prefix, parent=entry)
        _oai("schema", form.schema, parent=entry)
        _oai("metadataNamespace", form.namespace, parent=entry)
    return body


def get_record(args: dict, repository: Repository, snapshot: datetime):
    form = _format(args["metadataPrefix"])
    found = _record_named(args["identifier"], repository)
    body = _oai("GetRecord")
    body.append(_records([found], form, repository)[0])
    return body


def list_sets(args: dict, repository: Repository, snapshot: datetime):
    found = harvest.sets()
    if not found:
        # Only when no item is public at all: a set list may not be empty (the schema).
        raise OAIError("noSetHierarchy", "The archive has no public item, so no set yet.")
    digest = hashlib.sha256("\n".join(s.spec for s in found).encode()).hexdigest()[:16]
    cursor = 0
    if "resumptionToken" in args:
        state = _read_token(args["resumptionToken"], repository, "ListSets")
        if state["h"] != digest or state["c"] >= len(found):
            raise OAIError("badResumptionToken", "The sets changed since this list began.")
        cursor = state["c"]
    shown = found[cursor : cursor + repository.page_size]
    body = _oai("ListSets")
    for info in shown:
        body.append(_set(info))
    following = cursor + len(shown)
    if following < len(found):
        state = {"v": "ListSets", "c": following, "h": digest}
        _resumption(body, repository, state, len(found), cursor)
    elif cursor:
        _resumption(body, repository, None, len(found), cursor)
    return body


def list_records(args: dict, repository: Repository, snapshot: datetime, verb="ListRecords"):
    if "resumptionToken" in args:
        state = _read_token(args["resumptionToken"], repository, verb)
        form = _format(state["p"])
        since, until, spec = _moment(state["f"]), _moment(state["u"]), state["s"]
        if harvest.changed_since(_moment(state["t"]), since=since, spec=spec):
            raise OAIError("badResumptionToken", "The list changed since it began: start again.")
        after = (_moment(state["d"]), state["i"])
        cursor, total, taken = state["c"], state["n"], state["t"]
    else:
        form = _format(args["metadataPrefix"])
        since = _date(args.get("from"), end=False)
        until = _date(args.get("until"), end=True)
        since = since[0] if since else None
        # The list is the one true at this moment: later changes wait for the next harvest.
        until = min(until[0], snapshot) if until else snapshot
        spec = args.get("set")
        after, cursor, taken = None, 0, _epoch(snapshot)
        total = harvest.count(harvest.scope(since=since, until=until, spec=spec))
        if total == 0:
            raise OAIError("noRecordsMatch", "No record matches these arguments.")
    where = harvest.scope(since=since, until=until, spec=spec)
    found = harvest.page(where, after, repository.page_size + 1)
    shown = found[: repository.page_size]
    if not shown:
        raise OAIError("badResumptionToken", "The list changed since it began: start again.")
    body = _oai(verb)
    if verb == "ListRecords":
        body.extend(_records(shown, form, repository))
    else:
        body.extend(_header(record, repository) for record in shown)
    if len(found) > len(shown):
        last = shown[-1]
        state = {"v": verb, "p": form.prefix, "f": _epoch(since), "u": _epoch(until),
                 "s": spec, "d": _epoch(last.datestamp), "i": last.identifier,
                 "c": cursor + len(shown), "n": max(total, cursor + len(found)), "t": taken}  # fmt: skip
        _resumption(body, repository, state, state["n"], cursor)
    elif cursor:
        _resumption(body, repository, None, max(total, cursor + len(shown)), cursor)
    return body


def list_identifiers(args: dict, repository: Repository, snapshot: datetime):
    return list_records(args, repository, snapshot, verb="ListIdentifiers")


HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}


# --- records ----------------------------------------------------------------------------------


def _format(prefix: str) -> crosswalk.Format:
    form = crosswalk.FORMATS.get(prefix)
    if form is None:
        raise OAIError("cannotDisseminateFormat", f"No format {prefix}: use oai_dc or mods.")
    return form


def _record_named(identifier: str, repository: Repository) -> HarvestRecord:
    local = repository.local_identifier(identifier)
    found = harvest.record(local) if local else None
    if found is None:  # not ours, unknown, or never public: one answer for all
        raise OAIError("idDoesNotExist", "No record has this identifier.")
    return found


def _header(record: HarvestRecord, repository: Repository, *, deleted: bool | None = None):
    header = _oai("header")
    if record.deleted if deleted is None else deleted:
        header.set("status", "deleted")
    _oai("identifier", repository.oai_identifier(record.identifier), parent=header)
    _oai("datestamp", _stamp(record.datestamp), parent=header)
    for spec in record.sets or []:
        _oai("setSpec", spec, parent=header)
    return header


def _records(records: list[HarvestRecord], form, repository: Repository) -> list:
    """``<record>`` elements: the header, and the metadata of those visible now."""
    ids = [r.item_id for r in records if not r.deleted and r.item_id is not None]
    items = {
        item.id: item
        for item in db.session.scalars(
            select(Item)
            .where(Item.id.in_(ids))
            .options(
                selectinload(Item.credits).joinedload(Credit.person),
                selectinload(Item.tags),
                selectinload(Item.collections),
                selectinload(Item.prisons),
                selectinload(Item.recordings).selectinload(Recording.files),
            )
        )
    }
    made = []
    for record in records:
        item = items.get(record.item_id) if not record.deleted else None
        # Visible at the snapshot but hidden since (the next reconcile dates its deletion):
        # nothing of it is shown now.
        if item is not None and not can_view(None, item):
            item = None
        element = _oai("record")
        element.append(_header(record, repository, deleted=item is None))
        if item is not None:
            metadata = _oai("metadata", parent=element)
            metadata.append(form.element(item, repository.site_url, publisher=repository.name))
        made.append(element)
    return made


def _set(info: harvest.SetInfo):
    element = _oai("set")
    _oai("setSpec", info.spec, parent=element)
    if info.collection is not None:
        collection = info.collection
        name = crosswalk.clean(collection.title) or crosswalk.clean(collection.title_en)
        _oai("setName", name or info.spec, parent=element)
        titles = [(collection.title, "ar"), (collection.title_en, "en")]
        about = [(collection.description, "ar"), (collection.description_en, "en")]
    elif info.type_code is not None:
        english, arabic = crosswalk.TYPE_LABELS.get(info.type_code, (info.type_code, ""))
        _oai("setName", f"{arabic} / {english}" if arabic else english, parent=element)
        titles, about = [(arabic, "ar"), (english, "en")], []
    else:
        _oai("setName", COLLECTION_SETS if info.spec == harvest.COLLECTION else TYPE_SETS,
             parent=element)  # fmt: skip
        return element
    description = _oai("setDescription", parent=element)
    dc = etree.SubElement(
        description,
        f"{{{crosswalk.OAI_DC}}}dc",
        nsmap={"oai_dc": crosswalk.OAI_DC, "dc": crosswalk.DC, "xsi": XSI},
    )
    dc.set(f"{{{XSI}}}schemaLocation", f"{crosswalk.OAI_DC} {crosswalk.FORMATS['oai_dc'].schema}")
    for name, pairs in (("title", titles), ("description", about)):
        for text, lang in pairs:
            if crosswalk.clean(text):
                child = etree.SubElement(dc, f"{{{crosswalk.DC}}}{name}")
                child.text = crosswalk.clean(text)
                child.set(crosswalk.XML_LANG, lang)
    return element


# --- resumption tokens --------------------------------------------------------------------------


def _serializer(repository: Repository) -> URLSafeSerializer:
    return URLSafeSerializer(repository.secret, salt=TOKEN_SALT)


def make_token(state: dict, repository: Repository, expires: datetime) -> str:
    """A signed token carrying ``state`` and its expiry."""
    return _serializer(repository).dumps({**state, "e": _epoch(expires)})


def _read_token(token: str, repository: Repository, verb: str) -> dict:
    try:
        state = _serializer(repository).loads(token)
        valid = isinstance(state, dict) and state.get("v") == verb
        expired = valid and harvest.now_seconds() > _moment(state["e"])
    except (BadData, KeyError, TypeError, ValueError, OverflowError, OSError):
        valid, expired = False, False
    if not valid:
        raise OAIError("badResumptionToken", "This resumption token is not one of ours.")
    if expired:
        raise OAIError("badResumptionToken", "This resumption token has expired: start again.")
    return state


def _resumption(body, repository: Repository, state: dict | None, total: int, cursor: int):
    element = _oai("resumptionToken", parent=body)
    element.set("completeListSize", str(total))
    element.set("cursor", str(cursor))
    if state is not None:
        expires = harvest.now_seconds() + timedelta(seconds=repository.token_lifetime)
        element.set("expirationDate", _stamp(expires))
        element.text = make_token(state, repository, expires)


# --- the document -------------------------------------------------------------------------------


def _oai(name: str, text: str | None = None, *, parent=None):
    tag = f"{{{OAI}}}{name}"
    element = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _errors(error: OAIError) -> list:
    element = _oai("error", error.message)
    element.set("code", error.code)
    return [element]


def _document(moment: datetime, repository: Repository, request: dict | None, body) -> bytes:
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} {OAI_SCHEMA}")
    _oai("responseDate", _stamp(moment), parent=root)
    asked = _oai("request", repository.base_url, parent=root)
    for name, value in (request or {}).items():
        asked.set(name, value)
    if isinstance(body, list):
        root.extend(body)
    else:
        root.append(body)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.replace(tzinfo=UTC).timestamp())


def _moment(epoch: int | None) -> datetime | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).replace(tzinfo=None)
