"""Drift of the int8 backend variants from torch fp32 on a whole benchmark, through the project's evaluation.

    python benchmarks/int8_drift.py [--model default|FOLDER] [--benchmark xquad-r]
        [--variants onnx-int8-dynamic,onnx-int8-static,openvino-int8] [--calibration-n 32] [--seed 0]
        [--calibration-benchmark mlqa-r] [--data-dir DIR] [--languages de,en] [--limit-languages N]
        [--max-queries N] [--batch-size 64] [--cache] [--reports DIR] [--json OUT]

Each system (torch fp32, the reference, then each variant of :data:`hybridbatch.config.EXPERIMENTAL_BACKENDS`
asked) is evaluated by :func:`hybridbatch.evaluation.runner.run_evaluation` on the same benchmark with the same
model, prompts and batch size; the table shows Mo., Cr., Mul. mAP and rank distance, their drift from torch
fp32, texts/s (of the encoding, from the evaluation's own timing, after a warm-up that makes or opens the
export) and the verdict of the rule a backend must pass before it is offered: |drift| ≤ 0.005 on each of Mo., Cr. and Mul. mAP, and rank distance within 2 % of
torch fp32's. The calibrated variants get ``--calibration-n`` queries and passages per language drawn from
``--calibration-benchmark`` with ``--seed`` (:func:`hybridbatch.evaluation.calibration.calibration_texts`),
with the model's prompts. The embedding cache is off unless ``--cache`` (texts/s is then only for what was
not cached). ``--languages`` / ``--limit-languages`` / ``--max-queries`` cut the benchmark for a smoke run; a
verdict counts only on the whole benchmark, on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.config import EXPERIMENTAL_BACKENDS
from hybridbatch.data.benchmark import Benchmark
from hybridbatch.encoding import SentenceTransformerEncoder
from hybridbatch.evaluation.calibration import CALIBRATION_BENCHMARK, calibration_texts
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import build_encoder, run_evaluation
from hybridbatch.models.backends import runtime

MAP_TOLERANCE = 0.005
RANK_DISTANCE_TOLERANCE = 0.02
MEASURES = (("mo", "Mo."), ("cr", "Cr."), ("mul", "Mul."))


def cut(bench: Benchmark, limit_languages: int | None, max_queries: int | None) -> Benchmark:
    """The first ``limit_languages`` languages and the first ``max_queries`` queries of each (every
    candidate kept), for smoke runs."""
    if limit_languages:
        bench = bench.subset(bench.languages[:limit_languages])
    if max_queries:
        seen: dict[str, int] = {}
        queries = []
        for q in bench.queries:
            seen[q.lang] = seen.get(q.lang, 0) + 1
            if seen[q.lang] <= max_queries:
                queries.append(q)
        bench = dataclasses.replace(bench, queries=queries, qrels={q.id: bench.qrels[q.id] for q in queries},
                                    _cache={})
        bench.validate()
    return bench


def values(results: dict) -> dict[str, float]:
    summary = results["summary"]
    out = {key: float(summary[key]["map"]) for key, _ in MEASURES}
    out["rank_distance"] = float(summary["rank_distance"])
    out["texts_per_second"] = results["timing"].get("texts_per_second")
    return out


def verdict(row: dict[str, float], ref: dict[str, float]) -> tuple[dict[str, float], bool]:
    """Drift of ``row`` from ``ref`` and whether it is within the rule."""
    drift = {key: row[key] - ref[key] for key, _ in MEASURES}
    drift["rank_distance"] = (row["rank_distance"] - ref["rank_distance"]) / ref["rank_distance"] \
        if ref["rank_distance"] else 0.0
    ok = all(abs(drift[key]) <= MAP_TOLERANCE for key, _ in MEASURES) \
        and abs(drift["rank_distance"]) <= RANK_DISTANCE_TOLERANCE
    return drift, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--benchmark", default="xquad-r")
    parser.add_argument("--variants", default=",".join(EXPERIMENTAL_BACKENDS))
    parser.add_argument("--calibration-benchmark", default=CALIBRATION_BENCHMARK)
    parser.add_argument("--calibration-n", type=int, default=32, help="queries and passages per language")
    parser.add_argument("--seed", type=int, default=0, help="seed of the calibration draw")
    parser.add_argument("--data-dir")
    parser.add_argument("--languages", help="comma-separated language subset of the benchmark")
    parser.add_argument("--limit-languages", type=int, help="only the first N languages (smoke runs)")
    parser.add_argument("--max-queries", type=int, help="only the first N queries per language (smoke runs)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cache", action="store_true", help="read and write the embedding cache")
    parser.add_argument("--reports", help="keep each system's evaluation report folder under this folder")
    parser.add_argument("--json", help="also write every number as JSON")
    args = parser.parse_args(argv)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(variants) - set(EXPERIMENTAL_BACKENDS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; expected {', '.join(EXPERIMENTAL_BACKENDS)}")

    cfg = EvaluationConfig(benchmark=args.benchmark, model=args.model, data_dir=args.data_dir,
                           languages=args.languages.split(",") if args.languages else None,
                           batch_size=args.batch_size, precision="fp32", device="cpu", cache=args.cache)
    bench = cut(load_benchmark(cfg.benchmark, cfg.data_dir, cfg.languages), args.limit_languages, args.max_queries)
    reference = build_encoder(cfg)
    model = reference.model
    prompts = {"query_prompt": reference.query_prompt, "passage_prompt": reference.passage_prompt}
    calibration = calibration_texts(args.calibration_n, args.seed, benchmark=args.calibration_benchmark,
                                     data_dir=args.data_dir, **prompts)
    print(f"{args.benchmark}: {len(bench.languages)} languages, {len(bench.queries)} queries, "
          f"{len(bench.candidates)} candidates; model {args.model}; calibration {len(calibration)} texts of "
          f"{args.calibration_benchmark} (seed {args.seed})", flush=True)

    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as scratch:
        reports = Path(args.reports or scratch)
        for name in ["torch fp32", *variants]:
            backend = "torch" if name == "torch fp32" else name
            encoder = reference if backend == "torch" else SentenceTransformerEncoder(
                model, batch_size=args.batch_size, label=args.model, precision="fp32", backend=backend,
                calibration=calibration, show_progress=False, **prompts)
            encoder.encode_queries(calibration[:2])  # warm-up: makes or opens the export, not timed below
            run_cfg = dataclasses.replace(cfg, backend="torch" if backend == "torch" else runtime(backend),
                                          extra={"system": name, "calibration_n": args.calibration_n,
                                                 "calibration_seed": args.seed})
            results = run_evaluation(run_cfg, reports / name.replace(" ", "-"), bench=bench, encoder=encoder)
            rows[name] = values(results)
            print(f"  {name}: {results['timing']}", flush=True)

    ref = rows["torch fp32"]
    print(f"\n{'system':20s} {'Mo.':>7s} {'Cr.':>7s} {'Mul.':>7s} {'rank d.':>8s} {'ΔMo.':>8s} {'ΔCr.':>8s} "
          f"{'ΔMul.':>8s} {'Δrank d.':>9s} {'texts/s':>8s} verdict")
    for name, row in rows.items():
        drift, ok = verdict(row, ref)
        row["drift"], row["pass"] = drift, ok
        tps = row["texts_per_second"]
        print(f"{name:20s} " + " ".join(f"{row[k]:7.4f}" for k, _ in MEASURES) + f" {row['rank_distance']:8.2f} "
              + " ".join(f"{drift[k]:+8.4f}" for k, _ in MEASURES) + f" {100 * drift['rank_distance']:+8.2f}% "
              + (f"{tps:8.1f}" if tps else f"{'cached':>8s}") + (" PASS" if ok else " FAIL"))
    print(f"rule: |Δ mAP| ≤ {MAP_TOLERANCE} on Mo., Cr. and Mul.; rank distance within "
          f"{100 * RANK_DISTANCE_TOLERANCE:g} % of torch fp32's")
    if args.json:
        Path(args.json).write_text(json.dumps({"benchmark": args.benchmark, "model": args.model,
                                               "languages": bench.languages, "n_queries": len(bench.queries),
                                               "calibration": {"benchmark": args.calibration_benchmark,
                                                               "n_per_language": args.calibration_n,
                                                               "seed": args.seed, "texts": len(calibration)},
                                               "rule": {"map": MAP_TOLERANCE, "rank_distance": RANK_DISTANCE_TOLERANCE},
                                               "systems": rows}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
