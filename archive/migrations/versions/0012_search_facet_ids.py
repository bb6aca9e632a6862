"""search facet ids, narrow item rows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 14:20:00.000000

The PostgreSQL search backend counts facets as small integers: ``search_items.facets`` holds
the ids of its facet values (``search_labels.id``, numbered by a sequence, ``8 * n + k`` where
``k`` names the facet), no longer ``type:poem`` strings; counting the facets of a thousand
matches hashes integers instead of text, twice as fast. The words "did you mean" offers move
to their own table, ``search_words``: inline they made every item's row four times as wide,
and a common word reads the rows of most items. Its rows are also written in a new
format (pairs of words in every field, see ``indexer/pgschema.py``), so the rows are emptied
here and ``archive init`` rebuilds them (their format is no longer the current one). Nothing to
do on SQLite, as for 0009. The DDL is written out here, frozen.
"""

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

UPGRADE = """
TRUNCATE search_items, search_segments, search_terms, search_passages, search_labels CASCADE;
DELETE FROM search_state WHERE key = 'format';
ALTER TABLE search_items ALTER COLUMN facets DROP DEFAULT;
ALTER TABLE search_items ALTER COLUMN facets TYPE integer[] USING '{}'::integer[];
ALTER TABLE search_items ALTER COLUMN facets SET DEFAULT '{}';
CREATE SEQUENCE IF NOT EXISTS search_labels_number_seq;
ALTER TABLE search_labels ADD COLUMN id integer NOT NULL;
ALTER TABLE search_labels ADD CONSTRAINT search_labels_id_key UNIQUE (id);
ALTER TABLE search_items DROP COLUMN words, DROP COLUMN restricted_words;
CREATE TABLE IF NOT EXISTS search_words (
    item_id bigint PRIMARY KEY REFERENCES search_items (id) ON DELETE CASCADE,
    words text[] NOT NULL,
    restricted_words text[] NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_search_words_words ON search_words USING gin (words);
CREATE INDEX IF NOT EXISTS ix_search_words_restricted_words
    ON search_words USING gin (restricted_words)
"""

DOWNGRADE = """
TRUNCATE search_items, search_segments, search_terms, search_passages, search_labels CASCADE;
DELETE FROM search_state WHERE key = 'format';
DROP TABLE IF EXISTS search_words;
ALTER TABLE search_items ADD COLUMN words text[] NOT NULL DEFAULT '{}',
    ADD COLUMN restricted_words text[] NOT NULL DEFAULT '{}';
CREATE INDEX IF NOT EXISTS ix_search_items_words ON search_items USING gin (words);
CREATE INDEX IF NOT EXISTS ix_search_items_restricted_words
    ON search_items USING gin (restricted_words);
ALTER TABLE search_labels DROP COLUMN id;
DROP SEQUENCE IF EXISTS search_labels_number_seq;
ALTER TABLE search_items ALTER COLUMN facets DROP DEFAULT;
ALTER TABLE search_items ALTER COLUMN facets TYPE text[] USING '{}'::text[];
ALTER TABLE search_items ALTER COLUMN facets SET DEFAULT '{}'
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # the Whoosh index of an SQLite catalogue lives in the instance folder
    _run(UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    _run(DOWNGRADE)


def _run(script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            op.execute(statement)
