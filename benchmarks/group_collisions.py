"""How often would random batching put two rows of one parallel group in a batch?

    python benchmarks/group_collisions.py [--config configs/mlqa-to-xquad.yaml] [--batch-size 100]

Simulates sentence-transformers' default sampler (shuffle all training rows, cut into batches) on the
training pairs of the config (after its validation split) and prints how many batches hold a repeated
parallel group (a translation of a positive as an in-batch negative) or a repeated conflict cluster
(questions sharing an answer sentence). hybridbatch's sampler has none by construction.
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "mlqa-to-xquad.yaml"))
    parser.add_argument("--data-dir")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.planner import random_batching_collisions

    data = prepare_data(load_config(args.config), args.data_dir)
    stats = random_batching_collisions(data.train, args.batch_size, epochs=args.epochs)
    print(f"{data.train.n_rows} training rows, {stats.batches} random batches of {stats.batch_size}")
    print(f"batches with a repeated parallel group:   {stats.batches_with_group_repeat} "
          f"({100 * stats.group_repeat_rate:.1f} %); rows per batch in a repeated group: "
          f"{stats.mean_rows_in_repeated_groups:.1f}")
    print(f"batches with a repeated conflict cluster: {stats.batches_with_cluster_repeat} "
          f"({100 * stats.cluster_repeat_rate:.1f} %)")


if __name__ == "__main__":
    main()
