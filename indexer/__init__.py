"""Arabic text analysis and search for the archive: plain Python and Whoosh, no Flask.

The analysis API (stable; scripts depend on it):

- :func:`normalize` folds characters only (harakat, tatweel, invisibles, hamza and alef forms,
  ى/ة, digits, Persian letters, case); applying it twice changes nothing.
- :func:`terms` returns the index terms of a transcript or text, in order.
- :func:`arabic_analyzer` is the Whoosh analyzer behind :func:`terms`;
  :func:`name_analyzer` the one for names of people and places (normalized, not stemmed).

The search index (plain dicts in, plain results out; Whoosh objects never leave the package):

- :func:`open_index` opens (or creates) the index under a folder; :meth:`Index.update` replaces
  and removes items, :meth:`Index.search` searches as an :class:`Access` may, returning a
  :class:`SearchResult`; :func:`rebuild` builds a fresh index and swaps it in; :func:`outdated` says whether the live
  index was written in an older format and needs a rebuild.
- :func:`open_pg_index` opens the same index in PostgreSQL (full-text search on tables of the
  catalogue's database, read replicas for searching): a :class:`PgIndex` has the same methods,
  plus ``rebuild(items)`` and ``outdated()``.
- :data:`FACETS` (also the field scopes of the query language), :data:`SORTS` and
  :data:`MAX_PER_PAGE` are defined here once; the archive imports them.
"""

from .analysis import arabic_analyzer, name_analyzer, terms
from .index import Index, IndexBusy, open_index, outdated, rebuild
from .normalization import normalize
from .postgres import PgIndex, open_pg_index
from .schema import FACETS
from .search import MAX_PER_PAGE, SORTS, Access, SearchResult
from .stemming import stem

__all__ = [
    "FACETS",
    "MAX_PER_PAGE",
    "SORTS",
    "Access",
    "Index",
    "PgIndex",
    "IndexBusy",
    "SearchResult",
    "arabic_analyzer",
    "name_analyzer",
    "normalize",
    "open_index",
    "open_pg_index",
    "outdated",
    "rebuild",
    "stem",
    "terms",
]
