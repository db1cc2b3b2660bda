"""AfriQA: African-language questions → English/French gold passages, next to the human-translated question
(nDCG@10, R@10, R@100, MRR@10 and the gap between the two)."""

from __future__ import annotations

from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.afriqa.reader import read_afriqa
from hybridbatch.benchmarks.family import BenchmarkFamily, spec_head


def matches(spec: str) -> bool:
    return spec_head(spec)[0] == "afriqa"


def load(spec: str, data_dir: Path | None, languages: list[str] | None):
    """``afriqa[:test|dev|train]`` from ``<data_dir>/afriqa/`` (split defaults to test)."""
    split = spec_head(spec)[1] or "test"
    return read_afriqa(settings.data_dir(data_dir) / "afriqa", split, languages, name=f"afriqa-{split}")


FAMILY = BenchmarkFamily(name="afriqa", kind="translated_qa", spec_help="afriqa[:test|dev|train]",
                         matches=matches, load=load,
                         scorer="hybridbatch.benchmarks.afriqa.scorer:TranslatedQaScorer")
