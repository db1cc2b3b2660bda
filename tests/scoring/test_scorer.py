"""The scorer registry and the contract every registered scorer keeps."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks import registry
from hybridbatch.benchmarks.registry import get_scorer, kinds, load_benchmark, scorer_for
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.scorer import BaseScorer, Measure, Scorer
from tests.data.tiny_data import build_data_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BENCHMARKS = {"lareqa": (f"lareqa:{FIXTURES / 'lareqa_tiny'}", None), "beir": (f"beir:{FIXTURES / 'beir_tiny'}", None),
              "bitext": ("tatoeba", ["all"]), "multiparallel": ("tico19", None), "translated_qa": ("afriqa", None)}
KINDS = list(BENCHMARKS)


def _random(bench, seed=0, dim=12):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((len(bench.queries), dim)).astype(np.float32),
            rng.standard_normal((len(bench.candidates), dim)).astype(np.float32))


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(HybridbatchError, match="no scorer for benchmark kind 'squad'.*lareqa"):
        get_scorer("squad")
    with pytest.raises(HybridbatchError, match="no 'kind'"):
        scorer_for({"benchmark": "x", "summary": {}})
    with pytest.raises(HybridbatchError, match="no scorer"):
        scorer_for({"kind": "nope"})


def test_registry_names_every_kind_once_and_returns_one_instance():
    assert kinds() == ["lareqa", "beir", "bitext", "multiparallel", "translated_qa", "tydiqa", "xnli", "pawsx",
                       "americasnli"]
    for kind in kinds():
        s = get_scorer(kind)
        assert isinstance(s, Scorer)
        assert s.kind == kind and get_scorer(kind) is s
        assert scorer_for({"kind": kind}) is s


def test_a_family_whose_scorer_has_another_kind_is_refused():
    family = dataclasses.replace(registry.family_of_kind("beir"), name="other", kind="other", _instance={})
    registry.register(family)
    try:
        with pytest.raises(HybridbatchError, match="says kind 'beir'; family 'other' has kind 'other'"):
            get_scorer("other")
    finally:
        registry.unregister("other")
    assert "other" not in kinds()


def test_a_family_is_registered_once():
    with pytest.raises(HybridbatchError, match="already registered"):
        registry.register(registry.family_of_kind("beir"))


@pytest.mark.parametrize("kind", KINDS)
def test_measures_are_well_formed(kind):
    s = get_scorer(kind)
    names = [m.name for m in s.measures]
    assert len(names) == len(set(names)) and s.measures
    assert any(m.per_query for m in s.measures)
    assert not s.tradeoff or set(s.tradeoff) <= set(names)


@pytest.mark.parametrize("kind", KINDS)
def test_score_is_per_query_then_aggregate_exactly(kind, tmp_path):
    spec, languages = BENCHMARKS[kind]
    bench = load_benchmark(spec, build_data_dir(tmp_path / "data"), languages)
    Q, C = _random(bench)
    s = get_scorer(kind)
    results, per_query = s.score(bench, Q, C)
    assert results["kind"] == kind and results["benchmark"] == bench.name
    assert results == s.aggregate(bench, per_query)  # float equality, not approx
    for m in s.measures:
        assert m.value(results) is not None
        if m.per_query:
            assert per_query[m.per_query].shape == (len(bench.queries),)
    # rendering works on every results dict a scorer makes
    assert s.markdown(results).startswith("# ")
    assert s.csv(results).startswith("setting,query_lang,candidate_lang,metric,value\n")
    assert bench.name in s.summary_line(results)
    for table in s.per_language(results):
        assert set(table.values) <= set(results["languages"])


def test_measure_value_walks_the_summary():
    m = Measure("mo", "mo/map", "Mo.", unit="mAP")
    assert m.title == "Mo. mAP"
    assert m.value({"summary": {"mo": {"map": 0.5}}}) == 0.5
    assert m.value({"summary": {"mo": {"map": None}}}) is None
    assert m.value({"summary": {}}) is None
    assert Measure("rd", "rank_distance", "rank distance").title == "rank distance"


def test_base_scorer_summary_line_from_measures():
    class Toy(BaseScorer):
        kind = "toy"
        measures = (Measure("a", "a", "A"), Measure("b", "x/b", "B", digits=1))

    line = Toy().summary_line({"benchmark": "t", "summary": {"a": 0.25, "x": {"b": None}}})
    assert line == "t: A 0.250  B –"
    assert Toy().primary.name == "a"


def test_a_measure_that_needs_more_languages_says_so_when_undefined():
    class Toy(BaseScorer):
        kind = "toy"
        measures = (Measure("mo", "mo", "Mo."), Measure("cr", "cr", "Cr.", min_languages=2),
                    Measure("rd", "rd", "rank distance", digits=1, min_languages=3))

    summary = {"mo": 0.5, "cr": None, "rd": None}
    assert Toy().summary_line({"benchmark": "t", "languages": ["en"], "summary": summary}) == (
        "t: Mo. 0.500  Cr. n/a (one language)  rank distance n/a (one language)")
    assert Toy().summary_line({"benchmark": "t", "languages": ["de", "en"], "summary": summary}) == (
        "t: Mo. 0.500  Cr. –  rank distance n/a (two languages)")  # with two, an undefined Cr. is just missing
    summary |= {"cr": 0.25, "rd": 3.0}
    assert Toy().summary_line({"benchmark": "t", "languages": ["de", "en", "es"], "summary": summary}) == (
        "t: Mo. 0.500  Cr. 0.250  rank distance 3.0")
