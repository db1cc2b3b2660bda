"""``hybridbatch export-records``: an experiment's, run's or evaluation's records without its weights."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.reporting.export import PER_QUERY_MODES, export_records


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export-records", help="copy an experiment's records (results, per-query arrays, configs, histories) "
        "without model weights",
        description="Copy SRC (an experiment, run, training or evaluation folder) to --out without what only "
        "reproduces or serves a model: model folders (the model card is kept as model-card.md), training "
        "checkpoints/ and logs/, mined negatives (their header is kept as negatives-header.json), locks and "
        "partial writes. 'hybridbatch report' runs on the copy as on the original. The copy appears whole "
        "or not at all.")
    p.add_argument("src", metavar="SRC", help="folder to export")
    p.add_argument("--out", required=True, help="the export folder (must not exist unless --replace)")
    p.add_argument("--per-query-arrays", choices=PER_QUERY_MODES, default="all",
                   help="per-query arrays: 'all' copies them as they are; 'paired' keeps the arrays the paired "
                   "tests read, as float32 (a 38-language evaluation stays under 2 MB; results.json can then no "
                   "longer be recomputed from them) (default: %(default)s)")
    p.add_argument("--replace", action="store_true", help="replace an existing export folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    summary = export_records(Path(args.src), Path(args.out), per_query=args.per_query_arrays, replace=args.replace)
    left = "; ".join(f"{what}: {n}" for what, n in sorted(summary.left_out.items())) or "nothing"
    print(f"exported {summary.files} files ({summary.bytes / 1e6:.1f} MB) to {args.out}; left out: {left}")
    return 0
