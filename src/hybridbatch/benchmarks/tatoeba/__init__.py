"""Tatoeba (XTREME's bitext retrieval, 112 languages ↔ English): accuracy xx→eng, eng→xx and their mean,
plain and with the ratio margin."""

from __future__ import annotations

from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.family import BenchmarkFamily, spec_head
from hybridbatch.benchmarks.tatoeba.reader import read_tatoeba


def matches(spec: str) -> bool:
    return spec_head(spec) == ("tatoeba", "")


def load(spec: str, data_dir: Path | None, languages: list[str] | None):
    """``<data_dir>/tatoeba/``; XTREME's 36 languages unless ``languages`` says otherwise (``["all"]``: 112)."""
    return read_tatoeba(settings.data_dir(data_dir) / "tatoeba", languages)


FAMILY = BenchmarkFamily(name="tatoeba", kind="bitext", spec_help="tatoeba", matches=matches, load=load,
                         scorer="hybridbatch.benchmarks.tatoeba.scorer:BitextScorer")
