"""``hybridbatch train``: fine-tune with hybrid batches, or plan the batches without training."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from hybridbatch.cli.config_flags import add_config_flags, overrides_from_args
from hybridbatch.errors import HybridbatchError
from hybridbatch.mining.command import ensure_negatives
from hybridbatch.outputs import check_output_file, write_text
from hybridbatch.training.config import TrainConfig, apply_overrides, load_config
from hybridbatch.training.data import leakage_reports, prepare_data
from hybridbatch.training.planner import BatchPlanner, batch_mix, plan_record

MAX_PLAN_BATCHES = 1_000_000


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train", help="fine-tune a model with X-X-mono / X-Y / hybrid batches",
        description="Fine-tune a dual encoder with sentence-transformers' trainer and the hybrid batch "
        "sampler. Options override the YAML config. With --dry-run, only plan the batches.")
    p.add_argument("--config", required=True, metavar="FILE.yaml", help="training config (see configs/)")
    p.add_argument("--resume", nargs="?", const="latest", metavar="CHECKPOINT",
                   help="continue from the latest checkpoint of the run folder (start afresh if it has "
                   "none), or from CHECKPOINT")
    p.add_argument("--data-dir", help="shared data folder (default: $HYBRIDBATCH_DATA)")
    p.add_argument("--dry-run", action="store_true", help="load data, check, plan batches; do not train")
    p.add_argument("--plan-out", metavar="plan.jsonl",
                   help="write the batch plan, one JSON line per batch (batch_type, dataset, rows)")
    p.add_argument("--plan-batches", type=int, help="batches to plan (default: max_steps x world size)")
    p.add_argument("--world-size", type=int, default=int(os.environ.get("WORLD_SIZE", "1")),
                   help="ranks to plan for (default: $WORLD_SIZE or 1)")
    p.add_argument("--nproc", type=int, metavar="N",
                   help="train with N processes on this machine (DDP; gloo on CPU): runs this command again through "
                   "'torchrun --standalone --nproc_per_node N -m hybridbatch train ...'; each step is N batches of "
                   "--batch-size side by side. With --dry-run / --plan-out: plan for N ranks")
    p.set_defaults(func=run, config_flags=add_config_flags(p, TrainConfig))


def run(args: argparse.Namespace) -> int:
    config = apply_overrides(load_config(args.config), overrides_from_args(args, args.config_flags), source="command line")
    if args.world_size < 1:
        raise HybridbatchError(f"--world-size {args.world_size} must be >= 1")
    if args.nproc is not None:
        if args.nproc < 1:
            raise HybridbatchError(f"--nproc {args.nproc} must be >= 1")
        args.world_size = args.nproc
    if args.plan_batches is not None and not 1 <= args.plan_batches <= MAX_PLAN_BATCHES:
        raise HybridbatchError(f"--plan-batches {args.plan_batches} must be in 1..{MAX_PLAN_BATCHES:,}")
    if (args.dry_run or args.plan_out) and args.plan_batches is None and \
            config.training.max_steps * args.world_size > MAX_PLAN_BATCHES:
        raise HybridbatchError(f"max_steps x world size = {config.training.max_steps * args.world_size:,} batches "
                               f"to plan; pass --plan-batches N (at most {MAX_PLAN_BATCHES:,})")
    if args.plan_out:
        check_output_file(args.plan_out, "--plan-out")
    if args.dry_run or args.plan_out:
        with tempfile.TemporaryDirectory() as scratch:  # a dry run mines (if asked) outside the run folder
            planned, summary = ensure_negatives(config, args.data_dir, folder=Path(scratch) if args.dry_run else None)
            if summary:
                print(summary)
            plan(planned, args)
    if args.dry_run:
        return 0
    config, summary = ensure_negatives(config, args.data_dir)  # mined once, before any rank starts
    if summary:
        print(summary)
    if args.nproc is not None and args.nproc > 1:
        if "LOCAL_RANK" in os.environ:
            raise HybridbatchError("--nproc inside a torchrun process: use one or the other")
        return relaunch(args.nproc)
    from hybridbatch.training.trainer import train  # deferred: torch

    result = train(config, resume=args.resume, data_dir=args.data_dir)
    print(f"trained {result.global_step} steps; model: {result.model_dir}")
    return 0


def relaunch(nproc: int) -> int:
    """Run this command line again (without ``--nproc``) as ``nproc`` processes under torch.distributed.run;
    returns its exit code. Each process gets OMP_NUM_THREADS = CPUs / nproc unless it is set."""
    argv = sys.argv[1:]
    at = next((i for i, a in enumerate(argv) if a == "--nproc" or a.startswith("--nproc=")), None)
    if at is None:
        raise HybridbatchError("--nproc relaunches the command line; from Python, run "
                               "'torchrun --nproc_per_node N -m hybridbatch train ...' instead")
    rest = argv[:at] + argv[at + (1 if "=" in argv[at] else 2):]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
           "-m", "hybridbatch", *rest]
    return subprocess.call(cmd, env=env)


def plan(config: TrainConfig, args: argparse.Namespace) -> None:
    """Check data, sampler sizes and leakage; print a summary; write the plan if asked."""
    data = prepare_data(config, args.data_dir)
    planner = BatchPlanner.for_training(config, data.train, args.world_size, negatives=data.negatives)
    n = args.plan_batches if args.plan_batches is not None else config.training.max_steps * args.world_size
    batches = list(planner.plan_sequence(n))
    for report in leakage_reports(config, data, args.data_dir):
        print(("LEAKAGE: " if report.overlap else "no leakage: ") + report.summary())
    for ps in data.train.datasets:
        print(f"{ps.name}: {len(ps.items)} training items, {len(ps.groups)} groups, "
              f"{ps.n_rows} rows, languages {' '.join(ps.languages)}")
    kinds = Counter(b.batch_type for b in batches)
    langs = Counter(b.language for b in batches if b.language)
    if len(data.train.datasets) > 1:
        per_dataset = Counter(b.dataset for b in batches)
        weighting = "weights" if any(ps.weight is not None for ps in data.train.datasets) else \
            config.sampling.dataset_weighting
        print(f"datasets ({weighting}): " + ", ".join(f"{ps.name} {per_dataset[ps.name]}" for ps in data.train.datasets))
        mix = batch_mix(data.train, config.sampling)
        print("expected mix: " + ", ".join(f"{name} {m['batches']:.1%} of batches ({m['x-x-mono']:.1%} x-x-mono)"
                                           for name, m in mix.items())
              + " (bitext datasets give x-y batches only)")
    print(f"planned {len(batches)} batches of {planner.batch_size} ({planner.batches_per_epoch} per epoch): "
          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
          + (f"; mono languages: {', '.join(f'{k} {v}' for k, v in sorted(langs.items()))}" if langs else ""))
    if data.negatives is not None:
        same = sum(r["negative"]["lang"] == r["query_lang"] for b in batches for r in plan_record(data.train, b)["rows"])
        rows = sum(len(b.rows) for b in batches)
        print(f"mined negatives ({data.negatives.policy}, {data.negatives.k} per query, {data.negatives.source}): "
              f"{same}/{rows} rows carry a negative in the query's language")
        drawn = [d.label for d in config.datasets if d.negatives == "random"]
        if drawn:
            print(f"random negatives (drawn, not mined): {', '.join(drawn)}")
    if args.plan_out:
        out = Path(args.plan_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text(out, "".join(json.dumps(plan_record(data.train, b), ensure_ascii=False) + "\n"
                                for b in batches))
        print(f"plan: {out}")
