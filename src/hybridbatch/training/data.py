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
        if d.benchmark is not None:
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
    """One report per ``eval_benchmarks`` entry, against all training data (validation included)."""
    return [check_leakage(data.full, load_benchmark(spec, Path(data_dir) if data_dir else None))
            for spec in config.eval_benchmarks]
