"""Arabic text analysis and search for the archive: plain Python and Whoosh, no Flask.

The analysis API (stable; scripts depend on it):

- :func:`normalize` folds characters only (harakat, tatweel, invisibles, hamza and alef forms,
  ى/ة, digits, Persian letters, case); applying it twice changes nothing.
- :func:`terms` returns the index terms of a transcript or text, in order.
- :func:`arabic_analyzer` is the Whoosh analyzer behind :func:`terms`;
  :func:`name_analyzer` the one for names of people and places (normalized, not stemmed).
"""

from .analysis import arabic_analyzer, name_analyzer, terms
from .normalization import normalize
from .stemming import stem

__all__ = ["arabic_analyzer", "name_analyzer", "normalize", "stem", "terms"]
