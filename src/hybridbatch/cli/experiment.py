"""``hybridbatch experiment``: run (or continue) a grid of train → evaluate runs and summarise it."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.experiment.config import load_experiment
from hybridbatch.experiment.layout import ExperimentFolder, experiment_path
from hybridbatch.experiment.plan import run_states
from hybridbatch.experiment.runner import run_experiment


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "experiment", help="run or continue a grid of training + evaluation runs",
        description="Each run: leakage check, train, evaluate (cached), record. Finished steps are skipped, "
        "so re-running the same command continues an interrupted grid. A summary folder is generated.")
    p.add_argument("--config", required=True, help="experiment YAML (see configs/experiment-*.yaml)")
    p.add_argument("--out", help="experiment folder (default: runs/<name>)")
    p.add_argument("--only", help="comma-separated run ids to run (others are left as they are)")
    p.add_argument("--list", action="store_true", help="print the runs of the grid with their state in the "
                   "experiment folder (done | trained, evaluations to do | training (checkpoint-N) | reuses "
                   "PATH | to do), then its soups (done | to do | not made), and exit")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"],
                   help="where runs train and evaluate (default: the config's device, auto = CUDA when present)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = load_experiment(Path(args.config))
    if args.device:
        cfg.device = args.device
    if args.list:
        for run_id, state in run_states(cfg, experiment_path(args.out, cfg.out, cfg.name)):
            print(f"{run_id}\t{state}")
        return 0
    only = [x.strip() for x in args.only.split(",")] if args.only else None
    out = run_experiment(cfg, Path(args.out) if args.out else None, only=only)
    print(f"summary: {ExperimentFolder(out).summary_file}")
    return 0
