"""``hybridbatch index``: encode a corpus with a model and write a FAISS search index (or add to one)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.cli.config_flags import (
    ENCODING_FIELDS,
    add_config_flags,
    overrides_from_args,
    values_from_args,
)
from hybridbatch.config import from_dict
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.search.builder import build_index
from hybridbatch.search.index import IndexSettings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "index", help="build a search index of a corpus (or add documents to one)",
        description="Encode every document once (through the embedding cache), build a FAISS inner-product "
        "index and store ids, languages and texts beside it with a manifest (model identity, corpus hash, "
        "counts per language, versions). Search it with 'hybridbatch search', serve it with 'hybridbatch serve'.")
    p.add_argument("--corpus", required=True,
                   help="FILE.jsonl (id, text, lang, optional title and other fields) | beir:DIR (its "
                   "corpus.jsonl) | any benchmark spec, e.g. xquad-r or tatoeba (the benchmark's candidates)")
    p.add_argument("--out", required=True, help="index folder (new, or an existing index with --add)")
    p.add_argument("--add", action="store_true", help="add the corpus to the index already in --out")
    p.add_argument("--lang", help="language of records without a 'lang' field (BEIR corpora)")
    encoding = add_config_flags(
        p, EvaluationConfig, include=ENCODING_FIELDS, choices=True, group_title="encoding",
        group_description="as 'hybridbatch evaluate' encodes",
        help_overrides={"model": "'default' (multilingual-e5-small) or a model folder (default: 'default'; with "
                                 "--add, the index's own model)",
                        "languages": "comma-separated languages of a benchmark corpus (default: the benchmark's "
                                     "own set)"})
    dests = add_config_flags(p, IndexSettings, group_title="index settings",
                             group_description="the index kind and its parameters (recorded in the manifest; "
                             "ignored with --add, which keeps the index's own)")
    p.set_defaults(func=run, config_dests=dests, encoding_flags=encoding)


def run(args: argparse.Namespace) -> int:
    enc = values_from_args(args, args.encoding_flags, EvaluationConfig)
    settings = from_dict(IndexSettings, overrides_from_args(args, args.config_dests))
    settings.validate()
    manifest = build_index(args.corpus, Path(args.out), model=enc["model"], add=args.add,
                           settings=None if args.add else settings, data_dir=enc["data_dir"], lang=args.lang,
                           languages=enc["languages"], batch_size=enc["batch_size"], precision=enc["precision"],
                           device=enc["device"], cache=enc["cache"], backend=enc["backend"])
    last = manifest["corpora"][-1]
    langs = ", ".join(f"{k} {v}" for k, v in manifest["counts"].items())
    print(f"{'added' if args.add else 'indexed'} {last['documents']} documents in {last['encode_seconds']:.1f} s "
          f"(+{last['build_seconds']:.1f} s {manifest['index']['kind']} index); {manifest['documents']} in all: {langs}")
    print(f"index: {args.out}")
    return 0
