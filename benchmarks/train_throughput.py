"""Training throughput (pairs/s) with the hybrid batch sampler vs sentence-transformers' default
sampler: same model, data (MLQA-R training pairs), loss and batch size, one run each.

The first step of each run is warm-up and not counted; pairs/s uses the median step time (robust
to other processes on the machine). Differences come mostly from what the
batches hold (text lengths per language mix), not from the sampler, whose cost per batch is in
microseconds (benchmarks/sampler_speed.py).

    python benchmarks/train_throughput.py [--model default] [--batch-size 32] [--steps 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(sampler: str, args) -> dict:
    """Train ``args.steps`` steps with ``sampler`` ("hybrid" | "default"); time each step."""
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers
    from transformers import TrainerCallback

    from hybridbatch.models.loading import load_model
    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.runtime import resolve_prompts
    from hybridbatch.training.trainer import build_trainer

    config = load_config(args.config)
    config.training.batch_size = args.batch_size
    config.training.max_steps = args.steps
    config.training.loss = args.loss
    config.training.precision = args.precision
    config.training.freeze_word_embeddings = args.freeze_word_embeddings
    config.training.eval_steps = 10 ** 6
    config.validation_fraction = 0.0
    data = prepare_data(config, args.data_dir)
    model = load_model(args.model, max_seq_length=config.training.max_seq_length)
    times: list[float] = []
    tokens: list[int] = []  # padded tokens per training batch (all text columns)

    class StepTimer(TrainerCallback):
        def on_step_begin(self, a, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_step_end(self, a, state, control, **kwargs):
            times.append(time.perf_counter() - self.start)

    with tempfile.TemporaryDirectory() as tmp:
        config.output_dir = tmp
        trainer = build_trainer(config, model, data, resolve_prompts(model, config.training.prompts), [StepTimer()])
        if sampler == "default":
            trainer.args.batch_sampler = BatchSamplers.BATCH_SAMPLER
        collator = trainer.data_collator

        class TokenCounter:
            def __getattr__(self, name):
                return getattr(collator, name)

            def __call__(self, features):
                batch = collator(features)
                tokens.append(sum(v.numel() for k, v in batch.items() if k.endswith("input_ids")))
                return batch

        trainer.data_collator = TokenCounter()
        trainer.train()
    timed, counted = times[1:], tokens[1:len(times)]
    median = statistics.median(timed)
    return {"sampler": sampler, "step_seconds": [round(t, 3) for t in times],
            "pairs_per_second": args.batch_size / median,
            "pairs_per_second_mean": args.batch_size * len(timed) / sum(timed),
            "padded_tokens_per_batch": statistics.mean(counted),
            "tokens_per_second": statistics.mean(counted) / median}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "mlqa-to-xquad.yaml"))
    parser.add_argument("--data-dir")
    parser.add_argument("--model", default="default", help="'default' (e5-small) or a model folder")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5, help="steps per run; the first is warm-up")
    parser.add_argument("--loss", default="mnrl", choices=["mnrl", "cached-mnrl"])
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--freeze-word-embeddings", action="store_true")
    parser.add_argument("--samplers", default="hybrid,default", help="which samplers to time")
    parser.add_argument("--out", help="write the numbers as JSON")
    args = parser.parse_args()
    if args.steps < 2:
        parser.error("--steps must be at least 2 (the first step is warm-up)")

    results = [run(name, args) for name in args.samplers.split(",")]
    ratio = (results[0]["pairs_per_second"] / results[1]["pairs_per_second"]) if len(results) == 2 else None
    for r in results:
        print(f"{r['sampler']:>7} sampler: {r['pairs_per_second']:.2f} pairs/s (median step; mean "
              f"{r['pairs_per_second_mean']:.2f}), {r['padded_tokens_per_batch']:.0f} padded tokens per batch, "
              f"{r['tokens_per_second']:.0f} tokens/s; steps {r['step_seconds']}")
    settings = f"model {args.model}, batch {args.batch_size}, loss {args.loss}, precision {args.precision}"
    print(f"hybrid / default = {ratio:.3f} ({settings})" if ratio else settings)
    if args.out:
        Path(args.out).write_text(json.dumps({"runs": results, "ratio": ratio, "model": args.model,
                                              "batch_size": args.batch_size, "loss": args.loss,
                                              "precision": args.precision}, indent=2) + "\n")


if __name__ == "__main__":
    main()
