"""Time of one retrieval-validation pass (training.select_metric / retrieval_validation): the held-out
groups of the training config encoded once and scored by the LAReQA scorer, as the trainer does at each
evaluation. Prints the size of the validation benchmark, seconds per pass and texts/s.

    python benchmarks/validation_pass.py [--config configs/mlqa-to-xquad.yaml] [--model default] [--passes 2]
        [--precision auto|fp32|bf16] [--seed N]

The held-out groups depend on the training seed: to score a fine-tuned model on *its* validation split
(e.g. the bf16 drift of a model of the experiment grid, trained with seed 1), pass that run's ``--seed``;
with another seed part of the "validation" groups were training data for it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "mlqa-to-xquad.yaml"))
    parser.add_argument("--data-dir")
    parser.add_argument("--model", default="default")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--seed", type=int, help="training seed that drew the held-out split (default: the config's)")
    parser.add_argument("--out", help="write the numbers as JSON")
    args = parser.parse_args()

    from hybridbatch.hardware import cpu_has_native_bf16, resolve_precision
    from hybridbatch.models.loading import load_model
    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.runtime import resolve_prompts
    from hybridbatch.training.validation import ValidationEvaluator, validation_benchmark

    config = load_config(args.config)
    if args.seed is not None:
        config.seed = args.seed
    data = prepare_data(config, args.data_dir)
    bench = validation_benchmark(data.validation)
    model = load_model(args.model, max_seq_length=config.training.max_seq_length)
    prompts = resolve_prompts(model, config.training.prompts)
    evaluator = ValidationEvaluator(bench, query_prompt=prompts["query"], passage_prompt=prompts["passage"],
                                    precision=args.precision)
    seconds = []
    for _ in range(args.passes):
        start = time.perf_counter()
        metrics = evaluator(model)
        seconds.append(time.perf_counter() - start)
    texts = len(bench.queries) + len(bench.candidates)
    best = min(seconds)
    print(f"validation benchmark: {len(bench.queries)} queries, {len(bench.candidates)} candidates, "
          f"{len(bench.languages)} languages; precision {resolve_precision(args.precision, 'cpu')}; native bf16 CPU: "
          f"{cpu_has_native_bf16()}; threads {os.cpu_count()}")
    print(f"one pass: {best:.1f} s (all passes {[round(s, 1) for s in seconds]}), {texts / best:.1f} texts/s")
    print("metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if "_" not in k.split("val_", 1)[1]))
    if args.out:
        Path(args.out).write_text(json.dumps({"seconds": seconds, "texts": texts, "metrics": metrics}, indent=2))


if __name__ == "__main__":
    main()
