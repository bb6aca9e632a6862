"""Authority records and vocabularies: people and their names, tags, collections, places.

Finding by name is exact (after trimming) on the primary name or any variant:
spelling variants are recorded as variants, never guessed.  Folding spellings
together is the search index's job.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from archive import audit
from archive.db import by_code_point, contains, db
from archive.errors import ArchiveError, NotFound
from archive.models import (
    Collection,
    Credit,
    IndexOutbox,
    Person,
    PersonName,
    Place,
    Tag,
    User,
    item_collections,
    item_tags,
)
from archive.uow import operation


def clean(name: str) -> str:
    """Trim and collapse runs of spaces; the letters themselves are kept as given."""
    return " ".join(name.split())


# --- people -------------------------------------------------------------------


def find_person(name: str) -> Person | None:
    """The (surviving) person whose primary, Latin or variant name is ``name``."""
    name = clean(name)
    if not name:
        return None
    person = db.session.scalar(
        select(Person)
        .outerjoin(PersonName)
        .where(
            Person.merged_into_id.is_(None),
            or_(
                Person.name == name,
                func.lower(Person.name_latin) == name.lower(),
                PersonName.name == name,
                func.lower(PersonName.name) == name.lower(),
            ),
        )
        .order_by(Person.id)
        .limit(1)
    )
    return person


def person_for(name: str) -> Person:
    """The person called ``name``, made when there is none yet."""
    person = find_person(name)
    if person is None:
        name = clean(name)
        if not name:
            raise ArchiveError("A person needs a name.")
        person = Person(name=name) if _is_arabic(name) else Person(name=name, name_latin=name)
        db.session.add(person)
        db.session.flush()
    return person


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" for ch in text)


def get_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person {person_id}.")
    return person


def people_page(page: int, per_page: int = 50):
    """One page of the people who were not merged into another record, by name."""
    query = (
        select(Person)
        .where(Person.merged_into_id.is_(None))
        .order_by(by_code_point(Person.name), Person.id)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def person_by_reference(reference: str) -> Person | None:
    """A person named by record number or by any of their names."""
    reference = reference.strip()
    if reference.isdigit():  # 19 digits and more may not fit a database integer: nobody
        return db.session.get(Person, int(reference)) if len(reference) < 19 else None
    return find_person(reference)


def tags_with_counts() -> tuple[list[Tag], dict[int, int]]:
    """Every tag by label, and how many items each tags."""
    counts = dict(
        db.session.execute(
            select(item_tags.c.tag_id, func.count()).group_by(item_tags.c.tag_id)
        ).all()
    )
    return list(db.session.scalars(select(Tag).order_by(by_code_point(Tag.label)))), counts


def get_tag(tag_id: int) -> Tag:
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        raise NotFound(f"No tag {tag_id}.")
    return tag


def tag_labelled(label: str) -> Tag | None:
    return db.session.scalar(select(Tag).where(Tag.label == clean(label)))


def all_collections() -> list[Collection]:
    return list(db.session.scalars(select(Collection).order_by(by_code_point(Collection.title))))


def get_collection(collection_id: int) -> Collection:
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(f"No collection {collection_id}.")
    return collection


def surviving(person: Person) -> Person:
    """Follow merges to the record that now stands for this person."""
    seen = set()
    while person.merged_into_id is not None and person.id not in seen:
        seen.add(person.id)
        person = db.session.get(Person, person.merged_into_id)
    return person


PERSON_FIELDS = ("name", "name_latin", "kunya", "birth_year", "bio", "bio_en")


@operation
def update_person(person: Person, fields: dict, variants: list[str] | None, *, user: User | None):
    """Change a person's record and variant names; audited."""
    if "name" in fields and not clean(fields["name"] or ""):
        raise ArchiveError("A person needs a primary name.")
    if fields.get("birth_year") not in (None, ""):
        try:
            year = int(fields["birth_year"])
        except (TypeError, ValueError):
            raise ArchiveError(f"Birth year '{fields['birth_year']}' is not a year.") from None
        if not 1850 <= year <= 2100:
            raise ArchiveError(f"Birth year {year} is out of range.")
        fields["birth_year"] = year
    elif "birth_year" in fields:
        fields["birth_year"] = None
    diff = {}
    for key, value in fields.items():
        if key not in PERSON_FIELDS:
            raise ArchiveError(f"Unknown field '{key}'.")
        value = clean(value) if key in ("name", "name_latin", "kunya") else value
        if getattr(person, key) != value:
            diff[key] = [getattr(person, key), value]
            setattr(person, key, value)
    if variants is not None:
        wanted = list(dict.fromkeys(clean(v) for v in variants if clean(v)))
        current = [v.name for v in person.variants]
        if wanted != current:
            diff["variants"] = [current, wanted]
            person.variants = [PersonName(name=v) for v in wanted]
    if diff:
        audit.record(user, "person", None, person=person.id, changes=diff)
        _reindex_items_of(person)
    return person


@operation
def merge_people(survivor: Person, other: Person, *, user: User | None) -> Person:
    """Fold ``other`` into ``survivor``: names become variants, credits move; ``other`` redirects."""
    if survivor.id == other.id:
        raise ArchiveError("A person cannot be merged with itself.")
    if other.merged_into_id is not None or survivor.merged_into_id is not None:
        raise ArchiveError("One of these records was already merged.")
    known = set(survivor.all_names)
    for name in other.all_names:
        if name not in known:
            survivor.variants.append(PersonName(name=name))
            known.add(name)
    for field in ("name_latin", "kunya", "birth_year", "bio", "bio_en"):
        if not getattr(survivor, field) and getattr(other, field):
            setattr(survivor, field, getattr(other, field))
    for credit in list(other.credits):
        duplicate = db.session.scalar(
            select(Credit).where(
                Credit.item_id == credit.item_id,
                Credit.person_id == survivor.id,
                Credit.role == credit.role,
            )
        )
        if duplicate is not None:
            db.session.delete(credit)
        else:
            credit.person = survivor
    other.variants = []
    other.merged_into_id = survivor.id
    db.session.execute(
        update(Person).where(Person.merged_into_id == other.id).values(merged_into_id=survivor.id)
    )
    db.session.flush()
    audit.record(user, "merge-people", None, survivor=survivor.id, merged=other.id)
    _reindex_items_of(survivor)
    return survivor


def _reindex(link_table, column, record_id: int) -> None:
    """Queue every item linked to a changed record for indexing."""
    db.session.flush()
    item_ids = db.session.scalars(select(link_table.c.item_id).where(column == record_id))
    for item_id in set(item_ids):
        db.session.add(IndexOutbox(item_id=item_id))


def _reindex_items_of(person: Person) -> None:
    _reindex(Credit.__table__, Credit.__table__.c.person_id, person.id)


# --- tags, collections, places ------------------------------------------------------


def _named(model, column, value: str, what: str):
    """The record of ``model`` whose ``column`` is ``value``, made when there is none."""
    value = clean(value)
    if not value:
        raise ArchiveError(f"A {what} needs a name.")
    record = db.session.scalar(select(model).where(column == value))
    if record is not None:
        return record
    # Another host may make the same record at the same moment: the unique
    # constraint decides, and the loser takes the winner's record.
    try:
        with db.session.begin_nested():
            record = model(**{column.key: value})
            db.session.add(record)
    except IntegrityError:
        record = db.session.scalar(select(model).where(column == value))
        if record is None:
            raise
    return record


def tag_for(label: str) -> Tag:
    return _named(Tag, Tag.label, label, "tag")


def suggest_tags(prefix: str, limit: int = 10) -> list[Tag]:
    """Tags whose Arabic or English label contains ``prefix``, shortest first."""
    prefix = clean(prefix)
    if not prefix:
        return []
    pattern = contains(prefix)
    return list(
        db.session.scalars(
            select(Tag)
            .where(
                or_(Tag.label.ilike(pattern, escape="\\"), Tag.label_en.ilike(pattern, escape="\\"))
            )
            .order_by(func.length(Tag.label), by_code_point(Tag.label))
            .limit(limit)
        )
    )


def suggest(kind: str, text: str, limit: int = 10) -> list[str]:
    """Names to offer as an archivist types: people (by any of their names), tags,
    collections or places containing ``text`` whatever its case, in code point order (tags
    shortest first); NotFound for another ``kind``."""
    text = clean(text)
    if not text:
        return []
    like = contains(text)
    if kind == "tags":
        return [t.label for t in suggest_tags(text, limit)]
    if kind == "people":
        rows = db.session.execute(
            select(Person.name)
            .outerjoin(PersonName)
            .where(
                Person.merged_into_id.is_(None),
                or_(
                    Person.name.ilike(like, escape="\\"),
                    Person.name_latin.ilike(like, escape="\\"),
                    PersonName.name.ilike(like, escape="\\"),
                ),
            )
            .group_by(Person.name)
            .order_by(by_code_point(Person.name))
            .limit(limit)
        )
        return [name for (name,) in rows]
    column = {"collections": Collection.title, "places": Place.name}.get(kind)
    if column is None:
        raise NotFound(f"No suggestions for {kind}.")
    return list(
        db.session.scalars(
            select(column)
            .where(column.ilike(like, escape="\\"))
            .order_by(by_code_point(column))
            .limit(limit)
        )
    )


@operation
def update_tag(
    tag: Tag,
    label: str,
    label_en: str,
    *,
    user: User | None,
    label_fr: str | None = None,
    synonyms: str | None = None,
) -> Tag:
    """Relabel ``tag``; ``label_fr`` and ``synonyms`` (one per line) stay as they are when
    not given. Labels and synonyms are what the search's thesaurus knows of the tag."""
    label = clean(label)
    if not label:
        raise ArchiveError("A tag needs an Arabic label.")
    other = db.session.scalar(select(Tag).where(Tag.label == label, Tag.id != tag.id))
    if other is not None:
        raise ArchiveError(f"The tag «{label}» already exists: merge the two instead.")
    tag.label, tag.label_en = label, clean(label_en)
    if label_fr is not None:
        tag.label_fr = clean(label_fr)
    if synonyms is not None:
        lines = (clean(line) for line in synonyms.splitlines())
        tag.synonyms = "\n".join(dict.fromkeys(line for line in lines if line))
    audit.record(user, "tag", None, tag=tag.id, label=label, label_en=tag.label_en,
                 label_fr=tag.label_fr, synonyms=tag.synonym_list)  # fmt: skip
    _reindex_tagged(tag)
    return tag


@operation
def merge_tags(survivor: Tag, other: Tag, *, user: User | None) -> Tag:
    """Move every item of ``other`` to ``survivor`` and remove ``other``."""
    if survivor.id == other.id:
        raise ArchiveError("A tag cannot be merged with itself.")
    item_ids = set(
        db.session.scalars(select(item_tags.c.item_id).where(item_tags.c.tag_id == other.id))
    )
    already = set(
        db.session.scalars(select(item_tags.c.item_id).where(item_tags.c.tag_id == survivor.id))
    )
    for item_id in item_ids - already:
        db.session.execute(item_tags.insert().values(item_id=item_id, tag_id=survivor.id))
    db.session.execute(item_tags.delete().where(item_tags.c.tag_id == other.id))
    if not survivor.label_en and other.label_en:
        survivor.label_en = other.label_en
    if not survivor.label_fr and other.label_fr:
        survivor.label_fr = other.label_fr
    # the merged tag's labels become synonyms of the survivor: a query for them still finds it
    kept = [*survivor.synonym_list, other.label, *other.synonym_list]
    kept += [other.label_en, other.label_fr]
    labels = {survivor.label, survivor.label_en, survivor.label_fr, ""}
    survivor.synonyms = "\n".join(dict.fromkeys(s for s in kept if s not in labels))
    audit.record(user, "merge-tags", None, survivor=survivor.id, merged=other.label)
    db.session.delete(other)
    db.session.flush()
    _reindex_tagged(survivor)
    return survivor


def _reindex_tagged(tag: Tag) -> None:
    _reindex(item_tags, item_tags.c.tag_id, tag.id)


def collection_for(title: str) -> Collection:
    return _named(Collection, Collection.title, title, "collection")


def place_for(name: str) -> Place:
    return _named(Place, Place.name, name, "place")


@operation
def update_collection(collection: Collection, fields: dict, *, user: User | None) -> Collection:
    """Change a collection's titles and descriptions; audited."""
    title = clean(fields.get("title", collection.title))
    if not title:
        raise ArchiveError("A collection needs an Arabic title.")
    other = db.session.scalar(
        select(Collection).where(Collection.title == title, Collection.id != collection.id)
    )
    if other is not None:
        raise ArchiveError(f"The collection «{title}» already exists.")
    collection.title = title
    for key in ("title_en", "description", "description_en"):
        if key in fields:
            setattr(collection, key, fields[key].strip())
    audit.record(user, "collection", None, collection=collection.id, title=title)
    _reindex(item_collections, item_collections.c.collection_id, collection.id)
    return collection
