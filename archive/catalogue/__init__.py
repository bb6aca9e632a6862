"""The catalogue: items, people and tags, collections, transcripts and their formats, withdrawal."""
