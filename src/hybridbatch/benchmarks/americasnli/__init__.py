"""AmericasNLI (10 indigenous languages of the Americas, dev and test, parallel by item id): NLI as pair
classification like XNLI, monolingual and cross-lingual (docs/protocol.md)."""

from __future__ import annotations

import re
from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.americasnli.reader import read_americasnli
from hybridbatch.benchmarks.family import BenchmarkFamily
from hybridbatch.benchmarks.xnli import parse
from hybridbatch.scoring.pair_scorer import ROBUSTNESS_MEASURES

SPEC = re.compile(r"^americasnli(?::(?P<split>[a-z]+))?(?P<neutral>\+neutral)?$", re.IGNORECASE)
SPLITS = ("test", "dev")


def matches(spec: str) -> bool:
    return spec.strip().lower().split(":", 1)[0].split("+", 1)[0] == "americasnli"


def load(spec: str, data_dir: Path | None, languages: list[str] | None):
    """``americasnli[:test|dev][+neutral]`` from ``<data_dir>/americasnli/`` (split defaults to test;
    ``+neutral`` keeps the neutral pairs as negatives)."""
    split, neutral = parse(spec, SPEC, SPLITS, "test", FAMILY.spec_help)
    return read_americasnli(settings.data_dir(data_dir) / "americasnli", split, languages, keep_neutral=neutral)


FAMILY = BenchmarkFamily(
    name="americasnli", kind="americasnli", spec_help="americasnli[:test|dev][+neutral]", matches=matches,
    load=load, scorer="hybridbatch.benchmarks.americasnli.scorer:AmericasnliScorer",
    robustness_measures=ROBUSTNESS_MEASURES, training_pairs=None)
