"""Formats in and out: CSV import and export, the demo collection."""
