"""A non-editable install serves every page: the wheel carries the templates, the static
files, the translations and the migrations, and every package of the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Runs from the unpacked wheel, far from the source tree: init, then fetch pages.
SERVE_FROM_WHEEL = """
import sys
from pathlib import Path
import archive
assert Path(archive.__file__).is_relative_to(Path(sys.argv[1])), archive.__file__
from archive import create_app, migrate
from archive.accounts.users import create_user
app = create_app({"INSTANCE_PATH": sys.argv[2], "TESTING": True, "SECRET_KEY": "x"})
with app.app_context():
    migrate.upgrade()
    create_user("admin@example.org", "a long enough password", "admin")
client = app.test_client()
for path in ("/", "/?lang=en", "/?lang=fr", "/search?q=%D8%A7%D8%B3%D8%B1%D9%89", "/browse",
             "/login", "/register", "/static/css/archive.css"):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    response.close()
print("served")
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("prisoners_archive-*.whl")
    return built


def test_the_wheel_holds_every_package_template_and_static_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").rglob("*.html"):
        assert f"archive/templates/{template.relative_to(ROOT / 'templates')}" in names
    static = ROOT / "archive" / "web" / "static"
    for asset in static.rglob("*"):
        if asset.is_file():
            assert f"archive/web/static/{asset.relative_to(static)}" in names
    for package in ("archive", "media", "indexer"):
        for init in (ROOT / package).rglob("__init__.py"):
            assert init.relative_to(ROOT).as_posix() in names
    assert any(n.startswith("archive/migrations/versions/") for n in names)
    assert any(n.endswith("/LC_MESSAGES/messages.mo") for n in names)


def test_an_installed_wheel_serves_the_pages(wheel, tmp_path):
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", SERVE_FROM_WHEEL, str(unpacked), str(tmp_path / "instance")],
        cwd=elsewhere, env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "served" in result.stdout
