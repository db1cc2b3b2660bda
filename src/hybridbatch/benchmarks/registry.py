"""The one registry of benchmark families: spec → benchmark, kind → scorer.

Adding a family = its folder under ``hybridbatch/benchmarks/`` (a ``FAMILY`` in its ``__init__``) and one
line in :data:`FAMILIES`; :func:`register` adds one at run time (plug-ins, tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridbatch.benchmarks import afriqa, americasnli, beir, lareqa, pawsx, tatoeba, tico19, tydiqa, xnli
from hybridbatch.benchmarks.family import BenchmarkFamily
from hybridbatch.errors import HybridbatchError

if TYPE_CHECKING:
    from hybridbatch.data.benchmark import Benchmark
    from hybridbatch.scoring.scorer import Scorer

FAMILIES: list[BenchmarkFamily] = [
    lareqa.FAMILY,
    beir.FAMILY,
    tatoeba.FAMILY,
    tico19.FAMILY,
    afriqa.FAMILY,
    tydiqa.FAMILY,
    xnli.FAMILY,
    pawsx.FAMILY,
    americasnli.FAMILY,
]


def register(family: BenchmarkFamily) -> None:
    """Add ``family``; its name and kind must be new."""
    for known in FAMILIES:
        if family.name == known.name or family.kind == known.kind:
            raise HybridbatchError(f"benchmark family {family.name!r} (kind {family.kind!r}) is already "
                                   "registered")
    FAMILIES.append(family)


def unregister(name: str) -> None:
    """Remove the family called ``name`` (no error when absent)."""
    FAMILIES[:] = [f for f in FAMILIES if f.name != name]


def spec_help() -> str:
    """Every spec the registered families read, for messages and ``--help``."""
    return " | ".join(f.spec_help for f in FAMILIES)


def family_for_spec(spec: str) -> BenchmarkFamily:
    """The family that reads ``spec``; an unknown spec is a :class:`HybridbatchError`."""
    for family in FAMILIES:
        if family.matches(spec.strip()):
            return family
    raise HybridbatchError(f"unknown benchmark {spec!r}; expected {spec_help()}")


def family_of_kind(kind: str) -> BenchmarkFamily:
    """The family whose results carry ``kind``."""
    for family in FAMILIES:
        if family.kind == kind:
            return family
    raise HybridbatchError(f"no scorer for benchmark kind {kind!r}; known kinds: {', '.join(kinds())}")


def load_benchmark(spec: str, data_dir: Path | str | None = None, languages: list[str] | None = None) -> Benchmark:
    """Load the benchmark named by ``spec`` (see each family's ``spec_help``; data folders default to
    :func:`hybridbatch.settings.data_dir`, i.e. ``$HYBRIDBATCH_DATA``)."""
    return family_for_spec(spec).load(spec.strip(), Path(data_dir) if data_dir else None, languages)


def kinds() -> list[str]:
    """The registered benchmark kinds (one per family)."""
    return [f.kind for f in FAMILIES]


def get_scorer(kind: str) -> Scorer:
    """The scorer of benchmark kind ``kind``; an unknown kind is a :class:`HybridbatchError`."""
    return family_of_kind(kind).get_scorer()


def scorer_for(results: dict[str, Any]) -> Scorer:
    """The scorer that made a results dict (by its ``"kind"``)."""
    kind = results.get("kind") if isinstance(results, dict) else None
    if not isinstance(kind, str):
        raise HybridbatchError("results have no 'kind'; not written by hybridbatch evaluate")
    return get_scorer(kind)
