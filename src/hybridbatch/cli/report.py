"""``hybridbatch report``: compare any set of finished evaluations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import check_output_dir
from hybridbatch.reporting.compare import check_undefined_queries, load_record, write_comparison
from hybridbatch.reporting.studies import write_studies
from hybridbatch.run_files import RESULTS, SUMMARY


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report", help="compare finished evaluations (tables, significance, α sweep)",
        description="Each RUN_DIR is an evaluation folder (with results.json) or a folder holding such "
        "folders (an experiment run). Systems are labelled by the label stored in their config, else "
        "by folder name; evaluations with the same label are seeds of one system. Evaluations of a "
        "study add its report: language_count.md (runs with training-language subsets), robustness.md "
        "(evaluations with --perturb: drops and paired tests of two models' per-query drops) and domain.md "
        "(runs on several training sets, on two or more benchmarks: one against the other).")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR")
    p.add_argument("--out", required=True, help="output folder for summary.md / summary.json / plots")
    p.add_argument("--seen-languages", help="comma-separated training languages; others are marked unseen")
    p.add_argument("--resamples", type=int, default=10_000,
                   help="randomization test resamples (>= 1; below 1000 the p-values are coarse; default %(default)s)")
    p.add_argument("--base", metavar="LABEL", help="the system the others are compared with per language "
                   "(gain by resource class, losing languages); default: the experiment runner's "
                   "'base (untrained)'; a folder name for evaluations made by 'hybridbatch evaluate'")
    p.set_defaults(func=run)


def find_eval_folders(path: Path) -> list[Path]:
    """``path`` itself if it holds results.json, else its descendants that do (sorted)."""
    if (path / RESULTS).is_file():
        return [path]
    found = sorted(p.parent for p in path.rglob(RESULTS) if SUMMARY not in p.parts)
    if not found:
        raise HybridbatchError("no evaluation folder (results.json) found", path=path)
    return found


def run(args: argparse.Namespace) -> int:
    if args.resamples < 1:
        raise HybridbatchError(f"--resamples {args.resamples} must be >= 1")
    check_output_dir(args.out, "--out")
    records = [load_record(folder) for run_dir in args.runs for folder in find_eval_folders(Path(run_dir))]
    check_undefined_queries(records)
    if args.resamples < 1000:  # once the input is known to be good
        print(f"hybridbatch: warning: --resamples {args.resamples}: p-values are multiples of "
              f"1/{args.resamples + 1}; use >= 1000 for reporting", file=sys.stderr)
    seen = {x.strip() for x in args.seen_languages.split(",")} if args.seen_languages else None
    if args.base is not None and args.base not in {r.label for r in records}:
        raise HybridbatchError(f"--base {args.base!r} is none of the systems: "
                               f"{', '.join(sorted({r.label for r in records}))}")
    write_comparison(records, Path(args.out), seen_languages=seen, n_resamples=args.resamples,
                     base_label=args.base)

    write_studies(records, Path(args.out), args.resamples)  # language-count / robustness reports when the runs have them
    print(f"compared {len(records)} evaluations; report: {args.out}/summary.md")
    return 0
