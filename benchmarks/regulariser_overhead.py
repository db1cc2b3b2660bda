"""Step-time overhead of the distillation regulariser (training.distill_weight > 0) against plain MNRL:
same model, data, seed (so the same batches), batch size and precision; plain, regularised, plain. The base model's
vectors are computed (or read from the embedding cache) before the first timed step and reported apart.
The first step of each run is warm-up and not counted. Both runs see the same batches in the same order
(same seed), the plain run is repeated after the regularised one, and the overhead is the median of the
per-step ratios against the two plain runs' mean (paired, robust to batch composition:
steps differ 2x between a short-text mono batch and a long-text X-Y one); the ratio of median step times
is printed beside it.

The regulariser's own added work (target lookup, cosine term forward and backward) is also timed alone,
since step-to-step noise on a shared CPU can exceed it by orders of magnitude.

    python benchmarks/regulariser_overhead.py [--batch-size 100] [--steps 6] [--languages de,en,es]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(beta: float, args) -> dict:
    from transformers import TrainerCallback

    from hybridbatch.models.loading import load_model
    from hybridbatch.training.config import apply_overrides, load_config
    from hybridbatch.training.trainer import train

    config = load_config(args.config)
    config.datasets[0].languages = args.languages.split(",") if args.languages else None
    times: list[float] = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, a, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_step_end(self, a, state, control, **kwargs):
            times.append(time.perf_counter() - self.start)

        def on_train_begin(self, a, state, control, **kwargs):
            self.train_begin = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        config = apply_overrides(config, {
            "batch_size": args.batch_size, "max_steps": args.steps, "eval_steps": 10 ** 6, "loss": "mnrl",
            "freeze_word_embeddings": True, "validation_fraction": 0.0, "distill_weight": beta,
            "precision": args.precision, "output_dir": tmp, "eval_benchmarks": [], "save_total_limit": 1,
            "select_metric": "loss", "retrieval_validation": False})  # no validation split here
        model = load_model(args.model, max_seq_length=config.training.max_seq_length)
        timer = StepTimer()
        start = time.perf_counter()
        train(config, model=model, callbacks=[timer])
        setup = timer.train_begin - start
    timed = times[1:]
    return {"beta": beta, "median_step_seconds": statistics.median(timed), "step_seconds": [round(t, 2) for t in times],
            "setup_seconds": round(setup, 1)}


def added_work_ms(batch_size: int, dim: int = 384, items: int = 50_000, repeats: int = 200) -> float:
    """Milliseconds per step of what the regulariser adds to a step, alone: looking up the batch's base
    vectors and the cosine term's forward and backward (the student's embeddings exist anyway for MNRL)."""
    import torch

    from hybridbatch.training.losses import DistillTargets, DistillToBaseLoss

    gen = torch.Generator().manual_seed(0)
    targets = DistillTargets(torch.randn(items, dim, generator=gen), torch.randn(items, dim, generator=gen),
                             torch.arange(items), torch.arange(items))
    distance = DistillToBaseLoss._distance
    loss = DistillToBaseLoss.__new__(DistillToBaseLoss)
    loss.distance = "cosine"
    start = time.perf_counter()
    for _ in range(repeats):
        q = torch.randn(batch_size, dim, generator=gen, requires_grad=True)
        p = torch.randn(batch_size, dim, generator=gen, requires_grad=True)
        t_q, t_p = targets.for_rows(torch.randint(0, items, (batch_size,), generator=gen))
        (10.0 * 0.5 * (distance(loss, q, t_q) + distance(loss, p, t_p))).backward()
    return (time.perf_counter() - start) / repeats * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "mlqa-to-xquad.yaml"))
    parser.add_argument("--model", default="default")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--languages", default="de,en,es", help="training languages (fewer = shorter setup)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--out")
    args = parser.parse_args()
    # plain, regularised, plain again: each step's ratio is against the mean of the two plain runs, so the
    # first run's cold start (page cache, allocator) does not count as the regulariser's cost or gain
    plain, reg, plain2 = run(0.0, args), run(args.beta, args), run(0.0, args)
    baseline = [(a + c) / 2 for a, c in zip(plain["step_seconds"][1:], plain2["step_seconds"][1:])]
    ratios = [b / a for a, b in zip(baseline, reg["step_seconds"][1:])]
    overhead = statistics.median(ratios) - 1.0
    unpaired = reg["median_step_seconds"] / statistics.median(baseline) - 1.0
    for r in (plain, reg, plain2):
        print(f"beta {r['beta']:g}: median step {r['median_step_seconds']:.2f} s; steps {r['step_seconds']}; "
              f"setup before the first step {r['setup_seconds']} s")
    print(f"regulariser overhead per step: {100 * overhead:+.1f} % (median of paired step ratios; ratio of "
          f"medians {100 * unpaired:+.1f} %; goal <= 10 %); batch {args.batch_size}, precision {args.precision}, "
          f"languages {args.languages}")
    added = added_work_ms(args.batch_size)
    print(f"the regulariser's own work, timed alone: {added:.3f} ms per step "
          f"({100 * added / 1000 / statistics.median(baseline):.4f} % of the median plain step)")
    if args.out:
        Path(args.out).write_text(json.dumps({"runs": [plain, reg, plain2], "overhead": overhead, "paired_ratios": ratios,
                                              "unpaired_overhead": unpaired, "added_work_ms": added}, indent=2) + "\n")


if __name__ == "__main__":
    main()
