"""The translated-QA scorer (``afriqa``): native-language questions → pivot-language passages, next to the
same questions in human translation (the monolingual control), and the gap between the two.

The metric core is :mod:`.scoring`; this module holds the measures and the rendering.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hybridbatch.data.language_metadata import describe
from hybridbatch.render import plots
from hybridbatch.render.tables import RESULTS_CSV_HEADER, csv_text, fmt, markdown_table
from hybridbatch.scoring.scorer import BaseScorer, LanguageValues, Measure

if TYPE_CHECKING:
    from hybridbatch.data.benchmark import Benchmark

METRICS = (("ndcg@10", "nDCG@10"), ("r@10", "R@10"), ("r@100", "R@100"), ("mrr@10", "MRR@10"))
ROLES = (("native", "native question"), ("translated", "translated question"), ("gap", "gap (translated − native)"))


class TranslatedQaScorer(BaseScorer):
    """AfriQA protocol (docs/protocol.md): per language native / translated / gap, macro over languages."""

    kind = "translated_qa"
    measures = (
        Measure("ndcg@10", "native/ndcg@10", "nDCG@10", per_query="native/ndcg@10"),
        Measure("r@100", "native/r@100", "R@100", per_query="native/r@100"),
        Measure("mrr@10", "native/mrr@10", "MRR@10"),
        Measure("translated_ndcg@10", "translated/ndcg@10", "nDCG@10 translated", per_query="translated/ndcg@10"),
        Measure("gap_ndcg@10", "gap/ndcg@10", "nDCG@10 gap", greater_is_better=False, per_query="gap/ndcg@10"),
    )
    summary_caption = ("native-language questions; 'translated' = the same questions in the passages' language; "
                       "gap = translated − native (mean ± std over seeds; n = number of seeds)")

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        """See :func:`.scoring.translated_qa_per_query`."""
        from hybridbatch.benchmarks.afriqa.scoring import translated_qa_per_query  # deferred: torch

        return translated_qa_per_query(bench, Q, C)

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        """See :func:`.scoring.aggregate_translated_qa`; adds the languages' metadata."""
        from hybridbatch.benchmarks.afriqa.scoring import aggregate_translated_qa  # deferred: torch

        results = aggregate_translated_qa(bench, per_query)
        pivots = sorted({p for e in results["per_language"].values() for p in e["pivot"].split("/")})
        results["language_info"] = describe(results["languages"] + pivots)
        return results

    def summary_line(self, results: dict[str, Any]) -> str:
        s = results["summary"]
        return (f"{results['benchmark']}: nDCG@10 native {fmt(s['native']['ndcg@10'])}  translated "
                f"{fmt(s['translated']['ndcg@10'])}  gap {fmt(s['gap']['ndcg@10'])}  R@100 native "
                f"{fmt(s['native']['r@100'])}")

    def markdown(self, results: dict[str, Any]) -> str:
        """Summary (role × metric), then per language nDCG@10 / R@100 native, translated and gap."""
        s, info = results["summary"], results.get("language_info", {})
        per = results["per_language"]
        lines = [f"# {results['benchmark']}: {len(results['languages'])} languages, {results['n_groups']} "
                 f"questions, {results['n_candidates']} pooled passages", ""]
        lines += markdown_table(["question"] + [label for _, label in METRICS],
                                [[label] + [fmt(s[role][m]) for m, _ in METRICS] for role, label in ROLES])
        lines += ["", "## Per language", ""]
        rows = []
        for x in results["languages"]:
            e, meta = per[x], info.get(x, {})
            rows.append([x, meta.get("name", ""), meta.get("joshi_class", ""), e["pivot"], e["n_queries"]]
                        + [fmt(e[role][m]) for m in ("ndcg@10", "r@100") for role, _ in ROLES])
        header = ["lang", "name", "class", "passages", "questions"] + [
            f"{label} {role}" for _, label in (METRICS[0], METRICS[2]) for role, _ in ROLES]
        lines += markdown_table(header, rows)
        return "\n".join(lines) + "\n"

    def csv(self, results: dict[str, Any]) -> str:
        """Long format; setting native / translated / gap; candidate_lang = the passages' language."""
        rows: list[list[Any]] = []
        for role, _ in ROLES:
            rows += [[role, "all", "all", m, results["summary"][role][m]] for m, _ in METRICS]
        for x, e in results["per_language"].items():
            for role, _ in ROLES:
                rows += [[role, x, e["pivot"], m, e[role][m]] for m, _ in METRICS]
        return csv_text(RESULTS_CSV_HEADER, rows)

    def write_plots(self, results: dict[str, Any], folder: Path) -> None:
        """``gap.png``: nDCG@10 gap (translated − native) per language."""
        per = results["per_language"]
        shown = [x for x in results["languages"] if per[x]["gap"]["ndcg@10"] is not None]
        if shown:
            plots.bars(shown, [per[x]["gap"]["ndcg@10"] for x in shown], Path(folder) / "gap.png",
                       title=f"{results['benchmark']}: nDCG@10, translated − native question",
                       ylabel="nDCG@10 gap (lower = language costs less)",
                       line=results["summary"]["gap"]["ndcg@10"], line_label="macro mean")

    def per_language(self, results: dict[str, Any]) -> list[LanguageValues]:
        """nDCG@10 native, translated and gap; R@100 native."""
        per, langs = results["per_language"], results["languages"]
        return [
            LanguageValues("nDCG@10 native", {x: per[x]["native"]["ndcg@10"] for x in langs}, measure="ndcg@10"),
            LanguageValues("R@100 native", {x: per[x]["native"]["r@100"] for x in langs}, measure="r@100"),
            LanguageValues("nDCG@10 translated", {x: per[x]["translated"]["ndcg@10"] for x in langs},
                           measure="translated_ndcg@10"),
            LanguageValues("nDCG@10 gap", {x: per[x]["gap"]["ndcg@10"] for x in langs}, measure="gap_ndcg@10"),
        ]
