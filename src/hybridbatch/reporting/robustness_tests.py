"""Paired tests on robustness drops: does one model lose less than another under the same perturbation?

For a model, a perturbation and a query i the drop is d_i = clean_i − perturbed_i for an mAP measure and
d_i = perturbed_i − clean_i for rank distance (positive = worse), read from the evaluation's
``per_query.npz`` and the perturbation folder's ``perturbed_per_query.npz`` and averaged over the model's
seeds. Two models are compared with the paired randomization test
(:func:`~hybridbatch.reporting.significance.paired_randomization_test`) of their per-query drops, over the
queries defined for both. A model whose perturbation folders are not all there (e.g. a copied record
without them) is left out of that perturbation's tests.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from typing import Any

import numpy as np

from hybridbatch.benchmarks.registry import scorer_for
from hybridbatch.data.perturb import parse_perturbation
from hybridbatch.evaluation.robustness import folder_name
from hybridbatch.render.tables import fmt, markdown_table
from hybridbatch.reporting.records import EvalRecord, read_per_query
from hybridbatch.reporting.significance import paired_randomization_test
from hybridbatch.run_files import PERTURBED_PER_QUERY, ROBUSTNESS_RECORD
from hybridbatch.scoring.metrics import columnwise_nanmean


def drop_measures(record: EvalRecord) -> list[tuple[str, str]]:
    """(per-query key, title) of the headline measures of the record's scorer: those with per-query values
    (for LAReQA: Mo., Cr., Mul. mAP and rank distance)."""
    return [(m.per_query, m.title) for m in scorer_for(record.results).measures if m.per_query]


def per_query_drops(record: EvalRecord, perturbation: str) -> dict[str, np.ndarray] | None:
    """Per-query drops of one evaluation under one perturbation (``char-noise:0.1``); None without its folder.
    Drop = clean − perturbed, for rank distance (lower is better) perturbed − clean."""
    file = record.path / folder_name(parse_perturbation(perturbation)) / PERTURBED_PER_QUERY
    if not file.is_file():
        return None
    perturbed = read_per_query(file)
    drops = {}
    lower_is_better = {m.per_query for m in scorer_for(record.results).measures if not m.greater_is_better}
    for key, _ in drop_measures(record):
        if key in record.per_query and key in perturbed:
            clean, after = record.per_query[key].astype(np.float64), perturbed[key].astype(np.float64)
            drops[key] = after - clean if key in lower_is_better else clean - after
    return drops


def _perturbations(record: EvalRecord) -> list[str]:
    robustness = json.loads((record.path / ROBUSTNESS_RECORD).read_text(encoding="utf-8"))
    return [row["perturbation"] for row in robustness["rows"]]


def drop_tests(records: list[EvalRecord], n_resamples: int = 10_000) -> list[dict[str, Any]]:
    """One row per benchmark, perturbation, pair of models and measure: mean drops and the test's p."""
    groups: dict[str, dict[str, list[EvalRecord]]] = defaultdict(lambda: defaultdict(list))
    for rec in records:
        if (rec.path / ROBUSTNESS_RECORD).is_file():
            groups[rec.benchmark][rec.label].append(rec)
    rows = []
    for bench, by_label in groups.items():
        perturbations = list(dict.fromkeys(p for recs in by_label.values() for r in recs for p in _perturbations(r)))
        for pert in perturbations:
            mean_drops: dict[str, dict[str, np.ndarray]] = {}
            for label, recs in by_label.items():
                drops = [per_query_drops(r, pert) for r in recs]
                if all(d is not None for d in drops):
                    mean_drops[label] = {k: columnwise_nanmean([d[k] for d in drops])
                                         for k in drops[0] if all(k in d for d in drops)}
            first = next(r for recs in by_label.values() for r in recs)
            for a, b in itertools.combinations(mean_drops, 2):
                for key, title in drop_measures(first):
                    da, db = mean_drops[a].get(key), mean_drops[b].get(key)
                    if da is None or db is None or da.shape != db.shape:
                        continue
                    ok = ~(np.isnan(da) | np.isnan(db))
                    if not ok.any():
                        continue
                    rows.append({"benchmark": bench, "perturbation": pert, "a": a, "b": b, "measure": key,
                                 "title": title, "drop_a": float(da[ok].mean()), "drop_b": float(db[ok].mean()),
                                 "p": paired_randomization_test(da[ok], db[ok], n_resamples=n_resamples),
                                 "n": int(ok.sum())})
    return rows


def drop_tests_markdown(rows: list[dict[str, Any]]) -> list[str]:
    """The rows as a markdown section (empty list when there are none)."""
    if not rows:
        return []
    lines = ["## Paired randomization tests on the drops (per-query drops averaged over seeds)", "",
             "Smaller drop = more robust; p tests mean(drop A − drop B) = 0.", ""]
    return lines + markdown_table(
        ["benchmark", "perturbation", "A", "B", "measure", "drop A", "drop B", "p"],
        [[r["benchmark"], r["perturbation"], r["a"], r["b"], r["title"],
          fmt(r["drop_a"], 1 if r["measure"] == "bias/rank_distance" else 3),
          fmt(r["drop_b"], 1 if r["measure"] == "bias/rank_distance" else 3), f"{r['p']:.4f}"] for r in rows]) + [""]
