"""Compare finished evaluations: the paper's Table 1 / Table 2 layouts, mean ± std over seeds,
per-language tables with unseen languages marked, paired significance tests and the α sweep."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.errors import HybridbatchError
from hybridbatch.reporting.significance import paired_randomization_test

SETTINGS = [("mo", "Mo."), ("cr", "Cr."), ("mul", "Mul.")]


@dataclass
class EvalRecord:
    """One finished evaluation folder (results.json, per_query.npz, config.json)."""

    path: Path
    label: str
    seed: int | None
    results: dict[str, Any]
    per_query: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def benchmark(self) -> str:
        return self.results["benchmark"]


def load_record(path: Path, label: str | None = None) -> EvalRecord:
    """Read an evaluation folder written by ``hybridbatch evaluate`` or the experiment runner."""
    path = Path(path)
    files = {name: path / name for name in ("results.json", "per_query.npz", "config.json")}
    for name, file in files.items():
        if not file.is_file():
            raise HybridbatchError(f"not a finished evaluation folder (no {name})", path=path)
    try:
        results = json.loads(files["results.json"].read_text(encoding="utf-8"))
        config = json.loads(files["config.json"].read_text(encoding="utf-8")).get("config", {})
    except json.JSONDecodeError as exc:
        raise HybridbatchError(f"malformed JSON ({exc})", path=path) from None
    with np.load(files["per_query.npz"]) as data:
        per_query = {k: data[k] for k in data.files}
    meta = dict(config.get("extra") or {})
    return EvalRecord(path, label or meta.get("label") or path.name, meta.get("seed"), results, per_query, meta)


def _mean_std(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def _cell(values: list[float], digits: int) -> str:
    mean, std = _mean_std(values)
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if len(values) > 1 else f"{mean:.{digits}f}"


def group_records(records: list[EvalRecord]) -> dict[str, dict[str, list[EvalRecord]]]:
    """benchmark → label → records (one per seed), labels in first-seen order."""
    grouped: dict[str, dict[str, list[EvalRecord]]] = defaultdict(dict)
    for rec in records:
        grouped[rec.benchmark].setdefault(rec.label, []).append(rec)
    return grouped


def summary_tables(records: list[EvalRecord]) -> tuple[str, dict[str, Any]]:
    """Markdown and JSON: Table 1 (mAP Mo./Cr./Mul.) and Table 2 (rank distance), mean ± std over seeds."""
    lines: list[str] = []
    data: dict[str, Any] = {}
    for bench, by_label in group_records(records).items():
        lines += [f"## {bench}", "", "Table 1 layout: mAP (mean ± std over seeds; n = number of seeds)", "",
                  "| model | n | Mo. | Cr. | Mul. | mAP@20 Mul. | R@1 Mul. | R@10 Mul. | rank distance |",
                  "|---|---|---|---|---|---|---|---|---|"]
        data[bench] = {}
        for label, recs in by_label.items():
            s = [r.results["summary"] for r in recs]
            row = {key: _mean_std([x[key]["map"] for x in s]) for key, _ in SETTINGS}
            row["rank_distance"] = _mean_std([x["rank_distance"] for x in s])
            row["n"] = len(recs)
            data[bench][label] = row
            cells = [_cell([x[key]["map"] for x in s], 3) for key, _ in SETTINGS]
            cells += [_cell([x["mul"][m] for x in s], 3) for m in ("map@20", "r@1", "r@10")]
            lines.append(f"| {label} | {len(recs)} | " + " | ".join(cells) +
                         f" | {_cell([x['rank_distance'] for x in s], 1)} |")
        lines.append("")
    return "\n".join(lines), data


def per_language_tables(records: list[EvalRecord], seen_languages: set[str] | None) -> str:
    """Per query language Mo. and Mul. mAP and rank distance per system; ``*`` marks languages unseen in training."""
    lines: list[str] = []
    for bench, by_label in group_records(records).items():
        langs = next(iter(by_label.values()))[0].results["languages"]
        mark = {lang: f"{lang}*" if seen_languages is not None and lang not in seen_languages else lang
                for lang in langs}
        for title, getter, digits in (
            ("Mo. mAP (X→X)", lambda r, x: r.results["pairs"].get(f"{x}-{x}", {}).get("map"), 3),
            ("Mul. mAP", lambda r, x: r.results["multilingual"].get(x, {}).get("map"), 3),
            ("rank distance", lambda r, x: r.results["bias"]["rank_distance"].get(x), 1),
        ):
            lines += [f"### {bench}: {title} per query language", "",
                      "| model | " + " | ".join(mark[x] for x in langs) + " |", "|---" * (len(langs) + 1) + "|"]
            for label, recs in by_label.items():
                cells = []
                for x in langs:
                    vals = [v for v in (getter(r, x) for r in recs) if v is not None]
                    cells.append(f"{np.mean(vals):.{digits}f}" if vals else "–")
                lines.append(f"| {label} | " + " | ".join(cells) + " |")
            lines.append("")
        if seen_languages is not None:
            lines += ["`*` = language not in the training data (zero-shot language).", ""]
    return "\n".join(lines)


def significance_table(records: list[EvalRecord], n_resamples: int = 10_000) -> tuple[str, list[dict]]:
    """Paired randomization tests between every two systems, per setting, over per-query values.

    Per-query values are averaged over a system's seeds first. Mo./Cr./Mul. use per-query AP;
    bias uses the per-query rank distance.
    """
    keys = [("mo/map", "Mo. mAP"), ("cr/map", "Cr. mAP"), ("mul/map", "Mul. mAP"),
            ("bias/rank_distance", "rank distance")]
    rows: list[dict] = []
    lines = ["| benchmark | A | B | measure | mean A | mean B | p |", "|---|---|---|---|---|---|---|"]
    for bench, by_label in group_records(records).items():
        averaged = {label: {k: np.nanmean(np.stack([r.per_query[k] for r in recs]), axis=0)
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


def alpha_points(records: list[EvalRecord]) -> dict[str, dict[float, list[EvalRecord]]]:
    """benchmark → α → records; X-Y counts as α = 0 and X-X-mono as α = 1 (same batch distributions)."""
    points: dict[str, dict[float, list[EvalRecord]]] = defaultdict(lambda: defaultdict(list))
    for rec in records:
        strategy = rec.meta.get("strategy")
        alpha = {"x-y": 0.0, "x-x-mono": 1.0}.get(strategy, rec.meta.get("alpha") if strategy == "hybrid" else None)
        if alpha is not None:
            points[rec.benchmark][float(alpha)].append(rec)
    return points


def alpha_sweep_plot(records: list[EvalRecord], path: Path) -> bool:
    """Mo./Cr./Mul. mAP and rank distance against α; returns False when fewer than 3 α values exist."""
    from hybridbatch.reporting.plots import _pyplot

    all_points = alpha_points(records)
    benches = [b for b, pts in all_points.items() if len(pts) >= 3]
    if not benches:
        return False
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(benches), figsize=(5.5 * len(benches), 3.8), squeeze=False)
    for ax, bench in zip(axes[0], benches):
        alphas = sorted(all_points[bench])
        for key, label in SETTINGS:
            ax.plot(alphas, [np.mean([r.results["summary"][key]["map"] for r in all_points[bench][a]])
                             for a in alphas], marker="o", label=f"{label} mAP")
        ax.set_xlabel("α (share of monolingual batches)")
        ax.set_ylabel("mAP")
        twin = ax.twinx()
        twin.plot(alphas, [np.mean([r.results["summary"]["rank_distance"] for r in all_points[bench][a]])
                           for a in alphas], color="black", linestyle="--", marker="s", label="rank distance")
        twin.set_ylabel("rank distance")
        handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        ax.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="best")
        ax.set_title(f"{bench}: α sweep")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def write_comparison(records: list[EvalRecord], out: Path, *, seen_languages: set[str] | None = None,
                     n_resamples: int = 10_000, title: str = "Comparison") -> None:
    """Write summary.md, summary.json, significance.csv and alpha_sweep.png into folder ``out``."""
    from hybridbatch.outputs import atomic_dir, write_json

    if not records:
        raise HybridbatchError("no evaluations to compare")
    table, data = summary_tables(records)
    sig_md, sig_rows = significance_table(records, n_resamples)
    with atomic_dir(Path(out)) as tmp:
        has_plot = alpha_sweep_plot(records, tmp / "alpha_sweep.png")
        parts = [f"# {title}", "", "Generated by hybridbatch from these evaluation folders:", ""]
        parts += [f"- `{r.path}` ({r.label}, seed {r.seed})" for r in records]
        parts += ["", table, "## Per language", "", per_language_tables(records, seen_languages),
                  "## Paired randomization tests (two-sided, per-query values averaged over seeds)", "",
                  sig_md]
        if has_plot:
            parts += ["", "![α sweep](alpha_sweep.png)", ""]
        (tmp / "summary.md").write_text("\n".join(parts), encoding="utf-8")
        write_json(tmp / "summary.json", {"tables": data, "significance": sig_rows,
                                          "seen_languages": sorted(seen_languages) if seen_languages else None,
                                          "records": [str(r.path) for r in records]})
        lines = ["benchmark,a,b,measure,mean_a,mean_b,p,n"]
        lines += [f"{r['benchmark']},{r['a']},{r['b']},{r['measure']},{r['mean_a']:.6f},{r['mean_b']:.6f},"
                  f"{r['p']:.6f},{r['n']}" for r in sig_rows]
        (tmp / "significance.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
