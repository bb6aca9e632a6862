"""Bulk import and export of the catalogue as CSV: one row per item (see docs/csv.md).

An import reads the file twice, as a stream, so that its memory does not grow with the file:

1. every row is checked against the catalogue, writing nothing; any bad row refuses the
   whole file, with every reason found (the transcript files are parsed, the media files
   hashed, and only the hashes kept);
2. the rows are applied through the same operations the item pages use (describe, attach,
   ingest), a batch at a time (flushed, then let go), all in **one** transaction committed
   once at the end; the search index is brought up to date and the media jobs are queued
   after the commit.

One transaction rather than a commit per batch: a failure while writing (a media file
ffprobe refuses, a crash, a full disk) leaves the catalogue and the media store as they were,
which batches committed one by one could not promise; the cost is that other writers wait
for the import's commit on SQLite. Memory stays bounded because a batch's objects are let go
once flushed and transcript segments are inserted as rows, never held as objects.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive import audit
from archive.access import consent
from archive.catalogue import authority, items, transcripts
from archive.catalogue.transcript_formats import ParsedSegment, to_text, to_webvtt
from archive.catalogue.verses import VERSE_TYPES
from archive.db import db
from archive.discovery import indexing
from archive.errors import ArchiveError
from archive.holdings import storage
from archive.holdings.ingest import holder, ingest
from archive.models import (
    Credit,
    Item,
    Segment,
    User,
)
from archive.uow import operation

COLUMNS = (
    "identifier", "type", "title", "title_en", "description", "description_en", "language",
    "date", "place", "prisons", "narrators", "interviewers", "poets", "performers", "composers",
    "translators", "tags", "collections", "access", "embargo_until", "status", "rights",
    "download", "notes", "release_reference", "release_date", "release_access",
    "release_restriction", "transcript", "transcript_language", "media",
)  # fmt: skip
LIST_COLUMNS = ("prisons", *items.ROLE_FIELDS, "tags", "collections")
OWN_COLUMNS = (
    "identifier",
    "status",
    "transcript",
    "transcript_language",
    "media",
)  # not describe's
FIELD_OF = {"language": "languages"}  # CSV column -> items.FIELDS name, where they differ
KEPT_WHEN_EMPTY = ("type", "access")  # never empty: an empty cell keeps the value (or default)
SETTABLE_STATUSES = ("draft", "published")
TRANSCRIPT_SUFFIXES = (".vtt", ".srt", ".txt")
SEPARATOR = "|"
TRIM = " \t\n\r\f\v"  # what transcript_formats trims: a no-break space or bidi mark stays
MAX_REPORTED = 20
BATCH = 100  # rows read, looked up, written and let go at a time (memory against round trips)
SPOOL_BYTES = 8 * 2**20  # an upload that cannot seek is kept in memory up to this, then on disk
#: A cell starting with one of these is a formula to a spreadsheet (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"  # what a spreadsheet shows a cell as text after, and what the export adds

#: ``progress(stage, done, total)``: "checking" counts bytes of the file read, "writing" and
#: "indexing" count items, and so does "exporting" (see archive/cli/progress.py).
Progress = Callable[[str, int, int], None]


class ImportError_(ArchiveError):
    """A CSV file refused: ``errors`` holds every "line N: reason" found."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        shown = self.errors[:MAX_REPORTED]
        if len(self.errors) > MAX_REPORTED:
            shown.append(f"... and {len(self.errors) - MAX_REPORTED} more.")
        super().__init__("\n".join(shown))


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    media_ingested: int = 0
    transcripts: int = 0


@dataclass
class _Transcript:
    segments: list[ParsedSegment]
    language: str
    source_format: str


@dataclass
class _Row:
    """One checked row: what to do to which item."""

    line: int
    identifier: str
    item: Item | None  # None until a new item is made
    new: bool
    changes: dict[str, Any] = field(default_factory=dict)  # for items.describe
    status: str | None = None  # a status to move to
    transcript: _Transcript | None = None
    upload: storage.Upload | None = None


@dataclass
class _Checked:
    """What the checking pass keeps for the writing pass: little, whatever the file's size."""

    base_dir: Path | None
    media_dir: Path | None
    rows: int = 0
    uploads: dict[int, storage.Upload] = field(default_factory=dict)  # line -> media to ingest


# --- import -------------------------------------------------------------------------


def import_csv(
    path: Path,
    *,
    media_dir: Path | None = None,
    user: User | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV file; transcript paths are relative to its folder."""
    path = Path(path)
    try:
        source = path.open("rb")  # closed below, after both passes
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read the file ({exc.strerror}).") from None
    with source:
        return _import(
            source, filename=path.name, base_dir=path.parent, media_dir=media_dir, user=user,
            progress=progress,
        )  # fmt: skip


def import_csv_stream(
    stream: BinaryIO | bytes,
    *,
    filename: str,
    base_dir: Path | None = None,
    media_dir: Path | None = None,
    user: User | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import CSV bytes or a binary stream (the web form); without ``base_dir`` transcripts
    must be inline text. A stream that cannot seek is spooled first: it is read twice."""
    if isinstance(stream, bytes):
        stream = io.BytesIO(stream)
    options = dict(filename=filename, base_dir=base_dir, media_dir=media_dir, user=user)
    if stream.seekable():
        return _import(stream, **options, progress=progress)
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as spooled:
        shutil.copyfileobj(stream, spooled)
        spooled.seek(0)
        return _import(spooled, **options, progress=progress)


def _import(
    source: BinaryIO,
    *,
    filename: str,
    base_dir: Path | None,
    media_dir: Path | None,
    user,
    progress: Progress | None,
) -> ImportReport:
    if media_dir is not None and not Path(media_dir).is_dir():
        raise ArchiveError(f"{media_dir}: no such media folder.")
    progress = progress or _unreported
    start = source.tell()
    checked = _check(source, _Checked(base_dir, media_dir), progress=progress)
    source.seek(start)
    with indexing.reporting(lambda done, total: progress("indexing", done, total)):
        return _apply(source, checked, filename=filename, user=user, progress=progress)


def _unreported(stage: str, done: int, total: int) -> None:
    """No one is watching (a test, the web form)."""


@contextmanager
def _text(source: BinaryIO) -> Iterator[io.TextIOWrapper]:
    """``source`` read as UTF-8 text (a byte-order mark skipped); the stream stays open."""
    text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    try:
        yield text
    finally:
        text.detach()  # closing the wrapper would close the caller's stream


class _Rows:
    """The rows of a CSV text stream, each with the line it starts on, as they are read.

    The header is checked at once; a row that breaks the file's structure (a quote never
    closed, too many cells) is kept in ``errors`` rather than yielded.
    """

    def __init__(self, text: io.TextIOWrapper):
        _allow_long_cells()
        self.reader = csv.reader(text, strict=True)
        self.errors: list[str] = []
        try:
            self.header = [name.strip() for name in next(self.reader)]
        except StopIteration:
            raise ImportError_(["line 1: the file is empty: it needs a header row."]) from None
        except csv.Error as exc:
            raise ImportError_([f"line 1: {exc}"]) from None
        _check_header(self.header)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        width = len(self.header)
        while True:
            line = self.reader.line_num + 1
            try:
                cells = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.errors.append(f"line {line}: {_explain(exc)}")
                return
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) != width:
                self.errors.append(
                    f"line {line}: {len(cells)} cells, but the header names {width} columns."
                )
                continue
            cells = [unquote_formula(cell) for cell in cells]
            yield line, dict(zip(self.header, cells, strict=True))


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _undecodable_line(source: BinaryIO, start: int) -> int:
    """The first line of the file that is not UTF-8 (each line decodes alone in UTF-8)."""
    source.seek(start)
    number = 1
    for number, raw in enumerate(source, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return number


def quote_formula(cell: str) -> str:
    """The cell made safe to open in a spreadsheet: one more ``'`` before a cell that starts
    with a formula character, perhaps after ``'`` s of its own (see docs/csv.md).

    >>> quote_formula("=1+1"), quote_formula("'=x"), quote_formula("'text"), quote_formula("")
    ("'=1+1", "''=x", "'text", '')
    """
    return QUOTE + cell if cell.lstrip(QUOTE).startswith(FORMULA_STARTS) else cell


def unquote_formula(cell: str) -> str:
    """The cell as ``quote_formula`` was given it: exactly one ``'`` fewer when it starts
    with ``'`` then (after any more ``'``) a formula character; any other cell unchanged.

    >>> unquote_formula("'=1+1"), unquote_formula("''=x"), unquote_formula("'text")
    ('=1+1', "'=x", "'text")
    """
    if cell.startswith(QUOTE) and cell.lstrip(QUOTE).startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _explain(exc: csv.Error) -> str:
    """The csv module's complaint, in words an archivist with a spreadsheet can act on."""
    if "unexpected end of data" in str(exc):
        return "a quoted cell starting on this row is never closed (unexpected end of data)."
    return f"{exc} (quote a cell that holds a comma, a quote or a line break)."


def _allow_long_cells() -> None:
    """Cells of any length: a whole transcript may sit in one."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # a C long is 32 bits on some platforms
            limit //= 2


def _check_header(header: list[str]) -> None:
    problems = []
    if any(not name for name in header):
        problems.append("a column has no name")
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(repr(n) for n in unknown)} "
            f"(the columns are {', '.join(COLUMNS)})"
        )
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        problems.append(f"column(s) given twice: {', '.join(repeated)}")
    if "identifier" not in header:
        problems.append("the identifier column is missing")
    if problems:
        raise ImportError_([f"line 1: {'; '.join(problems)}."])


def _check(source: BinaryIO, checked: _Checked, *, progress: Progress) -> _Checked:
    """Read the file through, checking every row against the catalogue and writing nothing;
    every bad row is reported. Only the rows' count and the media files' hashes are kept."""
    start = source.tell()
    size = source.seek(0, io.SEEK_END) - start
    source.seek(start)
    seen: dict[str, int] = {}  # identifier -> line
    media_seen: dict[str, int] = {}  # sha256 -> line
    errors: list[str] = []
    try:
        with _text(source) as text:
            rows = _Rows(text)
            for batch in _batches(rows, BATCH):
                existing = _existing_items(batch)
                for line, cells in batch:
                    try:
                        row = _check_row(line, cells, existing, checked)
                        _check_repeats(row, cells, seen, media_seen)
                    except ArchiveError as exc:
                        errors.append(f"line {line}: {exc}")
                        continue
                    checked.rows += 1
                    if row.upload is not None:
                        checked.uploads[line] = row.upload
                progress("checking", min(source.tell() - start, size), size)
    except UnicodeDecodeError:
        line = _undecodable_line(source, start)
        raise ImportError_([f"line {line}: the file is not UTF-8 text."]) from None
    if rows.errors or errors:
        raise ImportError_(rows.errors or errors)  # a broken file says only what broke it
    progress("checking", size, size)
    return checked


def _check_repeats(row: _Row, cells: dict, seen: dict, media_seen: dict) -> None:
    """The same identifier, or the same media file, twice in one file."""
    if row.identifier in seen:
        raise ArchiveError(
            f"identifier {row.identifier} is already on line {seen[row.identifier]}."
        )
    seen[row.identifier] = row.line
    if row.upload is not None:
        if row.upload.sha256 in media_seen:
            raise ArchiveError(
                f"media {cells['media'].strip()}: the same file as on line "
                f"{media_seen[row.upload.sha256]}."
            )
        media_seen[row.upload.sha256] = row.line


def _existing_items(rows: list[tuple[int, dict[str, str]]]) -> dict[str, Item]:
    """The items these rows name, with their links loaded in a few queries."""
    wanted = sorted({cells["identifier"].strip() for _, cells in rows} - {""})
    if not wanted:
        return {}
    query = select(Item).where(Item.identifier.in_(wanted)).options(*_with_links())
    return {item.identifier: item for item in db.session.scalars(query)}


def _check_row(
    line: int,
    cells: dict[str, str],
    existing: dict[str, Item],
    checked: _Checked,
    *,
    writing: bool = False,
) -> _Row:
    """What the row asks for, or ArchiveError; ``writing``: the file was checked, and the
    media files found then are taken as they were (not hashed again)."""
    identifier = cells["identifier"].strip()
    if not identifier:
        raise ArchiveError("the identifier is empty.")
    items.check_identifier(identifier)
    item = existing.get(identifier)
    row = _Row(line, identifier, item, new=item is None)
    for column in COLUMNS:
        if column not in cells or column in OWN_COLUMNS:
            continue
        if column in LIST_COLUMNS:
            names = list(dict.fromkeys(_split(cells[column])))
            if item is None or _links_differ(item, column, names):
                row.changes[column] = names
            continue
        value = _field_value(column, cells[column], item)
        name = FIELD_OF.get(column, column)
        if value is not None and (item is None or getattr(item, name) != value):
            row.changes[name] = value
    _check_title(row)
    consent.cap(item, dict(row.changes))  # refuses an access the release does not allow
    if "status" in cells:
        row.status = _status(cells["status"], item)
    if cells.get("transcript", "").strip():
        row.transcript = _transcript(cells, row, checked.base_dir)
    if writing:
        row.upload = checked.uploads.get(line)
    elif cells.get("media", "").strip():
        row.upload = _media(cells["media"].strip(), item, checked.media_dir)
    return row


def _split(cell: str) -> list[str]:
    return [name for name in (authority.clean(part) for part in cell.split(SEPARATOR)) if name]


def _links_differ(item: Item, column: str, names: list[str]) -> bool:
    """Whether ``names`` would change the item's people, tags, collections or prisons."""
    if column in items.ROLE_FIELDS:
        current = item.people_in(items.ROLE_FIELDS[column])
        if names == [person.name for person in current]:
            return False
        people = [authority.find_person(name) for name in names]
        if any(person is None for person in people):
            return True
        return list(dict.fromkeys(p.id for p in people)) != [p.id for p in current]
    label = {"tags": "label", "collections": "title", "prisons": "name"}[column]
    return set(names) != {getattr(record, label) for record in getattr(item, column)}


def _field_value(column: str, cell: str, item: Item | None) -> Any:
    """The value to store for a plain column; None to keep the item's value (or default)."""
    if column in KEPT_WHEN_EMPTY and not cell.strip():
        return None
    if column in ("type", "access", "rights", "date", "language", "download", "release_access"):
        cell = cell.strip()  # codes; text columns are kept as written
    return items.check_field(FIELD_OF.get(column, column), cell)


def _check_title(row: _Row) -> None:
    item = row.item
    title = row.changes.get("title", item.title if item else "")
    title_en = row.changes.get("title_en", item.title_en if item else "")
    if not title and not title_en:
        if item is None:
            raise ArchiveError("a new item needs a title (title or title_en).")
        raise ArchiveError("title and title_en cannot both be empty.")


def _status(cell: str, item: Item | None) -> str | None:
    """The status to move to, None for no change; withdrawal is not done from a CSV file."""
    wanted = cell.strip()
    current = item.status if item is not None else "draft"
    if not wanted or wanted == current:  # a status is never empty: an empty cell keeps it
        return None
    if wanted not in (*SETTABLE_STATUSES, "withdrawn"):
        raise ArchiveError(f"Unknown status '{wanted}': use draft or published.")
    if wanted == "withdrawn":
        raise ArchiveError("an item cannot be withdrawn from a CSV file: use its page.")
    if current == "withdrawn":
        raise ArchiveError(
            f"{item.identifier} was withdrawn: its status cannot change from a CSV file."
        )
    return wanted


def _transcript(cells: dict[str, str], row: _Row, base_dir: Path | None) -> _Transcript:
    """The transcript a cell gives: a sidecar file's segments, or the text itself."""
    cell = cells["transcript"]
    language = cells.get("transcript_language", "").strip()
    if not language:
        languages = row.changes.get("languages", row.item.languages if row.item else "ar")
        language = next((c for c in languages.split("|") if c), "ar")
    if not transcripts.LANGUAGE_RE.fullmatch(language):
        raise ArchiveError(
            f"transcript_language '{language}' is not a language code (such as ar, en)."
        )
    name = cell.strip()
    if "\n" not in name and name.lower().endswith(TRANSCRIPT_SUFFIXES):
        if base_dir is None:
            raise ArchiveError(
                f"transcript {name}: files cannot be read with this upload; "
                "put the transcript's text in the cell instead."
            )
        path = storage.inside(base_dir, name, "transcript")
        if not path.is_file():
            raise ArchiveError(f"transcript {name}: no such file next to the CSV file.")
        segments, source_format = transcripts.read_file(path, filename=name)
        return _Transcript(segments, language, source_format)
    return _Transcript(_paragraphs(cell), language, "txt")


def _paragraphs(text: str) -> list[ParsedSegment]:
    """Untimed segments: a blank line starts a new one (trimmed as a .txt transcript is)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks, current = [], []
    for line in lines:
        if line.strip(TRIM):
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return [ParsedSegment(None, None, "\n".join(block).strip(TRIM)) for block in blocks]


def _media(cell: str, item: Item | None, media_dir: Path | None) -> storage.Upload | None:
    """The file to ingest for this row, or None when the item already has it."""
    basename = PurePosixPath(cell.replace("\\", "/")).name
    current = item.current_recordings if item is not None else []
    path = storage.inside(media_dir, cell, "media") if media_dir is not None else None
    if path is not None and path.is_file():
        upload = storage.local(path)
        held = holder(upload.sha256)
        if held is not None:
            if item is not None and held.item_id == item.id:
                return None  # already a recording of this item
            raise ArchiveError(
                f"media {cell}: the same file is already in the archive, in item {held.identifier}."
            )
        if any(r.original_filename == basename for r in current):
            raise ArchiveError(
                f"media {cell}: {item.identifier} already has a different recording named "
                f"{basename}; replace it on the item's page, or rename the file."
            )
        return upload
    if any(r.original_filename == basename for r in current):
        return None  # exported from this archive: the recording is already there
    if media_dir is None:
        raise ArchiveError(f"media {cell}: no media folder was given (--media-dir).")
    raise ArchiveError(f"media {cell}: no such file in the media folder.")


@operation
def _apply(
    source: BinaryIO, checked: _Checked, *, filename: str, user: User | None, progress: Progress
) -> ImportReport:
    """Write every checked row in one unit of work, a batch of rows at a time: all of it, or
    nothing on any failure (the originals it stored are removed again)."""
    report, line = ImportReport(), None
    try:
        with _text(source) as text:
            for batch in _batches(_Rows(text), BATCH):
                existing = _existing_items(batch)
                planned = []
                for line, cells in batch:
                    planned.append(_check_row(line, cells, existing, checked, writing=True))
                _make_new_items(planned)
                _make_named_records(planned)
                attachments = []  # the batch's transcripts, attached together
                for row in planned:
                    line = row.line
                    _apply_row(row, report, user, attachments)
                line = None  # the rows were checked: attaching them refuses none
                transcripts.attach_many(attachments, user=user)
                db.session.flush()  # then nothing holds the batch's objects: they go
                done = report.created + report.updated + report.unchanged
                progress("writing", done, checked.rows)
        line = None
        audit.record(user, "import", None, file=filename, **asdict(report))
    except ArchiveError as exc:
        if line is not None:
            raise ImportError_([f"line {line}: {exc}"]) from exc
        raise
    return report


def _apply_row(row: _Row, report: ImportReport, user, attachments: list) -> None:
    """One row's changes, through the item operations, counted in ``report``; its transcript
    is added to ``attachments``, for ``transcripts.attach_many``."""
    item, changed = row.item, False
    if row.new:
        audit.record(user, "create", item)
    if row.changes:
        # Each name lookup would flush the rows before it (autoflush); the few it needs
        # to see (a person, tag, collection or prison just made) are flushed when made.
        with db.session.no_autoflush:
            items.describe(item, row.changes, user=user)
        changed = True
    if row.status is not None:
        _set_status(item, row.status, user)
        changed = True
    if row.upload is not None:
        ingest(row.upload, user=user, item=item)
        report.media_ingested += 1
        changed = True
    if row.transcript is not None and _transcript_differs(row):
        attachments.append(
            transcripts.Attachment(
                item,
                row.transcript.segments,
                row.transcript.language,
                row.transcript.source_format,
            )
        )
        report.transcripts += 1
        changed = True
    if row.new:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _make_new_items(planned: list[_Row]) -> None:
    """Insert the new items in one batch: the audit trail needs their ids."""
    for row in planned:
        if row.new:
            # Empty collections from the start: nothing to lazy-load for a new item.
            row.item = Item(
                identifier=row.identifier, title="", credits=[], tags=[], collections=[],
                prisons=[], recordings=[], transcripts=[],
            )  # fmt: skip
            db.session.add(row.item)
    db.session.flush()


def _make_named_records(planned: list[_Row]) -> None:
    """Find or make every person, tag, collection and prison the file names, once each.

    describe then finds them all without making any, so the rows' own inserts reach
    the database in a few large batches instead of one flush per new name.
    """
    makers = {"tags": authority.tag_for, "collections": authority.collection_for}
    makers["prisons"] = authority.place_for
    wanted: dict[str, dict[str, None]] = {}
    for row in planned:
        for column in LIST_COLUMNS:
            for name in row.changes.get(column, ()):
                wanted.setdefault(column, {})[name] = None
    for column, names in wanted.items():
        maker = makers.get(column, authority.person_for)
        for name in names:
            maker(name)


def _set_status(item: Item, status: str, user: User | None) -> None:
    """items.publish / items.unpublish, inside the import's transaction."""
    if status == "published":
        items.publish(item, user=user)
    else:
        items.unpublish(item, user=user)


def _transcript_differs(row: _Row) -> bool:
    """Whether attaching would change the transcript it replaces (the same test attach uses);
    the stored segments are compared as rows, never loaded as objects."""
    item, transcript = row.item, row.transcript
    if row.upload is not None:
        db.session.flush()  # the recording this row ingested needs its id
    recording = item.current_recordings[0] if item.current_recordings else None
    existing = next(
        (
            t
            for t in item.transcripts
            if t.language == transcript.language
            and t.recording_id == (recording.id if recording else None)
        ),
        None,
    )
    if existing is None:
        return True
    stored = db.session.execute(
        select(Segment.start, Segment.end, Segment.text, Segment.speaker)
        .where(Segment.transcript_id == existing.id)
        .order_by(Segment.position)
    )
    old = [(start, end, text, speaker or "") for start, end, text, speaker in stored]
    new = [(s.start, s.end, s.text, s.speaker or "") for s in transcript.segments]
    return old != new


# --- export -------------------------------------------------------------------------


def _with_links() -> tuple:
    """Load options for items with everything a CSV row names, in a few queries."""
    return (
        selectinload(Item.credits).joinedload(Credit.person),
        selectinload(Item.tags),
        selectinload(Item.collections),
        selectinload(Item.prisons),
        selectinload(Item.recordings),
        selectinload(Item.transcripts),
    )


def export_csv(path: Path, progress: Progress | None = None) -> int:
    """Write every item to ``path``, transcripts beside it; the number of items written."""
    progress = progress or _unreported
    path = Path(path)
    folder_name = f"{path.stem}.transcripts"
    path.parent.mkdir(parents=True, exist_ok=True)
    query = select(Item).options(*_with_links())
    catalogue = sorted(db.session.scalars(query), key=lambda item: item.identifier)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        progress("exporting", 0, len(catalogue))
        for done, item in enumerate(catalogue, start=1):
            row = _export_row(item)
            row["transcript"], row["transcript_language"] = _export_transcript(
                item, path.parent, folder_name
            )
            writer.writerow([quote_formula(row[column]) for column in COLUMNS])
            progress("exporting", done, len(catalogue))
    return len(catalogue)


def _export_row(item: Item) -> dict[str, str]:
    row = {column: getattr(item, column) for column in COLUMNS if column in items.FIELDS}
    row.update(
        identifier=item.identifier,
        language=item.languages,
        status=item.status,
        download="yes" if item.download else "no",
        embargo_until=item.embargo_until.strftime("%Y-%m-%d") if item.embargo_until else "",
        prisons=SEPARATOR.join(place.name for place in item.prisons),
        tags=SEPARATOR.join(tag.label for tag in item.tags),
        collections=SEPARATOR.join(c.title for c in item.collections),
        media=item.current_recordings[0].original_filename if item.current_recordings else "",
    )
    for column, role in items.ROLE_FIELDS.items():
        row[column] = SEPARATOR.join(person.name for person in item.people_in(role))
    return row


def _export_transcript(item: Item, folder: Path, folder_name: str) -> tuple[str, str]:
    """Write the item's transcript (in its first language, else its first) as a sidecar file."""
    first = item.language_list[0] if item.language_list else None
    chosen = next((t for t in item.transcripts if t.language == first), None)
    chosen = chosen or (item.transcripts[0] if item.transcripts else None)
    if chosen is None or not chosen.segments:
        return "", ""
    segments = [
        ParsedSegment(start=s.start, end=s.end, text=s.text, speaker=s.speaker or "")
        for s in chosen.segments
    ]
    timed = all(s.start is not None for s in segments)
    name = f"{item.identifier}.{chosen.language}.{'vtt' if timed else 'txt'}"
    (folder / folder_name).mkdir(parents=True, exist_ok=True)
    # A poem's verses and stanzas read back as they are: WebVTT keeps them cue by cue, and
    # untimed verses are written as a poem is typed (archive.catalogue.verses reads it so).
    poem = item.type in VERSE_TYPES
    content = to_webvtt(segments) if timed else to_text(segments, verses=poem)
    (folder / folder_name / name).write_text(content, encoding="utf-8", newline="")
    return f"{folder_name}/{name}", chosen.language
