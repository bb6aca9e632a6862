"""The staff catalogue as a filtered, sorted listing: one set of filters for /manage/ and the CLI.

Every filter is a SQL condition on ``items`` (subqueries, never Python loops over rows), so a
page of 500 out of 10,000 items is a handful of queries.  The filters come from a flat mapping
(the query string of /manage/, or the options of ``archive batch``) and go back into one, so a
view can be bookmarked, shared and handed to a batch operation unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, select, true
from sqlalchemy.orm import selectinload

from archive.access.rights import RIGHTS
from archive.catalogue.items import LANGUAGE_RE
from archive.db import by_code_point, db
from archive.errors import ArchiveError
from archive.models import (
    ACCESS_LEVELS,
    ITEM_TYPES,
    Credit,
    FixityCheck,
    Item,
    Job,
    MediaFile,
    Recording,
    Transcript,
)

STATUSES = ("draft", "published", "withdrawn")
FLAGS = ("no_transcript", "no_release", "failed_job", "fixity_problem")
SORTS = {  # text in code-point order, alike on SQLite and PostgreSQL (a database's collation not)
    "identifier": by_code_point(Item.identifier),
    "title": by_code_point(Item.title),
    "date": by_code_point(func.replace(Item.date, "circa ", "")),  # circa 1985 among 1985
    "changed": Item.updated_at,
}
PAGE_SIZES = (50, 100, 500)
#: Filters with one value each; FLAGS are on when present.
FIELDS = ("status", "access", "type", "collection", "tag", "person", "decade", "language", "q")
SEARCH_LIMIT = 5000  # matches of the text search taken into the listing


@dataclass
class Filters:
    """What the archivist asked for: each filter, the sort and the page size."""

    values: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    sort: str = "changed"
    order: str = "desc"
    per_page: int = 50

    @classmethod
    def parse(cls, args: Any) -> Filters:
        """Filters from a query string (or any mapping); ArchiveError for a value no filter takes."""
        values = {name: (args.get(name) or "").strip() for name in FIELDS}
        values = {name: value for name, value in values.items() if value}
        checks = {"status": STATUSES, "access": ACCESS_LEVELS, "type": ITEM_TYPES}
        for name, allowed in checks.items():
            if name in values and values[name] not in allowed:
                raise ArchiveError(
                    f"Unknown {name} '{values[name]}': use one of {', '.join(allowed)}."
                )
        for name in ("collection", "tag", "person"):
            if name in values and not values[name].isdigit():
                raise ArchiveError(f"The {name} filter takes a number (its id).")
        if "decade" in values and not (values["decade"].isdigit() and len(values["decade"]) == 4):
            raise ArchiveError("The decade filter takes a year like 1980.")
        if "language" in values and not LANGUAGE_RE.fullmatch(values["language"]):
            raise ArchiveError("The language filter takes a language code, such as ar.")
        flags = {flag for flag in FLAGS if str(args.get(flag) or "") in ("1", "on", "true", "yes")}
        sort = args.get("sort") or "changed"
        if sort not in SORTS:
            raise ArchiveError(f"Unknown sort '{sort}': use one of {', '.join(SORTS)}.")
        order = args.get("order") or ("asc" if sort in ("identifier", "title") else "desc")
        if order not in ("asc", "desc"):
            raise ArchiveError("The order is asc or desc.")
        per_page = str(args.get("per_page") or 50)
        if not per_page.isdigit() or int(per_page) not in PAGE_SIZES:
            raise ArchiveError(f"The page size is one of {', '.join(map(str, PAGE_SIZES))}.")
        return cls(values, flags, sort, order, int(per_page))

    def args(self, **overrides: Any) -> dict[str, Any]:
        """The query string that gives these filters back (for links, forms and pagers)."""
        args: dict[str, Any] = dict(self.values)
        args.update({flag: "1" for flag in sorted(self.flags)})
        if self.sort != "changed":
            args["sort"] = self.sort
        args["order"] = self.order
        if self.per_page != 50:
            args["per_page"] = self.per_page
        args.update(overrides)
        return {k: v for k, v in args.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(self.values or self.flags)


def condition(filters: Filters, *, user=None):
    """The SQL condition on ``Item`` for ``filters`` (the text search runs as ``user``)."""
    v, parts = filters.values, []
    for name in ("status", "access", "type"):
        if name in v:
            parts.append(getattr(Item, name) == v[name])
    if "collection" in v:
        parts.append(Item.collections.any(id=int(v["collection"])))
    if "tag" in v:
        parts.append(Item.tags.any(id=int(v["tag"])))
    if "person" in v:
        parts.append(
            exists().where(Credit.item_id == Item.id, Credit.person_id == int(v["person"]))
        )
    if "decade" in v:
        stem = v["decade"][:3]
        parts.append(or_(Item.date.like(f"{stem}%"), Item.date.like(f"circa {stem}%")))
    if "language" in v:
        bounded = literal("|") + Item.languages + literal("|")
        parts.append(bounded.like(f"%|{v['language']}|%"))
    if "no_transcript" in filters.flags:
        parts.append(~exists().where(Transcript.item_id == Item.id))
    if "no_release" in filters.flags:
        parts.append(Item.release_access == "")
    if "failed_job" in filters.flags:
        parts.append(failed_job_exists())
    if "fixity_problem" in filters.flags:
        parts.append(fixity_problem_exists())
    if "q" in v:
        parts.append(Item.identifier.in_(search_identifiers(v["q"], user)))
    return and_(true(), *parts)


def failed_job_exists():
    """An item one of whose current recordings has a failed job."""
    return (
        select(Job.id)
        .join(Recording, Recording.id == Job.recording_id)
        .where(
            Recording.item_id == Item.id, Recording.superseded_at.is_(None), Job.state == "failed"
        )
        .exists()
    )


def latest_fixity():
    """Each media file's latest fixity check: (media_file_id, outcome)."""
    ranked = select(
        FixityCheck.media_file_id,
        FixityCheck.outcome,
        func.row_number()
        .over(
            partition_by=FixityCheck.media_file_id,
            order_by=(FixityCheck.checked_at.desc(), FixityCheck.id.desc()),
        )
        .label("rank"),
    ).subquery()
    return select(ranked.c.media_file_id, ranked.c.outcome).where(ranked.c.rank == 1).subquery()


def fixity_problem_exists():
    """An item with a stored file whose latest fixity check did not match (or found nothing)."""
    latest = latest_fixity()
    return (
        select(MediaFile.id)
        .join(Recording, Recording.id == MediaFile.recording_id)
        .join(latest, latest.c.media_file_id == MediaFile.id)
        .where(Recording.item_id == Item.id, latest.c.outcome != "ok")
        .exists()
    )


def search_identifiers(query: str, user) -> list[str]:
    """The identifiers the archive's own search finds for ``query``, as ``user`` (staff)."""
    from archive.discovery.search import MAX_PER_PAGE, search

    found: list[str] = []
    page = 1
    while len(found) < SEARCH_LIMIT:
        result = search(query, user=user, page=page, per_page=MAX_PER_PAGE, sort="relevance")
        found.extend(r["identifier"] for r in result["results"])
        if page * MAX_PER_PAGE >= result["total"] or not result["results"]:
            break
        page += 1
    return found


def query(filters: Filters, *, user=None):
    """The SELECT of the items matching ``filters``, sorted, the id breaking ties."""
    column = SORTS[filters.sort]
    ordering = column.asc() if filters.order == "asc" else column.desc()
    tie = Item.id.asc() if filters.order == "asc" else Item.id.desc()
    return select(Item).where(condition(filters, user=user)).order_by(ordering, tie)


def page(filters: Filters, number: int, *, user=None):
    """One page of the listing, its recordings and their jobs loaded in two more queries."""
    select_items = query(filters, user=user).options(
        selectinload(Item.recordings).selectinload(Recording.jobs)
    )
    return db.paginate(select_items, page=number, per_page=filters.per_page, error_out=False)


def item_ids(filters: Filters, *, user=None) -> list[int]:
    """The ids of every item matching ``filters`` (for a batch on the whole filter)."""
    found = query(filters, user=user).with_only_columns(Item.id)
    return list(db.session.scalars(found))


def count(filters: Filters, *, user=None) -> int:
    """How many items match ``filters``."""
    return db.session.scalar(select(func.count(Item.id)).where(condition(filters, user=user))) or 0


def choices() -> dict[str, list[tuple[str, str]]]:
    """The values the filter form offers (value, label): collections, tags, credited people,
    decades and languages found in the catalogue; one query each."""
    from archive.models import Collection, Person, Tag

    credited = select(Credit.person_id).distinct()
    years = db.session.scalars(
        select(func.substr(func.replace(Item.date, "circa ", ""), 1, 3)).distinct()
    )
    decades = sorted({y + "0" for y in years if y and y.isdigit() and len(y) == 3})
    codes = set()
    for value in db.session.scalars(select(Item.languages).distinct()):
        codes.update(code for code in (value or "").split("|") if code)
    return {
        "collection": [
            (str(i), t)
            for i, t in db.session.execute(
                select(Collection.id, Collection.title).order_by(Collection.title)
            )
        ],
        "tag": [
            (str(i), t)
            for i, t in db.session.execute(select(Tag.id, Tag.label).order_by(Tag.label))
        ],
        "person": [
            (str(i), n)
            for i, n in db.session.execute(
                select(Person.id, Person.name).where(Person.id.in_(credited)).order_by(Person.name)
            )
        ],
        "decade": [(d, d) for d in decades],
        "language": [(c, c) for c in sorted(codes)],
        "rights": [(statement.code, statement.code) for statement in RIGHTS],
    }
