"""``hybridbatch download``: fetch the LAReQA evaluation files (XQuAD-R, MLQA-R) from GitHub."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.lareqa.download import download_lareqa, parse_base_urls
from hybridbatch.errors import HybridbatchError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "download", help="download XQuAD-R and MLQA-R (LAReQA) into the data folder",
        description="Fetch <dataset>/<lang>.json from github.com/google-research-datasets/lareqa "
        "(pinned commits) into DEST/lareqa/. Each file is checked (JSON with a 'data' list, sha256 "
        "of the pinned file) and written atomically; files already present are skipped.")
    p.add_argument("--dest", help="data folder to fill (default: $HYBRIDBATCH_DATA)")
    p.add_argument("--dataset", action="append", choices=["xquad-r", "mlqa-r"],
                   help="dataset to fetch; repeat for several (default: both)")
    p.add_argument("--languages", help="comma-separated subset, e.g. de,en (default: all)")
    p.add_argument("--base-url", action="append", default=[], metavar="[DATASET=]URL",
                   help="mirror: URL holds <dataset>/<lang>.json, or DATASET=URL holds that dataset's "
                   "<lang>.json (repeatable)")
    p.add_argument("--force", action="store_true", help="download again files already present")
    p.add_argument("--no-checksum", action="store_true",
                   help="accept files whose sha256 differs from the pinned upstream files")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    dest_text = args.dest or os.environ.get(settings.DATA_ENV)
    if not dest_text:
        raise HybridbatchError(f"no destination: pass --dest or set {settings.DATA_ENV}")
    dest = Path(dest_text).expanduser()
    languages = [x.strip() for x in args.languages.split(",") if x.strip()] if args.languages else None
    results = download_lareqa(dest, datasets=args.dataset, languages=languages,
                              base_urls=parse_base_urls(args.base_url), force=args.force,
                              verify_checksums=not args.no_checksum, timeout=args.timeout,
                              progress=not args.quiet)
    for r in results:
        note = "" if r.status == "downloaded" else " (skipped; --force to fetch again)"
        print(f"{r.status:10s} {r.dataset}/{r.lang}.json  {r.size:,} bytes{note}")
    fetched = sum(r.status == "downloaded" for r in results)
    print(f"{fetched} downloaded, {len(results) - fetched} already present, in {dest / 'lareqa'}")
    return 0
