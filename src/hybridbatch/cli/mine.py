"""``hybridbatch mine``: mine hard negatives for a training config's train split, or check a negatives file."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.cli.config_flags import add_config_flags, overrides_from_args
from hybridbatch.errors import HybridbatchError
from hybridbatch.mining.command import MineRequest, run_mine
from hybridbatch.mining.rank import MiningSettings
from hybridbatch.training.config import TrainConfig

TRAIN_FIELDS = ("model", "seed", "training.precision", "negatives.policy", "negatives.per_query",
                "negatives.range_min", "negatives.range_max", "negatives.margin")
"""The training-config fields mining reads, offered as ``train`` offers them."""
EARLIER_FLAGS = {"negatives.policy": ["--policy"], "negatives.per_query": ["--per-query"],
                 "negatives.range_min": ["--range-min"], "negatives.range_max": ["--range-max"],
                 "negatives.margin": ["--margin"]}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "mine", help="mine hard negatives for training (or check a negatives file)",
        description="Encode every query and passage of the training config's train split (the validation groups "
        "are left out) with the model, through the embedding cache the distillation targets use, rank the pooled "
        "training passages of all languages and datasets for every query, and keep negatives by language policy. "
        "Passages of the query's own parallel group and conflict cluster are never kept; --negatives-range-min/"
        "--negatives-range-max and --negatives-margin guard against false negatives as in sentence-transformers' "
        "mine_hard_negatives. The settings are the config's negatives section, overridden by the flags below "
        "(the same flags as 'hybridbatch train'); the policy is same-language when neither sets one. Writes a "
        "JSONL file: a header line, then one line per query item.")
    p.add_argument("--config", required=True, metavar="TRAIN.yaml", help="training config (data, split, model, "
                   "negatives)")
    p.add_argument("--out", type=Path, metavar="FILE.jsonl", help="the negatives file to write")
    p.add_argument("--check", type=Path, metavar="FILE.jsonl",
                   help="instead of mining, validate this negatives file against the config's train split (and its "
                   "negatives.policy, if any)")
    p.add_argument("--data-dir", help="shared data folder (default: $HYBRIDBATCH_DATA)")
    train = add_config_flags(
        p, TrainConfig, include=TRAIN_FIELDS, deprecated=EARLIER_FLAGS, group_title="training-config fields",
        group_description="a flag replaces the config's value (default: the config's)",
        help_overrides={"seed": "the run's seed, as 'hybridbatch train --seed': it decides the validation split, "
                        "so mine with the seed you will train with; also seeds random sampling"})
    mining = add_config_flags(p, MiningSettings, include=("sampling",), group_title="mining",
                              group_description="how the kept negatives are drawn")
    p.set_defaults(func=run, config_flags=train, mining_flags=mining)


def run(args: argparse.Namespace) -> int:
    if args.out is None and args.check is None:
        raise HybridbatchError("mine: give --out negatives.jsonl (or --check FILE to validate one)")
    mining = overrides_from_args(args, args.mining_flags)
    print(run_mine(MineRequest(config=args.config, out=args.out, check=args.check,
                               overrides=overrides_from_args(args, args.config_flags),
                               sampling=mining.get("sampling"), data_dir=args.data_dir)))
    return 0
