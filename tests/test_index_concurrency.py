"""Several processes changing the catalogue at once: every change reaches the index."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.test_cli import archive, env, query  # noqa: F401  (env is a fixture)

# several processes writing at once
pytestmark = pytest.mark.slow

WRITER = """
import sys
from archive import create_app
from archive.catalogue import items
app = create_app()
with app.app_context():
    for n in range(int(sys.argv[2])):
        item = items.create(identifier=f"{sys.argv[1]}-{n}", title="شهادة متزامنة", type="poem",
                            user=None)
        items.describe(item, {"access": "public", "tags": "تزامن"}, user=None)
        items.publish(item, user=None)
"""


def test_two_processes_writing_at_once_lose_nothing(env):  # noqa: F811
    archive(env, "init")
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, name, "12"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("A", "B")
    ]  # fmt: skip
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    assert query(env, "select count(*) from index_outbox") == [(0,)]
    found = archive(env, "search", "متزامنة", "--json", "--limit", "100")
    assert found.returncode == 0, found.stderr
    import json

    body = json.loads(found.stdout)
    assert body["total"] == 24
    assert {r["identifier"] for r in body["results"]} == {
        f"{w}-{n}" for w in "AB" for n in range(12)
    }
    assert os.path.isdir(os.path.join(env["ARCHIVE_INSTANCE"], "index"))
