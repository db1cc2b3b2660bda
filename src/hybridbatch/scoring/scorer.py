"""The scorer interface every benchmark family implements (:class:`Scorer`), with its measures and the
defaults most scorers share (:class:`BaseScorer`).

A scorer turns a benchmark and its two embedding matrices into a JSON-ready results dict and per-query
arrays, and renders those results (Markdown, CSV, plots, the line ``evaluate`` prints, per-language
values for ``report``). Every results dict carries ``"kind"``, which names its family's scorer
(:func:`hybridbatch.benchmarks.registry.get_scorer`), ``"benchmark"``, ``"languages"`` and ``"summary"``;
everything else is the scorer's own.

Scoring is split in two so that stored ``per_query.npz`` files can be re-aggregated exactly:
``score(bench, Q, C) == aggregate(bench, per_query(bench, Q, C))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from hybridbatch.render.tables import MISSING, fmt, too_few_languages

if TYPE_CHECKING:
    from hybridbatch.data.benchmark import Benchmark



@dataclass(frozen=True)
class Measure:
    """One summary number of a scorer.

    ``name``: short JSON key (``"mo"``, ``"ndcg@10"``); ``path``: ``/``-separated path into
    ``results["summary"]`` (``"mo/map"``); ``label``: table header (``"Mo."``); ``unit``: what the
    number is when the label does not say it (``"mAP"``), so ``title`` = ``"Mo. mAP"``;
    ``per_query``: key in the per-query arrays that holds this measure per query (measures that have
    one are the headline measures: significance tests and the α-sweep plot use them); ``digits``:
    decimals in tables; ``min_languages``: how many languages the measure needs (2 for one that compares
    languages, e.g. cross-language mAP or rank distance) — with fewer it is None in JSON and
    :func:`~hybridbatch.render.tables.too_few_languages` in text.
    """

    name: str
    path: str
    label: str
    greater_is_better: bool = True
    per_query: str | None = None
    digits: int = 3
    unit: str = ""
    min_languages: int = 1

    @property
    def title(self) -> str:
        """Label with unit, e.g. ``"Mo. mAP"`` (significance tables, plot legends)."""
        return f"{self.label} {self.unit}" if self.unit else self.label

    def text(self, results: dict[str, Any]) -> str:
        """This measure's number with ``digits`` decimals; when undefined, why: too few languages
        (:func:`~hybridbatch.render.tables.too_few_languages`) or :data:`~hybridbatch.render.tables.MISSING`."""
        return fmt(self.value(results), self.digits, missing_text(results, self.min_languages))

    def value(self, results: dict[str, Any]) -> float | None:
        """This measure's number in ``results["summary"]``; None when missing or undefined."""
        node: Any = results.get("summary", {})
        for part in self.path.split("/"):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return None if node is None else float(node)


@dataclass(frozen=True)
class LanguageValues:
    """One per-language breakdown for ``report``: ``values[lang]`` (None = undefined), shown under
    ``title`` with ``digits`` decimals; ``measure`` names the summary :class:`Measure` it breaks down."""

    title: str
    values: dict[str, float | None]
    digits: int = 3
    measure: str | None = None


def missing_text(results: dict[str, Any], min_languages: int) -> str:
    """What an undefined number of ``results`` that needs ``min_languages`` languages shows: why, when the
    results have fewer languages, else :data:`~hybridbatch.render.tables.MISSING`."""
    n = len(results.get("languages") or ())
    return too_few_languages(n) if 0 < n < min_languages else MISSING


@runtime_checkable
class Scorer(Protocol):
    """What the runner, ``evaluate``, ``report`` and the training-time evaluator need from a scorer."""

    kind: str
    measures: tuple[Measure, ...]
    """Summary measures in table order; the first is the primary one (model selection, ``report``)."""
    summary_caption: str
    """The line above ``report``'s summary table."""
    tradeoff: tuple[str, str, str] | None
    """Names of (x, y, colour) measures for ``report``'s trade-off (Pareto) plot, or None."""

    def score(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> tuple[dict[str, Any],
                                                                             dict[str, np.ndarray]]:
        """(results, per-query arrays) of ``Q`` (n_queries, d) and ``C`` (n_candidates, d) in ``bench`` order."""
        ...

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        """The per-query arrays alone (rows in ``bench.queries`` order, NaN where not scored)."""
        ...

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        """Results from per-query arrays; ``score`` is ``per_query`` followed by this, exactly."""
        ...

    def markdown(self, results: dict[str, Any]) -> str:
        """``results.md``."""
        ...

    def csv(self, results: dict[str, Any]) -> str:
        """``results.csv`` (long format: setting, query_lang, candidate_lang, metric, value)."""
        ...

    def write_plots(self, results: dict[str, Any], folder: Path) -> None:
        """Write the kind's plots (may be none) into ``folder``."""
        ...

    def summary_line(self, results: dict[str, Any]) -> str:
        """The one line ``hybridbatch evaluate`` prints."""
        ...

    def per_language(self, results: dict[str, Any]) -> list[LanguageValues]:
        """Per-language breakdowns for ``report``'s per-language tables."""
        ...


class BaseScorer:
    """Defaults shared by the scorers: ``score`` = ``per_query`` + ``aggregate``, no plots, a summary
    line from the measures. Subclasses set ``kind``, ``measures`` and implement the rest."""

    kind: str = ""
    measures: tuple[Measure, ...] = ()
    summary_caption: str = "mean ± std over seeds; n = number of seeds"
    tradeoff: tuple[str, str, str] | None = None

    @property
    def primary(self) -> Measure:
        """The first measure: the one a training run selects on."""
        return self.measures[0]

    def score(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> tuple[dict[str, Any],
                                                                             dict[str, np.ndarray]]:
        per_query = self.per_query(bench, Q, C)
        return self.aggregate(bench, per_query), per_query

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        raise NotImplementedError

    def write_plots(self, results: dict[str, Any], folder: Path) -> None:
        return None

    def summary_line(self, results: dict[str, Any]) -> str:
        return f"{results['benchmark']}: " + "  ".join(f"{m.title} {m.text(results)}" for m in self.measures)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r})"
