"""XNLI (15 parallel languages, dev): NLI as pair classification — cosine of premise and hypothesis, AP and
best-threshold accuracy / F1 of entailment against contradiction, monolingual and cross-lingual pairs and
their gap (docs/protocol.md). Also home of the pair-classification layout and scorer PAWS-X and AmericasNLI
reuse."""

from __future__ import annotations

import re
from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.family import BenchmarkFamily
from hybridbatch.benchmarks.xnli.reader import read_xnli
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.pair_scorer import ROBUSTNESS_MEASURES

SPEC = re.compile(r"^xnli(?::(?P<split>[a-z]+))?(?P<neutral>\+neutral)?$", re.IGNORECASE)
SPLITS = ("dev", "test")


def matches(spec: str) -> bool:
    return spec.strip().lower().split(":", 1)[0].split("+", 1)[0] == "xnli"


def parse(spec: str, pattern: re.Pattern, splits: tuple[str, ...], default: str, usage: str) -> tuple[str, bool]:
    """(split, keep neutral) of a ``<family>[:split][+neutral]`` spec matched by ``pattern`` (groups ``split``
    and optionally ``neutral``); anything else is an error quoting ``usage``."""
    m = pattern.match(spec.strip())
    split = (m.group("split") or default).lower() if m else None
    if m is None or split not in splits:
        raise HybridbatchError(f"benchmark spec {spec!r}: expected {usage}")
    return split, bool(m.groupdict().get("neutral"))


def load(spec: str, data_dir: Path | None, languages: list[str] | None):
    """``xnli[:dev|test][+neutral]`` from ``<data_dir>/xnli/`` (split defaults to dev; ``+neutral`` keeps the
    neutral pairs as negatives)."""
    split, neutral = parse(spec, SPEC, SPLITS, "dev", FAMILY.spec_help)
    return read_xnli(settings.data_dir(data_dir) / "xnli", split, languages, keep_neutral=neutral)


FAMILY = BenchmarkFamily(
    name="xnli", kind="xnli", spec_help="xnli[:dev|test][+neutral]", matches=matches, load=load,
    scorer="hybridbatch.benchmarks.xnli.scorer:XnliScorer", robustness_measures=ROBUSTNESS_MEASURES,
    training_pairs=None)
