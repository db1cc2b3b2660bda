"""The TyDi QA scorer (``tydiqa``): native questions → gold passages in their language's corpus and in the
pool of all languages; nDCG@10, MRR@10, R@100, the top-10 own-language share, per language and by
resource class.

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

METRICS = (("ndcg@10", "nDCG@10"), ("mrr@10", "MRR@10"), ("r@100", "R@100"))
SCOPES = (("language", "own language"), ("pooled", "pooled"))
SHORT = {"language": "own", "pooled": "pooled"}


class TydiqaScorer(BaseScorer):
    """TyDi QA protocol (docs/protocol.md): per query language, own-language corpus and pooled corpus."""

    kind = "tydiqa"
    measures = (
        Measure("ndcg@10", "language/ndcg@10", "nDCG@10", per_query="language/ndcg@10"),
        Measure("mrr@10", "language/mrr@10", "MRR@10", per_query="language/mrr@10"),
        Measure("r@100", "language/r@100", "R@100", per_query="language/r@100"),
        Measure("pooled_ndcg@10", "pooled/ndcg@10", "nDCG@10 pooled", per_query="pooled/ndcg@10"),
        Measure("pooled_mrr@10", "pooled/mrr@10", "MRR@10 pooled", per_query="pooled/mrr@10"),
        Measure("pooled_r@100", "pooled/r@100", "R@100 pooled", per_query="pooled/r@100"),
        Measure("top10_own_share", "top10_own_share", "top-10 own-language share", greater_is_better=False,
                per_query="pooled/top10_own_share"),
    )
    summary_caption = ("native questions against their language's passages and against the pool of all "
                       "languages; macro over languages (mean ± std over seeds; n = number of seeds)")

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        """See :func:`.scoring.tydiqa_per_query`."""
        from hybridbatch.benchmarks.tydiqa.scoring import tydiqa_per_query  # deferred: torch

        return tydiqa_per_query(bench, Q, C)

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        """See :func:`.scoring.aggregate_tydiqa`; adds the languages' metadata."""
        from hybridbatch.benchmarks.tydiqa.scoring import aggregate_tydiqa  # deferred: torch

        results = aggregate_tydiqa(bench, per_query)
        results["language_info"] = describe(results["languages"])
        return results

    def summary_line(self, results: dict[str, Any]) -> str:
        s = results["summary"]
        return (f"{results['benchmark']}: nDCG@10 {fmt(s['language']['ndcg@10'])}  MRR@10 "
                f"{fmt(s['language']['mrr@10'])}  R@100 {fmt(s['language']['r@100'])}  pooled nDCG@10 "
                f"{fmt(s['pooled']['ndcg@10'])}  top-10 own share {fmt(s['top10_own_share'])}")

    def markdown(self, results: dict[str, Any]) -> str:
        """Summary (scope × metric), per language, by resource class."""
        s, per, info = results["summary"], results["per_language"], results.get("language_info", {})
        lines = [f"# {results['benchmark']}: {len(results['languages'])} languages, {results['n_queries']} "
                 f"questions, {results['n_candidates']} distinct passages", ""]
        lines += markdown_table(["corpus"] + [label for _, label in METRICS],
                                [[label] + [fmt(s[scope][m]) for m, _ in METRICS] for scope, label in SCOPES])
        lines += ["", f"Pooled top-10 own-language share {fmt(s['top10_own_share'])} (share of the pool in the "
                  f"query's language: {fmt(s['corpus_own_share'])}); macro over languages.", "",
                  "## Per language", ""]
        header = ["lang", "name", "class", "questions", "passages"] + [
            f"{label} {SHORT[scope]}" for scope, _ in SCOPES for _, label in METRICS] + ["top-10 own", "pool own"]
        rows = [[x, info.get(x, {}).get("name", ""), info.get(x, {}).get("joshi_class", ""), e["n_queries"],
                 e["n_passages"]] + [fmt(e[scope][m]) for scope, _ in SCOPES for m, _ in METRICS]
                + [fmt(e["top10_own_share"]), fmt(e["corpus_own_share"])] for x, e in per.items()]
        lines += markdown_table(header, rows)
        lines += ["", "## By resource class (Joshi et al. 2020; macro over the class's languages)", ""]
        rows = [[cls, " ".join(e["languages"])] + [fmt(e[scope][m]) for scope, _ in SCOPES for m, _ in METRICS]
                + [fmt(e["top10_own_share"])] for cls, e in results["by_class"].items()]
        lines += markdown_table(["class", "languages"] + header[5:-1], rows)
        return "\n".join(lines) + "\n"

    def csv(self, results: dict[str, Any]) -> str:
        """Long format; setting ``language`` / ``pooled`` / ``class:<c>`` (candidate_lang ``all`` = the pool)."""
        rows: list[list[Any]] = []
        for setting, key, entry in [("all", "all", results["summary"])] + [
                ("lang", x, e) for x, e in results["per_language"].items()] + [
                ("class", f"class:{c}", e) for c, e in results["by_class"].items()]:
            for scope, _ in SCOPES:
                cand = key if setting == "lang" and scope == "language" else "all"
                rows += [[scope, key, cand, m, entry[scope][m]] for m, _ in METRICS]
            rows += [["pooled", key, "all", name, entry[name]] for name in ("top10_own_share", "corpus_own_share")]
        return csv_text(RESULTS_CSV_HEADER, rows)

    def write_plots(self, results: dict[str, Any], folder: Path) -> None:
        """``pooled_cost.png``: nDCG@10 in the own-language corpus − in the pool, per language."""
        per = results["per_language"]
        shown = [x for x in results["languages"]
                 if per[x]["language"]["ndcg@10"] is not None and per[x]["pooled"]["ndcg@10"] is not None]
        if shown:
            s = results["summary"]
            plots.bars(shown, [per[x]["language"]["ndcg@10"] - per[x]["pooled"]["ndcg@10"] for x in shown],
                       Path(folder) / "pooled_cost.png",
                       title=f"{results['benchmark']}: nDCG@10, own-language corpus − pooled",
                       ylabel="nDCG@10 lost to the other languages' passages",
                       line=s["language"]["ndcg@10"] - s["pooled"]["ndcg@10"], line_label="macro mean")

    def per_language(self, results: dict[str, Any]) -> list[LanguageValues]:
        """Every measure per query language (the first, nDCG@10 in the own-language corpus, drives gains)."""
        per, langs = results["per_language"], results["languages"]

        def value(entry: dict, path: str) -> float | None:
            scope, _, m = path.partition("/")
            return entry[scope][m] if m else entry[scope]

        return [LanguageValues(m.title, {x: value(per[x], m.path) for x in langs}, m.digits, measure=m.name)
                for m in self.measures]
