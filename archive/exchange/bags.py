"""Preservation packages: each item as a BagIt 1.0 bag (RFC 8493) that outlives this software.

A bag is a folder named after the item's identifier::

    bagit.txt  bag-info.txt  manifest-sha256.txt  manifest-sha512.txt
    tagmanifest-sha256.txt  tagmanifest-sha512.txt
    data/originals/01-<the uploader's file name>      every original, untouched (not the copies)
    data/metadata/item.json        the item as the API's item document, as staff see it
    data/metadata/mods.xml         MODS 3 (archive.exchange.crosswalk)
    data/metadata/dc.xml           simple Dublin Core (oai_dc)
    data/metadata/recordings.json  which original is which recording, and what replaced what
    data/metadata/people.json      the authority records of the people it credits
    data/metadata/release.json     the narrator's release (consent) and any withdrawal
    data/metadata/audit.json       the item's audit history, oldest first
    data/transcripts/<n>-<language>.vtt  each transcript, whole (withheld passages marked in item.json)
    data/transcripts/ohms-<n>.xml     OHMS XML, a record per recording (archive.exchange.ohms)

Files are copied and hashed in one pass, a chunk at a time, and the bag is written under a
hidden name and renamed when complete, so a folder with the item's name is always a whole bag.

``restore`` reads bags back into a catalogue (``archive unbag``): it verifies every bag given
(completeness, every checksum of every manifest, Payload-Oxum) before it changes anything, then
re-creates all the items in one unit of work, keeping their identifiers; one bad bag, or an
identifier that exists already (without ``update``), and nothing is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree
from sqlalchemy import select

from archive import audit
from archive.catalogue import authority, items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment, to_webvtt
from archive.db import db
from archive.errors import ArchiveError
from archive.exchange import crosswalk, item_document, ohms
from archive.holdings import storage
from archive.holdings.ingest import ingest
from archive.models import AuditEvent, Item, Person, PersonName, Recording, User
from archive.uow import operation

BAGIT_VERSION = "1.0"
ALGORITHMS = ("sha256", "sha512")
CHUNK = 1024 * 1024
SOFTWARE = "prisoners-archive (archive bag)"

Url = Callable[..., str]


class BagError(ArchiveError):
    """A bag that is not whole, not valid, or cannot be imported; the message says why."""


# --- writing ----------------------------------------------------------------------------------


@dataclass
class Written:
    path: Path
    files: int
    octets: int


def write(item: Item, destination: Path, *, url: Url, organization: str, base_url: str) -> Written:
    """Write ``item``'s bag into ``destination`` (made if missing); refuse to overwrite one."""
    destination.mkdir(parents=True, exist_ok=True)
    final = destination / item.identifier
    if final.exists():
        raise BagError(f"{final} exists already: move it away or choose another folder.")
    partial = destination / f".{item.identifier}.partial-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    try:
        written = _write_into(partial, item, url=url, organization=organization, base_url=base_url)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Written(final, written.files, written.octets)


@dataclass
class _Digests:
    """Each payload or tag file's digests, by its path in the bag."""

    files: dict[str, dict[str, str]] = field(default_factory=dict)
    octets: int = 0


def _write_into(bag: Path, item: Item, *, url: Url, organization: str, base_url: str) -> Written:
    payload = _Digests()
    data = bag / "data"
    (data / "metadata").mkdir(parents=True)
    originals = []
    for number, recording in enumerate(item.recordings, start=1):
        original = recording.original
        if original is None:
            continue
        name = f"originals/{number:02d}-{_safe_name(recording.original_filename, original.relpath)}"
        digests, size = _copy(original.relpath, data / name)
        if digests["sha256"] != original.sha256:
            raise BagError(
                f"{item.identifier}: the stored original {original.relpath} no longer matches "
                "its checksum; run `archive fixity` and restore it from a backup before bagging."
            )
        payload.files[f"data/{name}"] = digests
        payload.octets += size
        originals.append(_recording_entry(recording, f"data/{name}", original.sha256))

    document = item_document.document(item, None, url=url, staff=True)
    metadata = {
        "metadata/item.json": _json(document),
        "metadata/recordings.json": _json(originals),
        "metadata/people.json": _json(_people(item)),
        "metadata/release.json": _json(_release(item)),
        "metadata/audit.json": _json(_audit(item)),
        "metadata/mods.xml": _xml(crosswalk.mods(item, base_url, publisher=organization)),
        "metadata/dc.xml": _xml(crosswalk.oai_dc(item, base_url, publisher=organization)),
    }
    for number, transcript in enumerate(item.transcripts, start=1):
        metadata[f"transcripts/{number:02d}-{transcript.language}.vtt"] = to_webvtt(
            transcript.segments
        ).encode()
    for number, record in enumerate(ohms.item_records(item, url, public=False), start=1):
        metadata[f"transcripts/ohms-{number:02d}.xml"] = ohms.to_ohms(record).encode()
    for name, content in metadata.items():
        target = data / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        payload.files[f"data/{name}"] = _digest_bytes(content)
        payload.octets += len(content)

    tags = _Digests()
    _tag_file(
        bag,
        "bagit.txt",
        f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n",
        tags,
    )
    info = [
        ("Source-Organization", organization),
        ("Bagging-Date", datetime.now(UTC).date().isoformat()),
        ("External-Identifier", item.identifier),
        ("External-Description", _one_line(item.title or item.title_en)),
        ("Payload-Oxum", f"{payload.octets}.{len(payload.files)}"),
        ("Bag-Size", _human(payload.octets)),
        ("Bag-Software-Agent", SOFTWARE),
    ]
    _tag_file(bag, "bag-info.txt", "".join(f"{k}: {v}\n" for k, v in info if v), tags)
    for algorithm in ALGORITHMS:
        lines = [
            f"{digests[algorithm]}  {_encode_path(path)}\n"
            for path, digests in sorted(payload.files.items())
        ]
        _tag_file(bag, f"manifest-{algorithm}.txt", "".join(lines), tags)
    for algorithm in ALGORITHMS:
        lines = [
            f"{digests[algorithm]}  {_encode_path(path)}\n"
            for path, digests in sorted(tags.files.items())
        ]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines), encoding="utf-8")
    return Written(bag, len(payload.files), payload.octets)


def _recording_entry(recording: Recording, path: str, sha256: str) -> dict[str, Any]:
    return {
        "recording_id": recording.id,
        "position": recording.position,
        "kind": recording.kind,
        "original_filename": recording.original_filename,
        "path": path,
        "sha256": sha256,
        "superseded_by": recording.superseded_by_id,
        "created_at": _moment(recording.created_at),
    }


def _people(item: Item) -> list[dict[str, Any]]:
    seen: dict[int, Person] = {}
    for credit in item.credits:
        seen.setdefault(credit.person.id, credit.person)
    return [
        {
            "id": person.id,
            "name": person.name,
            "name_latin": person.name_latin,
            "kunya": person.kunya,
            "birth_year": person.birth_year,
            "bio": person.bio,
            "bio_en": person.bio_en,
            "variants": [variant.name for variant in person.variants],
            "roles": [c.role for c in item.credits if c.person_id == person.id],
        }
        for person in seen.values()
    ]


def _release(item: Item) -> dict[str, Any]:
    return {
        "reference": item.release_reference,
        "date": item.release_date,
        "access": item.release_access or None,
        "restriction": item.release_restriction,
        "status": item.status,
        "withdrawn_at": _moment(item.withdrawn_at),
        "withdrawn_reason": item.withdrawn_reason,
    }


def _audit(item: Item) -> list[dict[str, Any]]:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.item_id == item.id).order_by(AuditEvent.id)
    )
    return [
        {
            "at": _moment(event.at),
            "user": event.user.email if event.user is not None else None,
            "action": event.action,
            "details": event.details or {},
        }
        for event in events
    ]


def _copy(relpath: str, target: Path) -> tuple[dict[str, str], int]:
    """Copy the stored file ``relpath`` (from the media folder or the bucket) to ``target`` a
    chunk at a time, hashing as it goes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with storage.store().open(relpath) as source:
            return _hashed(source, ALGORITHMS, copy_to=target)
    except FileNotFoundError as exc:
        raise BagError(f"The stored original {relpath} is missing; restore it first.") from exc


def _hashed(
    source: Path | BinaryIO, algorithms, *, copy_to: Path | None = None
) -> tuple[dict[str, str], int]:
    """The digests of ``source`` (a path or a stream) by each of ``algorithms`` and its size,
    read a chunk at a time (and written to ``copy_to`` on the way, when given)."""
    hashes = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
    size = 0
    opened = source.open("rb") if isinstance(source, Path) else nullcontext(source)
    with opened as read, copy_to.open("wb") if copy_to else nullcontext() as out:
        while chunk := read.read(CHUNK):
            for digest in hashes.values():
                digest.update(chunk)
            if out is not None:
                out.write(chunk)
            size += len(chunk)
    return {name: digest.hexdigest() for name, digest in hashes.items()}, size


def _digest_bytes(content: bytes) -> dict[str, str]:
    return {algorithm: hashlib.new(algorithm, content).hexdigest() for algorithm in ALGORITHMS}


def _tag_file(bag: Path, name: str, text: str, tags: _Digests) -> None:
    content = text.encode("utf-8")
    (bag / name).write_bytes(content)
    tags.files[name] = _digest_bytes(content)


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _xml(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _safe_name(filename: str, fallback: str) -> str:
    """The uploader's file name, usable as a path on any file system (Arabic kept)."""
    name = unicodedata.normalize("NFC", filename or Path(fallback).name)
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|%]', "_", name).strip(" .")
    return name[:200] or Path(fallback).name


def _encode_path(path: str) -> str:
    """A path as RFC 8493 writes it in a manifest: only CR, LF and % percent-encoded."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _decode_path(text: str) -> str:
    return re.sub(r"%(0[aAdD]|25)", lambda m: chr(int(m.group(1), 16)), text)


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _human(octets: int) -> str:
    size = float(octets)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{octets} bytes"


def _moment(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value is not None else None


# --- verifying --------------------------------------------------------------------------------


@dataclass
class Bag:
    """A verified bag: its folder, bag-info fields and the parsed metadata to restore from."""

    path: Path
    info: dict[str, list[str]]
    item: dict[str, Any]
    recordings: list[dict[str, Any]]
    people: list[dict[str, Any]]

    @property
    def identifier(self) -> str:
        return self.item["identifier"]


def verify(path: Path) -> Bag:
    """Check ``path`` is a complete and valid bag (RFC 8493 §3) and read what it holds."""
    path = Path(path)
    if not (path / "bagit.txt").is_file():
        raise BagError(f"{path}: not a bag (no bagit.txt).")
    declaration = _tag_fields(path / "bagit.txt")
    version = (declaration.get("BagIt-Version") or [""])[0]
    if not re.fullmatch(r"\d+\.\d+", version):
        raise BagError(f"{path}: bagit.txt declares no BagIt-Version.")
    encoding = (declaration.get("Tag-File-Character-Encoding") or [""])[0]
    if encoding.upper().replace("-", "") != "UTF8":
        raise BagError(f"{path}: tag files in {encoding or 'an undeclared encoding'} are not read.")
    manifests = sorted(path.glob("manifest-*.txt"))
    if not manifests:
        raise BagError(f"{path}: no payload manifest.")
    payload = {
        p.relative_to(path).as_posix() for p in (path / "data").rglob("*") if p.is_file()
    } if (path / "data").is_dir() else set()  # fmt: skip
    listed: dict[str, dict[str, str]] = {}
    for manifest in manifests:
        algorithm = manifest.name[len("manifest-") : -len(".txt")]
        entries = _manifest(path, manifest, algorithm)
        missing = payload - set(entries)
        if missing:
            raise BagError(f"{path}: {sorted(missing)[0]} is not in {manifest.name}.")
        for name, digest in entries.items():
            listed.setdefault(name, {})[algorithm] = digest
    for name, digests in sorted(listed.items()):
        if name not in payload:
            raise BagError(f"{path}: {name} is listed in the manifest but missing.")
        actual = _hashed(path / name, digests)[0]
        for algorithm, expected in digests.items():
            if actual[algorithm] != expected:
                raise BagError(f"{path}: {name} does not match its {algorithm} checksum.")
    info = _tag_fields(path / "bag-info.txt") if (path / "bag-info.txt").is_file() else {}
    _check_oxum(path, info, listed)
    for manifest in sorted(path.glob("tagmanifest-*.txt")):
        algorithm = manifest.name[len("tagmanifest-") : -len(".txt")]
        for name, expected in _manifest(path, manifest, algorithm).items():
            if not (path / name).is_file():
                raise BagError(f"{path}: tag file {name} is missing.")
            if _hashed(path / name, [algorithm])[0][algorithm] != expected:
                raise BagError(f"{path}: tag file {name} does not match its {algorithm} checksum.")
    return _read_metadata(path, info)


def _manifest(bag: Path, manifest: Path, algorithm: str) -> dict[str, str]:
    if algorithm not in hashlib.algorithms_available:
        raise BagError(f"{bag}: {manifest.name} uses {algorithm}, which this system cannot check.")
    entries = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = _decode_path(name.lstrip(" \t"))
        if not digest or not name:
            raise BagError(f"{bag}: {manifest.name} line {number} is not 'checksum path'.")
        clean = Path(name)
        if clean.is_absolute() or ".." in clean.parts:
            raise BagError(f"{bag}: {manifest.name} line {number} names a path outside the bag.")
        entries[clean.as_posix()] = digest.lower()
    return entries


def _tag_fields(path: Path) -> dict[str, list[str]]:
    """Labels and values of a tag file; a line starting with whitespace continues the last."""
    fields: dict[str, list[str]] = {}
    last = None
    text = path.read_text(encoding="utf-8-sig")
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and last is not None:
            fields[last][-1] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if not sep:
            continue
        last = label.strip()
        fields.setdefault(last, []).append(value.strip())
    return fields


def _check_oxum(path: Path, info: dict[str, list[str]], listed: dict[str, dict]) -> None:
    oxum = (info.get("Payload-Oxum") or [""])[0]
    if not oxum:
        return
    found = re.fullmatch(r"(\d+)\.(\d+)", oxum)
    if not found:
        raise BagError(f"{path}: Payload-Oxum '{oxum}' is not octets.files.")
    octets = sum((path / name).stat().st_size for name in listed)
    if (int(found.group(1)), int(found.group(2))) != (octets, len(listed)):
        raise BagError(f"{path}: Payload-Oxum says {oxum}, the payload is {octets}.{len(listed)}.")


def _read_metadata(path: Path, info: dict[str, list[str]]) -> Bag:
    def load(name: str, default: Any) -> Any:
        file = path / "data" / "metadata" / name
        if not file.is_file():
            return default
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise BagError(f"{path}: data/metadata/{name} is not JSON: {exc}.") from exc

    document = load("item.json", None)
    if not isinstance(document, dict) or not isinstance(document.get("identifier"), str):
        raise BagError(f"{path}: data/metadata/item.json does not describe an item.")
    recordings = load("recordings.json", [])
    for entry in recordings:
        if not (path / entry.get("path", "")).is_file():
            raise BagError(f"{path}: recordings.json names {entry.get('path')}, not in the bag.")
    return Bag(path, info, document, recordings, load("people.json", []))


# --- restoring --------------------------------------------------------------------------------


@dataclass
class Restored:
    created: list[Item] = field(default_factory=list)
    updated: list[Item] = field(default_factory=list)
    jobs: int = 0


def restore(paths: Iterable[Path], *, update: bool, user: User | None) -> Restored:
    """Verify every bag, then re-create (or with ``update`` refresh) their items in one unit of
    work; a bag that fails any check, or an identifier taken without ``update``, changes nothing."""
    bags = [verify(Path(p)) for p in paths]
    seen: dict[str, Path] = {}
    for bag in bags:
        if bag.identifier in seen:
            raise BagError(f"{bag.path} and {seen[bag.identifier]} both hold {bag.identifier}.")
        seen[bag.identifier] = bag.path
        items.check_identifier(bag.identifier)
        exists = db.session.scalar(select(Item.id).where(Item.identifier == bag.identifier))
        if exists is not None and not update:
            raise BagError(
                f"{bag.path}: {bag.identifier} exists in this archive; "
                "use --update to refresh it from the bag."
            )
    return _restore_all(bags, user=user)


@operation
def _restore_all(bags: list[Bag], *, user: User | None) -> Restored:
    done = Restored()
    for bag in bags:
        existing = db.session.scalar(select(Item).where(Item.identifier == bag.identifier))
        item, made = _restore_one(bag, existing, user=user)
        (done.updated if existing is not None else done.created).append(item)
        done.jobs += made
    return done


def _restore_one(bag: Bag, item: Item | None, *, user: User | None) -> tuple[Item, int]:
    """Re-create (or refresh) one item; returns it and how many originals were ingested."""
    doc = bag.item
    if item is None:
        item = items.create(
            identifier=doc["identifier"],
            title=doc.get("title") or "",
            title_en=doc.get("title_en") or "",
            type=doc.get("type") or "testimony",
            user=user,
        )
    staff = doc.get("staff") or {}
    release = staff.get("release") or {}
    changes: dict[str, Any] = {
        "type": doc.get("type") or item.type,
        "title": doc.get("title") or "",
        "title_en": doc.get("title_en") or "",
        "description": doc.get("description") or "",
        "description_en": doc.get("description_en") or "",
        "languages": "|".join(doc.get("languages") or []),
        "date": doc.get("date") or "",
        "place": doc.get("place") or "",
        "rights": (doc.get("rights") or {}).get("code") or "",
        "download": bool(doc.get("download")),
        "notes": staff.get("notes") or "",
        "embargo_until": staff.get("embargo_until") or "",
        "release_reference": release.get("reference") or "",
        "release_date": release.get("date") or "",
        "release_access": release.get("access") or "",
        "release_restriction": release.get("restriction") or "",
        "access": doc.get("access") or "staff",
        "tags": [t["label"] for t in doc.get("tags") or []],
        "collections": [c["title"] for c in doc.get("collections") or []],
        "prisons": [p["name"] for p in doc.get("places") or []],
    }
    people = doc.get("people") or {}
    for field_name, role in items.ROLE_FIELDS.items():
        changes[field_name] = [p["name"] for p in people.get(role) or []]
    items.describe(item, changes, user=user)
    _restore_labels(doc)
    _restore_people(bag.people)

    made = _restore_recordings(bag, item, user=user)
    _restore_transcripts(doc, made, item, user=user)
    status = doc.get("status")
    if status in ("published", "withdrawn") and item.status == "draft":
        items.publish(item, user=user)
    elif status == "draft" and item.status == "published":
        items.unpublish(item, user=user)
    if status == "withdrawn" and item.status != "withdrawn":
        from archive.catalogue.withdrawal import withdraw

        withdraw(
            item, staff.get("withdrawn_reason") or "Withdrawn (restored from a bag).", user=user
        )
    audit.record(
        user,
        "unbag",
        item,
        bag=bag.path.name,
        bagging_date=(bag.info.get("Bagging-Date") or [""])[0],
        source=(bag.info.get("Source-Organization") or [""])[0],
    )
    return item, len(made)


def _restore_labels(doc: dict[str, Any]) -> None:
    """English labels of the tags, collections and places, where this archive has none."""
    for entry in doc.get("tags") or []:
        tag = authority.tag_labelled(entry["label"])
        if tag is not None and not tag.label_en and entry.get("label_en"):
            tag.label_en = entry["label_en"]
    for entry in doc.get("collections") or []:
        collection = authority.collection_for(entry["title"])
        if not collection.title_en and entry.get("title_en"):
            collection.title_en = entry["title_en"]
    for entry in doc.get("places") or []:
        place = authority.place_for(entry["name"])
        if not place.name_en and entry.get("name_en"):
            place.name_en = entry["name_en"]


def _restore_people(people: list[dict[str, Any]]) -> None:
    """Fill in what this archive does not know of the credited people (never overwrite)."""
    for record in people:
        person = authority.find_person(record.get("name") or "")
        if person is None:
            continue
        for key in ("name_latin", "kunya", "bio", "bio_en"):
            if not getattr(person, key) and record.get(key):
                setattr(person, key, record[key])
        if person.birth_year is None and isinstance(record.get("birth_year"), int):
            person.birth_year = record["birth_year"]
        known = set(person.all_names)
        for variant in record.get("variants") or []:
            if variant and variant not in known:
                person.variants.append(PersonName(name=variant))
                known.add(variant)


def _restore_recordings(bag: Bag, item: Item, *, user: User | None) -> dict[int, Recording]:
    """Ingest each original not already held by ``item``, the replaced ones before their
    replacements; returns {recording id in the bag: the recording made here}."""
    held = {r.original.sha256 for r in item.recordings if r.original is not None}
    made: dict[int, Recording] = {}
    replaced_by = {
        e["superseded_by"]: e["recording_id"] for e in bag.recordings if e.get("superseded_by")
    }
    for entry in sorted(bag.recordings, key=lambda e: e["recording_id"]):
        if entry["sha256"] in held:
            continue
        path = bag.path / entry["path"]
        upload = storage.Upload(
            path,
            entry.get("original_filename") or path.name,
            entry["sha256"],  # verified with the bag
            path.stat().st_size,
            temporary=False,
        )
        old = replaced_by.get(entry["recording_id"])
        if old is not None and old in made:
            done = ingest(upload, user=user, replaces=made[old])
        else:
            done = ingest(upload, user=user, item=item)
        made[entry["recording_id"]] = done.recording
    return made


def _restore_transcripts(
    doc: dict[str, Any], made: dict[int, Recording], item: Item, *, user: User | None
) -> None:
    for entry in doc.get("transcripts") or []:
        segments = [
            ParsedSegment(
                start=s.get("start"), end=s.get("end"), text=s.get("text") or "",
                speaker=s.get("speaker") or "",
            )
            for s in entry.get("segments") or []
        ]  # fmt: skip
        recording = made.get(entry.get("recording_id"))
        transcript = transcripts.attach(
            item,
            segments,
            language=entry.get("language") or "ar",
            recording=recording,
            source_format=entry.get("source_format") or "",
            user=user,
        )
        if entry.get("restricted"):
            transcripts.restrict_transcript(transcript, True, user=user)
        db.session.flush()
        for segment, source in zip(transcript.segments, entry.get("segments") or [], strict=False):
            if source.get("restricted"):
                transcripts.restrict_segment(segment, True, user=user)
