"""search on postgresql

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:30:00.000000

The tables of the PostgreSQL search backend (``[SEARCH] BACKEND = "postgresql"``, see
``indexer/pgschema.py``, which holds matching SQLAlchemy Core tables). Made only when the
catalogue is on PostgreSQL: on SQLite this migration does nothing, so one chain of migrations
serves both. The DDL is written out here, frozen: the code may change, this must not.
"""

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE IF NOT EXISTS search_items (
    id bigserial PRIMARY KEY,
    identifier text NOT NULL UNIQUE,
    access text NOT NULL,
    status text NOT NULL,
    embargo timestamp without time zone,
    type text NOT NULL DEFAULT '',
    title text NOT NULL DEFAULT '',
    title_en text NOT NULL DEFAULT '',
    date text NOT NULL DEFAULT '',
    year integer,
    facets text[] NOT NULL DEFAULT '{}',
    document tsvector NOT NULL,
    words text[] NOT NULL DEFAULT '{}',
    restricted_words text[] NOT NULL DEFAULT '{}',
    long boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS ix_search_items_document ON search_items USING gin (document);
CREATE INDEX IF NOT EXISTS ix_search_items_facets ON search_items USING gin (facets);
CREATE INDEX IF NOT EXISTS ix_search_items_words ON search_items USING gin (words);
CREATE INDEX IF NOT EXISTS ix_search_items_restricted_words
    ON search_items USING gin (restricted_words);

CREATE TABLE IF NOT EXISTS search_segments (
    item_id bigint NOT NULL REFERENCES search_items (id) ON DELETE CASCADE,
    number integer NOT NULL,
    start double precision,
    "end" double precision,
    text text NOT NULL,
    restricted boolean NOT NULL,
    terms tsvector NOT NULL,
    PRIMARY KEY (item_id, number)
);

CREATE TABLE IF NOT EXISTS search_terms (
    term text COLLATE "C" NOT NULL,
    item_id bigint NOT NULL REFERENCES search_items (id) ON DELETE CASCADE,
    weight real NOT NULL,
    PRIMARY KEY (term, item_id) INCLUDE (weight)
);
CREATE INDEX IF NOT EXISTS ix_search_terms_item_id ON search_terms (item_id);

CREATE TABLE IF NOT EXISTS search_passages (
    item_id bigint NOT NULL REFERENCES search_items (id) ON DELETE CASCADE,
    number integer NOT NULL,
    restricted boolean NOT NULL,
    terms tsvector NOT NULL,
    PRIMARY KEY (item_id, number)
);
CREATE INDEX IF NOT EXISTS ix_search_passages_terms ON search_passages USING gin (terms);

CREATE TABLE IF NOT EXISTS search_labels (
    facet text NOT NULL,
    value text NOT NULL,
    label text NOT NULL,
    label_en text NOT NULL,
    PRIMARY KEY (facet, value)
);

CREATE TABLE IF NOT EXISTS search_state (
    key text PRIMARY KEY,
    value text NOT NULL
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS search_state;
DROP TABLE IF EXISTS search_labels;
DROP TABLE IF EXISTS search_passages;
DROP TABLE IF EXISTS search_terms;
DROP TABLE IF EXISTS search_segments;
DROP TABLE IF EXISTS search_items;
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
