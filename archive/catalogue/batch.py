"""One change applied to many items: a plan first (what changes, what is skipped and why), then
each item changed by the archive's own operation, in a unit of work of its own.

The plan is the preview of /manage/batch and of ``archive batch --dry-run``.  An item that
cannot take the change (a narrator's release below the access asked for, a withdrawn item to
publish) is listed and skipped, and the rest of the batch goes ahead: an archivist opening a
donated collection of 3,000 cassettes must not be blocked by the few whose release is
narrower, and each of those is named so it can be dealt with one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.access import consent
from archive.catalogue import items as catalogue
from archive.db import db
from archive.errors import ArchiveError
from archive.models import ACCESS_LEVELS, Collection, Item, Tag

ACTIONS = (
    "publish", "unpublish", "access", "tag", "untag", "collect", "uncollect", "rights", "download",
)  # fmt: skip
NEEDS_VALUE = ("access", "tag", "untag", "collect", "uncollect", "rights", "download")


@dataclass
class Change:
    identifier: str
    before: str
    after: str


@dataclass
class Skip:
    identifier: str
    reason: str


@dataclass
class Plan:
    """What a batch would do: the changes, the items skipped (with why), and those unchanged."""

    action: str
    value: str
    changes: list[Change] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.changes) + len(self.skipped) + len(self.unchanged)

    def lines(self) -> list[str]:
        """The preview as plain text (the CLI prints it)."""
        out = [
            f"{self.action} {self.value}".strip() + f": {self.total} item(s) selected, "
            f"{len(self.changes)} change, {len(self.skipped)} skipped, "
            f"{len(self.unchanged)} already so."
        ]
        out += [f"  change {c.identifier}: {c.before} -> {c.after}" for c in self.changes]
        out += [f"  skip   {s.identifier}: {s.reason}" for s in self.skipped]
        return out


def check(action: str, value: str) -> str:
    """The value ``action`` takes, checked; ArchiveError when the batch cannot be run at all."""
    if action not in ACTIONS:
        raise ArchiveError(f"Unknown batch action '{action}': use one of {', '.join(ACTIONS)}.")
    value = (value or "").strip()
    if action in NEEDS_VALUE and not value and action != "rights":
        raise ArchiveError(f"The batch action '{action}' needs a value.")
    if action == "access" and value not in ACCESS_LEVELS:
        raise ArchiveError(
            f"Unknown access level '{value}': use one of {', '.join(ACCESS_LEVELS)}."
        )
    if action == "rights":
        catalogue.check_field("rights", value)
    if action == "download":
        value = "yes" if catalogue.check_field("download", value) else "no"
    if action == "untag" and not db.session.scalar(select(Tag.id).where(Tag.label == value)):
        raise ArchiveError(f"No tag '{value}'.")
    if action == "uncollect" and not db.session.scalar(
        select(Collection.id).where(Collection.title == value)
    ):
        raise ArchiveError(f"No collection '{value}'.")
    return value


def load(ids: list[int] | None = None, identifiers: list[str] | None = None) -> list[Item]:
    """The items chosen, by database id or identifier; ArchiveError naming identifiers unknown."""
    query = select(Item).options(selectinload(Item.tags), selectinload(Item.collections))
    if identifiers is not None:
        wanted = list(dict.fromkeys(i.strip() for i in identifiers if i.strip()))
        found = list(db.session.scalars(query.where(Item.identifier.in_(wanted))))
        missing = set(wanted) - {item.identifier for item in found}
        if missing:
            raise ArchiveError(f"No item(s): {', '.join(sorted(missing))}.")
        order = {identifier: n for n, identifier in enumerate(wanted)}
        return sorted(found, key=lambda item: order[item.identifier])
    found = {item.id: item for item in db.session.scalars(query.where(Item.id.in_(ids or [])))}
    return [found[i] for i in ids or [] if i in found]


def plan(action: str, value: str, chosen: list[Item]) -> Plan:
    """What ``action`` with ``value`` would do to each item, nothing changed."""
    value = check(action, value)
    result = Plan(action, value)
    for item in chosen:
        outcome = _outcome(action, value, item)
        if isinstance(outcome, Skip):
            result.skipped.append(outcome)
        elif outcome is None:
            result.unchanged.append(item.identifier)
        else:
            result.changes.append(outcome)
    return result


def _outcome(action: str, value: str, item: Item) -> Change | Skip | None:
    ident = item.identifier
    if action == "publish":
        if item.status == "withdrawn":
            return Skip(ident, "withdrawn: reinstate it before publishing it again")
        if not consent.allows(item.release_access, item.access):
            return Skip(ident, f"the release allows at most '{item.release_access}'")
        return None if item.status == "published" else Change(ident, item.status, "published")
    if action == "unpublish":
        return Change(ident, "published", "draft") if item.status == "published" else None
    if action == "access":
        if not consent.allows(item.release_access, value):
            return Skip(ident, f"the release allows at most '{item.release_access}'")
        return None if item.access == value else Change(ident, item.access, value)
    if action in ("tag", "untag"):
        labels = [tag.label for tag in item.tags]
        return _membership(ident, labels, value, add=action == "tag")
    if action in ("collect", "uncollect"):
        titles = [collection.title for collection in item.collections]
        return _membership(ident, titles, value, add=action == "collect")
    if action == "rights":
        return None if item.rights == value else Change(ident, item.rights or "-", value or "-")
    current = "yes" if item.download else "no"
    return None if current == value else Change(ident, current, value)


def _membership(ident: str, names: list[str], value: str, *, add: bool) -> Change | None:
    if (value in names) == add:
        return None
    after = [*names, value] if add else [n for n in names if n != value]
    return Change(ident, ", ".join(names) or "-", ", ".join(after) or "-")


def apply(action: str, value: str, chosen: list[Item], *, user) -> Plan:
    """Make the changes the plan lists, each item in its own unit of work with its audit entry.

    Returns the plan carried out; an item that fails at the last moment (changed meanwhile)
    is moved to the skipped list with the operation's own message, the others stand.
    """
    done = plan(action, value, chosen)
    by_identifier = {item.identifier: item for item in chosen}
    carried = Plan(done.action, done.value, skipped=list(done.skipped), unchanged=done.unchanged)
    for change in done.changes:
        item = by_identifier[change.identifier]
        try:
            _run(done.action, done.value, item, user=user)
        except ArchiveError as exc:
            carried.skipped.append(Skip(change.identifier, str(exc)))
        else:
            carried.changes.append(change)
    return carried


def _run(action: str, value: str, item: Item, *, user) -> None:
    if action == "publish":
        catalogue.publish(item, user=user)
    elif action == "unpublish":
        catalogue.unpublish(item, user=user)
    elif action in ("access", "rights"):
        catalogue.describe(item, {action: value}, user=user)
    elif action == "download":
        catalogue.describe(item, {"download": value == "yes"}, user=user)
    elif action in ("tag", "untag"):
        labels = [tag.label for tag in item.tags]
        after = [*labels, value] if action == "tag" else [t for t in labels if t != value]
        catalogue.describe(item, {"tags": after}, user=user)
    else:
        titles = [c.title for c in item.collections]
        after = [*titles, value] if action == "collect" else [t for t in titles if t != value]
        catalogue.describe(item, {"collections": after}, user=user)
