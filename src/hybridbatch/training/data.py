"""Training data assembly: the configured datasets as PairSets, the held-out validation split, and the
leakage check of the evaluation benchmarks against them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from hybridbatch.data.leakage import LeakageReport, check_leakage
from hybridbatch.data.registry import load_benchmark
from hybridbatch.data.training_pairs import PairSet, TrainingPairs, pairs_from_benchmark, read_pairs_jsonl
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import TrainConfig


@dataclass
class PreparedData:
    """Training data after the validation split; ``full`` is every dataset before splitting."""

    full: list[PairSet]
    train: TrainingPairs
    validation: TrainingPairs | None


def load_datasets(config: TrainConfig, data_dir: str | Path | None = None) -> list[PairSet]:
    """Read every configured training dataset into a PairSet."""
    out = []
    for d in config.datasets:
        with_context = d.passage == "sentence+context"
        if d.benchmark is not None and is_tico19(d.benchmark):
            out.append(_tico19_dataset(d, data_dir))
        elif d.benchmark is not None:
            bench = load_benchmark(d.benchmark, Path(data_dir) if data_dir else None, d.languages)
            out.append(pairs_from_benchmark(bench, name=d.label, languages=d.languages, with_context=with_context,
                                            hard_negatives=d.hard_negatives, seed=config.seed))
        else:
            ps = read_pairs_jsonl(config.resolve_path(d.jsonl), name=d.label, languages=d.languages,
                                  with_context=with_context)
            if d.hard_negatives and not ps.has_negatives:
                raise HybridbatchError("hard_negatives is on but the items have no 'negative'", path=ps.source)
            if not d.hard_negatives and ps.has_negatives:
                ps = PairSet(ps.name, [dataclasses.replace(it, negative=None) for it in ps.items],
                             with_context=with_context, source=ps.source)
            out.append(ps)
    return out


def is_tico19(spec: str) -> bool:
    return spec.strip().lower().partition(":")[0] == "tico19"


def _tico19_dataset(d, data_dir: str | Path | None) -> PairSet:
    """TICO-19 next-sentence pairs from the non-test units (:mod:`hybridbatch.data.tico19_pairs`); the spec
    must name the ``dev`` split: the test split is for evaluation only."""
    from hybridbatch import settings
    from hybridbatch.data.tico19_pairs import tico19_pairs

    if d.benchmark.strip().lower() != "tico19:dev":
        raise HybridbatchError(f"training dataset {d.benchmark!r}: train on 'tico19:dev' (the units outside the "
                               "test split); the test split is for evaluation")
    if d.passage != "sentence" or d.hard_negatives:
        raise HybridbatchError("training dataset tico19:dev has no paragraphs or hard negatives (passage: "
                               "sentence, hard_negatives: false)")
    return tico19_pairs(settings.data_dir(Path(data_dir) if data_dir else None) / "tico19", d.languages,
                        name=d.label)


def prepare_data(config: TrainConfig, data_dir: str | Path | None = None) -> PreparedData:
    """Load the datasets and hold out the validation groups (seeded, whole conflict clusters)."""
    full = load_datasets(config, data_dir)
    train, val = [], []
    for ps in full:
        tr, va = ps.split(config.validation_fraction, config.seed)
        train.append(tr)
        if va is not None:
            val.append(va)
    return PreparedData(full, TrainingPairs(train), TrainingPairs(val) if val else None)


def leakage_reports(config: TrainConfig, data: PreparedData, data_dir: str | Path | None = None
                    ) -> list[LeakageReport]:
    """One report per ``eval_benchmarks`` entry, against all training data (validation included); with a
    TICO-19 training dataset also one for TICO-19's test split (all languages) even when not evaluated."""
    specs = list(config.eval_benchmarks)
    if any(d.benchmark and is_tico19(d.benchmark) for d in config.datasets) and not any(
            is_tico19(s) and s.strip().lower() in ("tico19", "tico19:test") for s in specs):
        specs.append("tico19:test")
    return [check_leakage(data.full, load_benchmark(spec, Path(data_dir) if data_dir else None))
            for spec in specs]
