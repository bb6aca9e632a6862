"""The index on disk: update, remove, rebuild and swap, the writer lock across processes.

Plain Python on a temporary folder: no Flask, a real Whoosh index. The tests of what every
backend must do run on PostgreSQL too (``index`` parametrized with tests/search_backends.py);
its own hazards are in tests/test_index_postgres.py.
"""

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from whoosh import index as windex

from indexer import Access, IndexBusy, open_index, rebuild
from tests.search_backends import BACKENDS, new_index, search_server  # noqa: F401 (a fixture)

NOW = datetime(2025, 1, 1)
FOLDER = "index-"


def item(identifier, *segments, **fields):
    """A published public item dict as the app builds it, with one transcript of ``segments``."""
    return {
        "identifier": identifier,
        "type": "testimony",
        "title": f"شهادة {identifier}",
        "title_en": "",
        "description": "",
        "people": [],
        "tags": [],
        "collections": [],
        "places": [],
        "languages": ["ar"],
        "date": "1990",
        "access": "public",
        "status": "published",
        "embargo_until": None,
        "created_at": NOW,
        "transcripts": [
            {
                "id": 1,
                "language": "ar",
                "restricted": False,
                "segments": [
                    {"id": i, "start": 10.0 * i, "end": 10.0 * i + 9, "text": text}
                    for i, text in enumerate(segments)
                ],
            }
        ],
    } | fields


def found(index, query, access=None):
    result = index.search(query, access=access or Access.public(NOW))
    return [r["identifier"] for r in result.results]


@pytest.fixture
def root(tmp_path):
    return tmp_path / "index"


@pytest.fixture
def index(request, root, search_server):  # noqa: F811
    """A Whoosh index under ``root``, or (parametrized ``indirect``) one of either backend."""
    backend = getattr(request, "param", "whoosh")
    with new_index(backend, root.parent, search_server) as index:
        yield index


both_backends = pytest.mark.parametrize("index", BACKENDS, indirect=True)


def test_open_index_creates_a_live_folder_behind_current(root):
    with open_index(root) as index:
        assert index.doc_count() == 0
    current = root / "current"
    assert current.is_symlink()
    target = os.readlink(current)
    assert target.startswith("index-") and (root / target).is_dir()
    with open_index(root) as again:  # opening again keeps the same index
        assert os.readlink(current) == target
        assert again.item_identifiers() == set()


@both_backends
def test_update_replaces_all_documents_of_an_item(index):
    index.update([item("A-1", "كنا في سجن نفحة", "بدأ الإضراب")])
    assert index.doc_count() == 3  # the item and its two segments
    index.update([item("A-1", "كنا في سجن عسقلان", "بدأ الإضراب", "ثم انتهى")])
    assert index.doc_count() == 4
    assert index.item_identifiers() == {"A-1"}
    assert found(index, "نفحة") == []
    assert found(index, "عسقلان") == ["A-1"]
    hits = index.search("الإضراب", access=Access.public(NOW)).results[0]["hits"]
    assert [h["start"] for h in hits] == [10.0]  # no duplicate left by the first version


@both_backends
def test_update_removes_items_in_the_same_commit(index):
    index.update([item("A-1", "نفحة"), item("B-2", "نفحة")])
    index.update([item("C-3", "عسقلان")], remove=["A-1", "never-indexed"])
    assert index.item_identifiers() == {"B-2", "C-3"}
    assert index.doc_count() == 4
    assert found(index, "نفحة") == ["B-2"]
    index.update([], remove=["B-2", "C-3"])
    assert index.item_identifiers() == set() and index.doc_count() == 0


@both_backends
def test_an_access_change_is_a_reindex_of_one_item(index):
    index.update([item("A-1", "قال السجان زنبرك"), item("B-2", "زنبرك")])
    assert sorted(found(index, "زنبرك")) == ["A-1", "B-2"]
    index.update([item("A-1", "قال السجان زنبرك", access="staff")])
    assert found(index, "زنبرك") == ["B-2"]
    assert sorted(found(index, "زنبرك", Access.staff(NOW))) == ["A-1", "B-2"]
    restricted = item("B-2", "زنبرك")
    restricted["transcripts"][0]["segments"][0]["restricted"] = True
    index.update([restricted])
    assert found(index, "زنبرك") == []  # the old, open version of the segment is gone
    hits = index.search("زنبرك", access=Access.staff(NOW)).results
    assert sorted(h["text"] for r in hits for h in r["hits"]) == [
        "<mark>زنبرك</mark>",
        "قال السجان <mark>زنبرك</mark>",
    ]


@both_backends
def test_an_item_without_segments_is_found_by_its_metadata(index):
    index.update([item("A-1", title="قصيدة الحرية", transcripts=[])])
    result = index.search("الحريه", access=Access.public(NOW))
    assert [(r["identifier"], r["hits"]) for r in result.results] == [("A-1", [])]


def test_rebuild_swaps_the_index_under_an_open_one(root, index):
    index.update([item("OLD-1", "كلمة قديمة")])
    old_folder = root / os.readlink(root / "current")
    assert found(index, "قديمة") == ["OLD-1"]

    assert rebuild(root, [item("NEW-1", "كلمة جديدة"), item("NEW-2", "كلمة جديدة")]) == 2
    new_folder = root / os.readlink(root / "current")
    assert new_folder != old_folder and not old_folder.exists()
    assert sorted(found(index, "جديدة")) == ["NEW-1", "NEW-2"]  # the open index followed
    assert found(index, "قديمة") == []
    index.update([item("NEW-3", "كلمة جديدة")])  # and writes into the new one
    assert index.item_identifiers() == {"NEW-1", "NEW-2", "NEW-3"}
    assert [p.name for p in root.iterdir() if p.name.startswith("index-")] == [new_folder.name]


BUILD_FOREVER = """
import sys, time
from indexer import rebuild
from tests.test_index import item

def items():
    for i in range(150):  # over Whoosh's batch of 100 documents: its writer processes start
        yield item(f"SLOW-{i}", "كلمة")
    print("building", flush=True)
    time.sleep(600)

rebuild(sys.argv[1], items(), procs=int(sys.argv[2]))
"""


def processes_named(token: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and token in (proc / "cmdline").read_text():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("procs", [1, 2])
def test_a_folder_a_killed_rebuild_left_goes_with_the_next_rebuild(root, index, procs):
    index.update([item("LIVE-1", "كلمة")])
    token = f"killed-rebuild-{os.getpid()}-{procs}"
    builder = subprocess.Popen(
        [sys.executable, "-c", BUILD_FOREVER, str(root), str(procs), token],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    try:
        assert builder.stdout.readline().strip() == "building"
        assert len(processes_named(token)) == 1 + (procs if procs > 1 else 0)
        (building,) = [p for p in root.iterdir() if (p / "BUILDING").exists()]
        rebuild(root, [item("NEW-1", "كلمة")])
        assert building.is_dir()  # another process is still writing it: left alone
    finally:
        builder.kill()  # kill -9: no cleanup runs, the lock on its marker dies with it
        builder.wait()
        builder.stdout.close()
    deadline = time.monotonic() + 10
    while processes_named(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_named(token) == []  # Whoosh's writer processes died with it
    assert building.is_dir()
    rebuild(root, [item("NEW-2", "كلمة")])
    assert not building.exists()
    assert [p.name for p in root.iterdir() if FOLDER in p.name] == [os.readlink(root / "current")]
    assert found(index, "كلمة") == ["NEW-2"]


def test_searches_running_during_rebuild_see_one_index_or_the_other(root, index):
    index.update([item(f"OLD-{i}", "كلمة") for i in range(5)])
    seen, errors, done = set(), [], threading.Event()

    def search_all_the_time():
        while not done.is_set():
            try:
                seen.add(frozenset(found(index, "كلمة")))
            except Exception as error:  # pragma: no cover - the failure being tested
                errors.append(error)

    searcher = threading.Thread(target=search_all_the_time)
    searcher.start()
    try:
        for round in range(3):
            rebuild(root, [item(f"NEW{round}-{i}", "كلمة") for i in range(5)])
    finally:
        done.set()
        searcher.join()
    assert errors == []
    allowed = {frozenset(f"OLD-{i}" for i in range(5))}
    allowed |= {frozenset(f"NEW{r}-{i}" for i in range(5)) for r in range(3)}
    assert seen <= allowed
    assert set(found(index, "كلمة")) == {f"NEW2-{i}" for i in range(5)}


def test_rebuild_with_several_processes(root, index):
    items = [item(f"P-{i:03d}", f"الأسير رقم {i}", "في سجن نفحة") for i in range(60)]
    assert rebuild(root, items, procs=2, limitmb=32) == 60
    assert index.item_identifiers() == {f"P-{i:03d}" for i in range(60)}
    assert index.doc_count() == 60 * 3
    result = index.search("نفحة", access=Access.public(NOW), per_page=100)
    assert result.total == 60
    assert all(r["hits"][0]["start"] == 10.0 for r in result.results)


def _update_many(root, prefix, rounds):
    with open_index(root) as index:
        for n in range(rounds):
            index.update([item(f"{prefix}-{n}-{k}", "نفحة") for k in range(3)], timeout=60)


def test_two_processes_updating_at_once_both_land(root, index):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_update_many, args=(root, p, 6)) for p in ("X", "Y")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    expected = {f"{p}-{n}-{k}" for p in "XY" for n in range(6) for k in range(3)}
    assert index.item_identifiers() == expected
    assert index.doc_count() == 2 * len(expected)


def _writer_lock(root):
    return windex.open_dir(str(root / os.readlink(root / "current"))).lock("WRITELOCK")


def test_update_raises_index_busy_when_the_lock_stays_held(root, index):
    lock = _writer_lock(root)
    assert lock.acquire()
    try:
        started = time.monotonic()
        with pytest.raises(IndexBusy):
            index.update([item("A-1", "نفحة")], timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 5
    finally:
        lock.release()
    index.update([item("A-1", "نفحة")], timeout=0.3)
    assert index.item_identifiers() == {"A-1"}


def test_update_waits_for_a_lock_held_briefly(root, index):
    lock = _writer_lock(root)
    assert lock.acquire()
    releaser = threading.Timer(0.3, lock.release)
    releaser.start()
    try:
        index.update([item("A-1", "نفحة")], timeout=10)
    finally:
        releaser.join()
    assert index.item_identifiers() == {"A-1"}
