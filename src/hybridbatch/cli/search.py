"""``hybridbatch search``: query an index from the command line."""

from __future__ import annotations

import argparse
import json

from hybridbatch.cli.config_flags import HARDWARE_FIELDS, add_config_flags, values_from_args
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.search.builder import open_encoder
from hybridbatch.search.index import read_manifest
from hybridbatch.search.query import Limits, parse_request
from hybridbatch.search.searcher import MODES, Searcher, language_mix


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "search", help="search an index built by 'hybridbatch index'",
        description="Encode the query with the index's own model (a --model whose vectors differ is refused) "
        "and print the top k with language, score and text.")
    p.add_argument("index", help="index folder")
    p.add_argument("query", help="the query text")
    p.add_argument("--k", type=int, default=10, help="results to return (default %(default)s)")
    p.add_argument("--lang", help="only these languages, comma-separated (e.g. de,en)")
    p.add_argument("--mode", choices=list(MODES), default="ranked",
                   help="ranked by score (default); quota: at most --per-lang per language; interleave: "
                   "languages taken in turn (a balanced mix)")
    p.add_argument("--per-lang", type=int, help="with --mode quota: most results of one language")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    encoding = add_config_flags(
        p, EvaluationConfig, include=("model", *HARDWARE_FIELDS), choices=True, group_title="encoding",
        group_description="as 'hybridbatch evaluate' encodes",
        help_overrides={"model": "use this model folder instead of the one recorded in the index (must produce the "
                                 "same vectors: e.g. a copy)"})
    p.set_defaults(func=run, encoding_flags=encoding)


def run(args: argparse.Namespace) -> int:
    query, request = parse_request(args.query, args.k, args.lang, args.mode, args.per_lang,
                                   Limits(max_k=10_000, max_query_chars=100_000))
    read_manifest(args.index)  # a missing or corrupt index fails before any model load
    enc = values_from_args(args, args.encoding_flags, EvaluationConfig)
    hardware = {"precision": enc["precision"], "device": enc["device"], "backend": enc["backend"]}
    encoder = open_encoder(enc["model"], show_progress=False, **hardware) if enc["model"] else None
    searcher = Searcher(args.index, encoder, **hardware)
    hits = searcher.search([query], request)[0]
    if args.json:
        print(json.dumps({"query": query, "hits": hits, "lang_mix": language_mix(hits)}, ensure_ascii=False, indent=1))
        return 0
    for h in hits:
        text = " ".join(h["text"].split())
        print(f"{h['rank']:>3}  {h['lang']:<6} {h['score']:.4f}  {h['id']}  {text[:110]}")
    print("languages: " + ", ".join(f"{k} {v}" for k, v in language_mix(hits).items()))
    return 0
