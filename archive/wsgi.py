"""The WSGI entry point for gunicorn: ``archive.wsgi:app``.

Each worker imports this module after it starts, opens the search index and reads its
catalogue in the background, so that the first researcher to search after a restart does
not wait for it.
"""

import threading

from archive import create_app, search

app = create_app()
threading.Thread(target=search.warm, args=(app,), name="warm-search", daemon=True).start()
