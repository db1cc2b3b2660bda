"""The studies' machinery: the training-language axis (subset drawing, grid, recorded languages), the
language-count and robustness reports on fake finished runs, and a tiny end-to-end study grid."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import get_scorer, load_benchmark
from hybridbatch.cli import main
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import write_report
from hybridbatch.experiment.config import (
    LanguageCounts,
    draw_subsets,
    expand_grid,
    load_experiment,
    training_config,
)
from hybridbatch.reporting.compare import BASE_LABEL, load_record
from hybridbatch.reporting.studies import language_count_rows, write_studies
from tests.training.helpers import toy_items, write_config, write_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAREQA = f"lareqa:{FIXTURES / 'lareqa_tiny'}"
MLQA = ["ar", "de", "en", "es", "hi", "vi", "zh"]


def test_subsets_are_nested_seeded_and_include_the_pivot():
    axis = LanguageCounts(sizes=[1, 2, 4, 7], languages=MLQA, draws=3, seed=5, include=["en"])
    subsets = draw_subsets(axis)
    assert subsets == draw_subsets(LanguageCounts(sizes=[1, 2, 4, 7], languages=MLQA, draws=3, seed=5,
                                                  include=["en"]))
    assert subsets[0] == ("en",) and all("en" in s for s in subsets)
    assert sum(len(s) == 7 for s in subsets) == 1 and sum(len(s) == 1 for s in subsets) == 1  # repeats removed
    for d in range(1, 4):  # each draw is nested
        rest = sorted(set(MLQA) - {"en"})
        order = [rest[i] for i in np.random.default_rng([5, d]).permutation(6)]
        chain = [tuple(sorted(["en"] + order[:k - 1])) for k in (1, 2, 4, 7)]
        assert all(set(a) < set(b) for a, b in zip(chain, chain[1:])) and set(chain) <= set(subsets)
    other = draw_subsets(LanguageCounts(sizes=[2], languages=MLQA, draws=3, seed=6))
    assert other != draw_subsets(LanguageCounts(sizes=[2], languages=MLQA, draws=3, seed=5))


@pytest.mark.parametrize("axis, message", [
    ({"sizes": [8], "languages": MLQA}, "size 8 outside"),
    ({"sizes": [1], "languages": MLQA, "include": ["en", "de"]}, "size 1 outside"),
    ({"sizes": [2], "languages": MLQA, "include": ["xx"]}, "include names xx"),
    ({"sizes": [2], "languages": ["en", "en"]}, "repeats"),
])
def test_bad_axis_is_an_error_naming_the_file(tmp_path, axis, message):
    path = _experiment(tmp_path, grid=[{"strategy": ["hybrid"], "train_languages": axis}])
    with pytest.raises(HybridbatchError, match=message) as err:
        load_experiment(path)
    assert "exp.yaml" in str(err.value) and "\n" not in str(err.value)


def _experiment(tmp_path: Path, **patch) -> Path:
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    write_config(tmp_path / "train.yaml", {"datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
                                           "training": {"batch_size": 8, "max_steps": 3}})
    data = {"name": "g", "train": {"t": "train.yaml"}, "grid": [{"strategy": ["hybrid"]}],
            "evaluate": {"benchmarks": [LAREQA]}} | patch
    return write_config(tmp_path / "exp.yaml", data)


def test_grid_with_language_axis_runs_one_language_as_mono_and_sets_the_dataset(tmp_path):
    cfg = load_experiment(_experiment(tmp_path, grid=[{
        "strategy": ["hybrid", "x-y", "x-x-mono"], "seed": [1],
        "train_languages": {"sizes": [1, 2, 3], "languages": ["de", "en", "es"], "include": ["en"], "seed": 2}}]))
    runs = expand_grid(cfg)
    ids = [r.run_id for r in runs]
    assert ids.count("t-x-x-mono-k1-en-s1") == 1 and len(ids) == len(set(ids))
    assert {r.strategy for r in runs if len(r.languages) == 2} == {"hybrid", "x-y", "x-x-mono"}
    spec = next(r for r in runs if len(r.languages) == 2)
    train = training_config(cfg, spec, tmp_path / "run")
    assert train.datasets[0].languages == list(spec.languages)
    assert train.training.max_steps == 3  # the same steps for every k
    assert "k=2" in spec.label


def fake_run(folder: Path, seed: int, langs: list[str] | None, strategy: str, alpha=None, perturb=False) -> Path:
    bench = load_benchmark(LAREQA)
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((len(bench.queries), 12)).astype(np.float32)
    C = rng.standard_normal((len(bench.candidates), 12)).astype(np.float32)
    results, per_query = get_scorer("lareqa").score(bench, Q, C)
    folder.mkdir(parents=True)
    extra = {"label": f"{strategy} {langs}", "seed": seed, "strategy": strategy, "alpha": alpha}
    if langs:
        extra["train_languages"] = langs
    write_report(folder, results, per_query, EvaluationConfig(benchmark=LAREQA, embeddings="e.npz", extra=extra))
    if perturb:
        drop = {"clean": 0.5, "perturbed": 0.4, "drop": 0.1 * seed}
        rows = [{"perturbation": f"char-noise:{s:g}", "name": "char-noise", "strength": s, "changed": 3,
                 "queries": 5, "no_partner": 0, **{k: dict(drop) for k in ("mo/map", "cr/map", "mul/map",
                 "mo/mrr@10", "cr/mrr@10", "mul/mrr@10", "rank_distance")}} for s in (0.1, 0.2)]
        (folder / "robustness.json").write_text(json.dumps({"benchmark": "lareqa_tiny", "seed": 0, "rows": rows}))
    return folder


def test_language_count_and_robustness_reports_from_fake_finished_runs(tmp_path):
    specs = [(["en"], "x-x-mono", None), (["de", "en"], "hybrid", 0.5), (["en", "es"], "hybrid", 0.5),
             (["de", "en"], "x-y", None), (["de", "en", "es"], "hybrid", 0.5), (["de", "en", "es"], "x-y", None)]
    recs = [load_record(fake_run(tmp_path / f"r{i}", i, *spec, perturb=i % 2 == 0)) for i, spec in enumerate(specs)]
    rows = language_count_rows(recs)
    keyed = {(r["strategy"], r["k"], r["group"]): r for r in rows}
    # k=1 (X-X-mono) starts both strategy lines; k=3 has no unseen language on a 3-language benchmark
    assert ("hybrid α=0.5", 1, "seen") in keyed and ("x-y", 1, "unseen") in keyed
    assert ("x-y", 3, "unseen") not in keyed and len(keyed[("hybrid α=0.5", 2, "seen")]["values"]["mo/map"]) == 2
    seen = keyed[("x-y", 2, "seen")]["values"]["mul/map"][0]
    res = recs[3].results
    assert seen == pytest.approx(np.mean([res["multilingual"][x]["map"] for x in ("de", "en")]))
    assert "mrr@10" in "".join(keyed[("x-y", 2, "seen")]["values"])
    made = write_studies(recs, tmp_path / "summary")
    assert made == ["language_count.md", "robustness.md"]
    for name in ("language_count.md", "language_count.json", "language_count-lareqa_tiny.png", "robustness.md",
                 "robustness-lareqa_tiny.png"):
        assert (tmp_path / "summary" / name).stat().st_size > 0, name
    assert "| hybrid α=0.5 | 2 | seen | 2 |" in (tmp_path / "summary" / "language_count.md").read_text()
    assert "char-noise:0.2" in (tmp_path / "summary" / "robustness.md").read_text()


def test_held_out_group_is_the_languages_no_run_trained_on_at_every_k(tmp_path):
    # es is in no subset: held out at k=1 and k=2; at k=2 unseen is es too, at k=1 it is de and es
    specs = [(["en"], "x-x-mono", None), (["de", "en"], "x-y", None)]
    recs = [load_record(fake_run(tmp_path / f"r{i}", i, *spec)) for i, spec in enumerate(specs)]
    keyed = {(r["strategy"], r["k"], r["group"]): r["values"] for r in language_count_rows(recs)}
    for i, k in ((0, 1), (1, 2)):
        res = recs[i].results
        assert keyed[("x-y", k, "held out")]["mul/map"] == [pytest.approx(res["multilingual"]["es"]["map"])]
    unseen_k1 = keyed[("x-y", 1, "unseen")]["mul/map"][0]
    assert unseen_k1 == pytest.approx(np.mean([recs[0].results["multilingual"][x]["map"] for x in ("de", "es")]))
    assert unseen_k1 != pytest.approx(keyed[("x-y", 1, "held out")]["mul/map"][0])
    # the base model is k = 0: every language unseen, no seen row; its held-out value is its own es
    base = load_record(fake_run(tmp_path / "base", 7, None, "-"), label=BASE_LABEL)
    rows = language_count_rows(recs + [base])
    base_rows = {r["group"]: r["values"] for r in rows if r["k"] == 0}
    assert set(base_rows) == {"unseen", "held out"} and all(r["strategy"] == BASE_LABEL for r in rows if r["k"] == 0)
    assert base_rows["held out"]["mo/map"] == [pytest.approx(base.results["pairs"]["es-es"]["map"])]
    assert base_rows["unseen"]["mul/map"] == [pytest.approx(np.mean(
        [base.results["multilingual"][x]["map"] for x in ("de", "en", "es")]))]
    assert language_count_rows([base]) == []  # no run with training languages: no table
    # every language trained by some run: no held-out row
    recs.append(load_record(fake_run(tmp_path / "r2", 2, ["en", "es"], "x-y")))
    assert not any(r["group"] == "held out" for r in language_count_rows(recs))


def test_tiny_study_grid_end_to_end(tmp_path, tiny_model_dir):
    pytest.importorskip("anyascii")
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    write_config(tmp_path / "train.yaml", {
        "model": str(tiny_model_dir), "datasets": [{"jsonl": "items.jsonl", "name": "toy"}], "seed": 1,
        "validation_fraction": 0.0, "training": {"batch_size": 8, "max_steps": 2, "logging_steps": 1,
                                                 "loss": "mnrl", "warmup_steps": 0, "max_seq_length": 32}})
    exp = write_config(tmp_path / "exp.yaml", {
        "name": "tiny-study", "train": {"toy": "train.yaml"}, "base_model": str(tiny_model_dir),
        "grid": [{"strategy": ["hybrid", "x-y"], "seed": [1],
                  "train_languages": {"sizes": [1, 2], "languages": ["de", "en", "es"], "include": ["en"]}}],
        "evaluate": {"benchmarks": [LAREQA], "batch_size": 8, "perturb": ["lowercase", "char-noise:0.2"]}})
    assert main(["experiment", "--config", str(exp), "--list"]) == 0
    out = tmp_path / "grid"
    assert main(["experiment", "--config", str(exp), "--out", str(out)]) == 0
    run = out / "toy-hybrid-a0.5-k2-de+en-s1"
    assert json.loads((run / "run.json").read_text())["run_overrides"]["train_languages"] == ["de", "en"]
    config = json.loads((run / f"eval-{LAREQA}" / "config.json").read_text())["config"]
    assert config["extra"]["train_languages"] == ["de", "en"] and config["perturb"] == ["lowercase", "char-noise:0.2"]
    import yaml

    trained = yaml.safe_load((run / "train" / "config.yaml").read_text())
    assert trained["datasets"][0]["languages"] == ["de", "en"]
    assert (out / "summary" / "language_count.md").is_file() and (out / "summary" / "robustness.md").is_file()
    assert (run / f"eval-{LAREQA}" / "robustness.json").is_file()
