"""The narrator's release, and the one rule that caps an item's access by it.

The release records the signed form (a reference and its date), the most open
access level it allows, and any restriction the narrator asked for.  An item's
access level is never more open than its release allows.  When no release is
recorded (``release_access == ""``) the item is not capped: catalogues carried
over from before releases were recorded would otherwise go dark, so staff are
warned instead, on the item's edit page and its page.
"""

from __future__ import annotations

from typing import Any

from archive.errors import ArchiveError
from archive.models import ACCESS_LEVELS, Item

OPENNESS = {"staff": 0, "researchers": 1, "public": 2}
RELEASE_FIELDS = ("release_reference", "release_date", "release_access", "release_restriction")


def more_open(access: str, than: str) -> bool:
    """True when ``access`` lets more people in than ``than`` (public > researchers > staff)."""
    return OPENNESS.get(access, 0) > OPENNESS.get(than, 0)


def allows(release_access: str, access: str) -> bool:
    """Whether a release allowing ``release_access`` allows the item to be ``access``."""
    return not release_access or not more_open(access, release_access)


def check_release_access(value: str) -> str:
    value = (value or "").strip()
    if value and value not in ACCESS_LEVELS:
        raise ArchiveError(
            f"Unknown release level '{value}': use one of {', '.join(ACCESS_LEVELS)}, "
            "or leave it empty when no release is recorded."
        )
    return value


def cap(item: Item | None, values: dict[str, Any]) -> None:
    """Bring the access ``values`` would give ``item`` within what its release allows.

    ``values`` holds the checked fields about to be set.  Asking for a more open
    access than the release allows is refused; a release tightened under the
    item's current access lowers the access at once (``values["access"]``).
    ``item`` is None for an item not made yet (a new row of a CSV file).
    """
    current_access = item.access if item is not None else "staff"  # a new item's default
    release = values.get("release_access", item.release_access if item is not None else "")
    access = values.get("access", current_access)
    if allows(release, access):
        return
    if "access" in values and values["access"] != current_access:
        raise ArchiveError(
            f"The narrator's release allows at most '{release}': "
            f"the access level cannot be '{access}'."
        )
    values["access"] = release


def check(item: Item) -> None:
    """Refuse an item whose access is more open than its release allows (before publishing)."""
    if not allows(item.release_access, item.access):
        raise ArchiveError(
            f"{item.identifier}: the narrator's release allows at most "
            f"'{item.release_access}', but the access level is '{item.access}'."
        )


def missing(item: Item) -> bool:
    """No release recorded: staff are warned before the item is opened to anyone."""
    return not item.release_access
