"""Time of a weight-space merge of two copies of a model (WiSE-FT at λ = 0.5 and a two-model soup),
loading and saving excluded and reported apart, plus the exactness of the end points (λ = 0 and 1).

    python benchmarks/merge_speed.py [--model default]
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    args = parser.parse_args()

    import torch

    from hybridbatch.merging.save import save_merged
    from hybridbatch.models.loading import load_model
    from hybridbatch.models.merge import merge_models, wise_weights

    start = time.perf_counter()
    base = load_model(args.model)
    load_seconds = time.perf_counter() - start
    tuned = copy.deepcopy(base)
    with torch.no_grad():
        for p in tuned.parameters():
            p.add_(torch.randn_like(p) * 1e-3)
    n_params = sum(p.numel() for p in base.parameters())
    names = ["base", "tuned"]
    timings = {}
    for label, weights in (("WiSE-FT λ=0.5", wise_weights(0.5)), ("soup of 2", [0.5, 0.5])):
        start = time.perf_counter()
        merged = merge_models([base, tuned], names, weights)
        timings[label] = time.perf_counter() - start
    exact = all(torch.equal(a, b) for a, b in zip(merge_models([base, tuned], names, wise_weights(1.0))
                                                   .state_dict().values(), tuned.state_dict().values()))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        save_merged(merged, Path(tmp) / "m", names=names, inputs=[base, tuned], weights=[0.5, 0.5], method="soup")
        save_seconds = time.perf_counter() - start
    print(f"model {args.model}: {n_params / 1e6:.1f} M parameters; load {load_seconds:.1f} s")
    for label, seconds in timings.items():
        print(f"{label}: merge {seconds:.2f} s (checks + arithmetic + copy)")
    print(f"save with provenance (two weight hashes + output hash): {save_seconds:.1f} s; λ=1 bit-exact: {exact}")


if __name__ == "__main__":
    main()
