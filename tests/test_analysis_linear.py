"""The analysis costs time linear in its input, whatever letters a word is made of.

A word of n clitic letters («ووو…») used to cost n² (the stemmer re-sliced it once per leading
letter): 80,000 × «و» took 24 times as long as 80,000 × «س», and a large CSV cell or transcript
held the index writer for minutes.
"""

from __future__ import annotations

import gc
import time

import pytest

from indexer import stem, terms
from indexer.schema import item_documents
from indexer.stemming import MAX_WORD


def seconds(work, *args) -> float:
    """The best of five runs (the machine is shared), without the garbage collector."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(5):
            started = time.perf_counter()
            work(*args)
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


def document(text: str) -> dict:
    segment = {"id": 1, "start": 0.0, "end": 1.0, "text": text, "speaker": "", "restricted": False}
    transcript = {"id": 1, "language": "ar", "restricted": False, "segments": [segment]}
    return {"identifier": "LONG-1", "title": text, "transcripts": [transcript]}


def index_documents(text: str):
    return item_documents(document(text))


@pytest.mark.parametrize("work", [terms, index_documents], ids=["terms", "documents"])
@pytest.mark.parametrize("letter", ["و", "ف", "ب", "ل", "ك", "ي", "ه", "ا"])
def test_time_grows_linearly_with_the_word(work, letter):
    """n × a clitic or suffix letter, 20k then 80k: linear growth (4×, a little more as the
    word outgrows the processor's caches; quadratic is 16×), and at 80k it costs what n × «س»
    costs (no rule strips «س»). Before, «و» × 80k took 5 s, 13× its 20k and 400× «س»."""
    small, large = seconds(work, letter * 20_000), seconds(work, letter * 80_000)
    assert large / small < 12, f"{letter}: 80k took {large / small:.1f}× 20k"
    plain = seconds(work, "س" * 80_000)
    assert large < 4 * plain + 0.01, (large, plain)


def test_a_long_word_is_cut_the_same_way_in_text_and_query():
    word = "والاسرى" * 40
    (term,) = terms(word)
    assert len(term) <= MAX_WORD
    assert terms(word + "، في") == [term]  # the same term, however the word is met
    assert stem("س" * 200) == "س" * MAX_WORD
