"""The robustness suite of ``evaluate --perturb NAME[:strength]``: the benchmark scored again with perturbed
queries (:mod:`hybridbatch.data.perturb`) against the same, clean candidates.

Perturbed texts go through the one encode path and cache (:func:`hybridbatch.encoding.encode_texts`; a
perturbed query is another text, so another cache key). Each perturbation gets a report folder
``perturb-<name>-<strength>/`` (perturbed_results.json, results.md, perturbed_per_query.npz — named so that
``report`` and ``benchmarks/rescore_runs.py`` do not take it for an evaluation folder — and examples.txt,
the first 20 queries before and after) inside the evaluation folder, and the
evaluation folder gets ``robustness.json`` / ``.md`` / ``.csv`` / ``.png`` (bars of the drop per perturbation): per perturbation and strength,
each summary measure clean, perturbed and its drop = clean − perturbed (for rank distance: perturbed −
clean, so a positive number is always a loss).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.benchmarks.registry import FAMILIES, family_of_kind
from hybridbatch.data.benchmark import Benchmark
from hybridbatch.data.perturb import Perturbation, perturb_queries
from hybridbatch.encoding import encode_texts
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.config import parse_perturbations
from hybridbatch.outputs import write_json
from hybridbatch.render.plots import pyplot
from hybridbatch.render.tables import csv_text, fmt, markdown_table
from hybridbatch.run_files import PERTURBED_PER_QUERY, PERTURBED_RESULTS, RESULTS_MD, ROBUSTNESS_RECORD

Measures = tuple[tuple[str, str], ...]
"""``(summary path, label)`` pairs compared clean and perturbed: a family's ``robustness_measures``."""


def robustness_measures(bench: Benchmark) -> Measures:
    """What ``--perturb`` compares for ``bench``'s family; a family without perturbation support is an error."""
    family = family_of_kind(bench.kind)
    if not family.supports_perturbation:
        supported = [f.name for f in FAMILIES if f.supports_perturbation]
        raise HybridbatchError(f"--perturb supports benchmarks of the families {' and '.join(supported)}; "
                               f"{bench.name!r} is of family {family.name!r}")
    return family.robustness_measures


def folder_name(p: Perturbation) -> str:
    return f"perturb-{p.name}-{p.strength:g}"


def summary_value(results: dict[str, Any], path: str) -> float | None:
    node: Any = results.get("summary", {})
    for part in path.split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return None if node is None else float(node)


def run_perturbations(bench: Benchmark, scorer, encoder, C: np.ndarray, clean: dict[str, Any], specs: list[str],
                      seed: int, folder: Path, *, cache: bool = True) -> dict[str, Any]:
    """Score ``bench`` once per perturbation, write its folder and the robustness files into ``folder``;
    returns the robustness dict (also robustness.json)."""
    measures = robustness_measures(bench)
    rows = []
    perturbations = parse_perturbations(specs)
    for i, p in enumerate(perturbations):
        texts, stats = perturb_queries(bench, p, seed)
        # passes 1 and 2 encoded the clean queries and passages (.runner)
        Qp, encoded = encode_texts(encoder, texts, "query", cache=cache, label=f"{bench.name} {p.key}",
                                   step=(3 + i, 2 + len(perturbations)))
        results, per_query = scorer.score(bench, Qp, C)
        results["perturbation"] = {"name": p.name, "strength": p.strength, "seed": seed, **stats}
        sub = folder / folder_name(p)
        sub.mkdir()
        write_json(sub / PERTURBED_RESULTS, results)
        (sub / RESULTS_MD).write_text(scorer.markdown(results), encoding="utf-8")
        np.savez_compressed(sub / PERTURBED_PER_QUERY, **per_query)
        (sub / "examples.txt").write_text("".join(f"{q.id}\t{q.text}\t{t}\n" for q, t in
                                                  list(zip(bench.queries, texts))[:20]), encoding="utf-8")
        row: dict[str, Any] = {"perturbation": p.key, "name": p.name, "strength": p.strength, **stats,
                               "texts_encoded": encoded}
        for path, _ in measures:
            before, after = summary_value(clean, path), summary_value(results, path)
            drop = None if before is None or after is None else (
                after - before if path == "rank_distance" else before - after)
            row[path] = {"clean": before, "perturbed": after, "drop": drop}
        rows.append(row)
    robustness = {"benchmark": bench.name, "seed": seed, "rows": rows}
    write_robustness(folder, robustness, measures)
    return robustness


def write_robustness(folder: Path, robustness: dict[str, Any], measures: Measures) -> None:
    """robustness.json, .md (drops), .csv (long) and .png (drop against strength) into ``folder``."""
    rows = robustness["rows"]
    shown = [(path, label) for path, label in measures if any(r[path]["drop"] is not None for r in rows)]
    write_json(folder / ROBUSTNESS_RECORD, robustness)
    lines = [f"# Robustness on {robustness['benchmark']} (seed {robustness['seed']})", "",
             "Drop = clean − perturbed (rank distance: perturbed − clean); positive = worse.", ""]
    lines += markdown_table(["perturbation", "queries changed"] + [f"{label} drop" for _, label in shown],
                            [[r["perturbation"], f"{r['changed']}/{r['queries']}"]
                             + [fmt(r[path]["drop"], 1 if path == "rank_distance" else 3) for path, _ in shown]
                             for r in rows])
    (folder / "robustness.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    csv_rows = [[r["name"], r["strength"], path, r[path]["clean"], r[path]["perturbed"], r[path]["drop"]]
                for r in rows for path, _ in shown]
    (folder / "robustness.csv").write_text(csv_text(["perturbation", "strength", "measure", "clean", "perturbed",
                                                     "drop"], csv_rows), encoding="utf-8")
    drop_plot({"": rows}, folder / "robustness.png", measures[:3], title=robustness["benchmark"])


def drop_plot(series: dict[str, list[dict[str, Any]]], path: Path, settings: Measures, *, title: str) -> bool:
    """Grouped bars of the mAP drop per perturbation (``name:strength`` on the x axis), one bar colour per
    series (model), one panel per measure of ``settings`` (Mo./Cr./Mul.); a series without a perturbation has
    no bar there. False (no file) when there is nothing to draw."""
    settings = [(p, label) for p, label in settings
                if any(r[p]["drop"] is not None for rows in series.values() for r in rows)]
    if not settings:
        return False
    keys = list(dict.fromkeys(r["perturbation"] for rows in series.values() for r in rows))
    plt = pyplot()
    width = 0.8 / max(1, len(series))
    fig, axes = plt.subplots(len(settings), 1, figsize=(max(6.0, 0.9 * len(keys) + 2.0), 2.6 * len(settings)),
                             squeeze=False, sharex=True)
    for ax, (measure, label) in zip(axes[:, 0], settings):
        for i, (name, rows) in enumerate(series.items()):
            by_key = {r["perturbation"]: r[measure]["drop"] for r in rows}
            xs = [j + (i - (len(series) - 1) / 2) * width for j, k in enumerate(keys) if by_key.get(k) is not None]
            ys = [by_key[k] for k in keys if by_key.get(k) is not None]
            ax.bar(xs, ys, width=width, label=name or None, color=f"C{i}")
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_ylabel(f"{label} drop")
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].set_title(f"{title}: mAP drop per perturbation (clean − perturbed; higher = less robust)")
    axes[-1, 0].set_xticks(range(len(keys)))
    axes[-1, 0].set_xticklabels(keys, rotation=30, ha="right")
    if any(series):
        axes[0, 0].legend(fontsize=7, loc="upper left", ncol=min(4, len(series)))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
