"""``hybridbatch merge``: WiSE-FT interpolation with the base model, or a soup of fine-tuned models."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.merging.command import MergeRequest, run_merge


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "merge", help="merge models in weight space (WiSE-FT with the base, or a soup)",
        description="WiSE-FT: theta = (1 - lambda) * theta_base + lambda * theta_tuned (--base, one model, "
        "--lambda). Soup: the weighted mean of several fine-tuned models (two or more models, no --base). "
        "Models must share architecture and tokenizer. The output is a sentence-transformers folder.")
    p.add_argument("models", nargs="+", metavar="MODEL", help="fine-tuned model folder(s)")
    p.add_argument("--base", help="the base model ('default' or a folder): WiSE-FT interpolation")
    p.add_argument("--lambda", dest="lam", metavar="LAMBDA[,LAMBDA...]",
                   help="WiSE-FT weight of the fine-tuned model (0..1); several: a sweep scored on the validation "
                   "split of --validate-with, the best one is saved")
    p.add_argument("--validate-with", metavar="TRAIN.yaml",
                   help="training config whose validation split scores a lambda sweep (the fine-tuned model's own)")
    p.add_argument("--select-metric", default="mo+mul", choices=["mo", "cr", "mul", "mo+mul", "mo+cr+mul"],
                   help="validation measure that picks lambda (default: %(default)s; ties within 0.002 go to "
                   "the smaller lambda)")
    p.add_argument("--data-dir", help="shared data folder (default: $HYBRIDBATCH_DATA)")
    p.add_argument("--weights", help="soup: comma-separated weights, one per model (default: uniform)")
    p.add_argument("--out", required=True, help="output model folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(run_merge(MergeRequest(models=list(args.models), out=Path(args.out), base=args.base, lambdas=args.lam,
                                 weights=args.weights, validate_with=args.validate_with,
                                 select_metric=args.select_metric, data_dir=args.data_dir)))
    return 0
