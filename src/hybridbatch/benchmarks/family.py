"""What hybridbatch knows about one family of benchmarks, in one value: its spec pattern, reader, scorer,
which perturbations it supports, and how it yields training pairs and which splits guard against leakage.

A family lives in its own folder (``hybridbatch/benchmarks/<name>/``) whose ``__init__`` defines ``FAMILY``;
:mod:`.registry` lists the families. Readers are imported eagerly (cheap: json, numpy); scorers are named
as ``"module:Class"`` and imported on first use, so that reports load no torch and LAReQA scoring no faiss.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridbatch.data.benchmark_pairs import pairs_from_benchmark
from hybridbatch.errors import HybridbatchError

if TYPE_CHECKING:
    from hybridbatch.data.benchmark import Benchmark
    from hybridbatch.data.training_pairs import PairSet
    from hybridbatch.scoring.scorer import Scorer

Loader = Callable[[str, "Path | None", "list[str] | None"], "Benchmark"]
"""``load(spec, data_dir, languages)``: the benchmark named by ``spec`` (already matched by the family)."""


def pairs_from_loaded_benchmark(family: BenchmarkFamily, spec: str, data_dir: Path | None, *,
                                languages: Sequence[str] | None, name: str, with_context: bool,
                                hard_negatives: bool, seed: int) -> PairSet:
    """The default training pairs of a family: (question, relevant candidate[, context]) per group and
    language of the loaded benchmark (:func:`hybridbatch.data.training_pairs.pairs_from_benchmark`)."""
    bench = family.load(spec, data_dir, list(languages) if languages else None)
    return pairs_from_benchmark(bench, name=name, languages=languages, with_context=with_context,
                                hard_negatives=hard_negatives, seed=seed)


@dataclass(frozen=True)
class BenchmarkFamily:
    """One benchmark family.

    ``name``: folder and label (``"tatoeba"``); ``kind``: the name its results carry as ``results["kind"]``
    (``"bitext"``), one per family; ``spec_help``: the specs it reads, for messages; ``matches(spec)``:
    whether ``spec`` names one of its benchmarks; ``load(spec, data_dir, languages)``: read it;
    ``scorer``: ``"module:Class"`` of its :class:`~hybridbatch.scoring.scorer.Scorer`;
    ``robustness_measures``: ``(summary path, label)`` pairs whose drop ``evaluate --perturb`` reports (empty:
    perturbed queries are not supported); ``training_pairs``: how a training dataset of this family is
    read (default: :func:`pairs_from_loaded_benchmark`), None when it cannot be trained on;
    ``leakage_specs``: benchmarks whose texts are checked against the training data whenever a dataset of
    this family is trained on, even when not evaluated (e.g. a held-out test split).
    """

    name: str
    kind: str
    spec_help: str
    matches: Callable[[str], bool]
    load: Loader
    scorer: str
    robustness_measures: tuple[tuple[str, str], ...] = ()
    training_pairs: Callable[..., PairSet] | None = pairs_from_loaded_benchmark
    leakage_specs: tuple[str, ...] = ()
    _instance: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def supports_perturbation(self) -> bool:
        return bool(self.robustness_measures)

    def get_scorer(self) -> Scorer:
        """The family's scorer (one instance, imported on first use)."""
        if "scorer" not in self._instance:
            module, _, cls = self.scorer.partition(":")
            scorer = getattr(importlib.import_module(module), cls)()
            if scorer.kind != self.kind:
                raise HybridbatchError(f"scorer {self.scorer} says kind {scorer.kind!r}; family {self.name!r} "
                                       f"has kind {self.kind!r}")
            self._instance["scorer"] = scorer
        return self._instance["scorer"]

    def read_training_pairs(self, spec: str, data_dir: Path | None, *, languages: Sequence[str] | None,
                            name: str, with_context: bool, hard_negatives: bool, seed: int) -> PairSet:
        """Training pairs of the dataset ``spec``; a family without training pairs is an error."""
        if self.training_pairs is None:
            raise HybridbatchError(f"training dataset {spec!r}: benchmarks of family {self.name!r} have no "
                                   "training pairs")
        return self.training_pairs(self, spec, data_dir, languages=languages, name=name,
                                   with_context=with_context, hard_negatives=hard_negatives, seed=seed)


def spec_head(spec: str) -> tuple[str, str]:
    """``"tico19:dev"`` -> ``("tico19", "dev")``; the head lower-cased, the rest as given."""
    head, _, rest = spec.strip().partition(":")
    return head.lower(), rest
