"""The domain study's report: models trained on different training sets (``train`` in their
evaluation record), evaluated on two or more benchmarks, side by side.

One row per model label (training set × strategy, the base first), one column per headline measure of every
benchmark (the scorer's measures with per-query values, and rank distance), mean ± std over seeds. The plot
puts the first two benchmarks against each other, one panel per measure both have (LAReQA Cr. and a
multi-parallel benchmark's X→Y are both ``cr``; Mul. is ``mul``): one marker per model (mean over seeds),
colour = training set, shape = strategy, the base a black star; further models of one training set and
strategy (e.g. another ``dataset_weighting``) drawn hollow. Files: ``domain.md`` / ``domain.json`` /
``domain.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.outputs import write_json
from hybridbatch.render.plots import pyplot
from hybridbatch.render.tables import markdown_table, mean_std_cell
from hybridbatch.reporting.records import EvalRecord, benchmark_scorer, group_records

MARKERS = {"hybrid": "o", "x-x-mono": "s", "x-y": "^"}


def domain_rows(records: list[EvalRecord]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(columns, rows): columns = {benchmark, name, label, digits}; rows = {label, train, strategy, values:
    column key ``benchmark/name`` → values over seeds}. Empty when the records hold fewer than two training
    sets or fewer than two benchmarks."""
    grouped = group_records(records)
    if len({r.meta.get("train") for r in records if r.meta.get("train")}) < 2 or len(grouped) < 2:
        return [], []
    columns: list[dict[str, Any]] = []
    rows: dict[str, dict[str, Any]] = {}
    for bench, by_label in grouped.items():
        measures = [m for m in benchmark_scorer(bench, by_label).measures
                    if m.per_query or m.name == "rank_distance"]
        columns += [{"benchmark": bench, "name": m.name, "label": m.label, "digits": m.digits} for m in measures]
        for label, recs in by_label.items():
            row = rows.setdefault(label, {"label": label, "train": recs[0].meta.get("train"),
                                          "strategy": recs[0].meta.get("strategy"), "values": {}})
            for m in measures:
                row["values"][f"{bench}/{m.name}"] = [v for v in (m.value(r.results) for r in recs) if v is not None]
    ordered = sorted(rows.values(), key=lambda r: (r["train"] is not None, str(r["strategy"]), str(r["train"])))
    return columns, ordered


def marker_styles(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Scatter keyword arguments per row label: the base a large black star; otherwise colour = training set,
    shape = strategy, the first label (sorted) of a training set × strategy filled and any further one hollow."""
    trains = sorted({str(r["train"]) for r in rows if r["train"]})
    colours = {t: f"C{i % 10}" for i, t in enumerate(trains)}
    seen: set[tuple[str, str]] = set()
    styles: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["label"]):
        if row["train"] is None:
            styles[row["label"]] = {"marker": "*", "s": 140, "color": "black"}
            continue
        key = (str(row["train"]), str(row["strategy"]))
        colour = colours[key[0]]
        fill = ({"facecolors": "none", "edgecolors": colour, "linewidths": 1.6} if key in seen
                else {"color": colour})
        styles[row["label"]] = {"marker": MARKERS.get(key[1], "D"), "s": 60} | fill
        seen.add(key)
    return styles


def domain_plot(columns: list[dict[str, Any]], rows: list[dict[str, Any]], path: Path) -> bool:
    """The first two benchmarks against each other per shared measure (module doc); False when they share none."""
    benches = list(dict.fromkeys(c["benchmark"] for c in columns))[:2]
    names = {b: {c["name"]: c["label"] for c in columns if c["benchmark"] == b} for b in benches}
    shared = [n for n in names[benches[0]] if n in names[benches[1]] and n != "rank_distance"]
    if not shared:
        return False
    styles = marker_styles(rows)
    plt = pyplot()
    # the legend gets a panel of its own: with ten models, one drawn over the data hides points
    fig, axes = plt.subplots(1, len(shared) + 1, figsize=(4.6 * len(shared) + 3.6, 4.2), squeeze=False,
                             gridspec_kw={"width_ratios": [1.0] * len(shared) + [0.75]})
    for ax, name in zip(axes.flat, shared):
        for row in rows:
            xs, ys = (row["values"].get(f"{b}/{name}", []) for b in benches)
            if xs and ys:
                ax.scatter(np.mean(xs), np.mean(ys), label=row["label"], **styles[row["label"]])
        ax.set_xlabel(f"{benches[0]}: {names[benches[0]][name]} mAP")
        ax.set_ylabel(f"{benches[1]}: {names[benches[1]][name]} mAP")
        ax.grid(alpha=0.3)
    legend_ax = axes.flat[-1]
    legend_ax.axis("off")
    legend_ax.legend(*axes.flat[0].get_legend_handles_labels(), fontsize=7, loc="center left", frameon=False)
    fig.suptitle("one benchmark against the other (colour = training set, shape = strategy; a second model of "
                 "one training set and strategy hollow)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_domain(records: list[EvalRecord], folder: Path) -> bool:
    """domain.md/.json/.png into ``folder``; False when the records are not a domain study (see :func:`domain_rows`)."""
    columns, rows = domain_rows(records)
    if not rows:
        return False
    header = ["model", "n"] + [f"{c['benchmark']} {c['label']}" for c in columns]
    table = [[r["label"], max((len(v) for v in r["values"].values()), default=0)]
             + [mean_std_cell(r["values"].get(f"{c['benchmark']}/{c['name']}", []), c["digits"]) for c in columns]
             for r in rows]
    lines = ["# Domain data in the mix", "",
             "Every benchmark's headline measures per model (training set × strategy), mean ± std over seeds (n).",
             ""] + markdown_table(header, table)
    if domain_plot(columns, rows, folder / "domain.png"):
        lines += ["", "![general against domain](domain.png)"]
    (folder / "domain.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_json(folder / "domain.json", {"columns": columns, "rows": rows})
    return True
