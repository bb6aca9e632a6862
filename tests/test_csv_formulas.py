"""A CSV export never hands a spreadsheet a formula, and the import undoes exactly what the
export did (docs/csv.md, "Cells a spreadsheet would run as formulas")."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from archive.db import db
from archive.exchange.csv_io import export_csv, import_csv, quote_formula, unquote_formula
from archive.models import Item
from tests.test_csv import archivist, write_csv

FORMULAS = ("=1+1", "-5", "@SUM(A1)", "+972 59 123 4567", '=HYPERLINK("http://x","y")')
TRICKY = ("'=x", "''=x", "'-", "'", "''", "'text", "\tتبويب", "\rسطر", "=", "")
PLAIN = ("شهادة الأسير المحرر", "1988-04", "a-b", "x=y", " =leading space")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("value", FORMULAS + TRICKY + PLAIN)
def test_import_undoes_exactly_what_export_did(value):
    assert unquote_formula(quote_formula(value)) == value


@pytest.mark.parametrize("value", FORMULAS + TRICKY + PLAIN)
def test_no_exported_cell_starts_a_formula(value):
    written = quote_formula(value)
    assert not written.startswith(FORMULA_START)
    assert written == value or written == "'" + value


def test_cells_that_only_look_quoted_are_left_alone():
    assert unquote_formula("'text") == "'text"
    assert unquote_formula("'") == "'"
    assert quote_formula("'text") == "'text"


def rows_of(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as source:
        return list(csv.DictReader(source))


def test_export_is_spreadsheet_safe_and_the_round_trip_exact(app, tmp_path):
    values = {
        "F-1": ("=1+1", "-5 أسرى", "@SUM(A1)"),
        "F-2": ("+972 59 123 4567", "'=x", "\tنفحة"),
        "F-3": ("شهادة الأسير المحرر", "'text", "''=y"),
    }
    source = write_csv(
        tmp_path / "in.csv",
        [
            {
                "identifier": identifier,
                # a hand-made file marks a leading "=" etc. with "'", as the export does
                "title": quote_formula(title),
                "description": quote_formula(description),
                "notes": quote_formula(notes),
            }
            for identifier, (title, description, notes) in values.items()
        ],
    )
    with app.app_context():
        import_csv(source, user=archivist())
        for identifier, (title, description, notes) in values.items():
            item = db.session.scalar(select(Item).where(Item.identifier == identifier))
            # stored exactly as meant (titles are trimmed at the ends, the others kept)
            assert (item.title, item.description, item.notes) == (
                title.strip(),
                description,
                notes,
            )
        first = tmp_path / "first.csv"
        export_csv(first)
        exported = {row["identifier"]: row for row in rows_of(first)}
        assert exported["F-1"]["title"] == "'=1+1"
        assert exported["F-1"]["description"] == "'-5 أسرى"
        assert exported["F-1"]["notes"] == "'@SUM(A1)"
        assert exported["F-2"]["title"] == "'+972 59 123 4567"
        assert exported["F-2"]["description"] == "''=x"
        assert exported["F-3"]["title"] == "شهادة الأسير المحرر"
        assert exported["F-3"]["description"] == "'text"
        assert exported["F-3"]["notes"] == "'''=y"
        for row in exported.values():
            for cell in row.values():
                assert not cell.startswith(FORMULA_START), cell
        import_csv(first, user=archivist())
        item = db.session.scalar(select(Item).where(Item.identifier == "F-2"))
        assert item.description == "'=x"
        second = tmp_path / "second.csv"
        export_csv(second)
    assert second.read_bytes() == first.read_bytes()
