"""The domain study's report: rows per training set × strategy, columns per benchmark, the plot."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridbatch.reporting.domain import domain_rows, marker_styles, write_domain
from hybridbatch.reporting.records import EvalRecord


def _record(tmp: Path, bench: str, kind: str, train: str | None, strategy: str | None, seed: int,
            value: float) -> EvalRecord:
    summary = {"cr": {"map": value}, "mul": {"map": value / 2}, "rank_distance": 100 * value}
    if kind == "lareqa":
        summary["mo"] = {"map": value + 0.1}
    label = "base (untrained)" if train is None else f"{strategy} (train={train})"
    meta = {"label": label, "seed": seed} | ({"train": train, "strategy": strategy} if train else {})
    results = {"benchmark": bench, "kind": kind, "languages": ["en", "de"], "summary": summary}
    return EvalRecord(tmp / f"{label}-{bench}-{seed}", label, seed, results, {}, meta)


def _study(tmp: Path) -> list[EvalRecord]:
    recs = []
    for bench, kind in (("general", "lareqa"), ("domain", "multiparallel")):
        recs.append(_record(tmp, bench, kind, None, None, 0, 0.5))
        for i, train in enumerate(("a", "mix")):
            for seed in (1, 2):
                recs.append(_record(tmp, bench, kind, train, "hybrid", seed, 0.6 + 0.1 * i + 0.01 * seed))
    return recs


def test_rows_are_training_set_by_strategy_with_every_benchmarks_headline_measures(tmp_path):
    columns, rows = domain_rows(_study(tmp_path))
    assert [r["label"] for r in rows] == ["base (untrained)", "hybrid (train=a)", "hybrid (train=mix)"]
    keys = [f"{c['benchmark']}/{c['name']}" for c in columns]
    assert keys == ["general/mo", "general/cr", "general/mul", "general/rank_distance",
                    "domain/cr", "domain/mul", "domain/rank_distance"]
    mix = rows[2]["values"]
    assert mix["domain/cr"] == pytest.approx([0.71, 0.72]) and mix["general/mo"] == pytest.approx([0.81, 0.82])


def test_report_files_and_table_cells(tmp_path):
    folder = tmp_path / "summary"
    folder.mkdir()
    assert write_domain(_study(tmp_path), folder)
    text = (folder / "domain.md").read_text(encoding="utf-8")
    assert "| hybrid (train=mix) | 2 | 0.815 ± 0.007 |" in text  # general Mo. over the two seeds
    assert "domain X→Y" in text and "![general against domain](domain.png)" in text
    assert (folder / "domain.png").stat().st_size > 0 and (folder / "domain.json").is_file()


def test_one_training_set_or_one_benchmark_is_not_a_domain_study(tmp_path):
    recs = _study(tmp_path)
    assert domain_rows([r for r in recs if r.meta.get("train") != "mix"]) == ([], [])
    assert domain_rows([r for r in recs if r.benchmark == "general"]) == ([], [])
    assert not write_domain([r for r in recs if r.benchmark == "general"], tmp_path)


def test_every_model_gets_its_own_marker_and_a_second_model_of_one_setting_is_hollow(tmp_path):
    recs = _study(tmp_path)
    for bench, kind in (("general", "lareqa"), ("domain", "multiparallel")):
        recs.append(_record(tmp_path, bench, kind, "mix", "x-y", 1, 0.7))
        variant = _record(tmp_path, bench, kind, "mix", "hybrid", 1, 0.75)
        label = "hybrid (train=mix, dataset_weighting=uniform)"
        recs.append(EvalRecord(variant.path.with_name("uniform"), label, 1, variant.results, {},
                               variant.meta | {"label": label}))
    _, rows = domain_rows(recs)
    styles = marker_styles(rows)
    assert styles["base (untrained)"] == {"marker": "*", "s": 140, "color": "black"}
    assert styles["hybrid (train=mix)"] == {"marker": "o", "s": 60, "color": styles["x-y (train=mix)"]["color"]}
    assert styles["x-y (train=mix)"]["marker"] == "^"
    assert styles["hybrid (train=a)"]["color"] != styles["hybrid (train=mix)"]["color"]
    hollow = styles["hybrid (train=mix, dataset_weighting=uniform)"]
    assert hollow["marker"] == "o" and hollow["facecolors"] == "none"
    assert hollow["edgecolors"] == styles["hybrid (train=mix)"]["color"]
    drawn = {tuple(sorted((k, str(v)) for k, v in s.items())) for s in styles.values()}
    assert len(drawn) == len(styles) == 5
    folder = tmp_path / "summary"
    folder.mkdir()
    assert write_domain(recs, folder) and (folder / "domain.png").stat().st_size > 0
