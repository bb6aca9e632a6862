"""The WSGI entry point for gunicorn: ``archive.wsgi:app``.

Each worker imports this module after it starts and, in the background, compiles the page
templates and opens the search index (reading its catalogue), so that the first visitors after
a restart do not wait for either.
"""

import threading

from archive import create_app
from archive.discovery import search

app = create_app()


def _warm() -> None:
    for name in app.jinja_env.list_templates(extensions=["html"]):
        app.jinja_env.get_template(name)
    search.warm(app)


threading.Thread(target=_warm, name="warm", daemon=True).start()
