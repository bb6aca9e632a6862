"""The index on disk: open it, update items in it, search it, rebuild it.

``root`` (e.g. ``instance/index``) holds index folders named ``index-<time>-<random>`` and a
symlink ``current`` naming the live one. :func:`rebuild` writes a complete index into a fresh
folder and swaps the symlink over in one ``os.replace``; every :class:`Index` looks at the
symlink on each call and follows it, so searches never see half an index.

Whoosh allows one writer per index folder, across processes (a file lock). :meth:`Index.update`
waits for it up to a timeout and raises :class:`IndexBusy` after that.
"""

import os
import shutil
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from itertools import chain
from pathlib import Path
from secrets import token_hex

from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec
from whoosh.index import LockError
from whoosh.util.filelock import try_for

from . import building, morphology
from .catalogue import Catalogue, LeafCache
from .schema import build_schema, item_documents, visibility, vocab_document
from .search import Access, SearchResult, View, run
from .writer import Writer

CURRENT = "current"
FOLDER_PREFIX = "index-"
UPDATE_LIMIT_MB = 32  # postings an update keeps in memory before it spills to disk
SWAP_WAIT = 30.0  # seconds rebuild() waits for a running update before swapping anyway
FORMAT = "5"  # what the documents hold; an index of another format is rebuilt by `archive init`
FORMAT_FILE = "FORMAT"
VOCAB_PER_ITEM = 100  # an update of more items groups their vocab by kind of access


class IndexBusy(Exception):
    """Another process held the index writer for longer than the timeout."""


class Index:
    """The search index under ``root``; use :func:`open_index`. Safe to share between threads."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock = threading.RLock()
        self._folder: Path | None = None
        self._ix = None
        self._view: View | None = None
        self._cache = LeafCache()

    def update(self, items: Iterable[dict], *, remove: Iterable[str] = (), timeout: float = 30.0):
        """Replace the documents of ``items`` and delete those of ``remove``, in one commit.

        ``items`` may be a generator (each item once): it is read one item at a time once the
        writer is held, and the writer's pool spills to disk past ``UPDATE_LIMIT_MB``, so a
        long update (the thousands of items of an import) takes bounded memory and makes one
        index segment. Each item gets a vocab document of its own, unless the update holds
        more than ``VOCAB_PER_ITEM`` items: then, as :func:`rebuild` does, one per kind of
        access (see :class:`_Vocabulary`). Waits up to ``timeout`` seconds for the writer;
        raises :class:`IndexBusy` after that.
        """
        items = iter(items)
        first = next(items, None)
        remove = set(remove)
        if first is None and not remove:
            return
        deadline = time.monotonic() + timeout
        while True:
            folder = _ensure_current(self.root)
            try:
                ix = windex.open_dir(str(folder))
                writer = Writer(
                    ix, timeout=max(0.0, deadline - time.monotonic()), delay=0.05,
                    codec=codec(), limitmb=UPDATE_LIMIT_MB,
                )  # fmt: skip
            except LockError:
                raise IndexBusy(f"the index writer stayed locked for {timeout:g} s") from None
            except (OSError, windex.EmptyIndexError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # the folder was swapped away between readlink and open
                continue
            if _target(self.root) != folder:  # rebuilt while we waited: write the new one
                _cancel(writer)
                continue
            try:
                for identifier in remove:
                    writer.delete_by_term("identifier", identifier)
                vocabulary = _Vocabulary()
                for item in chain([first] if first is not None else [], items):
                    docs, (words, restricted_words) = item_documents(item)
                    vocabulary.add(item["identifier"], visibility(item), words, restricted_words)
                    writer.delete_by_term("identifier", item["identifier"])
                    _add(writer, docs)
                for doc in vocabulary.documents():
                    writer.add_document(**doc)
                writer.commit(optimize=False)
            except BaseException:
                _cancel(writer)
                raise
            return

    def search(
        self,
        query: str,
        *,
        access: Access,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        filters: dict[str, list[str]] | None = None,
        hits_per_item: int = 3,
        budget: float | None = None,
        thesaurus=None,
    ) -> SearchResult:
        """Items matching ``query`` that ``access`` may see, one page of them, with facets.

        ``sort``: "relevance" (AND-first, then score), "date" (oldest first) or "-date";
        undated items come last. ``filters``: facet -> values; values of one facet are OR-ed,
        facets AND-ed; each facet is counted with the filters of the others applied.
        ``budget``: seconds the search may take (None: no limit); once they are spent, it
        answers with what it has found so far and ``partial`` set (a hostile query is short
        but costly). The work of one query is bounded besides (see :mod:`indexer.query`).
        ``thesaurus``: an :class:`indexer.thesaurus.Thesaurus` whose other forms of the query's
        unquoted words are searched too (see :mod:`indexer.expansion`).
        """
        options = dict(
            access=access,
            page=page,
            per_page=per_page,
            sort=sort,
            filters=filters,
            hits_per_item=hits_per_item,
            budget=budget,
            thesaurus=thesaurus,
        )
        with self._lock:
            try:
                return run(self._current_view(), query, **options)
            except Exception:
                if not self._changed():
                    raise
            # The index changed under the search (rebuilt, or segments merged away): again.
            self._close_view()
            return run(self._current_view(), query, **options)

    def prepare(self) -> None:
        """Read what every search needs (the searcher, the catalogue of its items, the
        vocabulary by consonant key) now, so that the first visitor does not wait for it."""
        morphology.prepare()
        with self._lock:
            self._current_view().names  # noqa: B018 - read and kept for the searches to come

    def doc_count(self) -> int:
        """Number of live item and segment documents (vocab documents are not counted)."""
        with self._lock:
            view = self._current_view()
            return view.searcher.doc_count() - len(view.catalogue.vocab)

    def item_identifiers(self) -> set[str]:
        """Identifiers of all item documents."""
        with self._lock:
            return {info.identifier for info in self._current_view().catalogue.items.values()}

    def close(self) -> None:
        with self._lock:
            self._close_view()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _current_view(self) -> View:
        folder = _target(self.root)
        if folder is None or not folder.is_dir():
            folder = _ensure_current(self.root)
        if folder != self._folder:
            self._close_view()
            self._ix = windex.open_dir(str(folder))
            self._folder = folder
            self._cache = LeafCache()
        if self._view is not None:
            if self._view.searcher.up_to_date():
                return self._view
            # Not Searcher.refresh(): Whoosh 2.7's reader reuse keeps segments the new
            # generation dropped (a fully deleted item would come back). A new searcher opens
            # the segments again; the catalogue of unchanged ones is reused (LeafCache).
            self._view.searcher.close()
        searcher = self._ix.searcher()
        self._view = View(searcher, Catalogue(searcher.reader(), self._cache))
        return self._view

    def _changed(self) -> bool:
        try:
            return _target(self.root) != self._folder or not self._view.searcher.up_to_date()
        except Exception:
            return True

    def _close_view(self) -> None:
        if self._view is not None:
            with suppress(Exception):  # its files may be gone already
                self._view.searcher.close()
        self._view = self._ix = self._folder = None


class _Vocabulary:
    """The words "did you mean" may offer from the items of one update, as vocab documents.

    Up to ``VOCAB_PER_ITEM`` items, one document each, named by the item's identifier: when
    the item changes or goes, its words go with it. Past that (an import), one document per
    kind of access for the whole update, as :func:`rebuild` writes them: vocab postings are
    about half of an item's postings, and words repeat across items. Their words outlive the
    items until the next rebuild, which is safe: a word is suggested only when it finds an
    item the searcher may see (see :func:`indexer.search._closest`).

    >>> vocabulary = _Vocabulary(limit=1)
    >>> vocabulary.add("A-1", ("public", "published", None), {"سجن"}, set())
    >>> [d["identifier"] for d in vocabulary.documents()]
    ['A-1']
    >>> vocabulary.add("A-2", ("public", "published", None), {"نفحه"}, {"زنبرك"})
    >>> [(d.get("identifier"), d["spell"], d["spell_restricted"]) for d in vocabulary.documents()]
    [(None, 'سجن نفحه', 'زنبرك')]
    """

    def __init__(self, limit: int = VOCAB_PER_ITEM):
        self.limit = limit
        self.items: list[tuple] = []  # (identifier, key, words, restricted words), while few
        self.grouped: dict[tuple, tuple[set, set]] | None = None  # key -> words, restricted

    def add(self, identifier: str, key: tuple, words: set, restricted_words: set) -> None:
        if self.grouped is None:
            self.items.append((identifier, key, words, restricted_words))
            if len(self.items) <= self.limit:
                return
            self.grouped = {}
            for _, key, words, restricted_words in self.items:
                self._gather(key, words, restricted_words)
            self.items = []
            return
        self._gather(key, words, restricted_words)

    def _gather(self, key: tuple, words: set, restricted_words: set) -> None:
        gathered = self.grouped.setdefault(key, (set(), set()))
        gathered[0].update(words)
        gathered[1].update(restricted_words)

    def documents(self) -> list[dict]:
        if self.grouped is None:
            return [vocab_document(w, r, key, identifier) for identifier, key, w, r in self.items]
        return [vocab_document(w, r, key) for key, (w, r) in self.grouped.items()]


def open_index(root: str | Path) -> Index:
    """The index under ``root``, creating the folder, an empty index and ``current`` if missing."""
    root = Path(root)
    _ensure_current(root)
    return Index(root)


def rebuild(root: str | Path, items: Iterable[dict], *, procs: int = 1, limitmb: int = 256) -> int:
    """Index ``items`` into a fresh folder, swap ``current`` to it, delete the old folders.

    Returns the number of items indexed. Searches keep running on the old index until the
    swap and follow it after. With ``procs`` > 1 several processes analyze the documents.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    folder, marker = building.start(root, FOLDER_PREFIX)
    seen, vocab = set(), {}
    try:
        ix = _create(folder)
        if procs > 1:
            writer = ix.writer(procs=procs, multisegment=True, limitmb=limitmb, codec=codec())
        else:
            writer = Writer(ix, limitmb=limitmb, codec=codec())
        try:
            for item in items:
                if item["identifier"] in seen:
                    continue
                seen.add(item["identifier"])
                docs, (words, restricted_words) = item_documents(item)
                _add(writer, docs)
                # One vocab document per kind of access for the whole index: Whoosh's writer
                # costs by the term and the posting, and words repeat across items.
                gathered = vocab.setdefault(visibility(item), (set(), set()))
                gathered[0].update(words)
                gathered[1].update(restricted_words)
            for key, (words, restricted_words) in vocab.items():
                writer.add_document(**vocab_document(words, restricted_words, key))
            writer.commit(optimize=False)
        except BaseException:
            _cancel(writer)
            raise
        _swap(root, folder)
        (folder / building.BUILDING).unlink()  # after the swap: never removable before it
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        building.finish(marker)
    _remove_old(root)
    return len(seen)


def codec() -> W3Codec:
    """Whoosh's codec without zlib on posting blocks: a fifth less work to write the index
    and none to read it back, for a bigger index (disk is cheaper than a researcher's wait)."""
    return W3Codec(compression=0)


def _create(folder: Path):
    (folder / FORMAT_FILE).write_text(FORMAT + "\n")
    return windex.create_in(str(folder), build_schema())


def outdated(root: str | Path) -> bool:
    """True when the live index under ``root`` was written in an older format (its documents
    lack what this code reads): rebuild it."""
    folder = _target(Path(root))
    if folder is None or not windex.exists_in(str(folder)):
        return False
    try:
        return (folder / FORMAT_FILE).read_text().strip() != FORMAT
    except FileNotFoundError:
        return True


def _target(root: Path) -> Path | None:
    """The folder ``current`` names, or None when there is no ``current``."""
    link = root / CURRENT
    try:
        name = os.readlink(link)
    except FileNotFoundError:
        return None
    except OSError:  # a real folder named "current" (made by hand): use it as it is
        return link if link.is_dir() else None
    return root / name


def _ensure_current(root: Path) -> Path:
    """The live index folder, creating an empty index and ``current`` when there is none."""
    while True:
        folder = _target(root)
        if folder is not None and folder.is_dir():
            if not windex.exists_in(str(folder)):
                _create(folder)
            return folder
        root.mkdir(parents=True, exist_ok=True)
        new = _new_folder(root)
        _create(new)
        if os.path.islink(root / CURRENT):  # dangling: replace it
            _point(root, new)
            return new
        try:
            os.symlink(new.name, root / CURRENT)
            return new
        except FileExistsError:  # another process made one first: use theirs
            shutil.rmtree(new, ignore_errors=True)


def _new_folder(root: Path) -> Path:
    folder = root / f"{FOLDER_PREFIX}{building.stamp()}"
    folder.mkdir()
    return folder


def _point(root: Path, folder: Path) -> None:
    """Make ``current`` name ``folder`` in one step (a new symlink renamed over the old)."""
    link = root / CURRENT
    if link.is_dir() and not link.is_symlink():  # a hand-made folder: keep it under a new name
        link.rename(root / f"{FOLDER_PREFIX}{CURRENT}-{token_hex(4)}")
    temporary = root / f".{CURRENT}-{token_hex(4)}"
    os.symlink(folder.name, temporary)
    os.replace(temporary, link)


def _swap(root: Path, folder: Path) -> None:
    """Point ``current`` at ``folder`` while holding the old index's writer lock, so that an
    update either lands in the old index before the swap or goes to the new one."""
    old, lock = _target(root), None
    if old is not None and windex.exists_in(str(old)):
        lock = windex.open_dir(str(old)).lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=SWAP_WAIT, delay=0.05):
            lock = None
    try:
        _point(root, folder)
    finally:
        if lock is not None:
            lock.release()


def _remove_old(root: Path) -> None:
    """Delete index folders other than the live one and those another process is building
    (a folder a killed rebuild left goes now: its lock died with it)."""
    live = _target(root)
    for folder in root.iterdir():
        if folder.is_symlink() or not folder.is_dir() or folder == live:
            continue
        if folder.name.startswith(FOLDER_PREFIX):
            if not building.abandoned(folder):
                continue
        elif folder.name.startswith(f".{FOLDER_PREFIX}"):  # a rebuild between mkdir and rename
            if time.time() - folder.stat().st_mtime < building.STALE_BUILD:
                continue
        else:
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _add(writer, docs: list[dict]) -> None:
    """Add one item's documents so that they land together in one index segment (with
    several processes, Whoosh hands out batches of documents and never splits a group)."""
    with writer.group():
        for doc in docs[:-1]:
            writer.add_document(**doc)
    writer.add_document(**docs[-1])


def _cancel(writer) -> None:
    with suppress(Exception):  # the folder may be gone; the lock is released either way
        writer.cancel()
