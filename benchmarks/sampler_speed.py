"""How much time does hybrid batch planning add to training?

Plans 10,000 batches of 100 rows over the MLQA-R training pairs (after the 10 % validation split of
configs/mlqa-to-xquad.yaml) and times a few real training steps of the same configuration
(sentence-transformers trainer, batch 100). Requirement: planning one batch costs <= 1 % of one
training step.

    python benchmarks/sampler_speed.py [--data-dir ../shared/data] [--model default] [--steps 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def plan_seconds(planner, n_batches: int, repeats: int = 3) -> float:
    """Best-of-``repeats`` wall time to plan ``n_batches`` batches (crossing epochs)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _batch in planner.plan_sequence(n_batches):
            pass
        best = min(best, time.perf_counter() - start)
    return best


def step_seconds(config, data, model_spec: str, steps: int) -> list[float]:
    """Wall time of each of ``steps`` optimiser steps through the real trainer."""
    from transformers import TrainerCallback

    from hybridbatch.models.loading import load_model
    from hybridbatch.training.runtime import resolve_prompts
    from hybridbatch.training.trainer import build_trainer

    times: list[float] = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            times.append(time.perf_counter() - self.start)

    model = load_model(model_spec, max_seq_length=config.training.max_seq_length)
    with tempfile.TemporaryDirectory() as tmp:
        config.output_dir = tmp
        config.training.max_steps = steps
        config.training.eval_steps = 10 ** 6
        data.validation = None
        trainer = build_trainer(config, model, data, resolve_prompts(model, config.training.prompts), [StepTimer()])
        trainer.train()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "mlqa-to-xquad.yaml"))
    parser.add_argument("--data-dir")
    parser.add_argument("--model", default="default")
    parser.add_argument("--batches", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=3, help="training steps to time (0: skip)")
    parser.add_argument("--out", help="write the numbers as JSON")
    args = parser.parse_args()

    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.planner import BatchPlanner

    config = load_config(args.config)
    data = prepare_data(config, args.data_dir)
    planner = BatchPlanner.for_training(config, data.train)
    total = plan_seconds(planner, args.batches)
    per_batch = total / args.batches
    result = {"batches": args.batches, "batch_size": planner.batch_size, "training_rows": data.train.n_rows,
              "plan_seconds": round(total, 4), "plan_ms_per_batch": round(per_batch * 1e3, 4)}
    print(f"planned {args.batches} batches of {planner.batch_size} in {total:.3f} s "
          f"({per_batch * 1e6:.1f} µs per batch)")
    if args.steps > 0:
        times = step_seconds(config, data, args.model, args.steps)
        step = statistics.median(times[1:] or times)  # the first step includes warm-up
        ratio = per_batch / step
        result |= {"model": args.model, "loss": config.training.loss, "step_seconds": [round(t, 3) for t in times],
                   "step_seconds_median": round(step, 3), "plan_share_of_step": ratio,
                   "plan_10000_share_of_one_step": total / step, "ok": ratio <= 0.01}
        print(f"training step ({args.model}, batch {planner.batch_size}, {config.training.loss}): median "
              f"{step:.2f} s over {len(times)} steps")
        print(f"planning one batch = {100 * ratio:.4f} % of a step ({'OK' if ratio <= 0.01 else 'TOO SLOW'}, "
              f"limit 1 %); all {args.batches} batches = {100 * total / step:.2f} % of one step")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
