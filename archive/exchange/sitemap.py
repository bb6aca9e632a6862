"""What search engines are told exists: the public pages of the archive, with when each changed.

Only what an anonymous visitor may see is listed (``visible_filter(None)``): the public items'
listening pages, the people, tags, places and collections that have at least one of them, the
types and decades that hold any, and the browse pages. Each entry is an endpoint of the web
views with its arguments and a ``lastmod`` (UTC); building the absolute URLs and the XML is the
web's part (``archive.web.sitemaps``).

The sitemap protocol allows 50,000 URLs in one file; past that the archive answers a sitemap
index pointing at numbered files of at most ``URLS_PER_FILE`` entries, in a stable order
(browse pages, then items, people, tags, places, collections, each by id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from archive.access.rules import visible_filter
from archive.db import db
from archive.discovery.browse import SUBJECTS, decade_counts, type_counts
from archive.exchange import harvest
from archive.models import HarvestRecord, Item

URLS_PER_FILE = 50_000  # the sitemap protocol's limit per file

# Browse pages any visitor can open, in the order they are listed.
BROWSE_ENDPOINTS = (
    "web.home",
    "browse.index",
    "browse.types",
    "browse.decades",
    "browse.people",
    "browse.tags",
    "browse.places",
    "browse.collections",
    "browse.figures",
)

# The page of each kind of subject record, and the argument naming the record.
SUBJECT_PAGES = {
    "people": ("web.person", "person_id"),
    "tags": ("browse.tag", "record_id"),
    "places": ("browse.place", "record_id"),
    "collections": ("browse.collection", "record_id"),
}


@dataclass(frozen=True)
class Entry:
    """One page: the view's endpoint, its arguments, and when what it shows last changed."""

    endpoint: str
    values: dict = field(default_factory=dict, hash=False, compare=False)
    lastmod: datetime | None = None


def entries() -> list[Entry]:
    """Every public page, in the sitemap's order."""
    changed = _item_lastmods()
    newest = max(changed.values(), default=None)
    found = [Entry(endpoint, {}, newest) for endpoint in BROWSE_ENDPOINTS]
    found += [Entry("browse.type_page", {"code": code}, newest) for code, _ in type_counts(None)]
    found += [
        Entry("browse.decade_page", {"decade": decade}, newest) for decade, _ in decade_counts(None)
    ]
    identifiers = dict(
        db.session.execute(select(Item.id, Item.identifier).where(visible_filter(None))).all()
    )
    found += [
        Entry("web.item", {"identifier": identifiers[item_id]}, changed.get(item_id))
        for item_id in sorted(identifiers)
    ]
    for kind, (endpoint, argument) in SUBJECT_PAGES.items():
        found += [
            Entry(endpoint, {argument: record_id}, lastmod)
            for record_id, lastmod in _subject_lastmods(kind, changed)
        ]
    return found


def pages(total: int) -> int:
    """How many sitemap files ``total`` entries need (1 when one file holds them all)."""
    return max(1, -(-total // URLS_PER_FILE))


def page(found: list[Entry], number: int) -> list[Entry]:
    """The entries of sitemap file ``number`` (from 1); empty past the last."""
    start = (number - 1) * URLS_PER_FILE
    return found[start : start + URLS_PER_FILE] if number >= 1 else []


def _item_lastmods() -> dict[int, datetime]:
    """{visible item id: when its public record last changed}: the datestamps OAI-PMH
    harvesters are given (``archive.exchange.harvest``), brought up to date first, so that any
    change (a tag renamed, a transcript corrected, an embargo ended) moves both alike."""
    harvest.reconcile()
    rows = db.session.execute(
        select(Item.id, HarvestRecord.datestamp)
        .join(HarvestRecord, HarvestRecord.item_id == Item.id)
        .where(visible_filter(None))
    ).all()
    return dict(rows)


def _subject_lastmods(kind: str, changed: dict[int, datetime]) -> list[tuple[int, datetime]]:
    """(record id, newest lastmod of its visible items) for the records of ``kind`` having any,
    by id."""
    subject = SUBJECTS[kind]
    links = db.session.execute(
        select(subject.key, subject.item)
        .join(Item, subject.item == Item.id)
        .where(visible_filter(None))
    ).all()
    newest: dict[int, datetime] = {}
    for record_id, item_id in links:
        moment = changed.get(item_id)
        if moment is not None and (record_id not in newest or moment > newest[record_id]):
            newest[record_id] = moment
    return sorted(newest.items())
