"""``hybridbatch index``: encode a corpus with a model and write a FAISS search index (or add to one)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.cli.config_flags import add_config_flags, add_hardware_flags, overrides_from_args
from hybridbatch.config import from_dict
from hybridbatch.errors import HybridbatchError
from hybridbatch.search.builder import build_index
from hybridbatch.search.index import IndexSettings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "index", help="build a search index of a corpus (or add documents to one)",
        description="Encode every document once (through the embedding cache), build a FAISS inner-product "
        "index and store ids, languages and texts beside it with a manifest (model identity, corpus hash, "
        "counts per language, versions). Search it with 'hybridbatch search', serve it with 'hybridbatch serve'.")
    p.add_argument("--corpus", required=True,
                   help="FILE.jsonl (id, text, lang, optional title and other fields) | beir:DIR | xquad-r | "
                   "mlqa-r | lareqa:DIR (a benchmark's candidate sentences)")
    p.add_argument("--out", required=True, help="index folder (new, or an existing index with --add)")
    p.add_argument("--model", help="'default' (multilingual-e5-small) or a model folder (default: 'default'; "
                   "with --add, the index's own model)")
    p.add_argument("--add", action="store_true", help="add the corpus to the index already in --out")
    p.add_argument("--lang", help="language of records without a 'lang' field (BEIR corpora)")
    p.add_argument("--data-dir", help="shared data folder (default: $HYBRIDBATCH_DATA)")
    p.add_argument("--batch-size", type=int, default=64, help="encoding batch size (default: %(default)s)")
    add_hardware_flags(p)
    p.add_argument("--no-cache", action="store_true", help="do not read or write the embedding cache")
    dests = add_config_flags(p, IndexSettings, group_title="index settings",
                             group_description="the index kind and its parameters (recorded in the manifest; "
                             "ignored with --add, which keeps the index's own)")
    p.set_defaults(func=run, config_dests=dests)


def run(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise HybridbatchError(f"--batch-size must be ≥ 1, got {args.batch_size}")
    settings = from_dict(IndexSettings, overrides_from_args(args, args.config_dests))
    settings.validate()
    manifest = build_index(args.corpus, Path(args.out), model=args.model, add=args.add,
                           settings=None if args.add else settings, data_dir=args.data_dir, lang=args.lang,
                           batch_size=args.batch_size, precision=args.precision, device=args.device,
                           cache=not args.no_cache, backend=args.backend)
    last = manifest["corpora"][-1]
    langs = ", ".join(f"{k} {v}" for k, v in manifest["counts"].items())
    print(f"{'added' if args.add else 'indexed'} {last['documents']} documents in {last['encode_seconds']:.1f} s "
          f"(+{last['build_seconds']:.1f} s {manifest['index']['kind']} index); {manifest['documents']} in all: {langs}")
    print(f"index: {args.out}")
    return 0
