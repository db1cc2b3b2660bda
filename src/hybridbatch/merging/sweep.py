"""A WiSE-FT λ sweep scored on the validation split, the λ it picks and its table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hybridbatch.errors import HybridbatchError
from hybridbatch.merging.wise import wise_merge
from hybridbatch.models.merge import wise_weights
from hybridbatch.outputs import write_json, write_text
from hybridbatch.render.tables import markdown_table

TIE_BAND = 0.002
"""Scores within this of the best count as tied; the tie goes to the smaller λ."""
SWEEP_TABLE = "lambda_sweep.md"
SWEEP_JSON = "lambda_sweep.json"


def parse_lambdas(text: str) -> list[float]:
    """λ values from comma-separated text, each in [0, 1]; raises :class:`HybridbatchError` otherwise."""
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise HybridbatchError(f"--lambda {text!r}: expected comma-separated numbers in [0, 1]") from None
    if not values:
        raise HybridbatchError("--lambda: no value given")
    for v in values:
        wise_weights(v)  # range check
    return values


def lambda_sweep(base: Any, tuned: Any, names: list[str], lambdas: list[float],
                 evaluator: Callable[[Any], dict[str, float]]) -> list[dict[str, Any]]:
    """Validation retrieval of the WiSE-FT merge (1 − λ)·base + λ·tuned for each λ: one row per λ with
    ``lambda`` and the evaluator's metrics without their ``<evaluator.name>_`` prefix."""
    prefix = f"{evaluator.name}_" if getattr(evaluator, "name", "") else ""
    rows = []
    for lam in lambdas:
        metrics = evaluator(wise_merge(base, tuned, names, lam))
        rows.append({"lambda": lam, **{k.removeprefix(prefix): v for k, v in metrics.items()}})
    return rows


def best_lambda(rows: list[dict[str, Any]], metric: str) -> dict[str, Any]:
    """The row with the highest ``metric``; among rows within :data:`TIE_BAND` of it, the smallest λ
    (closest to the base model) — the selection rule of docs/RESULTS.md."""
    top = max(r[metric] for r in rows)
    return min((r for r in rows if r[metric] >= top - TIE_BAND), key=lambda r: r["lambda"])


def sweep_table(rows: list[dict[str, Any]], best: dict[str, Any]) -> list[str]:
    """Markdown table lines: one row per λ (the picked one marked **best**), Mo./Cr./Mul./(Mo.+Mul.)/2 mAP
    and rank distance."""
    return markdown_table(
        ["lambda", "Mo.", "Cr.", "Mul.", "(Mo.+Mul.)/2", "rank distance"],
        [[f"{r['lambda']:g}{' **best**' if r is best else ''}", f"{r['mo']:.4f}", f"{r['cr']:.4f}",
          f"{r['mul']:.4f}", f"{r['mo+mul']:.4f}", f"{r['rank_distance']:.1f}"] for r in rows])


def write_sweep(folder: Path, rows: list[dict[str, Any]], best: dict[str, Any], select_metric: str) -> list[str]:
    """Write lambda_sweep.md (titled table) and lambda_sweep.json into ``folder``; returns the table lines."""
    table = sweep_table(rows, best)
    title = f"# WiSE-FT lambda sweep on the validation split ({select_metric} picks)"
    write_text(folder / SWEEP_TABLE, "\n".join([title, "", *table]) + "\n")
    write_json(folder / SWEEP_JSON, {"select_metric": select_metric, "rows": rows, "best_lambda": best["lambda"]})
    return table
