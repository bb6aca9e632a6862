"""The WSGI entry point for gunicorn: ``archive.wsgi:app``."""

from archive import create_app

app = create_app()
