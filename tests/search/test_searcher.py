"""Searching: exact results equal brute force; filter, quota and interleaving do what they say."""

from __future__ import annotations

import numpy as np
import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.search.searcher import Request, language_mix
from tests.search.conftest import DOCS

QUERY = "Where does the Rhine rise?"


def _brute_force(searcher, query: str, allowed=None) -> list[str]:
    q = searcher.encode([query])[0]
    docs = searcher.index.reconstruct_n(0, searcher.index.ntotal)
    order = np.argsort(-(docs @ q), kind="stable")
    ids = [DOCS[i][0] for i in order]
    return [i for i in ids if allowed is None or i.split("-")[0] in allowed]


def test_exact_search_equals_brute_force_cosine(searcher):
    hits = searcher.search([QUERY], Request(k=5))[0]
    assert [h["id"] for h in hits] == _brute_force(searcher, QUERY)[:5]
    assert [h["rank"] for h in hits] == [1, 2, 3, 4, 5]
    assert all(a["score"] >= b["score"] for a, b in zip(hits, hits[1:]))


def test_language_filter_keeps_only_those_languages_in_exact_order(searcher):
    hits = searcher.search([QUERY], Request(k=4, langs=("de", "zh")))[0]
    assert [h["id"] for h in hits] == _brute_force(searcher, QUERY, {"de", "zh"})[:4]


def test_quota_caps_each_language_and_keeps_score_order(searcher):
    hits = searcher.search([QUERY], Request(k=6, mode="quota", per_lang=1))[0]
    mix = language_mix(hits)
    assert max(mix.values()) == 1 and len(hits) == 4  # four languages, one each
    assert all(a["score"] >= b["score"] for a, b in zip(hits, hits[1:]))


def test_interleave_balances_languages(searcher):
    hits = searcher.search([QUERY], Request(k=7, mode="interleave"))[0]
    mix = language_mix(hits)
    assert mix["zh"] == 1 and {mix["de"], mix["en"], mix["es"]} == {2}
    first_round = [h["lang"] for h in hits[:4]]
    assert sorted(first_round) == ["de", "en", "es", "zh"]
    best = _brute_force(searcher, QUERY)[0]
    assert hits[0]["id"] == best  # the language of the best hit goes first


def test_k_larger_than_the_index_returns_every_document(searcher):
    assert len(searcher.search([QUERY], Request(k=50))[0]) == len(DOCS)


def test_several_queries_at_once_equal_one_at_a_time(searcher):
    queries = [QUERY, "bread and water", "Schwarzes Meer"]
    together = searcher.search(queries, Request(k=3))
    alone = [searcher.search([q], Request(k=3))[0] for q in queries]
    assert [[h["id"] for h in r] for r in together] == [[h["id"] for h in r] for r in alone]


@pytest.mark.parametrize("request_, fragment", [
    (Request(k=0), "k must be ≥ 1"),
    (Request(langs=("fr",)), "unknown language(s) fr; the index has de, en, es, zh"),
    (Request(langs=()), "empty language list"),
    (Request(mode="quota"), "needs per_lang"),
    (Request(mode="best"), "unknown mode"),  # type: ignore[arg-type]
])
def test_invalid_requests_are_refused(searcher, request_, fragment):
    with pytest.raises(HybridbatchError) as err:
        searcher.search([QUERY], request_)
    assert fragment in str(err.value)


def test_empty_query_is_refused(searcher):
    with pytest.raises(HybridbatchError, match="empty query"):
        searcher.search(["  "], Request())
