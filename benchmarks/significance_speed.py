"""Time the paired randomization test of ``hybridbatch report`` at the sizes of its largest inputs.

    python benchmarks/significance_speed.py [--resamples 10000] [--sizes 13090,81900,174300]

Sizes: XQuAD-R's 13,090 questions, TICO-19's 81,900 queries in 38 languages, the defined cross-lingual pairs of
XNLI's dev split (174,300). Each test runs on synthetic per-query differences (normal, small mean); prints
seconds per test and the CPU flags. Goal: a test of 10⁵ items and 10⁴ resamples in under 5 s on 2 cores, and
memory for one chunk of 500 resamples (8 bytes per item and resample: a 0.8 GB peak at 174,300 items), so that a grid's
report of hundreds of tests takes minutes beside a running training. Drawing the random signs is most of the time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hybridbatch.hardware import cpu_flags
from hybridbatch.reporting.significance import paired_randomization_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--sizes", default="13090,81900,174300")
    args = parser.parse_args()
    flags = sorted(cpu_flags() & {"avx2", "avx512f", "avx512_bf16", "amx_tile"})
    print(f"CPU flags: {', '.join(flags) or 'none of avx2/avx512f/avx512_bf16/amx_tile'}")
    rng = np.random.default_rng(0)
    for n in (int(x) for x in args.sizes.split(",")):
        a = rng.random(n)
        b = a - rng.normal(0.0005, 0.05, n)
        start = time.perf_counter()
        p = paired_randomization_test(a, b, n_resamples=args.resamples)
        print(f"{n:>7,} items, {args.resamples:,} resamples: {time.perf_counter() - start:5.1f} s (p = {p:.4f})")


if __name__ == "__main__":
    main()
