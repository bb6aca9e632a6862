"""Search quality on the evaluation set: our analyzer finds every relevant passage in its top 10."""

from indexer import evaluate
from tests.search_backends import search_server, server_or_skip  # noqa: F401 (a fixture)


def test_corpus_and_queries_are_well_formed():
    passages = evaluate.load_jsonl(evaluate.PASSAGES)
    ids = {p["id"] for p in passages}
    assert len(ids) == len(passages) >= 150
    assert all(p["text"].strip() and p["source"] for p in passages)
    variants = {"hamza", "teh_marbuta", "alef_maqsura", "article", "clitic", "diacritics"}
    variants |= {"tatweel", "digits", "plural", "mixed"}
    for path in (evaluate.QUERIES, evaluate.LIMITATIONS):
        for query in evaluate.load_jsonl(path):
            assert query["variant"] in variants
            assert 0 < len(query["relevant"]) <= evaluate.CUTOFF
            assert set(query["relevant"]) <= ids, query


def test_arabic_analyzer_recall_at_10_is_perfect():
    passages = evaluate.load_jsonl(evaluate.PASSAGES)
    queries = evaluate.load_jsonl(evaluate.QUERIES)
    assert len(queries) >= 60
    results = evaluate.evaluate(passages, queries)
    print("\n" + evaluate.format_table(results))
    ours = results[evaluate.ARCHIVE_NAME]
    assert ours.missed == []
    assert ours.mean_recall == 1.0
    assert ours.mrr > results["whoosh + StandardAnalyzer"].mrr
    assert ours.mrr > results["sqlite fts5 unicode61 rd=2"].mrr


def test_the_postgresql_backend_finds_every_relevant_passage_too(search_server):  # noqa: F811
    server = server_or_skip(search_server)
    passages = evaluate.load_jsonl(evaluate.PASSAGES)
    queries = evaluate.load_jsonl(evaluate.QUERIES)
    results = evaluate.evaluate(passages, queries, server.url.render_as_string(hide_password=False))
    ours = results[evaluate.POSTGRESQL_NAME]
    assert ours.missed == [] and ours.mean_recall == 1.0
    assert ours.mrr > results["sqlite fts5 unicode61 rd=2"].mrr
