"""Training data assembly: the configured datasets as PairSets, the held-out validation split, and the
leakage check of the evaluation benchmarks against them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hybridbatch.benchmarks.registry import family_for_spec, load_benchmark
from hybridbatch.data.bitext import read_bitext
from hybridbatch.data.leakage import LeakageReport, check_leakage
from hybridbatch.data.negatives import read_negatives
from hybridbatch.data.pairs_files import read_pairs_file
from hybridbatch.data.training_pairs import PairSet, TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import TrainConfig
from hybridbatch.training.negatives import NegativeSlots, random_slots


@dataclass
class PreparedData:
    """Training data after the validation split; ``full`` is every dataset before splitting; ``negatives``:
    the mined negatives of the training split's queries (``negatives.file``), else None."""

    full: list[PairSet]
    train: TrainingPairs
    validation: TrainingPairs | None
    negatives: NegativeSlots | None = None


def load_datasets(config: TrainConfig, data_dir: str | Path | None = None) -> list[PairSet]:
    """Read every configured training dataset into a PairSet: a benchmark through its family's
    ``training_pairs``, a JSONL/Parquet/``datasets`` source through the Arrow item cache, bitext through
    :mod:`hybridbatch.data.bitext`."""
    root = Path(data_dir) if data_dir else None
    out = []
    for d in config.datasets:
        with_context = d.passage == "sentence+context"
        if d.benchmark is not None:
            ps = family_for_spec(d.benchmark).read_training_pairs(
                d.benchmark.strip(), root, languages=_languages(d, family_for_spec(d.benchmark), d.benchmark, root),
                name=d.label, with_context=with_context, hard_negatives=d.hard_negatives, seed=config.seed)
            ps.weight = d.weight
        elif d.bitext is not None:
            ps = read_bitext(d.bitext, config.base_dir, root, name=d.label, languages=d.languages,
                             exclude=d.exclude_languages, weight=d.weight)
        else:
            fmt = "jsonl" if d.jsonl is not None else "auto"
            ps = read_pairs_file(config.resolve_path(d.jsonl or d.items), name=d.label, languages=d.languages,
                                 exclude=d.exclude_languages, with_context=with_context, fmt=fmt,
                                 weight=d.weight)
            if d.hard_negatives and not ps.has_negatives:
                raise HybridbatchError("hard_negatives is on but the items have no 'negative'", path=ps.source)
            if not d.hard_negatives and ps.has_negatives:
                ps = ps.without_negatives()
        out.append(ps)
    return out


def _languages(d, family, spec: str, root: Path | None) -> list[str] | None:
    """A benchmark dataset's languages: ``languages``, or the benchmark's languages minus ``exclude_languages``."""
    if d.exclude_languages is None:
        return d.languages
    available = family.load(spec.strip(), root, None).languages
    return [lang for lang in available if lang not in set(d.exclude_languages)]


def validation_sets(config: TrainConfig, data: PreparedData) -> list[tuple[str, TrainingPairs, int]]:
    """(dataset name, its validation split, label offset) per dataset with a validation split, the selection
    dataset (``validation_dataset``, default the first) first. The label offset numbers the split's rows after
    the training rows and the validation rows of the datasets before it (as the distillation targets do)."""
    if data.validation is None:
        return []
    names = [ps.name.removesuffix("/validation") for ps in data.validation.datasets]
    out = [(name, TrainingPairs([ps]), data.train.n_rows + int(data.validation.row_offsets[k]))
           for k, (name, ps) in enumerate(zip(names, data.validation.datasets))]
    chosen = config.validation_dataset or config.datasets[0].label
    if chosen not in names:
        raise HybridbatchError(f"validation_dataset {chosen!r} has no validation split")
    return sorted(out, key=lambda entry: entry[0] != chosen)


def selection_validation(config: TrainConfig, data: PreparedData) -> TrainingPairs | None:
    """The validation split that selects the checkpoint (see :func:`validation_sets`), or None."""
    sets = validation_sets(config, data)
    return sets[0][1] if sets else None


def prepare_data(config: TrainConfig, data_dir: str | Path | None = None) -> PreparedData:
    """Load the datasets, hold out the validation groups (seeded, whole conflict clusters) and read the mined
    negatives of the training split when the config names a file."""
    full = load_datasets(config, data_dir)
    train, val = [], []
    for ps in full:
        tr, va = ps.split(config.validation_fraction, config.seed)
        train.append(tr)
        if va is not None:
            val.append(va)
    pairs = TrainingPairs(train)
    negatives = load_negatives(config, pairs) if config.negatives.file else None
    return PreparedData(full, pairs, TrainingPairs(val) if val else None, negatives)


def load_negatives(config: TrainConfig, pairs: TrainingPairs) -> NegativeSlots:
    """The mined negatives file of ``config.negatives`` checked against the training split: every id known,
    none of the query's own group or conflict cluster, languages as the policy says (one-line errors naming
    the file and line). Negatives from another training dataset are left out (a row's negative comes from its
    own dataset). A dataset with ``negatives: random`` draws its own (:func:`random_slots`, seeded by the run's
    seed and the dataset's position) instead of reading the file."""
    path = config.resolve_path(config.negatives.file)
    mined = read_negatives(path, pairs, config.negatives.policy)
    per_dataset, _ = mined.local_slots(pairs, config.negatives.candidates)
    k = per_dataset[0].shape[1] or config.negatives.candidates or config.negatives.per_query
    policy = config.negatives.policy or mined.policy
    per_dataset = tuple(random_slots(ds, k, policy, [config.seed, d]) if entry.negatives == "random" else slots
                        for d, (entry, ds, slots) in enumerate(zip(config.datasets, pairs.datasets, per_dataset)))
    if not any((s >= 0).any() for s in per_dataset):
        raise HybridbatchError("the negatives file holds no negative for the training split's queries", path=path)
    return NegativeSlots(tuple(per_dataset), mined.policy, str(path))


def leakage_reports(config: TrainConfig, data: PreparedData, data_dir: str | Path | None = None
                    ) -> list[LeakageReport]:
    """One report per ``eval_benchmarks`` entry, against all training data (validation included), and one per
    ``leakage_specs`` of each trained family that is not evaluated (TICO-19's test split when training on
    its dev units)."""
    root = Path(data_dir) if data_dir else None
    specs = list(config.eval_benchmarks)
    evaluated = {_canonical(s) for s in specs}
    for d in config.datasets:
        if d.benchmark is None:
            continue
        for spec in family_for_spec(d.benchmark).leakage_specs:
            if _canonical(spec) not in evaluated:
                specs.append(spec)
                evaluated.add(_canonical(spec))
    return [check_leakage(data.full, load_benchmark(spec, root)) for spec in specs]


def _canonical(spec: str) -> str:
    """A spec compared by what it loads: a spec without a split names the test split (``tico19`` =
    ``tico19:test``)."""
    spec = spec.strip().lower()
    return spec if ":" in spec else f"{spec}:test"
