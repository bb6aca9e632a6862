"""Searching the PostgreSQL tables: the same answers as :mod:`indexer.search`, worked out in SQL.

One statement matches, filters by access, narrows by facets, counts totals and facets (each
facet with the other facets' filters), ranks the page AND-first then by BM25F weights read
from ``search_terms``, and says which plain words match anything the caller may see. A second
reads the best moments of the page's items from their segments; "did you mean" asks the words
of the items the caller may see. Nothing is loaded but what is shown.

What keeps it fast on a large archive (a common word matches most items): the matching items
are read in one bitmap heap scan of ``search_items`` that also checks visibility and takes what
the page shows (no join back by id, whose size the planner cannot guess: a wrong guess made a
nested loop of 6,000 x 3,000 rows); facets are integers counted by hash; scores are the
terms' rows of ``search_terms`` summed and hash-joined; JIT compilation is off (see
:meth:`indexer.postgres.PgIndex.search`)."""

from __future__ import annotations

import logging
import time
from threading import Lock, Thread

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from . import expansion, search
from .moments import mark
from .pgquery import Clause, Compiled, compile_clauses, lexemes
from .pgschema import FACET_CODES, FACET_SPAN
from .query import parse
from .schema import FACETS, text_tokens
from .search import (
    _ARABIC,
    _LATIN,
    MAX_PER_PAGE,
    MAX_SUGGEST,
    SORTS,
    Access,
    Budget,
    SearchResult,
)

#: Seconds past the time budget after which the main statement is cancelled (the result is
#: then empty, marked partial). The budget itself is kept between the steps: once spent, the
#: moments and "did you mean" are left out. A busy server must not empty every answer; a
#: runaway query must not run forever.
RUNAWAY = 2.0
SPARE_HITS = 2  # segments read per hit shown, in case one is not marked after all
CLOSEST_COUNT_CAP = 100  # items counted per "did you mean" candidate: enough to rank by


class Statement:
    """SQL text being written, with its bound parameters."""

    def __init__(self):
        self.params: dict[str, object] = {}

    def bind(self, value, cast: str | None = None) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"CAST(:{name} AS {cast})" if cast else f":{name}"


def visible(access: Access, sql: Statement, alias: str = "i") -> str:
    """The SQL condition on ``search_items`` for the items ``access`` may see at its ``now``
    (the rule of :meth:`indexer.catalogue.Catalogue.visible`)."""
    status = []
    if access.statuses is not None:
        status.append(f"{alias}.status = ANY({sql.bind(list(access.statuses), 'text[]')})")
    if access.levels is None:
        condition = " AND ".join(status) or "TRUE"
    else:
        ended = f"({alias}.embargo IS NULL OR {alias}.embargo <= {sql.bind(access.now)})"
        level = f"{alias}.access = ANY({sql.bind(list(access.levels), 'text[]')})"
        condition = "(" + " AND ".join([*status, level, ended]) + ")"
        if access.granted:
            granted = f"{alias}.identifier = ANY({sql.bind(sorted(access.granted), 'text[]')})"
            condition = f"({condition} OR (" + " AND ".join([*status, granted, ended]) + "))"
    if access.hidden:
        hidden = sql.bind(sorted(access.hidden), "text[]")
        condition += f" AND NOT ({alias}.identifier = ANY({hidden}))"
    return condition


def matches(clauses: list[Clause], sql: Statement, restricted_text: bool, alias: str = "i") -> str:
    """The SQL condition on ``search_items`` of the items matching any of ``clauses`` (whoever
    may see them): one GIN condition on ``document``, and the items whose passages match
    (long transcripts) by id, so that the planner reads the items in one bitmap heap scan
    and no join is needed."""
    documents = [f"({c.document})" for c in clauses if c.document]
    passages = [f"({c.passages})" for c in clauses if c.passages]
    parts = []
    if documents:
        parts.append(f"{alias}.document @@ {sql.bind(' | '.join(documents), 'tsquery')}")
    if passages:
        closed = "" if restricted_text else " AND NOT p.restricted"
        query = sql.bind(" | ".join(passages), "tsquery")
        parts.append(
            f"{alias}.id = ANY(ARRAY(SELECT p.item_id FROM search_passages p "
            f"WHERE p.terms @@ {query}{closed}))"
        )
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def clause_ids(clause: Clause, sql: Statement, restricted_text: bool) -> str:
    """A query of the ids of the items matching ``clause`` (whoever may see them)."""
    return f"SELECT i.id FROM search_items i WHERE {matches([clause], sql, restricted_text)}"


def facet_filters(filters) -> dict[str, list[str]]:
    """Facet -> the values its filter allows; empty filters left out."""
    allowed = {}
    for name, values in (filters or {}).items():
        if name not in FACETS or not values:
            continue
        if isinstance(values, str):
            values = [values]
        values = [str(v).replace("\x00", "") for v in values]  # never in a stored value
        values = [v.lower() if name in ("type", "language") else v for v in values]
        allowed[name] = values
    return allowed


def allowed_ids(sql: Statement, name: str, values: list[str]) -> str:
    """The SQL array of the ids of facet ``name``'s ``values`` (an init plan: evaluated once)."""
    return (
        f"ARRAY(SELECT id FROM search_labels WHERE facet = {sql.bind(name, 'text')} "
        f"AND value = ANY({sql.bind(values, 'text[]')}))"
    )


def facet_counts(sql: Statement, rows: str, narrowing: str = "TRUE", values: str = "TRUE") -> str:
    """The SQL of the counts of the facet values (those ``values`` allows, of ``v``) of
    ``rows`` (those ``narrowing`` allows, of ``m``), as a JSON array of [facet, value, label,
    label_en, count]: small integers hashed, then labelled. (``unnest`` in the select list:
    a third faster than a lateral join to it.)"""
    return (
        "(SELECT json_agg(json_build_array(l.facet, l.value, l.label, l.label_en, f.n)) FROM "
        f"(SELECT v, count(*) AS n FROM (SELECT unnest(m.facets) AS v FROM {rows} m "
        f"WHERE {narrowing}) u WHERE {values} GROUP BY v) f JOIN search_labels l ON l.id = f.v)"
    )


def run(
    connection,
    query: str,
    *,
    access: Access,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    filters: dict[str, list[str]] | None = None,
    hits_per_item: int = 3,
    budget: float | None = None,
    thesaurus=None,
) -> SearchResult:
    """Search as ``access`` may; see :meth:`indexer.Index.search`. ``connection``: a
    SQLAlchemy connection in a read-only transaction."""
    page = max(1, int(page or 1))
    per_page = min(MAX_PER_PAGE, max(1, int(per_page or 20)))
    sort = sort if sort in SORTS else "relevance"
    spending = Budget(budget)
    parsed = parse(query)
    expanded = expansion.expand(
        parsed,
        thesaurus,
        lambda word: _visible_words(connection, name_keys(connection).lookup(word), access),
        expansion.form_allowed(lambda words: _visible_words(connection, words, access)),
    )
    compiled = compile_clauses(expanded.parsed, access.restricted_text, spending)
    if expanded.added:
        _lower_expansions(compiled, parsed, access.restricted_text)
        spans = {atom.span for atom in expanded.added}
        compiled.words = [(a, c) for a, c in compiled.words if a.span not in spans]
    start, end = (page - 1) * per_page, page * per_page
    sql = Statement()
    statement = _main(sql, parsed, compiled, access, facet_filters(filters), sort, end)
    if budget:
        milliseconds = int((budget + RUNAWAY) * 1000)
        connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
    try:
        total, facet_rows, filtered_rows, found_words, rows = connection.execute(
            text(statement), sql.params
        ).one()
    except OperationalError as exc:
        if "statement timeout" not in str(exc):
            raise
        empty = {name: [] for name in FACETS}
        return SearchResult(query, 0, page, per_page, None, [], empty, partial=True)
    if budget:
        connection.execute(text("SET LOCAL statement_timeout = 0"))

    facets = _facets(facet_rows or [], filtered_rows or {})
    results = [
        {
            "identifier": row[0],
            "title": row[1],
            "title_en": row[2],
            "type": row[3],
            "date": row[4],
            "score": round(float(row[5] or 0.0), 4),
            "hits": [],
            "id": row[6],
        }
        for row in (rows or [])[start:end]
    ]
    if compiled.marks and hits_per_item > 0 and results and not spending.over():
        found = moments(connection, compiled.marks, [r["id"] for r in results], hits_per_item,
                        access.restricted_text)  # fmt: skip
        for result in results:
            result["hits"] = found.get(result["id"], [])
    for result in results:
        del result["id"]
    suggestion = None
    if not spending.over():
        missing = [atom for (atom, _), hit in zip(compiled.words, found_words or [], strict=True)
                   if not hit]  # fmt: skip
        suggestion = _suggestion(connection, parsed, missing, access, spending)
    return SearchResult(
        query=query,
        total=total,
        page=page,
        per_page=per_page,
        suggestion=suggestion,
        results=results,
        facets=facets,
        partial=compiled.partial or spending.over(),
        also_searched=[{"words": w, "forms": f} for w, f in expanded.also_searched],
    )


#: engine URL -> (stamp, words by key, seconds the reading took): see :func:`name_keys`
_NAMES: dict[str, tuple[object, expansion.NameKeys, float]] = {}
_NAMES_LOCK = Lock()
_REFRESHING: set[str] = set()
#: Seconds a reading of the vocabulary may take and still be done while a visitor waits; past
#: this (a million segments take seconds), the next one is done in the background.
NAMES_WAIT = 0.5

log = logging.getLogger(__name__)


def name_keys(connection) -> expansion.NameKeys:
    """The open words of ``search_words`` by consonant key, read again when the items change
    (the highest item row is the stamp: every update writes new rows).

    When reading them took long, a search after a change does not wait for them: it uses the
    words of the last reading while a thread reads them again. Those are only candidates: a
    form is searched or shown only once :func:`_visible_words` has found it in the open text
    of an item the searcher may see, so an old reading can miss a new word but never offer a
    withdrawn or restricted one."""
    where = connection.engine.url.render_as_string(hide_password=True)
    stamp = connection.execute(text("SELECT max(item_id) FROM search_words")).scalar()
    with _NAMES_LOCK:
        kept = _NAMES.get(where)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    if kept is not None and kept[2] > NAMES_WAIT:
        _read_names_later(connection.engine, where)
        return kept[1]
    return _read_names(connection, where, stamp)


def _read_names(connection, where: str, stamp) -> expansion.NameKeys:
    started = time.perf_counter()
    rows = connection.execute(
        text(
            "SELECT w, count(*) FROM search_words, unnest(words) w "
            "GROUP BY w ORDER BY count(*) DESC LIMIT :n"
        ),
        {"n": expansion.NameKeys.MAX_WORDS},
    )
    made = expansion.NameKeys((w, n) for w, n in rows)
    with _NAMES_LOCK:
        _NAMES[where] = (stamp, made, time.perf_counter() - started)
    return made


def _read_names_later(engine, where: str) -> None:
    """Read the vocabulary again in a thread of its own (one per database at a time)."""
    with _NAMES_LOCK:
        if where in _REFRESHING:
            return
        _REFRESHING.add(where)

    def read() -> None:
        try:
            with engine.connect() as connection:
                stamp = connection.execute(text("SELECT max(item_id) FROM search_words")).scalar()
                _read_names(connection, where, stamp)
        except Exception:  # noqa: BLE001 - the old words serve until the next try
            log.exception("reading the search vocabulary again failed")
        finally:
            with _NAMES_LOCK:
                _REFRESHING.discard(where)

    Thread(target=read, name="search-names", daemon=True).start()


def _visible_words(connection, candidates, access: Access) -> list[str]:
    """Those of ``candidates`` (normalized words) said in the open text of an item ``access``
    may see, in their order."""
    candidates = list(candidates)
    if not candidates:
        return []
    sql = Statement()
    bound = sql.bind(candidates, "text[]")
    statement = (
        f"SELECT DISTINCT w FROM search_words o JOIN search_items i ON i.id = o.item_id, "
        f"unnest(o.words) w WHERE o.words && {bound} AND w = ANY({bound}) "
        f"AND {visible(access, sql)}"
    )
    seen = {w for (w,) in connection.execute(text(statement), sql.params)}
    return [w for w in candidates if w in seen]


def _lower_expansions(compiled: Compiled, parsed, restricted_text: bool) -> None:
    """Only the query's own terms rank: items found by an expansion alone come after those
    saying what was typed."""
    typed = compile_clauses(parsed, restricted_text)
    own = {t for clause in typed.groups + typed.required for t in clause.terms}
    for clause in compiled.groups:
        kept = [t for t in clause.terms if t in own]
        if kept:
            clause.terms = kept


def _main(sql, parsed, compiled: Compiled, access, allowed, sort: str, end: int) -> str:
    """The statement answering total, facets, filtered facets, words found and the page."""
    ctes = _matching(sql, parsed, compiled, access, allowed)
    page = _page(sql, compiled, sort, end, ctes, access.restricted_text)
    others = []
    for name in allowed:  # a facet is counted with the other facets' filters, not its own
        rest = [f"m.facets && {allowed_ids(sql, f, v)}" for f, v in allowed.items() if f != name]
        code = f"v % {FACET_SPAN} = {FACET_CODES[name]}"
        counted = facet_counts(sql, "matched", " AND ".join(rest) or "TRUE", code)
        others.append(f"{sql.bind(name, 'text')}, {counted}")
    filtered = f"json_build_object({', '.join(others)})" if others else "NULL::json"
    words = [_word_found(sql, compiled, clause, access) for _, clause in compiled.words]
    found_words = f"json_build_array({', '.join(words)})" if words else "NULL::json"
    return (
        "WITH " + ", ".join(ctes) + " SELECT (SELECT count(*) FROM selected), "
        f"{facet_counts(sql, 'selected')}, {filtered}, {found_words}, ({page})"
    )


def _word_found(sql, compiled: Compiled, clause: Clause, access) -> str:
    """Whether the word of ``clause`` matches an item the caller may see. When the word is a
    whole word clause and nothing else narrows, ``matched`` already knows; else the first
    visible match is enough (no join, no count)."""
    plain = not compiled.required and not compiled.excluded.leaves
    for n, group in enumerate(compiled.groups):
        if plain and group.leaves == clause.leaves:
            if len(compiled.groups) == 1:
                return "EXISTS (SELECT 1 FROM matched)"
            return f"EXISTS (SELECT 1 FROM matched m WHERE m.clauses & {1 << n} <> 0)"
    return (
        f"EXISTS (SELECT 1 FROM search_items i WHERE "
        f"{matches([clause], sql, access.restricted_text)} AND {visible(access, sql)})"
    )


def _matching(sql, parsed, compiled: Compiled, access, allowed) -> list[str]:
    """The CTEs of the items that match (``matched``: visible, each with its tier, the number
    of word clauses it matches, and what the page shows of it) and of those the facet filters
    leave (``selected``).

    ``matched`` is one scan of ``search_items`` (a bitmap of the GIN index of every word
    clause at once, visibility checked on the rows read): no join back to the items, whose
    estimate the planner cannot know. With several word clauses, each clause's ids
    (``c0``, ``c1``, ...) are looked up by hash once per item, into a bit mask of the clauses
    it matches (``clauses``: bit n for ``cn``), which gives the tier and tells which words
    found anything; required and excluded clauses are ids looked up alike."""
    staff = access.restricted_text
    ctes, narrowed = [], []
    for n, clause in enumerate(compiled.required):
        ctes.append(f"r{n} AS MATERIALIZED ({clause_ids(clause, sql, staff)})")
        narrowed.append(f"i.id IN (SELECT id FROM r{n})")
    if compiled.excluded.leaves:
        ctes.append(f"x AS MATERIALIZED ({clause_ids(compiled.excluded, sql, staff)})")
        narrowed.append("NOT (i.id IN (SELECT id FROM x))")
    row = "i.id, i.facets, i.identifier, i.date, i.year"  # what counts and orders
    if len(compiled.groups) == 1 and not narrowed:
        # Every item the clause matches, seen or not: their number is the clause's IDF.
        ctes.append(
            f"hits AS MATERIALIZED (SELECT {row}, {visible(access, sql)} AS seen "
            f"FROM search_items i WHERE {matches(compiled.groups, sql, staff)})"
        )
        ctes.append("matched AS NOT MATERIALIZED (SELECT id, facets, identifier, date, year, "
                    "1 AS tier FROM hits WHERE seen)")  # fmt: skip
        return _selected(ctes, sql, allowed)
    conditions = [visible(access, sql), *narrowed]
    if compiled.groups:
        conditions.insert(0, matches(compiled.groups, sql, staff))
    elif not (compiled.required or parsed.empty or (parsed.excluded and not parsed.groups)):
        conditions = ["FALSE"]  # words that were all stop words
    where = " AND ".join(conditions)
    if len(compiled.groups) > 1:  # at most MAX_CLAUSES (24): the mask fits in an integer
        for n, clause in enumerate(compiled.groups):
            ctes.append(f"c{n} AS MATERIALIZED ({clause_ids(clause, sql, staff)})")
        bits = range(len(compiled.groups))
        mask = " + ".join(f"(i.id IN (SELECT id FROM c{n}))::int * {1 << n}" for n in bits)
        tier = " + ".join(f"(m.clauses & {1 << n} <> 0)::int" for n in bits)
        # OFFSET 0 keeps the subquery whole: else each use of the mask in the tier would
        # look every clause up again (a hash of every clause's ids built three times)
        found = f"SELECT {row}, {mask} AS clauses FROM search_items i WHERE {where} OFFSET 0"
        ctes.append(f"matched AS MATERIALIZED (SELECT m.*, {tier} AS tier FROM ({found}) m)")
    else:
        tier = "1" if compiled.groups else "0"
        ctes.append(f"matched AS MATERIALIZED (SELECT {row}, {tier} AS tier "
                    f"FROM search_items i WHERE {where})")  # fmt: skip
    return _selected(ctes, sql, allowed)


def _selected(ctes: list[str], sql: Statement, allowed) -> list[str]:
    """``ctes`` and ``selected``: the matched items the facet filters leave."""
    narrowing = [f"facets && {allowed_ids(sql, name, values)}" for name, values in allowed.items()]
    ctes.append(
        f"selected AS {'' if narrowing else 'NOT '}MATERIALIZED (SELECT * FROM matched "
        f"WHERE {' AND '.join(narrowing) or 'TRUE'})"
    )
    return ctes


def _page(sql, compiled: Compiled, sort: str, end: int, ctes: list[str], restricted_text) -> str:
    """The query of the first ``end`` results in order (adding its CTEs to ``ctes``): by date,
    or by tier then score. Scores come from the terms' rows in ``search_terms``, summed per
    item and joined to the selected items by hash: a top-N sort of what was matched."""
    scores = _scores(sql, compiled, restricted_text)
    score = "coalesce(w.score, 0.0)" if scores else "0.0"
    if sort != "relevance":
        newest = " DESC" if sort == "-date" else ""
        order = (
            f'(s.year IS NULL), CASE WHEN s.year IS NULL THEN s.identifier END COLLATE "C", '
            f's.year{newest}, s.date COLLATE "C"{newest}, s.identifier COLLATE "C"{newest}'
        )
    else:
        by_score = f"{score} DESC, " if scores else ""
        order = f's.tier DESC, {by_score}s.identifier COLLATE "C"'
    joined = ""
    if scores:
        ctes.append(f"scores AS ({scores})")
        joined = "LEFT JOIN scores w ON w.item_id = s.id"
    ctes.append(
        f"page AS MATERIALIZED (SELECT s.id, {score} AS score, row_number() OVER (ORDER BY "
        f"{order}) AS n FROM selected s {joined} ORDER BY {order} LIMIT {end})"
    )
    return (  # what is shown, read for the page alone
        "SELECT json_agg(json_build_array(i.identifier, i.title, i.title_en, i.type, i.date, "
        "p.score, i.id) ORDER BY p.n) FROM page p JOIN search_items i ON i.id = p.id"
    )


def _scores(sql: Statement, compiled: Compiled, restricted_text: bool) -> str | None:
    """A query of (item_id, score): the weight of each clause's terms in each item holding
    them (``search_terms``, an index-only scan), times the clause's IDF (how few items it
    matches, whoever may see them), worked out once per clause."""
    parts, idfs = [], []
    plain = not compiled.required and not compiled.excluded.leaves
    for n, clause in enumerate(compiled.groups):
        if not clause.terms:
            continue
        if len(compiled.groups) > 1:
            found = f"c{n}"
        elif plain:
            found = "hits"
        else:
            found = f"({clause_ids(clause, sql, restricted_text)}) i"
        idfs.append(f"idf{n} AS MATERIALIZED (SELECT 1 + ln(greatest(a.n, f.n + 1) / (f.n + 1)) "
                    f"AS v FROM archive_size a, (SELECT count(*) AS n FROM {found}) f)")  # fmt: skip
        parts.append(
            f"SELECT t.item_id, t.weight * (SELECT v FROM idf{n}) AS score FROM search_terms t "
            f"WHERE t.term = ANY({sql.bind(clause.terms, 'text[]')})"
        )
    if not parts:
        return None
    return (
        "WITH archive_size AS (SELECT greatest(reltuples::float8, 1) AS n FROM pg_class "
        f"WHERE oid = 'search_items'::regclass), {', '.join(idfs)} "
        f"SELECT item_id, sum(score) AS score FROM ({' UNION ALL '.join(parts)}) w GROUP BY item_id"
    )


def _facets(rows, filtered) -> dict[str, list[dict]]:
    """Facet -> entries as :meth:`indexer.catalogue.Catalogue.counts` gives them, from the
    counts of :func:`facet_counts` (``filtered``: facet -> those counted without its filter)."""
    counts = {name: {} for name in FACETS}
    for name, value, label, label_en, count in rows:
        if name in counts and name not in filtered:
            counts[name][value] = (label, label_en, count)
    for name, found in filtered.items():
        for _, value, label, label_en, count in found or ():
            counts[name][value] = (label, label_en, count)
    facets = {}
    for name in FACETS:
        entries = []
        for value, (label, label_en, count) in sorted(
            counts[name].items(), key=lambda vc: (-vc[1][2], vc[0])
        ):
            entries.append({"value": value, "label": label, "label_en": label_en, "count": count})
        facets[name] = entries
    return facets


def _mark_query(kind: str, value) -> str:
    if kind == "words":
        return " | ".join(lexemes(None, [term]) for term in sorted(value))
    if kind == "prefix":
        return lexemes(None, [value], prefix=True)
    return lexemes(None, list(value))


def moments(connection, clauses, item_ids, per_item: int, restricted_text: bool) -> dict:
    """Item id -> up to ``per_item`` hits, best first: the segments matching most clauses, then
    by ``ts_rank``; marked in their original text by :func:`indexer.moments.mark`."""
    sql = Statement()
    queries = [sql.bind(_mark_query(kind, value), "tsquery") for kind, value in clauses if value]
    if not queries:
        return {}
    anything = " || ".join(queries)
    matched = " + ".join(f"(s.terms @@ {q})::int" for q in queries)
    closed = "" if restricted_text else " AND NOT s.restricted"
    statement = (
        'SELECT item_id, start, "end", text, spans FROM (SELECT s.item_id, s.start, s."end", '
        "s.text, s.spans, "
        f"row_number() OVER (PARTITION BY s.item_id ORDER BY {matched} DESC, "
        f"ts_rank(s.terms, {anything}) DESC, s.number) AS r FROM search_segments s "
        f"WHERE s.item_id = ANY({sql.bind(item_ids, 'bigint[]')}) AND s.terms @@ ({anything})"
        f"{closed}) t WHERE r <= {per_item * SPARE_HITS} ORDER BY item_id, r"
    )
    hits: dict[int, list] = {}
    for item_id, start, end, body, stored in connection.execute(text(statement), sql.params):
        found = hits.setdefault(item_id, [])
        if len(found) == per_item:
            continue
        marked = mark(body, clauses, stored)
        if marked is not None:
            found.append({"start": start, "end": end, "text": marked})
    return hits


def _suggestion(connection, parsed, missing, access: Access, spending) -> str | None:
    """As :func:`indexer.search._suggestion`: each word that matches nothing the caller may see
    replaced by the most common word one edit away among the words of the items they may see,
    that finds such an item."""
    replacements = []
    for atom in missing:
        tokens = text_tokens(atom.text)
        if len(tokens) != 1:
            return None
        _, start, end, word = tokens[0]
        if not 3 <= len(word) <= MAX_SUGGEST or not (set(word) <= _ARABIC or set(word) <= _LATIN):
            return None
        better = _closest(connection, word, access, spending)
        if better is None:
            return None
        replacements.append(((atom.span[0] + start, atom.span[0] + end), better))
    if not replacements:
        return None
    suggested = parsed.text
    for (start, end), better in sorted(replacements, reverse=True):
        suggested = suggested[:start] + better + suggested[end:]
    return suggested


def _closest(connection, word: str, access: Access, spending) -> str | None:
    """The visible word one edit away from ``word`` that most items hold (ties: code point
    order). Each candidate is one probe of the words' GIN index, counted up to
    ``CLOSEST_COUNT_CAP`` items: no item's whole vocabulary is ever read."""
    sql = Statement()
    candidates = sql.bind(sorted(search.edits(word)), "text[]")
    held = "o.words @> ARRAY[c.w]"
    if access.restricted_text:
        held = f"({held} OR o.restricted_words @> ARRAY[c.w])"
    statement = (
        f"SELECT c.w, (SELECT count(*) FROM (SELECT 1 FROM search_words o "
        f"JOIN search_items i ON i.id = o.item_id WHERE {held} AND {visible(access, sql)} "
        f"LIMIT {CLOSEST_COUNT_CAP}) AS held) AS n FROM unnest({candidates}) AS c(w)"
    )
    found = [(w, n) for w, n in connection.execute(text(statement), sql.params) if n]
    for candidate, _ in sorted(found, key=lambda wn: (-wn[1], wn[0])):
        if spending.over():
            return None
        compiled = compile_clauses(parse(candidate), access.restricted_text)
        if not compiled.groups:
            continue
        check = Statement()
        condition = matches(compiled.groups[:1], check, access.restricted_text)
        statement = (
            f"SELECT EXISTS (SELECT 1 FROM search_items i WHERE {condition} "
            f"AND {visible(access, check)})"
        )
        if connection.execute(text(statement), check.params).scalar():
            return candidate
    return None
