"""Finding things: the outbox that keeps the search index in step, search, browsing."""
