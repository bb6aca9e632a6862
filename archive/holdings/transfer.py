"""Moving an archive onto other engines (``archive migrate-to``): its catalogue into another
database, typically PostgreSQL, and its files into another store, typically a bucket; every
row keeps its id, every file its name and checksum.

The source is only ever read. The files go first: each catalogued file (original, access
copy, poster, peaks) is copied unless the target already holds it intact, and checked in the
target against the checksum the catalogue records. Only when every file is there does the
catalogue follow, table by table in foreign-key order, in one transaction of the target, so
a move that fails leaves the target's catalogue as it found it. Running the move again after
a failure therefore resumes: files already copied are verified and kept, and the catalogue is
copied whole. The target's schema is made by the same Alembic migrations as any archive's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from archive.db import db
from archive.errors import ArchiveError

BATCH = 2000  # rows read and written at a time: bounded memory whatever the catalogue's size


@dataclass
class Moved:
    """What a move copied: rows per table, and the catalogued files."""

    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0  # catalogued files, all now in the target and verified
    copied: int = 0  # of which this run copied
    kept: int = 0  # of which were already in the target, intact (a run resumed)
    bytes: int = 0


@dataclass(frozen=True)
class StoredFile:
    relpath: str
    role: str
    sha256: str
    size: int
    mimetype: str


def move(source: Flask, target: Flask, *, replace: bool = False, echo=print) -> Moved:
    """Copy the catalogue and files of ``source`` into ``target``; ArchiveError on any failure
    (the target's catalogue then stays as it was; files copied so far are kept for the next
    run)."""
    from archive import migrate
    from archive.discovery.indexing import backend_problem
    from archive.holdings.storage import store

    with source.app_context():
        source_engine, source_store = db.engine, store()
    try:
        with target.app_context():
            target_engine, target_store = db.engine, store()
            _refuse_same(source, target, source_engine, target_engine, source_store, target_store)
            problem = backend_problem()
            if problem:
                raise ArchiveError(f"The target's settings: {problem}")
            migrate.upgrade()  # a no-op on a target the migrations made already
        tables = _tables(source_engine, target_engine)
        with target_engine.connect() as connection:
            held = _occupied(connection, tables)
    except SQLAlchemyError as exc:
        raise ArchiveError(f"The target database: {str(exc).splitlines()[0]}") from exc
    if held and not replace:
        raise ArchiveError(
            f"The target database already holds a catalogue ({_count_text(held)}): move into "
            "an empty database, or pass --replace to empty it first."
        )
    before = _fingerprint(source_engine, tables)
    moved = Moved()
    _copy_files(_stored_files(source_engine), source_store, target_store, moved, echo)
    try:
        with target_engine.begin() as connection:  # all the rows, or none
            if held:
                for table in reversed(tables):
                    connection.execute(delete(table))
            for table in tables:
                moved.rows[table.name] = _copy_rows(source_engine, connection, table)
            _restart_sequences(connection, tables)
            if _fingerprint(source_engine, tables) != before:
                raise ArchiveError(
                    "The source archive changed during the move (someone uploaded or edited): "
                    "stop its server and worker, then run the move again."
                )
    except SQLAlchemyError as exc:
        raise ArchiveError(
            f"The target database refused the catalogue, so none of it was copied: "
            f"{str(exc).splitlines()[0]}"
        ) from exc
    copied = {t.name: n for t, n in _fingerprint(target_engine, tables).items()}
    differing = [name for name, count in moved.rows.items() if copied[name][0] != count]
    if differing:
        raise ArchiveError(f"The target's table {differing[0]} does not hold every row copied.")
    return moved


def _refuse_same(source, target, source_engine, target_engine, source_store, target_store):
    """A move onto the archive itself would read what it overwrites."""
    if source_engine.url == target_engine.url:
        raise ArchiveError("The target database is this archive's own: name another one.")
    if _store_place(source_store) == _store_place(target_store):
        raise ArchiveError(f"The target store is this archive's own ({target_store!r}).")
    if Path(source.instance_path).resolve() == Path(target.instance_path).resolve():
        raise ArchiveError("The target instance folder is this archive's own: name another one.")
    if Path(source.config["INDEX"]["DIR"]) == Path(target.config["INDEX"]["DIR"]):
        raise ArchiveError("The target's search index folder is this archive's own.")


def _store_place(store) -> str:
    root = store.local_root
    return str(Path(root).resolve()) if root is not None else repr(store)


def _tables(source_engine: Engine, target_engine: Engine) -> list[Table]:
    """The catalogue's tables the source holds, parents before children; ArchiveError when
    the source holds a table this version does not know (its rows would be left behind).
    The tables of the PostgreSQL search backend are an index, rebuilt on the target."""
    import archive.models  # noqa: F401  (registers every table)
    from indexer import pgschema

    present = set(inspect(source_engine).get_table_names()) - {"alembic_version"}
    present -= set(pgschema.metadata.tables)
    known = {table.name for table in db.metadata.sorted_tables}
    unknown = sorted(present - known)
    if unknown:
        raise ArchiveError(
            f"The source holds table {unknown[0]}, which this version does not know: "
            "upgrade the code (and run archive init) before moving it."
        )
    missing = present - set(inspect(target_engine).get_table_names())
    if missing:
        raise ArchiveError(f"The target database has no table {sorted(missing)[0]}.")
    return [table for table in db.metadata.sorted_tables if table.name in present]


def _occupied(connection: Connection, tables: list[Table]) -> dict[str, int]:
    counts = {t.name: connection.scalar(select(func.count()).select_from(t)) for t in tables}
    return {name: count for name, count in counts.items() if count}


def _count_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} row(s) in {name}" for name, count in sorted(counts.items())[:3])


def _fingerprint(engine: Engine, tables: list[Table]) -> dict[Table, tuple[int, object]]:
    """Rows and the largest key of each table: what a write during the move would change."""
    with engine.connect() as connection:
        return {
            table: tuple(
                connection.execute(
                    select(func.count(), func.max(list(table.primary_key.columns)[0]))
                ).one()
            )
            for table in tables
        }


def _stored_files(engine: Engine) -> list[StoredFile]:
    from archive.models import MediaFile

    files = MediaFile.__table__.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(files.relpath, files.role, files.sha256, files.size, files.mimetype).order_by(
                files.id
            )
        )
        return [StoredFile(*row) for row in rows]


def _copy_files(stored: list[StoredFile], source, target, moved: Moved, echo) -> None:
    """Every catalogued file into ``target``, verified there; ArchiveError listing what
    failed once every other file has been tried."""
    problems = []
    for number, entry in enumerate(stored, start=1):
        try:
            if _intact(target, entry):
                moved.kept += 1
            else:
                _copy_file(entry, source, target)
                moved.copied += 1
        except Exception as exc:  # noqa: BLE001 - every failure is reported, then raised
            problems.append(f"{entry.relpath}: {_reason(exc, entry)}")
            continue
        moved.files += 1
        moved.bytes += entry.size
        if number % 100 == 0 or number == len(stored):
            echo(f"files: {number}/{len(stored)}")
    if problems:
        raise ArchiveError(
            f"{len(problems)} of {len(stored)} file(s) could not be copied and verified, "
            f"first {problems[0]}; nothing of the catalogue was copied (run again to resume)."
        )


def _copy_file(entry: StoredFile, source, target) -> None:
    with source.local_copy(entry.relpath) as path:
        if entry.role == "original":  # read back and verified by the store itself
            target.put_original(path, entry.relpath, entry.sha256)
            return
        target.put_file(entry.relpath, path, mimetype=entry.mimetype)
    if not _intact(target, entry):
        raise ArchiveError(
            "the copy does not match the checksum the catalogue records (run archive fixity, "
            "or archive derivatives regenerate, on the source)."
        )


def _intact(store, entry: StoredFile) -> bool:
    try:
        return store.size(entry.relpath) == entry.size and store.sha256(entry.relpath) == (
            entry.sha256
        )
    except FileNotFoundError:
        return False


def _reason(exc: BaseException, entry: StoredFile) -> str:
    if not isinstance(exc, FileNotFoundError):
        return str(exc) or exc.__class__.__name__
    if entry.role == "original":
        return "missing from this archive's store (run archive fixity)"
    return "missing from this archive's store (archive derivatives regenerate makes it again)"


def _copy_rows(source_engine: Engine, target: Connection, table: Table) -> int:
    """Copy ``table`` whole, keeping every column; a column naming another row of the same
    table (a merged person, a superseded recording) is filled in once every row is there."""
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    keys = [column.name for column in table.primary_key.columns]
    # Columns an UPDATE would stamp anew (updated_at): written back as they were.
    stamped = [column.name for column in table.columns if column.onupdate is not None]
    later = []
    count = 0
    for rows in _batches(source_engine, table):
        if own:
            later += [row for row in rows if any(row[name] is not None for name in own)]
            rows = [{**row, **dict.fromkeys(own)} for row in rows]
        target.execute(insert(table), rows)
        count += len(rows)
    if later:
        where = [table.c[name] == bindparam(f"key_{name}") for name in keys]
        values = {name: bindparam(f"value_{name}") for name in own + stamped}
        statement = update(table).where(*where).values(values)
        params = [
            {**{f"key_{n}": row[n] for n in keys}, **{f"value_{n}": row[n] for n in own + stamped}}
            for row in later
        ]
        target.execute(statement, params)
    return count


def _batches(engine: Engine, table: Table) -> Iterator[list[dict]]:
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=BATCH).execute(
            select(table).order_by(*table.primary_key.columns)
        )
        for rows in result.mappings().partitions():
            yield [dict(row) for row in rows]


def _restart_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL hands out ids from a sequence per table: start each after the ids copied."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or columns[0].type.python_type is not int:
            continue
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": columns[0].name},
        )
        if sequence:
            top = connection.scalar(select(func.max(columns[0]))) or 0
            connection.execute(
                text("SELECT setval(:sequence, :next, false)"),
                {"sequence": sequence, "next": top + 1},
            )


@contextmanager
def target_app(config: Path, instance: Path) -> Iterator[Flask]:
    """The app of the archive being moved onto: the settings of ``config`` alone (this
    archive's own settings file plays no part) on the instance folder ``instance``; its
    database connections are closed when the block ends."""
    import tomllib

    from archive import create_app, settings

    values = settings.defaults()
    try:
        with open(config, "rb") as fh:
            settings.merge(values, tomllib.load(fh))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ArchiveError(f"{config}: cannot read the target's settings: {exc}") from exc
    # Every declared key is given, so none of this archive's settings reaches the target.
    app = create_app({**values, "INSTANCE_PATH": str(instance)})
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def reindex(target: Flask, echo: Callable[[str], None] = print) -> int:
    """Rebuild the target's search index from its copied catalogue."""
    import os

    from archive.discovery import indexing
    from archive.models import Item

    with target.app_context():
        large = (db.session.scalar(select(func.count(Item.id))) or 0) > 500
        count = indexing.reindex(procs=(os.cpu_count() or 1) if large else 1)
        db.session.remove()
    echo(f"Indexed {count} item(s) in the target.")
    return count
