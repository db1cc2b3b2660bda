"""TyDi QA GoldP (native questions in 9 typologically diverse languages): question → gold passage in the
question's language corpus and in the pool of all languages (nDCG@10, MRR@10, R@100, top-10 own-language
share), per language and by resource class."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.family import BenchmarkFamily, pairs_from_loaded_benchmark, spec_head
from hybridbatch.benchmarks.tydiqa.reader import read_tydiqa
from hybridbatch.errors import HybridbatchError

FOLDERS = ("tydiqa-goldp", "tydiqa")
"""Where the files are looked up under the data folder, first existing wins."""
EVALUATION_SPLIT = "dev"
ROBUSTNESS_MEASURES = (("language/ndcg@10", "nDCG@10"), ("pooled/ndcg@10", "nDCG@10 pooled"),
                       ("language/mrr@10", "MRR@10"), ("pooled/mrr@10", "MRR@10 pooled"))
"""What ``evaluate --perturb`` compares clean and perturbed."""


def matches(spec: str) -> bool:
    return spec_head(spec)[0] == "tydiqa"


def folder(data_dir: Path | None) -> Path:
    """``<data_dir>/tydiqa-goldp/``, else ``<data_dir>/tydiqa/`` when only that exists."""
    root = settings.data_dir(data_dir)
    for name in FOLDERS:
        if (root / name).is_dir():
            return root / name
    return root / FOLDERS[0]


def load(spec: str, data_dir: Path | None, languages: list[str] | None):
    """``tydiqa[:dev|train]`` (split defaults to dev, the one the public copy holds)."""
    split = spec_head(spec)[1] or EVALUATION_SPLIT
    return read_tydiqa(folder(data_dir), split, languages, name=f"tydiqa-{split}")


def training_pairs(family: BenchmarkFamily, spec: str, data_dir: Path | None, *,
                   languages: Sequence[str] | None, name: str, with_context: bool, hard_negatives: bool,
                   seed: int):
    """(question, gold passage) items of the train split; the evaluation split is refused."""
    split = spec_head(spec)[1] or EVALUATION_SPLIT
    if split == EVALUATION_SPLIT:
        raise HybridbatchError(f"training dataset {spec!r}: the {EVALUATION_SPLIT} split is the evaluation "
                               "split; train on 'tydiqa:train' (tydiqa.goldp.<lang>.train.json)")
    if with_context or hard_negatives:
        raise HybridbatchError(f"training dataset {spec!r}: passages are whole paragraphs without sentence "
                               "siblings (passage: sentence, hard_negatives: false)")
    return pairs_from_loaded_benchmark(family, spec, data_dir, languages=languages, name=name,
                                       with_context=False, hard_negatives=False, seed=seed)


FAMILY = BenchmarkFamily(
    name="tydiqa", kind="tydiqa", spec_help="tydiqa[:dev|train]", matches=matches, load=load,
    scorer="hybridbatch.benchmarks.tydiqa.scorer:TydiqaScorer", robustness_measures=ROBUSTNESS_MEASURES,
    training_pairs=training_pairs, leakage_specs=(f"tydiqa:{EVALUATION_SPLIT}",))
