"""``hybridbatch mine``: mine hard negatives for a training config's train split, or check a negatives file."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.config import PRECISIONS
from hybridbatch.data.negatives import POLICIES
from hybridbatch.errors import HybridbatchError
from hybridbatch.mining.command import MineRequest, run_mine
from hybridbatch.mining.rank import SAMPLINGS, MiningSettings

DEFAULTS = MiningSettings()


def _margin(text: str) -> float | None:
    if text.strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "mine", help="mine hard negatives for training (or check a negatives file)",
        description="Encode every query and passage of the training config's train split (the validation groups "
        "are left out) with the model, through the embedding cache the distillation targets use, rank the pooled "
        "training passages of all languages and datasets for every query, and keep negatives by language policy. "
        "Passages of the query's own parallel group and conflict cluster are never kept; --range-min/--range-max "
        "and --margin guard against false negatives as in sentence-transformers' mine_hard_negatives. Writes a "
        "JSONL file: a header line, then one line per query item.")
    p.add_argument("--config", required=True, metavar="TRAIN.yaml", help="training config (data, split, model)")
    p.add_argument("--out", type=Path, metavar="negatives.jsonl", help="the negatives file to write")
    p.add_argument("--check", type=Path, metavar="negatives.jsonl",
                   help="instead of mining, validate this negatives file against the config's train split")
    p.add_argument("--model", help="'default' or a model folder (default: the config's model)")
    p.add_argument("--policy", choices=POLICIES,
                   help="keep negatives in the query's language (same-language: the passages a language-biased "
                   "model prefers), in other languages, or any (default: same-language; --check: the file's)")
    p.add_argument("--per-query", type=int, default=DEFAULTS.per_query, metavar="N",
                   help="negatives per query (default: %(default)s)")
    p.add_argument("--range-min", type=int, default=DEFAULTS.range_min, metavar="A",
                   help="skip the top A candidates (default: %(default)s)")
    p.add_argument("--range-max", type=int, default=DEFAULTS.range_max, metavar="B",
                   help="look no deeper than rank B (default: %(default)s)")
    p.add_argument("--margin", type=_margin, default=DEFAULTS.margin, metavar="M",
                   help="keep a candidate only if its score < the query's positive score - M; 'none': no margin "
                   "(default: %(default)s)")
    p.add_argument("--sampling", choices=SAMPLINGS, default=DEFAULTS.sampling,
                   help="top: the best ranked eligible candidates; random: drawn among them, seeded "
                   "(default: %(default)s)")
    p.add_argument("--seed", type=int,
                   help="the run's seed, as 'hybridbatch train --seed': it decides the validation split, so mine "
                   "with the seed you will train with; also seeds random sampling (default: the config's seed)")
    p.add_argument("--precision", choices=PRECISIONS,
                   help="encoding precision (default: the config's training.precision, as training resolves it)")
    p.add_argument("--data-dir", help="shared data folder (default: $HYBRIDBATCH_DATA)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.out is None and args.check is None:
        raise HybridbatchError("mine: give --out negatives.jsonl (or --check FILE to validate one)")
    print(run_mine(MineRequest(config=args.config, out=args.out, check=args.check, model=args.model,
                               policy=args.policy, per_query=args.per_query, range_min=args.range_min,
                               range_max=args.range_max, margin=args.margin, sampling=args.sampling,
                               seed=args.seed, precision=args.precision, data_dir=args.data_dir)))
    return 0
