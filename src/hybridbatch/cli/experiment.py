"""``hybridbatch experiment``: run (or continue) a grid of train → evaluate runs and summarise it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hybridbatch.cli.config_flags import add_config_flags, overrides_from_args
from hybridbatch.config import apply_overrides, from_dict, override_fields
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import ExecutorSettings, ExperimentConfig, load_experiment
from hybridbatch.experiment.jobs import Executor, LocalExecutor
from hybridbatch.experiment.layout import ExperimentFolder, experiment_path
from hybridbatch.experiment.lock import active_holder, describe
from hybridbatch.experiment.plan import run_states
from hybridbatch.experiment.ray_executor import RayExecutor, parse_memory
from hybridbatch.experiment.runner import run_experiment


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "experiment", help="run or continue a grid of training + evaluation runs",
        description="Each run: leakage check, train, evaluate (cached), record. Finished steps are skipped, "
        "so re-running the same command continues an interrupted grid (under either executor). One line is "
        "printed per finished step; the summary folder is generated at the end. One process at a time may "
        "write an experiment folder (experiment.lock).")
    p.add_argument("--config", required=True, help="experiment YAML (see configs/experiment-*.yaml)")
    p.add_argument("--only", help="comma-separated run ids to run (others are left as they are)")
    p.add_argument("--list", action="store_true", help="print the runs of the grid with their state in the "
                   "experiment folder (done | trained, evaluations to do | training (checkpoint-N) | reuses "
                   "PATH | to do), then its soups (done | to do | not made), and exit")
    p.add_argument("--no-summary", action="store_true", help="leave summary/ and summary-validation/ as they are "
                   "(their paired tests take minutes on large grids): for a grid run piece by piece with --only; "
                   "a later run without this flag, or 'hybridbatch report', writes them")
    config = add_config_flags(p, ExperimentConfig, include=("out", "device"), group_title="experiment-file fields",
                              group_description="a flag replaces the file's value",
                              help_overrides={"out": "experiment folder (default: the file's out, else runs/<name>)"})
    executor = add_config_flags(p, ExecutorSettings, choices=True, group_title="executor",
                                group_description="what runs the steps")
    p.set_defaults(func=run, config_flags=config, executor_flags=executor)


def executor_from_args(args: argparse.Namespace) -> Executor:
    """The executor the flags ask for; ``--ray-*`` flags without ``--executor ray`` are an error."""
    given = overrides_from_args(args, args.executor_flags)
    s = from_dict(ExecutorSettings, given)
    if s.executor != "ray":
        ray_flags = [override_fields(ExecutorSettings)[path].flags[0] for path in given if path != "executor"]
        if ray_flags:
            raise HybridbatchError(f"{ray_flags[0]} needs --executor ray")
        return LocalExecutor()
    return RayExecutor(address=s.ray_address, cpus=s.ray_cpus, gpus=s.ray_gpus, retries=s.ray_retries,
                       memory=parse_memory(s.ray_memory) if s.ray_memory is not None else None)


def run(args: argparse.Namespace) -> int:
    executor = executor_from_args(args)
    overrides = overrides_from_args(args, args.config_flags)
    given_out = overrides.pop("out", None)  # where this invocation writes; the recorded file keeps its own
    cfg = apply_overrides(load_experiment(Path(args.config)), overrides, source="command line")
    if args.list:
        out = experiment_path(given_out, cfg.out, cfg.name)
        for run_id, state in run_states(cfg, out):
            print(f"{run_id}\t{state}")
        holder = active_holder(ExperimentFolder(out).lock)
        if holder is not None:
            print(f"running now: {describe(holder)}", file=sys.stderr)
        return 0
    only = [x.strip() for x in args.only.split(",")] if args.only else None
    out = run_experiment(cfg, Path(given_out) if given_out else None, only=only, executor=executor,
                         progress=lambda line: print(line, flush=True), summarise=not args.no_summary)
    if not args.no_summary:
        print(f"summary: {ExperimentFolder(out).summary_file}")
    return 0
