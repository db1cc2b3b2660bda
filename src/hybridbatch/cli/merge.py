"""``hybridbatch merge``: WiSE-FT interpolation with the base model, or a soup of fine-tuned models."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.cli.config_flags import add_config_flags, values_from_args
from hybridbatch.merging.command import MergeRequest, run_merge


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "merge", help="merge models in weight space (WiSE-FT with the base, or a soup)",
        description="WiSE-FT: theta = (1 - lambda) * theta_base + lambda * theta_tuned (--base, one model, "
        "--lambda). Soup: the weighted mean of several fine-tuned models (two or more models, no --base). "
        "Models must share architecture and tokenizer. The output is a sentence-transformers folder.")
    p.add_argument("models", nargs="+", metavar="MODEL", help="fine-tuned model folder(s)")
    p.add_argument("--out", required=True, help="output model folder")
    dests = add_config_flags(p, MergeRequest, choices=True, group_title="merge settings",
                             group_description="WiSE-FT (--base, --lambda), a lambda sweep (--validate-with) or "
                             "a soup (--weights)")
    p.set_defaults(func=run, merge_flags=dests)


def run(args: argparse.Namespace) -> int:
    settings = values_from_args(args, args.merge_flags, MergeRequest)
    print(run_merge(MergeRequest(models=list(args.models), out=Path(args.out), **settings)))
    return 0
