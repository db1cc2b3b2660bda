"""In-batch contrastive loss of an untrained model on training batches, at several scales (1/τ).

    python benchmarks/initial_loss.py [--config configs/mlqa-to-xquad.yaml] [--batches 3] [--scales 20,50,100]

Takes the first ``--batches`` planned training batches (the config's seed), encodes them once and prints
the mean cosine of positives and in-batch negatives and the MNRL loss
``CE(scale · cos(q_i, p_j), i)`` per scale. ln(batch size) is the loss of a uniform softmax.
A diagnostic for choosing the temperature: a loss far above the model's own ranking quality means the
first steps mostly rescale similarities.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from hybridbatch.encoding import SentenceTransformerEncoder
from hybridbatch.models.loading import load_model
from hybridbatch.training.config import load_config
from hybridbatch.training.data import prepare_data
from hybridbatch.training.dataset import planned_dataset
from hybridbatch.training.planner import BatchPlanner
from hybridbatch.training.runtime import resolve_prompts

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "mlqa-to-xquad.yaml"))
    parser.add_argument("--data-dir")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--scales", default="20,50,100")
    parser.add_argument("--precision", default="bf16", choices=["fp32", "bf16"])
    args = parser.parse_args()
    config = load_config(args.config)
    data = prepare_data(config, args.data_dir)
    rows, _ = planned_dataset(data.train, BatchPlanner.for_training(config, data.train), args.batches)
    model = load_model(config.model, max_seq_length=config.training.max_seq_length)
    prompts = resolve_prompts(model, config.training.prompts)
    encoder = SentenceTransformerEncoder(model, query_prompt=prompts["query"], passage_prompt=prompts["passage"],
                                         show_progress=False, precision=args.precision)
    size = config.training.batch_size
    scales = [float(s) for s in args.scales.split(",")]
    print(f"batch {size}; uniform-softmax loss ln({size}) = {math.log(size):.3f}")
    for b in range(args.batches):
        batch = rows[b * size:(b + 1) * size]
        batch = [{"query": q, "positive": p} for q, p in zip(batch["query"], batch["positive"])]
        q = torch.from_numpy(encoder.encode_queries([r["query"] for r in batch]))
        p = torch.from_numpy(encoder.encode_passages([r["positive"] for r in batch]))
        sim = q @ p.T
        negatives = sim[~torch.eye(size, dtype=torch.bool)]
        losses = {s: torch.nn.functional.cross_entropy(s * sim, torch.arange(size)).item() for s in scales}
        print(f"batch {b}: positive cos {sim.diag().mean():.3f}, negative cos {negatives.mean():.3f} "
              f"(sd {negatives.std():.3f}); loss " + ", ".join(f"scale {s:g}: {v:.3f}" for s, v in losses.items()))


if __name__ == "__main__":
    main()
