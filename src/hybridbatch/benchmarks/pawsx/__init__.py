"""PAWS-X (7 parallel languages; adversarial paraphrase pairs of high word overlap): paraphrase
identification as pair classification, monolingual and cross-lingual, like XNLI (docs/protocol.md)."""

from __future__ import annotations

import re
from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.family import BenchmarkFamily
from hybridbatch.benchmarks.pawsx.reader import read_pawsx
from hybridbatch.benchmarks.xnli import parse
from hybridbatch.scoring.pair_scorer import ROBUSTNESS_MEASURES

SPEC = re.compile(r"^pawsx(?::(?P<split>[a-z]+))?$", re.IGNORECASE)
SPLITS = ("dev", "test")


def matches(spec: str) -> bool:
    return spec.strip().lower().split(":", 1)[0] == "pawsx"


def load(spec: str, data_dir: Path | None, languages: list[str] | None):
    """``pawsx[:dev|test]`` from ``<data_dir>/pawsx/`` (split defaults to dev: 7 languages; test: de, zh)."""
    split, _ = parse(spec, SPEC, SPLITS, "dev", FAMILY.spec_help)
    return read_pawsx(settings.data_dir(data_dir) / "pawsx", split, languages)


FAMILY = BenchmarkFamily(
    name="pawsx", kind="pawsx", spec_help="pawsx[:dev|test]", matches=matches, load=load,
    scorer="hybridbatch.benchmarks.pawsx.scorer:PawsxScorer", robustness_measures=ROBUSTNESS_MEASURES,
    training_pairs=None)
