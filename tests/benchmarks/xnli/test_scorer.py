"""Pair-classification scorer on XNLI: per ordered language pair against an independent computation, planted
perfect embeddings, one language, re-aggregation, rendering."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import get_scorer, load_benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.pair_classification import pair_metrics

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "xnli_tiny"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "xnli")
    return tmp_path


def random_vectors(bench, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((len(bench.queries), 6)), rng.standard_normal((len(bench.candidates), 6))


def test_every_language_pair_against_a_direct_computation(data: Path) -> None:
    b = load_benchmark("xnli+neutral", data)
    Q, C = random_vectors(b)
    scorer = get_scorer("xnli")
    results, per_query = scorer.score(b, Q, C)
    hyp = {(q.lang, q.group): (Q[i], b.qrels[q.id][q.id]) for i, q in enumerate(b.queries)}
    prem = {(c.lang, c.id.split(":")[1]): C[j] for j, c in enumerate(b.candidates)}
    for x in b.languages:
        for y in b.languages:
            items = sorted(g for (lang, g) in hyp if lang == y)
            s = np.array([hyp[(y, g)][0] @ prem[(x, g)] / np.linalg.norm(hyp[(y, g)][0]) / np.linalg.norm(prem[(x, g)])
                          for g in items])
            labels = np.array([hyp[(y, g)][1] for g in items])
            assert results["pairs"][f"{x}-{y}"] == pytest.approx(pair_metrics(s, labels).as_dict())
    pairs, langs = results["pairs"], b.languages
    assert results["summary"]["mono"]["ap"] == pytest.approx(np.mean([pairs[f"{x}-{x}"]["ap"] for x in langs]))
    cross = [pairs[f"{x}-{y}"]["ap"] for x in langs for y in langs if x != y]
    assert results["summary"]["cross"]["ap"] == pytest.approx(np.mean(cross))
    assert results["summary"]["gap"]["ap"] == pytest.approx(results["summary"]["mono"]["ap"] - np.mean(cross))
    de = [pairs[p]["ap"] for p in ("de-en", "de-sw", "en-de", "sw-de")]
    assert results["per_language"]["de"]["cross"]["ap"] == pytest.approx(np.mean(de))
    # per-query AP contributions average to each pair's AP; they are the significance tests' values
    rows = np.array([q.lang == "en" for q in b.queries])
    assert np.nanmean(per_query["mono/ap"][rows]) == pytest.approx(pairs["en-en"]["ap"])
    column = langs.index("sw")
    assert np.nanmean(per_query["cross/ap"][rows, column]) == pytest.approx(pairs["sw-en"]["ap"])
    assert np.isnan(per_query["cross/ap"][rows, langs.index("en")]).all()
    assert scorer.aggregate(b, per_query) == results
    assert results["by_class"]["5"]["languages"] == ["de", "en"] and results["by_class"]["2"]["languages"] == ["sw"]


def test_planted_perfect_embeddings(data: Path) -> None:
    """Positive hypotheses embedded as their item's premise, negatives orthogonal: every pair set is perfect."""
    b = load_benchmark("xnli", data)
    basis = np.eye(12)
    item = {g: k for k, g in enumerate(sorted({q.group for q in b.queries}))}
    C = np.stack([basis[item[c.id.split(":")[1]]] for c in b.candidates])
    Q = np.stack([basis[item[q.group]] if b.qrels[q.id][q.id] else basis[6 + item[q.group]] for q in b.queries])
    results, _ = get_scorer("xnli").score(b, Q, C)
    assert all(e["ap"] == e["acc"] == e["f1"] == 1.0 for e in results["pairs"].values())
    assert results["summary"]["gap"] == {"ap": 0.0, "acc": 0.0, "f1": 0.0}


def test_one_language_and_rendering(data: Path, tmp_path: Path) -> None:
    b = load_benchmark("xnli", data, ["sw"])
    scorer = get_scorer("xnli")
    results, per_query = scorer.score(b, *random_vectors(b))
    assert results["summary"]["cross"] == {"ap": None, "acc": None, "f1": None}
    assert results["summary"]["gap"]["ap"] is None and np.isnan(per_query["cross/ap"]).all()
    assert results["summary"]["mono"]["ap"] == results["pairs"]["sw-sw"]["ap"]
    assert "n/a (one language)" in scorer.summary_line(results)
    text = scorer.markdown(results)
    assert text.startswith("# xnli-dev: 1 languages, 4 labelled pairs") and "| sw | Swahili | 2 | 4 | 2 |" in text
    assert scorer.csv(results).splitlines()[0] == "setting,query_lang,candidate_lang,metric,value"
    assert "AP mono" in scorer.summary_line(results)
    scorer.write_plots(results, tmp_path)
    assert (tmp_path / "ap.png").is_file()
    assert [t.measure for t in scorer.per_language(results)][:2] == ["mono_ap", "cross_ap"]


def test_damaged_per_query_file_is_an_error(data: Path) -> None:
    b = load_benchmark("xnli", data)
    scorer = get_scorer("xnli")
    _, per_query = scorer.score(b, *random_vectors(b))
    per_query["cosine"][0, 0] = np.nan
    with pytest.raises(HybridbatchError, match="'cosine' is NaN for pairs of de-de"):
        scorer.aggregate(b, per_query)
