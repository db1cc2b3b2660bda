"""``hybridbatch experiment``: run (or continue) a grid of train → evaluate runs and summarise it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import load_experiment
from hybridbatch.experiment.jobs import Executor, LocalExecutor
from hybridbatch.experiment.layout import ExperimentFolder, experiment_path
from hybridbatch.experiment.lock import active_holder, describe
from hybridbatch.experiment.plan import run_states
from hybridbatch.experiment.ray_executor import RayExecutor, parse_memory
from hybridbatch.experiment.runner import run_experiment

RAY_FLAGS = ("ray_address", "ray_cpus", "ray_gpus", "ray_memory", "ray_retries")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "experiment", help="run or continue a grid of training + evaluation runs",
        description="Each run: leakage check, train, evaluate (cached), record. Finished steps are skipped, "
        "so re-running the same command continues an interrupted grid (under either executor). One line is "
        "printed per finished step; the summary folder is generated at the end. One process at a time may "
        "write an experiment folder (experiment.lock).")
    p.add_argument("--config", required=True, help="experiment YAML (see configs/experiment-*.yaml)")
    p.add_argument("--out", help="experiment folder (default: runs/<name>)")
    p.add_argument("--only", help="comma-separated run ids to run (others are left as they are)")
    p.add_argument("--list", action="store_true", help="print the runs of the grid with their state in the "
                   "experiment folder (done | trained, evaluations to do | training (checkpoint-N) | reuses "
                   "PATH | to do), then its soups (done | to do | not made), and exit")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"],
                   help="where runs train and evaluate (default: the config's device, auto = CUDA when present)")
    p.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="local: every step in this process, one after the other (default); ray: every step a "
                   "Ray task, runs side by side (pip install 'hybridbatch[ray]')")
    ray = p.add_argument_group("Ray (--executor ray)")
    ray.add_argument("--ray-address", metavar="HOST:PORT",
                     help="join this running Ray cluster (also 'auto', 'ray://HOST:PORT'); default: $RAY_ADDRESS, "
                     "else a new local cluster on this machine")
    ray.add_argument("--ray-cpus", type=float, metavar="N", help="CPUs per step of a run (default 1)")
    ray.add_argument("--ray-gpus", type=float, metavar="N", help="GPUs per step of a run (default 0; fractions allowed)")
    ray.add_argument("--ray-memory", metavar="SIZE", help="memory reserved per step of a run, e.g. 8G (default: none)")
    ray.add_argument("--ray-retries", type=int, metavar="N",
                     help="times a step whose worker died is retried before it counts as failed (default 0)")
    p.set_defaults(func=run)


def executor_from_args(args: argparse.Namespace) -> Executor:
    """The executor the flags ask for; ``--ray-*`` flags without ``--executor ray`` are an error."""
    given = [f"--{name.replace('_', '-')}" for name in RAY_FLAGS if getattr(args, name) is not None]
    if args.executor != "ray":
        if given:
            raise HybridbatchError(f"{given[0]} needs --executor ray")
        return LocalExecutor()
    return RayExecutor(address=args.ray_address, cpus=1.0 if args.ray_cpus is None else args.ray_cpus,
                       gpus=args.ray_gpus or 0.0,
                       memory=parse_memory(args.ray_memory) if args.ray_memory is not None else None,
                       retries=args.ray_retries or 0)


def run(args: argparse.Namespace) -> int:
    executor = executor_from_args(args)
    cfg = load_experiment(Path(args.config))
    if args.device:
        cfg.device = args.device
    if args.list:
        out = experiment_path(args.out, cfg.out, cfg.name)
        for run_id, state in run_states(cfg, out):
            print(f"{run_id}\t{state}")
        holder = active_holder(ExperimentFolder(out).lock)
        if holder is not None:
            print(f"running now: {describe(holder)}", file=sys.stderr)
        return 0
    only = [x.strip() for x in args.only.split(",")] if args.only else None
    out = run_experiment(cfg, Path(args.out) if args.out else None, only=only, executor=executor,
                         progress=lambda line: print(line, flush=True))
    print(f"summary: {ExperimentFolder(out).summary_file}")
    return 0
