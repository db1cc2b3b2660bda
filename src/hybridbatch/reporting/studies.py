"""The study reports (language count, robustness, domain), from finished evaluations (written into an experiment's ``summary/``):

* **language count** (runs with ``train_languages`` in their record): per strategy, training-language
  count k, and language group — *seen* = query languages in the run's training subset, *unseen* = the
  benchmark's other languages, *held out* = the benchmark's languages in no run's training subset (the same
  languages at every k, so the one group whose line compares like with like across k) — the mean ± std over
  subsets and seeds of Mo. (X→X), Cr. (mean over Y≠X of X→Y), Mul. mAP and MRR@10 and rank distance, each
  first averaged over the group's query languages.
  With k = 1 every strategy is X-X-mono, so the k = 1 runs are the first point of every strategy's line;
  the base model's evaluation, where given, is k = 0 (every language unseen).
  Files: ``language_count.md`` / ``.json`` / ``.png``.
* **robustness** (evaluations with a ``robustness.json``): per model label and perturbation, the mean drop
  over seeds, and paired tests of two models' per-query drops; ``robustness.md`` / ``.png`` /
  ``robustness_tests.csv``.
* **domain** (evaluations of runs on two or more training sets and benchmarks): :mod:`.domain`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.benchmarks.registry import family_of_kind
from hybridbatch.evaluation.robustness import drop_plot
from hybridbatch.outputs import write_json
from hybridbatch.render.plots import pyplot
from hybridbatch.render.tables import csv_text, fmt, markdown_table, mean_std_cell
from hybridbatch.reporting.domain import write_domain
from hybridbatch.reporting.records import BASE_LABEL, EvalRecord
from hybridbatch.reporting.robustness_tests import drop_tests, drop_tests_markdown
from hybridbatch.run_files import ROBUSTNESS_RECORD

SETTINGS = (("mo", "Mo."), ("cr", "Cr."), ("mul", "Mul."))
METRICS = (("map", "mAP"), ("mrr@10", "MRR@10"))
GROUPS = ("seen", "unseen", "held out")


def _mean(values: list[float | None]) -> float | None:
    v = [x for x in values if x is not None]
    return float(np.mean(v)) if v else None


def language_values(results: dict[str, Any], lang: str) -> dict[str, float | None]:
    """One query language's Mo./Cr./Mul. mAP and MRR@10 and rank distance from a LAReQA results dict."""
    pairs, langs = results["pairs"], results["languages"]
    out: dict[str, float | None] = {}
    for metric, _ in METRICS:
        out[f"mo/{metric}"] = pairs.get(f"{lang}-{lang}", {}).get(metric)
        out[f"cr/{metric}"] = _mean([pairs.get(f"{lang}-{y}", {}).get(metric) for y in langs if y != lang])
        out[f"mul/{metric}"] = results["multilingual"].get(lang, {}).get(metric)
    out["rank_distance"] = results["bias"]["rank_distance"].get(lang)
    return out


def strategy_name(meta: dict[str, Any]) -> str:
    strategy = meta.get("strategy") or "?"
    return f"hybrid α={meta['alpha']:g}" if strategy == "hybrid" and meta.get("alpha") is not None else strategy


def language_count_rows(records: list[EvalRecord]) -> list[dict[str, Any]]:
    """One row per (benchmark, strategy, k, group) with every value's list over runs (see module doc)."""
    points: dict[tuple[str, str, int, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    runs = [r for r in records if r.meta.get("train_languages") and r.results.get("kind") == "lareqa"]
    lines = sorted({strategy_name(r.meta) for r in runs if len(r.meta["train_languages"]) > 1}) or ["x-x-mono"]
    ever_trained: dict[str, set[str]] = defaultdict(set)
    for rec in runs:
        ever_trained[rec.benchmark] |= set(rec.meta["train_languages"])
    base = [r for r in records if r.label == BASE_LABEL and r.benchmark in ever_trained
            and r.results.get("kind") == "lareqa"]
    for rec in runs + base:
        trained = set(rec.meta.get("train_languages") or [])
        k = len(trained)
        for group in GROUPS:
            if group == "held out":
                langs = [x for x in rec.results["languages"] if x not in ever_trained[rec.benchmark]]
            else:
                langs = [x for x in rec.results["languages"] if (x in trained) == (group == "seen")]
            if not langs:
                continue
            per_lang = [language_values(rec.results, x) for x in langs]
            strategies = [BASE_LABEL] if k == 0 else lines if k == 1 else [strategy_name(rec.meta)]
            for strategy in strategies:
                for key in per_lang[0]:
                    value = _mean([v[key] for v in per_lang])
                    if value is not None:
                        points[(rec.benchmark, strategy, k, group)][key].append(value)
    return [{"benchmark": b, "strategy": s, "k": k, "group": g, "values": dict(v)}
            for (b, s, k, g), v in sorted(points.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3]))]


def language_count_plot(rows: list[dict[str, Any]], path: Path, benchmark: str) -> None:
    """3 × 3 panels: mAP and MRR@10 for Mo./Cr./Mul., and rank distance; x = k; colour = strategy;
    solid = seen, dashed = unseen, dotted = held-out languages; error bars = std over subsets and seeds."""
    plt = pyplot()
    fig, axes = plt.subplots(3, 3, figsize=(14, 11), squeeze=False)
    panels = [(f"{s}/{m}", f"{sl} {ml}") for m, ml in METRICS for s, sl in SETTINGS] + [("rank_distance",
                                                                                        "rank distance")]
    colours = {}
    mine = [r for r in rows if r["benchmark"] == benchmark]
    for ax, (key, title) in zip(axes.flat, panels):
        for strategy in dict.fromkeys(r["strategy"] for r in mine):
            colour = "0.45" if strategy == BASE_LABEL else colours.setdefault(strategy, f"C{len(colours)}")
            for group, style in zip(GROUPS, ("-", "--", ":")):
                pts = sorted((r["k"], r["values"][key]) for r in mine
                             if r["strategy"] == strategy and r["group"] == group and r["values"].get(key))
                if pts:
                    ax.errorbar([k for k, _ in pts], [np.mean(v) for _, v in pts], yerr=[np.std(v) for _, v in pts],
                                color=colour, linestyle=style, marker="o", capsize=3, label=f"{strategy}, {group}")
        ax.set_title(f"{benchmark}: {title}")
        ax.set_xlabel("training languages k")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_language_count(records: list[EvalRecord], folder: Path) -> bool:
    """language_count.md/.json/.png into ``folder``; False when no record has training languages."""
    rows = language_count_rows(records)
    if not rows:
        return False
    keys = [f"{s}/{m}" for m, _ in METRICS for s, _ in SETTINGS] + ["rank_distance"]
    labels = [f"{sl} {ml}" for m, ml in METRICS for _, sl in SETTINGS] + ["rank distance"]
    lines = ["# Language-count scaling", "",
             "Mean ± std over training-language subsets and seeds (n). Seen = query languages in the run's "
             "training subset; unseen = the others; held out = the languages in no run's training subset (the "
             "same at every k). k = 1 runs are X-X-mono and start every strategy's line; k = 0 is the base model.", ""]
    for bench in dict.fromkeys(r["benchmark"] for r in rows):
        table = [[r["strategy"], r["k"], r["group"], max((len(v) for v in r["values"].values()), default=0)]
                 + [mean_std_cell(r["values"].get(key, []), 1 if key == "rank_distance" else 3) for key in keys]
                 for r in rows if r["benchmark"] == bench]
        lines += [f"## {bench}", ""] + markdown_table(["strategy", "k", "languages", "n"] + labels, table)
        lines += ["", f"![language count]({_png(bench)})", ""]
        language_count_plot(rows, folder / _png(bench), bench)
    (folder / "language_count.md").write_text("\n".join(lines), encoding="utf-8")
    write_json(folder / "language_count.json", rows)
    return True


def _png(bench: str) -> str:
    return f"language_count-{bench}.png"


def write_robustness_summary(records: list[EvalRecord], folder: Path, n_resamples: int = 10_000) -> bool:
    """robustness.md/.png into ``folder`` from every record with robustness.json, with paired tests on the
    per-query drops (:mod:`hybridbatch.reporting.robustness_tests`, also robustness_tests.csv); False when
    no record has one."""
    found = [(r, json.loads((r.path / ROBUSTNESS_RECORD).read_text(encoding="utf-8")))
             for r in records if (r.path / ROBUSTNESS_RECORD).is_file()]
    if not found:
        return False
    lines = ["# Robustness to perturbed inputs", "",
             "The perturbed side is the query (retrieval) or the pair's second text (pair classification). "
             "Drop = clean − perturbed (rank distance: perturbed − clean), mean ± std over seeds; positive = worse.",
             ""]
    for bench in dict.fromkeys(r.benchmark for r, _ in found):
        by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
        measures = family_of_kind(next(r for r, _ in found if r.benchmark == bench).results["kind"]).robustness_measures
        for rec, rob in found:
            if rec.benchmark == bench:
                by_label[rec.label].append(rob)
        series: dict[str, list[dict[str, Any]]] = {}
        table = []
        for label, robs in by_label.items():
            merged = []
            for i, row in enumerate(robs[0]["rows"]):
                same = [rob["rows"][i] for rob in robs if len(rob["rows"]) > i
                        and rob["rows"][i]["perturbation"] == row["perturbation"]]
                entry = {"name": row["name"], "strength": row["strength"], "perturbation": row["perturbation"]}
                for path, _ in measures:
                    drops = [x[path]["drop"] for x in same if x[path]["drop"] is not None]
                    entry[path] = {"drop": float(np.mean(drops)) if drops else None, "all": drops}
                merged.append(entry)
                table.append([label, row["perturbation"], len(same)]
                             + [mean_std_cell(entry[p]["all"], 1 if p == "rank_distance" else 3) if entry[p]["all"]
                                else fmt(None) for p, _ in measures])
            series[label] = merged
        lines += [f"## {bench}", ""] + markdown_table(["model", "perturbation", "n"]
                                                     + [f"{label} drop" for _, label in measures], table)
        png = f"robustness-{bench}.png"
        if drop_plot(series, folder / png, measures[:3], title=bench):
            lines += ["", f"![robustness]({png})", ""]
    tests = drop_tests([r for r, _ in found], n_resamples)
    lines += drop_tests_markdown(tests)
    if tests:
        columns = ["benchmark", "perturbation", "a", "b", "measure", "drop_a", "drop_b", "p", "n"]
        (folder / "robustness_tests.csv").write_text(csv_text(columns, [[r[c] for c in columns] for r in tests]),
                                                     encoding="utf-8")
    (folder / "robustness.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


def write_studies(records: list[EvalRecord], folder: Path, n_resamples: int = 10_000) -> list[str]:
    """Every study report the records allow, into ``folder`` (which exists); returns the files' names.
    ``n_resamples``: the randomization tests' resamples (robustness drops)."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    if write_language_count(records, folder):
        made.append("language_count.md")
    if write_robustness_summary(records, folder, n_resamples):
        made.append("robustness.md")
    if write_domain(records, folder):
        made.append("domain.md")
    return made
