"""The Benchmark type: the one sentence+context join, candidate texts, subsets."""

from __future__ import annotations

from hybridbatch.data.benchmark import with_context
from tests.helpers import parallel_benchmark


def test_with_context_joins_with_one_space_or_keeps_the_text():
    assert with_context("a sentence.", "the paragraph") == "a sentence. the paragraph"
    assert with_context("a sentence.", None) == "a sentence."
    assert with_context("a sentence.", "") == "a sentence."


def test_candidate_texts():
    bench = parallel_benchmark(["de", "en"], n_groups=2, distractors=1)
    assert bench.candidate_texts() == [c.text for c in bench.candidates]
    joined = bench.candidate_texts("sentence+context")
    assert joined[0] == "answer 0 in de paragraph 0 de"
    assert joined[1] == "other 0.0 in de"  # no context: the text alone


def test_subset_keeps_order_and_relevance():
    bench = parallel_benchmark(["de", "en", "es"], n_groups=2)
    sub = bench.subset(["es", "de"])
    assert sub.languages == ["de", "es"]
    assert all(q.lang in {"de", "es"} for q in sub.queries)
    assert sub.qrels["de:q0"] == {"de:a0": 1, "es:a0": 1}
    sub.validate()
