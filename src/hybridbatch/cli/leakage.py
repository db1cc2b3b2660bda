"""``hybridbatch check-leakage``: do evaluation texts occur in the training data?

Exit code 0: no overlap; 1: overlap found; 2: bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.data.benchmark_pairs import pairs_from_benchmark
from hybridbatch.data.leakage import check_leakage
from hybridbatch.data.pairs_files import read_pairs_jsonl
from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import check_output_file, write_json
from hybridbatch.training.config import load_config
from hybridbatch.training.data import load_datasets


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check-leakage", help="compare evaluation questions/candidates with training texts",
        description="Normalise texts (NFKC, casefold, collapsed whitespace) and report evaluation "
        "questions, candidate sentences and paragraphs that also occur in the training data. "
        "Exit 1 when any do.")
    p.add_argument("--train", nargs="+", required=True, metavar="SOURCE",
                   help="training data: a benchmark spec (mlqa-r, xquad-r, beir:DIR), an items .jsonl, "
                   "or a training config .yaml (its datasets)")
    p.add_argument("--eval", nargs="+", required=True, metavar="BENCHMARK", help="e.g. xquad-r")
    p.add_argument("--data-dir", help="shared data folder (default: $HYBRIDBATCH_DATA)")
    p.add_argument("--min-chars", type=int, default=0, help="ignore texts shorter than this (default: 0)")
    p.add_argument("--examples", type=int, default=5, help="examples to print per benchmark (default: 5)")
    p.add_argument("--out", metavar="FILE.json", help="also write the reports as JSON")
    p.set_defaults(func=run)


def load_training_sources(sources: list[str], data_dir: str | None):
    """PairSets for each ``--train`` source."""
    out = []
    for source in sources:
        suffix = Path(source).suffix.lower()
        if suffix in (".yaml", ".yml"):
            out += load_datasets(load_config(source), data_dir)
        elif suffix == ".jsonl":
            out.append(read_pairs_jsonl(Path(source)))
        else:
            out.append(pairs_from_benchmark(load_benchmark(source, Path(data_dir) if data_dir else None)))
    return out


def run(args: argparse.Namespace) -> int:
    for flag, value in (("--min-chars", args.min_chars), ("--examples", args.examples)):
        if value < 0:
            raise HybridbatchError(f"{flag} {value} must be >= 0")
    if args.out:
        check_output_file(args.out, "--out")
    datasets = load_training_sources(args.train, args.data_dir)
    reports = [check_leakage(datasets, load_benchmark(spec, Path(args.data_dir) if args.data_dir else None),
                             min_chars=args.min_chars, max_examples=args.examples) for spec in args.eval]
    for report in reports:
        print(("LEAKAGE: " if report.overlap else "no leakage: ") + report.summary())
        for ex in report.examples:
            print(f"  {ex['kind']} {ex['id']} ({ex['lang']}) = training {ex['training_field']} of "
                  f"{ex['training_dataset']}: {ex['text'][:100]!r}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_json(out, [r.to_dict() for r in reports])
    return 1 if any(r.overlap for r in reports) else 0
