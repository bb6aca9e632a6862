"""Operations on items: describe, publish, unpublish, and the listings."""

from __future__ import annotations

import datetime
import re
from typing import Any

from flask import current_app
from sqlalchemy import select

from archive import audit
from archive.access import consent, rights
from archive.access.rules import can_view, is_gone_for, visible_filter
from archive.catalogue import authority
from archive.db import db
from archive.errors import ArchiveError, Gone, NotFound
from archive.models import (
    ACCESS_LEVELS,
    CREDIT_ROLES,
    ITEM_TYPES,
    Credit,
    Item,
    Recording,
    User,
    is_identifier,
    utcnow,
)
from archive.uow import operation

FIELDS = (
    "type", "title", "title_en", "description", "description_en", "languages", "date",
    "place", "access", "rights", "download", "notes", "embargo_until",
    "release_reference", "release_date", "release_access", "release_restriction",
)  # fmt: skip
ROLE_FIELDS = {f"{role}s": role for role in CREDIT_ROLES}  # "narrators" -> "narrator"
LIST_FIELDS = ("tags", "collections", "prisons", *ROLE_FIELDS)
DATE_RE = re.compile(r"(?:circa )?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
DAY_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def get_item(identifier: str, user: User | None) -> Item:
    """The item, if ``user`` may see it; NotFound either way otherwise (no existence leak).

    A withdrawn item is Gone (410), saying nothing more, to those who could see it before;
    staff still see it.
    """
    item = db.session.scalar(select(Item).where(Item.identifier == identifier))
    if item is not None and is_gone_for(user, item):
        raise Gone("This item has been withdrawn.")
    if item is None or not can_view(user, item):
        raise NotFound(f"No item {identifier}.")
    return item


def visible_items(user: User | None, *, page: int = 1, per_page: int = 20):
    """Items ``user`` may see, newest first, one page of them."""
    query = (
        select(Item).where(visible_filter(user)).order_by(Item.created_at.desc(), Item.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


@operation
def describe(item: Item, changes: dict[str, Any], *, user: User | None) -> Item:
    """Change an item's description and links; record what changed in the audit trail.

    ``changes`` holds any of FIELDS (text; ``download`` a bool) and LIST_FIELDS
    (lists of names or labels: people are found by any of their names or made,
    tags, collections and prisons by their Arabic label or made).
    """
    unknown = set(changes) - set(FIELDS) - set(LIST_FIELDS)
    if unknown:
        raise ArchiveError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    values = {field: check_field(field, changes[field]) for field in FIELDS if field in changes}
    consent.cap(item, values)  # the access never more open than the narrator's release
    title = values.get("title", item.title)
    title_en = values.get("title_en", item.title_en)
    if not (title or "").strip() and not (title_en or "").strip():
        raise ArchiveError("An item needs a title, in Arabic or in English.")
    diff = {}
    for field, value in values.items():
        if getattr(item, field) != value:
            diff[field] = [_recorded(getattr(item, field)), _recorded(value)]
            setattr(item, field, value)
    for field in LIST_FIELDS:
        if field in changes:
            before, after = _set_links(item, field, _names(changes[field]))
            if before != after:
                diff[field] = [before, after]
    if diff:
        audit.record(user, "describe", item, changes=diff)
    return item


def check_field(field: str, value: Any) -> Any:
    """The value to store for ``field``, or ArchiveError saying what is wrong with it."""
    if field == "download":
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in ("", "yes", "no", "true", "false", "1", "0"):
                raise ArchiveError(f"download must be yes or no, not '{value}'.")
            return lowered in ("yes", "true", "1")
        return bool(value)
    if field == "embargo_until":
        return check_day(value)
    value = "" if value is None else str(value)
    if field in ("title", "title_en", "place"):
        value = value.strip()
    if field == "type" and value not in ITEM_TYPES:
        raise ArchiveError(f"Unknown type '{value}': use one of {', '.join(ITEM_TYPES)}.")
    if field == "access" and value not in ACCESS_LEVELS:
        raise ArchiveError(
            f"Unknown access level '{value}': use one of {', '.join(ACCESS_LEVELS)}."
        )
    if field == "rights" and value and rights.statement(value) is None:
        raise ArchiveError(f"Unknown rights statement '{value}'.")
    if field == "release_access":
        return consent.check_release_access(value)
    if field in ("date", "release_date") and value:
        value = value.strip()
        check_date(value)
    if field == "release_reference":
        value = value.strip()
    if field == "languages":
        codes = [code.strip() for code in value.replace(",", "|").split("|") if code.strip()]
        for code in codes:
            if not LANGUAGE_RE.fullmatch(code):
                raise ArchiveError(f"'{code}' is not a language code (such as ar, en, fr).")
        value = "|".join(dict.fromkeys(codes))
    return value


def check_date(value: str) -> None:
    """Accept YYYY, YYYY-MM, YYYY-MM-DD or 'circa YYYY', and only real dates."""
    match = DATE_RE.fullmatch(value)
    if match is None or (value.startswith("circa") and match.group(2)):
        raise ArchiveError(f"Date '{value}' is not YYYY, YYYY-MM, YYYY-MM-DD or 'circa YYYY'.")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        datetime.date(year, month or 1, day or 1)
    except ValueError:
        raise ArchiveError(f"Date '{value}' does not exist.") from None


def check_day(value: Any) -> datetime.datetime | None:
    """An embargo's end: a YYYY-MM-DD date (midnight UTC) or None when empty."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    text = str(value).strip()
    if not text:
        return None
    match = DAY_RE.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        return datetime.datetime(*(int(g) for g in match.groups()))
    except ValueError:
        raise ArchiveError(f"Embargo date '{text}' is not a real date YYYY-MM-DD.") from None


def _recorded(value: Any) -> Any:
    """A value as the audit trail (JSON) keeps it: dates as YYYY-MM-DD."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return value


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split("|")
    return [name for name in (authority.clean(v) for v in value) if name]


def _set_links(item: Item, field: str, names: list[str]) -> tuple[list[str], list[str]]:
    """Point ``item`` at the records named ``names``; return the names before and after."""
    if field in ROLE_FIELDS:
        role = ROLE_FIELDS[field]
        before = [p.name for p in item.people_in(role)]
        people = list({p.id: p for p in (authority.person_for(n) for n in names)}.values())
        credited = {c.person_id: c for c in item.credits if c.role == role}
        others = [c for c in item.credits if c.role != role]
        chosen = []
        for position, person in enumerate(people):
            credit = credited.get(person.id) or Credit(person=person, role=role)
            credit.position = position
            chosen.append(credit)
        item.credits = others + chosen
        return before, [p.name for p in people]
    maker, attribute, label = {
        "tags": (authority.tag_for, "tags", "label"),
        "collections": (authority.collection_for, "collections", "title"),
        "prisons": (authority.place_for, "prisons", "name"),
    }[field]
    before = [getattr(record, label) for record in getattr(item, attribute)]
    records = list({r.id: r for r in (maker(n) for n in names)}.values())
    setattr(item, attribute, records)
    return before, [getattr(record, label) for record in records]


@operation
def create(
    *, identifier: str | None, title: str, title_en: str = "", type: str, user: User | None
) -> Item:
    """A new draft item with no recording yet."""
    check_new_item(identifier, type)
    if not title.strip() and not title_en.strip():
        raise ArchiveError("An item needs a title, in Arabic or in English.")
    item = new_item(identifier, title.strip(), type)
    item.title_en = title_en.strip()
    audit.record(user, "create", item)
    return item


@operation
def publish(item: Item, *, user: User | None) -> Item:
    if item.status == "withdrawn":
        raise ArchiveError(
            f"{item.identifier} was withdrawn: reinstate it before publishing it again."
        )
    consent.check(item)
    if item.status != "published":
        item.status = "published"
        item.published_at = item.published_at or utcnow()
        audit.record(user, "publish", item)
    return item


@operation
def unpublish(item: Item, *, user: User | None) -> Item:
    if item.status == "published":
        item.status = "draft"
        audit.record(user, "unpublish", item)
    return item


def catalogue_page(page: int, per_page: int = 50):
    """One page of every item, the last changed first (the staff catalogue)."""
    query = select(Item).order_by(Item.updated_at.desc(), Item.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_recording(recording_id: int | None) -> Recording:
    """Any recording, for staff operations."""
    recording = db.session.get(Recording, recording_id) if recording_id else None
    if recording is None:
        raise NotFound(f"No recording {recording_id}.")
    return recording


def find_item(identifier: str) -> Item:
    """Any item, for staff operations."""
    item = db.session.scalar(select(Item).where(Item.identifier == identifier))
    if item is None:
        raise NotFound(f"No item {identifier}.")
    return item


def check_new_item(identifier: str | None, type: str | None) -> None:
    if type is not None and type not in ITEM_TYPES:
        raise ArchiveError(f"Unknown type '{type}': use one of {', '.join(ITEM_TYPES)}.")
    if identifier is not None:
        check_identifier(identifier)
        if db.session.scalar(select(Item.id).where(Item.identifier == identifier)) is not None:
            raise ArchiveError(f"An item with identifier {identifier} already exists.")


def check_identifier(identifier: str) -> None:
    """ArchiveError saying what a valid identifier is, unless ``identifier`` is one."""
    if not is_identifier(identifier):
        raise ArchiveError(
            f"'{identifier}' is not a valid identifier: use letters, digits, '.', '_' "
            "and '-', starting with a letter or digit, at most 64 characters."
        )


def new_item(identifier: str | None, title: str, type: str) -> Item:
    item = Item(identifier=identifier or _placeholder(), title=title, type=type)
    db.session.add(item)
    db.session.flush()
    if identifier is None:
        item.identifier = next_identifier(item.id)
    return item


def _placeholder() -> str:
    import secrets

    return f"pending-{secrets.token_hex(8)}"


def next_identifier(start: int) -> str:
    """The first free generated identifier (AR-000123) at or after number ``start``."""
    prefix = current_app.config["IDENTIFIER_PREFIX"]
    number = start
    while True:
        candidate = f"{prefix}{number:06d}"
        if db.session.scalar(select(Item.id).where(Item.identifier == candidate)) is None:
            return candidate
        number += 1
