"""The validation side of a grid: retrieval on the held-out split of the training data for the base model,
every trained run (its best evaluation, read from ``train/validation.jsonl``) and, when asked, WiSE-FT
merges of each run with the base at several λ — one table, ranked by the experiment's ``select_metric``.
Hyper-parameters are chosen from this table, never from the evaluation benchmarks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hybridbatch.experiment.config import ExperimentConfig, RunSpec, training_config
from hybridbatch.outputs import atomic_dir, write_json, write_text

MEASURES = ("mo", "cr", "mul", "mo+mul", "rank_distance")


def _evaluator_for(cfg: ExperimentConfig, spec: RunSpec, model):
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.trainer import resolve_prompts
    from hybridbatch.training.validation import ValidationEvaluator, validation_benchmark

    config = training_config(cfg, spec, Path("unused"))
    data = prepare_data(config)
    if data.validation is None:
        return None
    prompts = resolve_prompts(model, config.training.prompts)
    return ValidationEvaluator(validation_benchmark(data.validation), select_metric=cfg.select_metric,
                               query_prompt=prompts["query"], passage_prompt=prompts["passage"],
                               precision=config.training.precision)


def _metrics(raw: dict[str, float]) -> dict[str, float]:
    return {m: raw[f"val_{m}"] for m in MEASURES if f"val_{m}" in raw}


def base_row(cfg: ExperimentConfig, spec: RunSpec, out: Path) -> dict[str, Any] | None:
    """Validation retrieval of the untrained base model on ``spec``'s training set (cached in ``out``)."""
    path = out / "base" / f"validation-{spec.train}" / "metrics.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    from hybridbatch.models.loading import load_model

    config = training_config(cfg, spec, Path("unused"))
    model = load_model(cfg.base_model, max_seq_length=config.training.max_seq_length)
    evaluator = _evaluator_for(cfg, spec, model)
    if evaluator is None:
        return None
    row = {"run": f"base ({spec.train})", "train": spec.train, "kind": "base", **_metrics(evaluator(model))}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, row)
    return row


def run_row(spec: RunSpec, run_dir: Path) -> dict[str, Any] | None:
    """The best evaluation of a trained run by its own ``select_metric`` (or the last one when it selects
    on loss), from ``train/validation.jsonl``; None when the run logged no retrieval validation."""
    path = run_dir / "train" / "validation.jsonl"
    if not path.is_file():
        return None
    history = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    config = json.loads((run_dir / "train" / "run.json").read_text(encoding="utf-8"))["config"]
    select = config["training"].get("select_metric", "loss")
    entry = history[-1] if select == "loss" else max(history, key=lambda h: h["metrics"][f"val_{select}"])
    return {"run": spec.run_id, "train": spec.train, "kind": "trained", "step": entry["step"],
            "selected_by": select, **_metrics(entry["metrics"])}


def wise_rows(cfg: ExperimentConfig, spec: RunSpec, run_dir: Path, model_dir: Path) -> list[dict[str, Any]]:
    """Validation retrieval of WiSE-FT merges base/run at each of ``cfg.wise_lambdas`` (cached)."""
    path = run_dir / "wise-validation.json"
    done = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    have = {r["lambda"] for r in done}
    todo = [lam for lam in cfg.wise_lambdas if lam not in have]
    if todo:
        from hybridbatch.models.loading import load_model
        from hybridbatch.training.validation import lambda_sweep

        tuned = load_model(str(model_dir))
        base = load_model(cfg.base_model, max_seq_length=tuned.max_seq_length)
        evaluator = _evaluator_for(cfg, spec, tuned)
        for lam in todo:
            (row,) = lambda_sweep(base, tuned, [cfg.base_model, str(model_dir)], [lam], evaluator)
            done.append({"run": f"{spec.run_id} WiSE λ={lam:g}", "train": spec.train, "kind": "wise",
                         "lambda": lam, **{m: row[m] for m in MEASURES if m in row}})
            write_json(path, done)
    return [r for r in done if r["lambda"] in cfg.wise_lambdas]


def write_validation_table(rows: list[dict[str, Any]], folder: Path, select_metric: str) -> None:
    """``validation.md`` / ``validation.json``: every row, best first by ``select_metric``."""
    ranked = sorted(rows, key=lambda r: -r.get(select_metric, float("-inf")))
    lines = [f"# Validation split: retrieval mAP (ranked by {select_metric})", "",
             "| run | kind | step | Mo. | Cr. | Mul. | (Mo.+Mul.)/2 | rank distance |", "|---|---|---|---|---|---|---|---|"]
    for r in ranked:
        cells = [f"{r[m]:.4f}" if m in r else "–" for m in ("mo", "cr", "mul", "mo+mul")]
        rd = f"{r['rank_distance']:.1f}" if "rank_distance" in r else "–"
        lines.append(f"| {r['run']} | {r['kind']} | {r.get('step', '–')} | " + " | ".join(cells) + f" | {rd} |")
    with atomic_dir(folder) as tmp:
        write_text(tmp / "validation.md", "\n".join(lines) + "\n")
        write_json(tmp / "validation.json", {"select_metric": select_metric, "rows": ranked})
