"""The harder evaluation set and the word pairs: well-formed data, and a measurement that runs."""

import doctest
import json
import re
import unicodedata

from indexer import evaluate_hard

ARABIC = re.compile(r"[\u0600-\u06ff]")


def test_docstring_examples():
    assert doctest.testmod(evaluate_hard).failed == 0


def test_passages_are_outside_text_with_source_and_licence():
    passages = evaluate_hard.load_jsonl(evaluate_hard.PASSAGES)
    ids = [p["id"] for p in passages]
    assert len(ids) == len(set(ids))
    assert sum(1 for p in passages if ARABIC.search(p["text"])) >= 300
    for passage in passages:
        assert passage["source"] and passage["licence"] and passage["text"].strip(), passage["id"]
        assert unicodedata.is_normalized("NFC", passage["text"]), passage["id"]
    written_here = [p for p in passages if "written for this project" in p["licence"]]
    assert len(written_here) <= 5  # a few Latin-script records, not the corpus


def test_queries_are_judged_by_category_with_grades_0_to_2():
    ids = {p["id"] for p in evaluate_hard.load_jsonl(evaluate_hard.PASSAGES)}
    queries = evaluate_hard.load_jsonl(evaluate_hard.QUERIES)
    assert len(queries) >= 60
    assert len({q["query"] for q in queries}) == len(queries)
    assert {q["category"] for q in queries} == set(evaluate_hard.CATEGORIES)
    for query in queries:
        judged = query["judgements"]
        assert judged and set(judged) <= ids, query["query"]
        assert set(judged.values()) <= {1, 2}, query["query"]  # 0 is left unlisted


def test_pair_lists_are_long_distinct_and_disjoint():
    must = evaluate_hard.load_pairs(evaluate_hard.MUST_MATCH)
    must_not = evaluate_hard.load_pairs(evaluate_hard.MUST_NOT_MATCH)
    assert len(must) >= 200 and len(must_not) >= 200
    for pairs in (must, must_not):
        keys = [(a, b) for a, b, _ in pairs]
        assert len(keys) == len(set(keys))
        assert all(a != b and why for a, b, why in pairs)
    assert not {frozenset(p[:2]) for p in must} & {frozenset(p[:2]) for p in must_not}


def test_ndcg_is_one_for_the_ideal_order_and_less_otherwise():
    judged = {"a": 2, "b": 1}
    assert evaluate_hard.ndcg(["a", "b", "x"], judged) == 1.0
    assert (
        0 < evaluate_hard.ndcg(["x", "b", "a"], judged) < evaluate_hard.ndcg(["b", "a"], judged) < 1
    )
    assert evaluate_hard.ndcg(["x"], judged) == 0.0


def test_the_hard_set_is_measured_on_every_system(capsys):
    passages = evaluate_hard.load_jsonl(evaluate_hard.PASSAGES)
    queries = evaluate_hard.load_jsonl(evaluate_hard.QUERIES)
    results = evaluate_hard.evaluate(passages, queries)
    table = evaluate_hard.format_table(results, queries)
    print("\n" + table)
    names = [evaluate_hard.OURS, evaluate_hard.LIGHT, evaluate_hard.SNOWBALL, evaluate_hard.FTS5]
    assert list(results) == names
    for category in evaluate_hard.CATEGORIES:
        assert category in table
    for scores in results.values():
        assert all(0 <= value <= 1 for value in scores.means())
    # Any Arabic analyzer beats exact matching on text it was not written for.
    assert results[evaluate_hard.OURS].means()[0] > results[evaluate_hard.FTS5].means()[0]


def test_pairs_are_counted_for_each_analyzer():
    must = evaluate_hard.load_pairs(evaluate_hard.MUST_MATCH)
    must_not = evaluate_hard.load_pairs(evaluate_hard.MUST_NOT_MATCH)
    counts = evaluate_hard.pair_results(must, must_not)
    print("\n" + evaluate_hard.format_pairs(counts, must, must_not))
    # FTS5 compares whole words: it joins no two different forms and keeps every pair apart.
    assert counts[evaluate_hard.FTS5][:2] == (0, len(must_not))
    assert counts[evaluate_hard.OURS][0] > 0
    assert counts[evaluate_hard.OURS][1] == len(must_not)  # precision 100 %: issue 15


def test_the_queries_file_is_one_object_a_line():
    with open(evaluate_hard.QUERIES, encoding="utf-8") as lines:
        for line in lines:
            assert json.loads(line)["query"].strip()
