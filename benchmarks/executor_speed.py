"""The tiny grid of the executor tests (tests/experiment/tiny_grid.py: 2 strategies × 2 seeds, the base model,
one soup per seed; tiny model, 2 training steps) under the local executor and under Ray, with the time of
every step and every run.

    python benchmarks/executor_speed.py [--workers 2] [--steps 2] [--json out.json]

Local: every step in this process, one after the other (torch's default threads). Ray: a local cluster of
``--workers`` CPUs, one CPU per step (so ``--workers`` steps side by side, one thread each). Each executor
first runs one run of the grid in a scratch folder (the warm-up: Ray's worker processes start and import
torch, ~10 s each on 2 loaded cores), then the whole grid from an empty output folder and an empty embedding
cache. A run's time is the sum of its steps (training, evaluation) as timed where they ran (timing.json).
The last lines scale the measured per-run time to N GPUs / workers: runs × per-run time / N, the ideal when
every run is one task on one device (plus Ray's start and one warm-up per worker).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import build_tiny_model  # noqa: E402
from tests.experiment.tiny_grid import write_tiny_grid  # noqa: E402

from hybridbatch.experiment.config import expand_grid, load_experiment  # noqa: E402
from hybridbatch.experiment.jobs import Executor, LocalExecutor  # noqa: E402
from hybridbatch.experiment.runner import run_experiment  # noqa: E402


def per_run(timing: dict[str, float]) -> dict[str, float]:
    """Seconds per folder (run, soup, base): the sum of its steps."""
    out: dict[str, float] = defaultdict(float)
    for key, seconds in timing.items():
        out[key.split("/", 1)[0]] += seconds
    return dict(out)


def measure(name: str, exp: Path, folder: Path, executor: Executor) -> dict:
    """Warm up (one run and the base model, in a scratch folder: starts the executor's processes and imports
    torch there), empty the cache, then time the whole grid in a fresh folder."""
    cfg = load_experiment(exp)
    cache = folder / "cache"
    os.environ["HYBRIDBATCH_CACHE"] = str(cache)  # the same value both times: Ray keeps its worker processes
    start = time.perf_counter()
    run_experiment(cfg, folder / "warmup", only=[expand_grid(cfg)[0].run_id], executor=executor)
    warmup = time.perf_counter() - start
    shutil.rmtree(cache)
    lines: list[str] = []
    start = time.perf_counter()
    out = run_experiment(cfg, folder / "grid", executor=executor, progress=lines.append)
    wall = time.perf_counter() - start
    timing = json.loads((out / "timing.json").read_text())
    print(f"\n{name}: warm-up {warmup:.1f} s; then {len(lines)} steps in {wall:.1f} s wall")
    for line in lines:
        print(f"  {line}")
    return {"warmup_s": round(warmup, 1), "wall_s": round(wall, 1), "steps": timing, "runs": per_run(timing)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="CPUs of the local Ray cluster (steps side by side)")
    parser.add_argument("--steps", type=int, default=2, help="training steps per run")
    parser.add_argument("--json", help="write the measurements here")
    args = parser.parse_args()
    import ray

    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = build_tiny_model(root / "model")
        exp = write_tiny_grid(root / "exp", model, max_steps=args.steps)
        local = measure("local (this process, one step at a time)", exp, root / "local", LocalExecutor())
        from hybridbatch.experiment.ray_executor import RayExecutor

        start = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        ray_start = time.perf_counter() - start
        try:
            remote = measure(f"ray ({args.workers} workers x 1 CPU)", exp, root / "ray", RayExecutor(cpus=1))
        finally:
            ray.shutdown()
        remote["ray_init_s"] = round(ray_start, 1)
    print(f"\nper run (seconds, sum of its steps as timed where they ran; Ray started in {ray_start:.1f} s, "
          f"warm-up local {local['warmup_s']:.1f} s, ray {remote['warmup_s']:.1f} s):")
    print(f"  {'folder':28} {'local':>7} {'ray':>7}")
    for folder in local["runs"]:
        print(f"  {folder:28} {local['runs'][folder]:7.1f} {remote['runs'].get(folder, float('nan')):7.1f}")
    runs = [f for f in local["runs"] if f not in ("base",) and not f.startswith("soup-")]
    for name, m in (("local", local), ("ray", remote)):
        mean = sum(m["runs"][f] for f in runs) / len(runs)
        print(f"{name}: {len(runs)} runs, mean {mean:.1f} s per run (train + evaluate); wall {m['wall_s']:.1f} s")
    mean = sum(remote["runs"][f] for f in runs) / len(runs)
    print("scaled (runs × per-run time / N, from the Ray per-run mean): "
          + ", ".join(f"N={n}: {len(runs) * mean / n:.1f} s" for n in (1, 2, 4, 8)))
    if args.json:
        Path(args.json).write_text(json.dumps({"local": local, "ray": remote, "workers": args.workers}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
