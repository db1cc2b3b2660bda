"""The LAReQA scorer (XQuAD-R, MLQA-R, any LAReQA-format folder): Mo. / Cr. / Mul. and language bias.

The metric core is :mod:`.scoring` (imported on first score, so that reports load no torch);
this module holds the measures and the rendering: ``results.md`` in the paper's layout, the long CSV,
the X→Y heatmap and the rank-distance bars.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hybridbatch.render import plots
from hybridbatch.render.tables import MISSING, RESULTS_CSV_HEADER, csv_text, fmt, markdown_table
from hybridbatch.scoring.scorer import BaseScorer, LanguageValues, Measure, missing_text

if TYPE_CHECKING:
    from hybridbatch.data.benchmark import Benchmark

METRICS = (("map", "mAP"), ("map@20", "mAP@20"), ("r@1", "R@1"), ("r@10", "R@10"), ("mrr@10", "MRR@10"))
SETTINGS = (("mo", "Mo."), ("cr", "Cr."), ("mul", "Mul."))


def shown_metrics(values: dict[str, Any]) -> list[tuple[str, str]]:
    """The (key, label) pairs of :data:`METRICS` that ``values`` holds (results made before MRR@10 lack it)."""
    return [(m, label) for m, label in METRICS if m in values]


class LareqaScorer(BaseScorer):
    """LAReQA protocol (docs/protocol.md): every X→Y pair, the pooled multilingual setting, language bias."""

    kind = "lareqa"
    measures = (
        Measure("mo", "mo/map", "Mo.", per_query="mo/map", unit="mAP"),
        Measure("cr", "cr/map", "Cr.", per_query="cr/map", unit="mAP", min_languages=2),
        Measure("mul", "mul/map", "Mul.", per_query="mul/map", unit="mAP"),
        Measure("mul_map@20", "mul/map@20", "mAP@20 Mul."),
        Measure("mul_r@1", "mul/r@1", "R@1 Mul."),
        Measure("mul_r@10", "mul/r@10", "R@10 Mul."),
        Measure("mo_mrr@10", "mo/mrr@10", "MRR@10 Mo."),
        Measure("cr_mrr@10", "cr/mrr@10", "MRR@10 Cr.", min_languages=2),
        Measure("mul_mrr@10", "mul/mrr@10", "MRR@10 Mul."),
        Measure("rank_distance", "rank_distance", "rank distance", greater_is_better=False,
                per_query="bias/rank_distance", digits=1, min_languages=2),
    )
    summary_caption = "Table 1 layout: mAP (mean ± std over seeds; n = number of seeds)"
    tradeoff = ("mul", "mo", "rank_distance")  # multilingual vs monolingual quality, bias as colour

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        """See :func:`.scoring.lareqa_per_query`."""
        from hybridbatch.benchmarks.lareqa.scoring import lareqa_per_query  # deferred: torch

        return lareqa_per_query(bench, Q, C)

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        """See :func:`.scoring.aggregate_lareqa`."""
        from hybridbatch.benchmarks.lareqa.scoring import aggregate_lareqa  # deferred: torch

        return aggregate_lareqa(bench, per_query)

    def summary_line(self, results: dict[str, Any]) -> str:
        s, na = results["summary"], missing_text(results, 2)
        return (f"{results['benchmark']}: mAP Mo. {fmt(s['mo']['map'])}  Cr. {fmt(s['cr']['map'], missing=na)}  "
                f"Mul. {fmt(s['mul']['map'])}  rank distance {fmt(s['rank_distance'], 1, na)}")

    def markdown(self, results: dict[str, Any]) -> str:
        """Summary (Mo./Cr./Mul. × mAP, mAP@20, R@1, R@10, rank distance), per-language table, X→Y mAP matrix;
        Cr. and rank distance read "n/a (one language)" with one language."""
        s, na = results["summary"], missing_text(results, 2)
        langs = results["languages"]
        pairs, bias = results["pairs"], results["bias"]
        missing = {"cr": na}
        lines = [f"# {results['benchmark']}: {len(langs)} languages, {results['n_queries']} questions, "
                 f"{results['n_candidates']} candidates", ""]
        lines += markdown_table(["metric"] + [label for _, label in SETTINGS],
                                [[label] + [fmt(s[key][m], missing=missing.get(key, MISSING)) for key, _ in SETTINGS]
                                 for m, label in shown_metrics(s["mul"])])
        lines += ["", f"Rank distance (language bias, lower is better): **{fmt(s['rank_distance'], 1, na)}**", "",
                  "## Per query language", ""]
        rows = []
        for x in langs:
            cross = [pairs[f"{x}-{y}"]["map"] for y in langs if y != x and f"{x}-{y}" in pairs]
            mul = results["multilingual"].get(x, {})
            rows.append([x, fmt(pairs.get(f"{x}-{x}", {}).get("map")),
                         fmt(sum(cross) / len(cross) if cross else None, missing=na), fmt(mul.get("map")),
                         fmt(mul.get("r@1")), fmt(mul.get("r@10")), fmt(bias["rank_distance"].get(x), 1, na),
                         fmt(bias["top10_own_share"].get(x)), fmt(bias["relevant_own_share"].get(x))])
        lines += markdown_table(["lang", "Mo. mAP (X→X)", "Cr. mAP (X→Y, mean over Y)", "Mul. mAP", "Mul. R@1",
                                 "Mul. R@10", "rank distance", "top-10 own-language share",
                                 "own share of relevant"], rows)
        lines += ["", "## mAP, query language (rows) → candidate language (columns)", ""]
        lines += markdown_table(["X \\ Y"] + langs,
                                [[x] + [fmt(pairs.get(f"{x}-{y}", {}).get("map")) for y in langs] for x in langs])
        return "\n".join(lines) + "\n"

    def csv(self, results: dict[str, Any]) -> str:
        """Long format; settings mo / cr / mul, ``all`` for macro values."""
        rows: list[list[Any]] = []
        for setting, _ in SETTINGS:
            rows += [[setting, "all", "all", m, results["summary"][setting][m]]
                     for m, _ in shown_metrics(results["summary"][setting])]
        rows.append(["mul", "all", "all", "rank_distance", results["summary"]["rank_distance"]])
        for pair, row in results["pairs"].items():
            x, y = pair.split("-", 1)
            rows += [["mo" if x == y else "cr", x, y, key, value] for key, value in row.items()]
        for x, row in results["multilingual"].items():
            rows += [["mul", x, "all", key, value] for key, value in row.items()]
        for key, per_lang in results["bias"].items():
            rows += [["mul", x, "all", key, value] for x, value in per_lang.items()]
        return csv_text(RESULTS_CSV_HEADER, rows)

    def write_plots(self, results: dict[str, Any], folder: Path) -> None:
        """``heatmap_map.png`` (X→Y mAP) and ``rank_distance.png`` (per query language; none when no
        language has one)."""
        langs = results["languages"]
        grid = np.full((len(langs), len(langs)), np.nan)
        for i, x in enumerate(langs):
            for j, y in enumerate(langs):
                row = results["pairs"].get(f"{x}-{y}")
                if row is not None and row["map"] is not None:
                    grid[i, j] = row["map"]
        plots.heatmap(grid, langs, langs, Path(folder) / "heatmap_map.png", title=f"{results['benchmark']}: map X→Y",
                      xlabel="candidate language", ylabel="query language")
        per_lang = results["bias"]["rank_distance"]
        shown = [lang for lang in langs if per_lang.get(lang) is not None]
        if not shown:
            return
        plots.bars(shown, [per_lang[lang] for lang in shown], Path(folder) / "rank_distance.png",
                   title=f"{results['benchmark']}: language bias per query language",
                   ylabel="rank distance (lower = less bias)", line=results["summary"]["rank_distance"],
                   line_label="macro mean")

    def per_language(self, results: dict[str, Any]) -> list[LanguageValues]:
        """Mo. mAP (X→X), Mul. mAP and rank distance per query language."""
        langs = results["languages"]
        return [
            LanguageValues("Mo. mAP (X→X)", {x: results["pairs"].get(f"{x}-{x}", {}).get("map") for x in langs},
                           measure="mo"),
            LanguageValues("Mul. mAP", {x: results["multilingual"].get(x, {}).get("map") for x in langs},
                           measure="mul"),
            LanguageValues("rank distance", {x: results["bias"]["rank_distance"].get(x) for x in langs},
                           digits=1, measure="rank_distance"),
        ]
