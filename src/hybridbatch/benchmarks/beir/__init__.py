"""BEIR-layout folders (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``, optional ``lang``):
nDCG@10, Recall@100, MRR@10 by exact search."""

from __future__ import annotations

from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.beir.reader import read_beir
from hybridbatch.benchmarks.family import BenchmarkFamily
from hybridbatch.errors import HybridbatchError

SPEC_HELP = "beir:DIR[:split] (split: test by default)"


def parse_beir_spec(spec: str) -> tuple[str, str]:
    """``"beir:DIR[:split]"`` -> (DIR, split). A last ``:part`` holding no path separator is the split."""
    rest = spec[len("beir:"):]
    head, sep, tail = rest.rpartition(":")
    if sep and head and tail and "/" not in tail and "\\" not in tail:
        return head, tail
    return rest, "test"


def matches(spec: str) -> bool:
    return spec.startswith("beir:")


def load(spec: str, data_dir: Path | None, languages: list[str] | None):
    """DIR as given; a relative DIR that does not exist is looked up under the data folder."""
    folder_text, split = parse_beir_spec(spec)
    if not folder_text:
        raise HybridbatchError(f"benchmark spec {spec!r} names no folder; expected {SPEC_HELP}")
    folder = Path(folder_text).expanduser()
    if not folder.exists() and not folder.is_absolute():
        try:
            root = settings.data_dir(data_dir)
        except HybridbatchError:
            root = None
        if root is not None and (root / folder).exists():
            folder = root / folder
    return read_beir(folder, split, languages)


FAMILY = BenchmarkFamily(name="beir", kind="beir", spec_help=SPEC_HELP, matches=matches, load=load,
                         scorer="hybridbatch.benchmarks.beir.scorer:BeirScorer")
