"""The BEIR scorer (``beir:DIR[:split]``): nDCG@10, Recall@100, MRR@10 per language and macro.

The metric core is :mod:`.scoring`; this module holds the measures and the rendering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hybridbatch.render.tables import RESULTS_CSV_HEADER, csv_text, fmt, markdown_table
from hybridbatch.scoring.scorer import BaseScorer, LanguageValues, Measure

if TYPE_CHECKING:
    from hybridbatch.data.benchmark import Benchmark


class BeirScorer(BaseScorer):
    """BEIR / MIRACL protocol (docs/protocol.md): per query language, then macro over languages."""

    kind = "beir"
    measures = (
        Measure("ndcg@10", "ndcg@10", "nDCG@10", per_query="ndcg@10"),
        Measure("recall@100", "recall@100", "R@100", per_query="recall@100"),
        Measure("mrr@10", "mrr@10", "MRR@10", per_query="mrr@10"),
    )

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        """See :func:`.scoring.beir_per_query` (scope ``"auto"``)."""
        from hybridbatch.benchmarks.beir.scoring import beir_per_query  # deferred: torch

        return beir_per_query(bench, Q, C)

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        """See :func:`.scoring.aggregate_beir`."""
        from hybridbatch.benchmarks.beir.scoring import aggregate_beir  # deferred: torch

        return aggregate_beir(bench, per_query)

    def markdown(self, results: dict[str, Any]) -> str:
        """Per-language and overall nDCG@10, Recall@100, MRR@10."""
        per_language, s = results["per_language"], results["summary"]
        rows = [[lang, row["n_queries"]] + [fmt(row[m.path]) for m in self.measures]
                for lang, row in per_language.items()]
        rows.append(["**all**", sum(r["n_queries"] for r in per_language.values())] +
                    [f"**{fmt(s[m.path])}**" for m in self.measures])
        header = ["lang", "queries"] + [m.label for m in self.measures]
        return "\n".join([f"# {results['benchmark']}", ""] + markdown_table(header, rows)) + "\n"

    def csv(self, results: dict[str, Any]) -> str:
        """Long format; setting ``beir``, ``all`` for macro values."""
        rows: list[list[Any]] = [["beir", "all", "all", m.path, results["summary"][m.path]] for m in self.measures]
        for lang, row in results["per_language"].items():
            rows += [["beir", lang, lang, key, value] for key, value in row.items()]
        return csv_text(RESULTS_CSV_HEADER, rows)

    def per_language(self, results: dict[str, Any]) -> list[LanguageValues]:
        """Every measure per query language."""
        return [LanguageValues(m.title, {x: results["per_language"].get(x, {}).get(m.path)
                                         for x in results["languages"]}, m.digits, measure=m.name)
                for m in self.measures]
