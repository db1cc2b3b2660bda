"""TICO-19 (medical translation memories, 39 language codes): every sentence retrieves its translations,
per language pair and pooled; language bias as in LAReQA. Its ``dev`` units give next-sentence training
pairs (:mod:`.pairs`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.family import BenchmarkFamily, spec_head
from hybridbatch.benchmarks.lareqa import ROBUSTNESS_MEASURES
from hybridbatch.benchmarks.tico19.pairs import tico19_pairs
from hybridbatch.benchmarks.tico19.reader import read_tico19
from hybridbatch.errors import HybridbatchError


def matches(spec: str) -> bool:
    return spec_head(spec)[0] == "tico19"


def load(spec: str, data_dir: Path | None, languages: list[str] | None):
    """``tico19[:test|dev]`` from ``<data_dir>/tico19/`` (split defaults to test)."""
    split = spec_head(spec)[1] or "test"
    return read_tico19(settings.data_dir(data_dir) / "tico19", split, languages, name=f"tico19-{split}")


def training_pairs(family: BenchmarkFamily, spec: str, data_dir: Path | None, *,
                   languages: Sequence[str] | None, name: str, with_context: bool, hard_negatives: bool,
                   seed: int):
    """Next-sentence pairs of the units outside the test split; the spec must be ``tico19:dev``."""
    if spec.strip().lower() != "tico19:dev":
        raise HybridbatchError(f"training dataset {spec!r}: train on 'tico19:dev' (the units outside the "
                               "test split); the test split is for evaluation")
    if with_context or hard_negatives:
        raise HybridbatchError("training dataset tico19:dev has no paragraphs or hard negatives (passage: "
                               "sentence, hard_negatives: false)")
    return tico19_pairs(settings.data_dir(data_dir) / "tico19", list(languages) if languages else None,
                        name=name)


FAMILY = BenchmarkFamily(
    name="tico19", kind="multiparallel", spec_help="tico19[:test|dev]", matches=matches, load=load,
    scorer="hybridbatch.benchmarks.tico19.scorer:MultiparallelScorer", robustness_measures=ROBUSTNESS_MEASURES,
    training_pairs=training_pairs, leakage_specs=("tico19:test",))
