"""Compare finished evaluations of any benchmark kind: summary tables of the scorer's measures (for
LAReQA the paper's Table 1 / Table 2 layouts), mean ± std over seeds, per-language tables with unseen
languages marked, paired significance tests and the α sweep.

Everything kind-specific comes from the scorer that made the results (:mod:`hybridbatch.scoring.scorer`).
"""

from __future__ import annotations

__all__ = ["BASE_LABEL", "EvalRecord", "check_undefined_queries", "load_record", "read_per_query",
           "summary_tables", "per_language_tables", "significance_table", "alpha_sweep_plot", "tradeoff_plot",
           "significance_csv", "write_comparison"]

import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import atomic_dir, write_json
from hybridbatch.render.plots import LinePanel, line_panels, tradeoff_scatter
from hybridbatch.render.tables import MISSING, csv_text, markdown_table, mean_std, mean_std_cell
from hybridbatch.reporting.class_tests import class_tests, class_tests_csv, class_tests_table
from hybridbatch.reporting.language_gains import class_table, gain_plot, language_gains
from hybridbatch.reporting.records import (
    BASE_LABEL,
    EvalRecord,
    benchmark_scorer,
    check_undefined_queries,
    group_records,
    load_record,
    read_per_query,
)
from hybridbatch.reporting.significance import paired_randomization_test
from hybridbatch.run_files import SUMMARY_FILE
from hybridbatch.scoring.metrics import columnwise_nanmean


def summary_tables(records: list[EvalRecord]) -> tuple[str, dict[str, Any]]:
    """Markdown and JSON: one table per benchmark with every measure of its scorer, mean ± std over seeds.

    JSON: benchmark → label → {measure name: [mean, std] (None when undefined in every seed), "n": seeds}.
    """
    lines: list[str] = []
    data: dict[str, Any] = {}
    for bench, by_label in group_records(records).items():
        scorer = benchmark_scorer(bench, by_label)
        lines += [f"## {bench}", "", scorer.summary_caption, ""]
        data[bench] = {}
        rows = []
        # a measure no evaluation has (e.g. MRR@10 in results made before it was added) gets no column
        measures = [m for m in scorer.measures if any(m.value(r.results) is not None
                                                      for recs in by_label.values() for r in recs)]
        for label, recs in by_label.items():
            row: dict[str, Any] = {}
            cells: list[str] = [label, str(len(recs))]
            for m in measures:
                values = [v for v in (m.value(r.results) for r in recs) if v is not None]
                row[m.name] = mean_std(values) if values else None
                cells.append(mean_std_cell(values, m.digits))
            row["n"] = len(recs)
            data[bench][label] = row
            rows.append(cells)
        lines += markdown_table(["model", "n"] + [m.label for m in measures], rows)
        lines.append("")
    return "\n".join(lines), data


def per_language_tables(records: list[EvalRecord], seen_languages: set[str] | None) -> str:
    """The scorer's per-language values per system (mean over seeds); ``*`` marks languages unseen in training."""
    lines: list[str] = []
    for bench, by_label in group_records(records).items():
        scorer = benchmark_scorer(bench, by_label)
        langs = next(iter(by_label.values()))[0].results["languages"]
        mark = {lang: f"{lang}*" if seen_languages is not None and lang not in seen_languages else lang
                for lang in langs}
        tables = {label: [scorer.per_language(r.results) for r in recs]
                  for label, recs in by_label.items()}
        for i, first in enumerate(next(iter(tables.values()))[0]):
            lines += [f"### {bench}: {first.title} per query language", ""]
            rows = []
            for label, per_rec in tables.items():
                cells = [label]
                for x in langs:
                    vals = [v for v in (t[i].values.get(x) for t in per_rec) if v is not None]
                    cells.append(f"{np.mean(vals):.{first.digits}f}" if vals else MISSING)
                rows.append(cells)
            lines += markdown_table(["model"] + [mark[x] for x in langs], rows)
            lines.append("")
        if seen_languages is not None:
            lines += ["`*` = language not in the training data (zero-shot language).", ""]
    return "\n".join(lines)


def significance_table(records: list[EvalRecord], n_resamples: int = 10_000) -> tuple[str, list[dict]]:
    """Paired randomization tests between every two systems, per headline measure (one with per-query
    values, see :class:`~hybridbatch.scoring.scorer.Measure`), over per-query values.

    Per-query values are averaged over a system's seeds first; queries undefined for either system are left out.
    """
    rows: list[dict] = []
    lines = ["| benchmark | A | B | measure | mean A | mean B | p |", "|---|---|---|---|---|---|---|"]
    for bench, by_label in group_records(records).items():
        scorer = benchmark_scorer(bench, by_label)
        keys = [(m.per_query, m.title) for m in scorer.measures if m.per_query]
        averaged = {label: {k: columnwise_nanmean([r.per_query[k] for r in recs])
                            for k, _ in keys if all(k in r.per_query for r in recs)}
                    for label, recs in by_label.items()}
        for a, b in itertools.combinations(by_label, 2):
            for key, name in keys:
                if key not in averaged[a] or key not in averaged[b] or averaged[a][key].shape != averaged[b][key].shape:
                    continue
                va, vb = averaged[a][key], averaged[b][key]
                ok = ~(np.isnan(va) | np.isnan(vb))
                if not ok.any():
                    continue
                p = paired_randomization_test(va[ok], vb[ok], n_resamples=n_resamples)
                rows.append({"benchmark": bench, "a": a, "b": b, "measure": key, "mean_a": float(va[ok].mean()),
                             "mean_b": float(vb[ok].mean()), "p": p, "n": int(ok.sum())})
                lines.append(f"| {bench} | {a} | {b} | {name} | {va[ok].mean():.3f} | {vb[ok].mean():.3f} | "
                             f"{p:.4f} |")
    return "\n".join(lines) + "\n", rows


def sweep_setting(rec: EvalRecord) -> str:
    """What must be equal for two runs to sit on one α sweep: the training set and the training languages
    (runs of other training data are other sweeps, never averaged into one point); "" when neither is known."""
    parts = [f"train={rec.meta['train']}"] if rec.meta.get("train") else []
    if rec.meta.get("train_languages"):
        parts.append("languages=" + ",".join(rec.meta["train_languages"]))
    return " ".join(parts)


def alpha_points(records: list[EvalRecord]) -> dict[tuple[str, str], dict[float, list[EvalRecord]]]:
    """(benchmark, :func:`sweep_setting`) → α → records; X-Y counts as α = 0 and X-X-mono as α = 1 (same
    batch distributions)."""
    points: dict[tuple[str, str], dict[float, list[EvalRecord]]] = defaultdict(lambda: defaultdict(list))
    for rec in records:
        strategy = rec.meta.get("strategy")
        alpha = {"x-y": 0.0, "x-x-mono": 1.0}.get(strategy, rec.meta.get("alpha") if strategy == "hybrid" else None)
        if alpha is not None:
            points[(rec.benchmark, sweep_setting(rec))][float(alpha)].append(rec)
    return points


def alpha_sweep_plot(records: list[EvalRecord], path: Path) -> bool:
    """Headline measures (those with per-query values) against α, one panel per benchmark and training setting
    (:func:`sweep_setting`): greater-is-better measures on the left axis, lower-is-better ones on a twin axis;
    returns False when no (benchmark, setting) has 3 α values."""
    panels = []
    for (bench, setting), pts in alpha_points(records).items():
        if len(pts) < 3:
            continue
        scorer = benchmark_scorer(bench, pts)
        alphas = sorted(pts)
        title = f"{bench}: α sweep" + (f" ({setting})" if setting else "")
        panel = LinePanel(title=title, x=alphas, xlabel="α (share of monolingual batches)")
        for m in (m for m in scorer.measures if m.per_query):
            ys = [_mean_or_nan([m.value(r.results) for r in pts[a]]) for a in alphas]
            (panel.left if m.greater_is_better else panel.right).append((m.title, ys))
        left = [m for m in scorer.measures if m.per_query and m.greater_is_better]
        right = [m for m in scorer.measures if m.per_query and not m.greater_is_better]
        panel.left_label = " / ".join(dict.fromkeys(m.unit or m.label for m in left))
        panel.right_label = " / ".join(dict.fromkeys(m.unit or m.label for m in right))
        panels.append(panel)
    if not panels:
        return False
    line_panels(panels, path)
    return True


def tradeoff_plot(records: list[EvalRecord], path: Path, base_label: str = BASE_LABEL) -> bool:
    """The scorer's trade-off plot (LAReQA: Mul. mAP against Mo. mAP, rank distance as colour), one marker
    per evaluation (so per seed), for the first benchmark whose scorer declares one; False when none does."""
    for bench, by_label in group_records(records).items():
        scorer = benchmark_scorer(bench, by_label)
        if not scorer.tradeoff:
            continue
        named = {m.name: m for m in scorer.measures}
        mx, my, mc = (named[n] for n in scorer.tradeoff)
        points = [(label, mx.value(r.results), my.value(r.results), mc.value(r.results))
                  for label, recs in by_label.items() for r in recs]
        points = [p for p in points if None not in p]
        if not points:
            continue
        tradeoff_scatter(points, path, title=f"{bench}: {my.title} against {mx.title}", xlabel=mx.title,
                         ylabel=my.title, clabel=mc.title, highlight=base_label)
        return True
    return False


def _mean_or_nan(values: list[float | None]) -> float:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else float("nan")


SIGNIFICANCE_CSV_HEADER = ("benchmark", "a", "b", "measure", "mean_a", "mean_b", "p", "n")


def significance_csv(rows: list[dict[str, Any]]) -> str:
    """``significance.csv``: one quoted-as-needed row per test (labels such as ``hybrid α=0.5 (train=mix,
    dataset_weighting=uniform)`` hold commas), means and p with six decimals."""
    return csv_text(SIGNIFICANCE_CSV_HEADER,
                    ([r["benchmark"], r["a"], r["b"], r["measure"], f"{r['mean_a']:.6f}", f"{r['mean_b']:.6f}",
                      f"{r['p']:.6f}", r["n"]] for r in rows))


def write_comparison(records: list[EvalRecord], out: Path, *, seen_languages: set[str] | None = None,
                     n_resamples: int = 10_000, title: str = "Comparison", base_label: str | None = None) -> None:
    """Write summary.md, summary.json, significance.csv, alpha_sweep.png, tradeoff.png and, with a base
    evaluation, gain_by_class.png (:mod:`hybridbatch.reporting.language_gains`) and class_tests.csv
    (:mod:`hybridbatch.reporting.class_tests`) into ``out``."""
    if not records:
        raise HybridbatchError("no evaluations to compare")
    check_undefined_queries(records)
    table, data = summary_tables(records)
    sig_md, sig_rows = significance_table(records, n_resamples)
    with atomic_dir(Path(out)) as tmp:
        has_plot = alpha_sweep_plot(records, tmp / "alpha_sweep.png")
        has_tradeoff = tradeoff_plot(records, tmp / "tradeoff.png", base_label or BASE_LABEL)
        parts = [f"# {title}", "", "Generated by hybridbatch from these evaluation folders:", ""]
        parts += [f"- `{r.path}` ({r.label}, seed {r.seed})" for r in records]
        parts += ["", table, "## Per language", "", per_language_tables(records, seen_languages),
                  "## Paired randomization tests (two-sided, per-query values averaged over seeds)", "",
                  sig_md]
        if has_plot:
            parts += ["", "![α sweep](alpha_sweep.png)", ""]
        if has_tradeoff:
            parts += ["", "## Trade-off (one marker per model and seed; the base model as a star)", "",
                      "![trade-off](tradeoff.png)", ""]
        gains, gain_titles = language_gains(records, base_label or BASE_LABEL, seen_languages)
        if gains:
            parts += ["", "## Gain over the base model by resource class (Joshi et al. 2020) and seen / unseen", ""]
            parts += class_table(gains, gain_titles)
            if gain_plot(gains, gain_titles, tmp / "gain_by_class.png"):
                parts += ["![gain by resource class](gain_by_class.png)", ""]
        group_tests = class_tests(gains, base_label or BASE_LABEL, n_resamples)
        if group_tests:
            parts += ["## Paired randomization tests over languages: resource classes 0–2 and 3–5, unseen and seen",
                      "", "Units are languages (per-language values averaged over seeds; the first per-language "
                      "measure of each benchmark, sign-flipped where lower is better), so n is the number of "
                      "languages in the group.", ""]
            parts += class_tests_table(group_tests, gain_titles)
            (tmp / "class_tests.csv").write_text(class_tests_csv(group_tests), encoding="utf-8")
        (tmp / SUMMARY_FILE).write_text("\n".join(parts), encoding="utf-8")
        write_json(tmp / "summary.json", {"tables": data, "significance": sig_rows,
                                          "language_gains": [g.__dict__ | {"gain": g.gain} for g in gains],
                                          "class_tests": group_tests,
                                          "seen_languages": sorted(seen_languages) if seen_languages else None,
                                          "records": [str(r.path) for r in records]})
        (tmp / "significance.csv").write_text(significance_csv(sig_rows), encoding="utf-8")
