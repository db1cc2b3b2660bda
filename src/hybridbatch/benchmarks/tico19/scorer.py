"""The multi-parallel scorer (TICO-19): the LAReQA settings on units translated into many languages.

Every sentence is a query; its relevant candidates are the sentences of its unit (group) in the other
languages; its own sentence (the candidate with the query's id) is left out of its ranking, the other
sentences of its language stay in as distractors. So: X→Y for every ordered pair X≠Y (mAP, mAP@20,
R@1, R@10; one relevant), the pooled multilingual setting (a sentence against all chosen languages,
|R| = L-1) and the language bias of the pooled ranking (rank distance among the translations; share of
the top 10 in the query's own language, where none is relevant). There is no X→X setting.

The metric core is :func:`hybridbatch.benchmarks.lareqa.scoring.lareqa_per_query` (with ``exclude``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hybridbatch.benchmarks.lareqa.scorer import LareqaScorer, shown_metrics
from hybridbatch.data.language_metadata import describe
from hybridbatch.render.tables import RESULTS_CSV_HEADER, csv_text, fmt, markdown_table
from hybridbatch.scoring.metrics import nanmean
from hybridbatch.scoring.scorer import LanguageValues, Measure, missing_text

if TYPE_CHECKING:
    from hybridbatch.data.benchmark import Benchmark


def own_rows(bench: Benchmark) -> np.ndarray:
    """For each query, the candidate row with the query's id (its own sentence), -1 when there is none."""
    pos = {c.id: i for i, c in enumerate(bench.candidates)}
    return np.array([pos.get(q.id, -1) for q in bench.queries], dtype=np.int64)


class MultiparallelScorer(LareqaScorer):
    """X→Y and pooled retrieval of translations, language bias (docs/protocol.md, TICO-19)."""

    kind = "multiparallel"
    # a sentence's relevant candidates are its translations: every measure needs two languages, the rank
    # distance (among two or more translations) three
    measures = (
        Measure("cr", "cr/map", "X→Y", per_query="cr/map", unit="mAP", min_languages=2),
        Measure("mul", "mul/map", "Mul.", per_query="mul/map", unit="mAP", min_languages=2),
        Measure("cr_r@1", "cr/r@1", "R@1 X→Y", min_languages=2),
        Measure("mul_r@1", "mul/r@1", "R@1 Mul.", min_languages=2),
        Measure("mul_r@10", "mul/r@10", "R@10 Mul.", min_languages=2),
        Measure("rank_distance", "rank_distance", "rank distance", greater_is_better=False,
                per_query="bias/rank_distance", digits=1, min_languages=3),
        Measure("top10_own_share", "top10_own_share", "top-10 own-language share", greater_is_better=False,
                min_languages=2),
    )
    summary_caption = "X→Y and pooled (Mul.) retrieval of translations (mean ± std over seeds; n = seeds)"
    tradeoff = ("mul", "cr", "rank_distance")  # pooled vs pairwise quality, bias as colour (no X→X here)

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        """LAReQA per-query arrays with each query's own sentence left out of its ranking."""
        from hybridbatch.benchmarks.lareqa.scoring import lareqa_per_query  # deferred: torch

        return lareqa_per_query(bench, Q, C, exclude=own_rows(bench))

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        """:func:`hybridbatch.benchmarks.lareqa.scoring.aggregate_lareqa` without the (empty) X→X setting, plus the macro top-10
        own-language share and the languages' metadata."""
        from hybridbatch.benchmarks.lareqa.scoring import aggregate_lareqa  # deferred: torch

        results = aggregate_lareqa(bench, per_query)
        results["kind"] = self.kind
        results["pairs"] = {k: v for k, v in results["pairs"].items() if k.split("-", 1)[0] != k.split("-", 1)[1]}
        summary = results["summary"]
        summary.pop("mo")
        share = [v for v in results["bias"]["top10_own_share"].values() if v is not None]
        summary["top10_own_share"] = nanmean(np.array(share, dtype=np.float64))
        results["language_info"] = describe(results["languages"])
        return results

    def summary_line(self, results: dict[str, Any]) -> str:
        s, na2, na3 = results["summary"], missing_text(results, 2), missing_text(results, 3)
        return (f"{results['benchmark']}: mAP X→Y {fmt(s['cr']['map'], missing=na2)}  "
                f"Mul. {fmt(s['mul']['map'], missing=na2)}  rank distance {fmt(s['rank_distance'], 1, na3)}  "
                f"top-10 own share {fmt(s['top10_own_share'], missing=na2)}")

    def markdown(self, results: dict[str, Any]) -> str:
        """Summary, per-language table (with name and resource class), X→Y mAP matrix; a measure undefined
        for too few languages says so ("n/a (one language)")."""
        s, langs, info = results["summary"], results["languages"], results.get("language_info", {})
        na2, na3 = missing_text(results, 2), missing_text(results, 3)
        pairs, bias = results["pairs"], results["bias"]
        lines = [f"# {results['benchmark']}: {len(langs)} languages, {results['n_queries']} sentences "
                 f"({results['n_queries'] // max(len(langs), 1)} units)", ""]
        lines += markdown_table(["metric", "X→Y (X≠Y)", "Mul. (pooled)"],
                                [[label, fmt(s["cr"][m], missing=na2), fmt(s["mul"][m], missing=na2)]
                                 for m, label in shown_metrics(s["mul"])])
        lines += ["", f"Rank distance (language bias, lower is better): **{fmt(s['rank_distance'], 1, na3)}**; "
                  f"top-10 own-language share: **{fmt(s['top10_own_share'], missing=na2)}** (no own-language "
                  "sentence is "
                  "relevant)", "", "## Per query language", ""]
        rows = []
        for x in langs:
            cross = [pairs[f"{x}-{y}"]["map"] for y in langs if y != x and pairs[f"{x}-{y}"]["map"] is not None]
            into = [pairs[f"{y}-{x}"]["map"] for y in langs if y != x and pairs[f"{y}-{x}"]["map"] is not None]
            mul = results["multilingual"].get(x, {})
            meta = info.get(x, {})
            rows.append([x, meta.get("name", ""), meta.get("joshi_class", ""),
                         fmt(float(np.mean(cross)) if cross else None, missing=na2),
                         fmt(float(np.mean(into)) if into else None, missing=na2), fmt(mul.get("map"), missing=na2),
                         fmt(mul.get("r@1"), missing=na2), fmt(bias["rank_distance"].get(x), 1, na3),
                         fmt(bias["top10_own_share"].get(x), missing=na2)])
        lines += markdown_table(["lang", "name", "class", "X→Y mAP (from X)", "Y→X mAP (into X)", "Mul. mAP",
                                 "Mul. R@1", "rank distance", "top-10 own share"], rows)
        lines += ["", "## mAP, query language (rows) → candidate language (columns)", ""]
        lines += markdown_table(["X \\ Y"] + langs,
                                [[x] + [fmt(pairs.get(f"{x}-{y}", {}).get("map")) for y in langs] for x in langs])
        return "\n".join(lines) + "\n"

    def csv(self, results: dict[str, Any]) -> str:
        """Long format; settings cr / mul, ``all`` for macro values."""
        s = results["summary"]
        rows: list[list[Any]] = []
        for setting in ("cr", "mul"):
            rows += [[setting, "all", "all", m, s[setting][m]] for m, _ in shown_metrics(s[setting])]
        rows += [["mul", "all", "all", key, s[key]] for key in ("rank_distance", "top10_own_share")]
        for pair, row in results["pairs"].items():
            x, y = pair.split("-", 1)
            rows += [["cr", x, y, key, value] for key, value in row.items()]
        for x, row in results["multilingual"].items():
            rows += [["mul", x, "all", key, value] for key, value in row.items()]
        for key, per_lang in results["bias"].items():
            rows += [["mul", x, "all", key, value] for x, value in per_lang.items()]
        return csv_text(RESULTS_CSV_HEADER, rows)

    def per_language(self, results: dict[str, Any]) -> list[LanguageValues]:
        """X→Y mAP (mean over Y), Mul. mAP and rank distance per query language."""
        langs, pairs = results["languages"], results["pairs"]

        def cross(x: str) -> float | None:
            vals = [pairs[f"{x}-{y}"]["map"] for y in langs if y != x and pairs[f"{x}-{y}"]["map"] is not None]
            return float(np.mean(vals)) if vals else None

        return [
            LanguageValues("X→Y mAP (mean over Y)", {x: cross(x) for x in langs}, measure="cr"),
            LanguageValues("Mul. mAP", {x: results["multilingual"].get(x, {}).get("map") for x in langs},
                           measure="mul"),
            LanguageValues("rank distance", {x: results["bias"]["rank_distance"].get(x) for x in langs},
                           digits=1, measure="rank_distance"),
        ]
