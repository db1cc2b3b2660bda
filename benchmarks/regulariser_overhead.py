"""Step-time overhead of the distillation regulariser (training.distill_weight > 0) against plain MNRL:
same model, data, seed (so the same batches), batch size and precision; one run each. The base model's
vectors are computed (or read from the embedding cache) before the first timed step and reported apart.
The first step of each run is warm-up and not counted. Both runs see the same batches in the same order
(same seed), so the overhead is the median of the per-step ratios (paired, robust to batch composition:
steps differ 2x between a short-text mono batch and a long-text X-Y one); the ratio of median step times
is printed beside it.

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
    plain, reg = run(0.0, args), run(args.beta, args)
    ratios = [b / a for a, b in zip(plain["step_seconds"][1:], reg["step_seconds"][1:])]
    overhead = statistics.median(ratios) - 1.0
    unpaired = reg["median_step_seconds"] / plain["median_step_seconds"] - 1.0
    for r in (plain, reg):
        print(f"beta {r['beta']:g}: median step {r['median_step_seconds']:.2f} s; steps {r['step_seconds']}; "
              f"setup before the first step {r['setup_seconds']} s")
    print(f"regulariser overhead per step: {100 * overhead:+.1f} % (median of paired step ratios; ratio of "
          f"medians {100 * unpaired:+.1f} %; goal <= 10 %); batch {args.batch_size}, precision {args.precision}, "
          f"languages {args.languages}")
    if args.out:
        Path(args.out).write_text(json.dumps({"runs": [plain, reg], "overhead": overhead, "paired_ratios": ratios,
                                              "unpaired_overhead": unpaired}, indent=2) + "\n")


if __name__ == "__main__":
    main()
