"""IIIF Presentation 3 collections: the archive's, and one per catalogue collection.

A collection lists the manifests (``archive.exchange.iiif``) of the items anyone may see that
have something to play, in accession order; the archive's own collection lists first every
catalogue collection that has such an item. A catalogue collection with none has no IIIF
collection at all: not even its title shows.

IIIF Presentation 3 has no paging of collections: a collection of more than ``PER_PAGE``
manifests lists instead collections of ``PER_PAGE`` manifests each (``?page=N``), which name
it in ``partOf``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import selectinload

from archive.access.rules import can_view, visible_filter
from archive.db import by_code_point, db
from archive.exchange import iiif
from archive.models import Collection as CatalogueCollection
from archive.models import Item, MediaFile, Recording, item_collections

if TYPE_CHECKING:
    from iiif_prezi3 import Collection, ManifestRef

#: Manifests listed in one collection before it is split into collections of this many.
PER_PAGE = 500


def _l(message: str) -> str:
    """Marks an interface string for the message catalogs; ``iiif.translated`` translates it."""
    return message


def listed_items(collection_id: int | None = None) -> Select:
    """Ids of the items anyone may see that have an access copy (of catalogue collection
    ``collection_id``, if given), in accession order. A recording whose public copy is being
    made still counts here; :func:`archive.exchange.iiif.playable` has the last word on each page."""
    has_copy = exists().where(
        Recording.item_id == Item.id,
        Recording.superseded_at.is_(None),
        MediaFile.recording_id == Recording.id,
        MediaFile.role == "access",
    )
    query = select(Item.id).where(visible_filter(None), has_copy).order_by(Item.id)
    if collection_id is not None:
        members = select(item_collections.c.item_id).where(
            item_collections.c.collection_id == collection_id
        )
        query = query.where(Item.id.in_(members))
    return query


def listed_collections() -> list[CatalogueCollection]:
    """The catalogue collections holding at least one listed item, by title."""
    members = select(item_collections.c.collection_id).where(
        item_collections.c.item_id.in_(listed_items())
    )
    return list(
        db.session.scalars(
            select(CatalogueCollection)
            .where(CatalogueCollection.id.in_(members))
            .order_by(by_code_point(CatalogueCollection.title), CatalogueCollection.id)
        )
    )


def pages(total: int) -> int:
    """How many collections of PER_PAGE manifests ``total`` manifests make (1 when one holds
    them all)."""
    return max(1, -(-total // PER_PAGE))


def top_collection(*, url: iiif.Url, page: int | None = None) -> Collection | None:
    """Every catalogue collection with manifests, then every manifest (or, past PER_PAGE, the
    collections of PER_PAGE manifests); with ``page``, that collection of manifests; None when
    there is no such page."""
    name = iiif.translated(iiif.ARCHIVE_NAME)
    ids = list(db.session.scalars(listed_items()))
    made = _paged(
        url("iiif.collections"), name, ids, page, url, page_url=_page_url(url), empty=True
    )
    if made is None or page is not None:
        return made
    subcollections = [
        iiif.prezi().CollectionRef(
            id=url("iiif.collection", record_id=record.id),
            type="Collection",
            label=_label(record),
        )
        for record in listed_collections()
    ]
    made.items = subcollections + list(made.items or [])
    made.homepage = iiif.homepages(url, "web.home", name)
    return made


def collection(
    record: CatalogueCollection, *, url: iiif.Url, page: int | None = None
) -> Collection | None:
    """The IIIF collection of a catalogue collection: its manifests (or collections of them);
    None when it lists none, so that a collection of hidden items keeps even its title."""
    ids = list(db.session.scalars(listed_items(record.id)))
    label = _label(record)
    collection_id = url("iiif.collection", record_id=record.id)
    made = _paged(
        collection_id, label, ids, page, url, page_url=_page_url(url, record_id=record.id)
    )
    if made is None:
        return None
    if page is None:
        summary = iiif.language_map([(record.description, record.description_en)])
        if summary:
            made.summary = summary
        made.homepage = iiif.homepages(url, "browse.collection", label, record_id=record.id)
        made.partOf = [{"id": url("iiif.collections"), "type": "Collection"}]
    return made


def _label(record: CatalogueCollection) -> iiif.LanguageMap:
    return iiif.language_map([(record.title, record.title_en)]) or {"none": [str(record.id)]}


def _page_url(url: iiif.Url, **values) -> Callable[[int], str]:
    endpoint = "iiif.collection" if values else "iiif.collections"
    return lambda number: url(endpoint, **values, page=number)


def _paged(
    collection_id: str,
    label: iiif.LanguageMap,
    ids: list[int],
    page: int | None,
    url: iiif.Url,
    *,
    page_url: Callable[[int], str],
    empty: bool = False,
) -> Collection | None:
    """A collection listing the manifests of ``ids``: all of them when they fit in one, else
    a collection per PER_PAGE of them; with ``page``, that collection alone. None when there
    is no such page, or when it would list nothing (unless ``empty`` allows it)."""
    count = pages(len(ids))
    if page is None and count > 1:
        refs = [
            iiif.prezi().CollectionRef(
                id=page_url(number),
                type="Collection",
                label=_page_label(number, len(ids)),
            )
            for number in range(1, count + 1)
        ]
        return _collection(collection_id, label, refs, url)
    if page is not None and (count == 1 or not 1 <= page <= count):
        return None  # one collection holds them all: it needs no pages
    start = ((page or 1) - 1) * PER_PAGE
    refs = manifest_refs(ids[start : start + PER_PAGE], url)
    if not refs and page is None and not empty:
        return None
    if page is None:
        return _collection(collection_id, label, refs, url)
    made = _collection(page_url(page), _page_label(page, len(ids)), refs, url)
    made.partOf = [{"id": collection_id, "type": "Collection", "label": label}]
    return made


def _page_label(number: int, total: int) -> iiif.LanguageMap:
    first = (number - 1) * PER_PAGE + 1
    return iiif.translated(
        _l("Items %(first)s–%(last)s"), first=first, last=min(total, number * PER_PAGE)
    )


def _collection(
    collection_id: str, label: iiif.LanguageMap, items: list, url: iiif.Url
) -> Collection:
    return iiif.prezi().Collection(
        id=collection_id,
        label=label,
        requiredStatement=iiif.attribution(),
        provider=[iiif.provider(url)],
        items=items,
    )


def manifest_refs(ids: list[int], url: iiif.Url) -> list[ManifestRef]:
    """References to the manifests of the items ``ids`` that have one, in that order, each
    with its label and the thumbnails of its first recording."""
    if not ids:
        return []
    loaded = db.session.scalars(
        select(Item)
        .where(Item.id.in_(ids))
        .options(selectinload(Item.recordings).selectinload(Recording.files))
    ).all()
    by_id = {item.id: item for item in loaded}
    refs = []
    for item_id in ids:
        item = by_id.get(item_id)
        found = iiif.playable(item) if item is not None and can_view(None, item) else []
        if not found:
            continue
        ref = iiif.prezi().ManifestRef(
            id=url("iiif.manifest", identifier=item.identifier),
            type="Manifest",
            label=iiif.language_map([(item.title, item.title_en)]) or {"none": [item.identifier]},
        )
        thumbnails = iiif.thumbnails(item, found[0], url)
        if thumbnails:
            ref.thumbnail = thumbnails
        refs.append(ref)
    return refs
