"""The archive's vocabulary as the search's thesaurus: a query in one language or script also
searches the ways the archive already knows of saying the same thing in the others.

The concepts come from:

- the field's glossary shipped with the archive (``indexer/data/glossary.tsv``: Arabic, English
  and French terms of detention and prison life, prisons, events, institutions);
- tags, with their Arabic, English and French labels and synonyms, which archivists edit on
  the Tags page (a tag with no items is a way to add a concept);
- people (name, Latin name, kunya, variant spellings), places (Arabic and English names) and
  collections (Arabic and English titles).

The thesaurus is made once per catalogue version (``archive.versions``), so an
edit on the Tags page counts at the next search, in every process.
"""

from __future__ import annotations

import threading

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.db import db
from archive.models import Collection, Person, Place, Tag
from archive.versions import version
from indexer.thesaurus import Concept, Thesaurus, read_glossary

_kept: dict[str, tuple[bytes, Thesaurus]] = {}
_lock = threading.Lock()


def glossary() -> list[Concept]:
    """The concepts shipped with the archive."""
    return read_glossary()


def concepts() -> list[Concept]:
    """Every concept of the archive's vocabulary (see the module)."""
    found = glossary()
    for tag in db.session.scalars(select(Tag).order_by(Tag.id)):
        arabic = [tag.label] + [s for s in tag.synonym_list if _arabic(s)]
        latin = [s for s in tag.synonym_list if not _arabic(s)]
        found.append(
            Concept(arabic, _present(tag.label_en), [*_present(tag.label_fr), *latin], "tag")
        )
    people = select(Person).where(Person.merged_into_id.is_(None))
    for person in db.session.scalars(people.options(selectinload(Person.variants))):
        names = person.all_names
        found.append(
            Concept(
                [n for n in names if _arabic(n)], [n for n in names if not _arabic(n)], [], "person"
            )
        )
    for place in db.session.scalars(select(Place)):
        found.append(Concept([place.name], _present(place.name_en), [], "place"))
    for collection in db.session.scalars(select(Collection)):
        found.append(Concept([collection.title], _present(collection.title_en), [], "collection"))
    return found


def thesaurus() -> Thesaurus:
    """The thesaurus of the catalogue as it is now, made again only after a change."""
    stamp = version(current_app.instance_path)
    where = f"{current_app.instance_path}|{db.engine.url}"
    with _lock:
        kept = _kept.get(where)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    made = Thesaurus(concepts())
    with _lock:
        _kept[where] = (stamp, made)
    return made


def _present(text: str) -> list[str]:
    return [text] if text else []


def _arabic(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)
