"""``hybridbatch serve``: the HTTP search API and page over one or two indexes."""

from __future__ import annotations

import argparse

from hybridbatch.cli.config_flags import HARDWARE_FIELDS, add_config_flags, values_from_args
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.search.index import read_manifest
from hybridbatch.search.query import Limits
from hybridbatch.search.searcher import Searcher
from hybridbatch.search.service import create_app


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve", help="serve one or two indexes over HTTP with a search page",
        description="JSON API (/search, /health, /stats) and a page at / showing each index's results with "
        "their languages and the language mix of the top k; two indexes (e.g. the base model and a "
        "hybrid-trained one over the same corpus) are shown side by side. Concurrent queries share one "
        "encoder call (micro-batching).")
    p.add_argument("indexes", nargs="+", metavar="INDEX_DIR", help="one or two index folders")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    p.add_argument("--max-k", type=int, default=100, help="largest k a request may ask (default %(default)s)")
    p.add_argument("--max-query-chars", type=int, default=1000, help="longest query (default %(default)s)")
    p.add_argument("--max-batch", type=int, default=32, help="most queries per encoder call (default %(default)s)")
    p.add_argument("--max-wait-ms", type=float, default=5.0,
                   help="how long a query waits for others to share its encoder call (default %(default)s)")
    p.add_argument("--no-batching", action="store_true",
                   help="encode each request on its own (the plain way; for comparison)")
    encoding = add_config_flags(p, EvaluationConfig, include=HARDWARE_FIELDS, choices=True, group_title="encoding",
                                group_description="as 'hybridbatch evaluate' encodes")
    p.set_defaults(func=run, encoding_flags=encoding)


def run(args: argparse.Namespace) -> int:
    if len(args.indexes) > 2:
        raise HybridbatchError(f"serve shows one or two indexes, got {len(args.indexes)}")
    for name, value in (("--port", args.port), ("--max-k", args.max_k), ("--max-query-chars", args.max_query_chars),
                        ("--max-batch", args.max_batch)):
        if value < 1 or (name == "--port" and value > 65535):
            raise HybridbatchError(f"{name} out of range: {value}")
    if args.max_wait_ms < 0:
        raise HybridbatchError(f"--max-wait-ms must be ≥ 0, got {args.max_wait_ms}")
    for folder in args.indexes:
        read_manifest(folder)  # fail on a bad index before loading any model
    enc = values_from_args(args, args.encoding_flags, EvaluationConfig)
    searchers = [Searcher(folder, precision=enc["precision"], device=enc["device"], backend=enc["backend"])
                 for folder in args.indexes]
    if len(searchers) == 2 and searchers[0].name == searchers[1].name:
        searchers[1].name += " (2)"
    app = create_app(searchers, batching=not args.no_batching, max_batch=args.max_batch,
                     max_wait_ms=args.max_wait_ms,
                     limits=Limits(max_query_chars=args.max_query_chars, max_k=args.max_k))
    import uvicorn

    print(f"serving {', '.join(s.name for s in searchers)} on http://{args.host}:{args.port}/")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
