"""The bitext scorer (``tatoeba``): XTREME nearest-neighbour accuracy xx→pivot, pivot→xx and their mean per
language, plus the ratio-margin ("mined") variant.

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

VARIANTS = (("acc", "nearest neighbour (cosine)"), ("margin", "ratio margin, k = 4"))


class BitextScorer(BaseScorer):
    """XTREME Tatoeba protocol (docs/protocol.md): per language, then macro over languages."""

    kind = "bitext"
    measures = (
        Measure("acc", "acc/mean", "acc.", per_query="acc", unit="(mean of both directions)"),
        Measure("acc_xx2pivot", "acc/xx2pivot", "acc. xx→pivot"),
        Measure("acc_pivot2xx", "acc/pivot2xx", "acc. pivot→xx"),
        Measure("margin", "margin/mean", "margin acc.", per_query="margin_acc"),
    )
    summary_caption = "accuracy, macro mean over languages (mean ± std over seeds; n = number of seeds)"

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        """See :func:`.scoring.bitext_per_query`."""
        from hybridbatch.benchmarks.tatoeba.scoring import bitext_per_query  # deferred: torch

        return bitext_per_query(bench, Q, C)

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        """See :func:`.scoring.aggregate_bitext`; adds the languages' metadata."""
        from hybridbatch.benchmarks.tatoeba.scoring import aggregate_bitext  # deferred: torch

        results = aggregate_bitext(bench, per_query)
        results["language_info"] = describe(results["languages"] + [results["pivot"]])
        return results

    def summary_line(self, results: dict[str, Any]) -> str:
        s, p = results["summary"], results["pivot"]
        return (f"{results['benchmark']} ({len(results['languages'])} languages): acc. xx→{p} "
                f"{fmt(s['acc']['xx2pivot'])}  {p}→xx {fmt(s['acc']['pivot2xx'])}  mean {fmt(s['acc']['mean'])}  "
                f"margin mean {fmt(s['margin']['mean'])}")

    def markdown(self, results: dict[str, Any]) -> str:
        """Summary (cosine and margin × both directions and mean), then one row per language."""
        s, p, info = results["summary"], results["pivot"], results.get("language_info", {})
        langs = results["languages"]
        lines = [f"# {results['benchmark']}: {len(langs)} languages ↔ {p}, "
                 f"{sum(e['n_sentences'] for e in results['per_language'].values())} sentence pairs", ""]
        lines += markdown_table(["accuracy", f"xx→{p}", f"{p}→xx", "mean"],
                                [[label] + [fmt(s[key][d]) for d in ("xx2pivot", "pivot2xx", "mean")]
                                 for key, label in VARIANTS])
        lines += ["", "Nearest neighbour among all sentences of the other side of the pair (XTREME); margin: "
                  "ratio margin of Artetxe & Schwenk 2019.", "", "## Per language", ""]
        rows = []
        for x in langs:
            e, meta = results["per_language"][x], info.get(x, {})
            rows.append([x, meta.get("name", ""), meta.get("joshi_class", ""), e["n_sentences"],
                         fmt(e["acc"]["xx2pivot"]), fmt(e["acc"]["pivot2xx"]), fmt(e["acc"]["mean"]),
                         fmt(e["margin"]["mean"])])
        lines += markdown_table(["lang", "name", "class", "pairs", f"xx→{p}", f"{p}→xx", "mean", "margin mean"],
                                rows)
        return "\n".join(lines) + "\n"

    def csv(self, results: dict[str, Any]) -> str:
        """Long format; setting ``acc`` or ``margin``; xx2pivot rows have query_lang = xx."""
        p = results["pivot"]
        rows: list[list[Any]] = []
        for key, _ in VARIANTS:
            rows += [[key, "all", "all", d, results["summary"][key][d]] for d in ("xx2pivot", "pivot2xx", "mean")]
        for x, e in results["per_language"].items():
            for key, _ in VARIANTS:
                rows += [[key, x, p, "accuracy", e[key]["xx2pivot"]], [key, p, x, "accuracy", e[key]["pivot2xx"]],
                         [key, x, "both", "mean", e[key]["mean"]]]
        return csv_text(RESULTS_CSV_HEADER, rows)

    def write_plots(self, results: dict[str, Any], folder: Path) -> None:
        """``accuracy.png``: mean accuracy per language, sorted."""
        per = results["per_language"]
        shown = sorted((x for x in results["languages"] if per[x]["acc"]["mean"] is not None),
                       key=lambda x: -per[x]["acc"]["mean"])
        if shown:
            plots.bars(shown, [per[x]["acc"]["mean"] for x in shown], Path(folder) / "accuracy.png",
                       title=f"{results['benchmark']}: accuracy (mean of both directions)", ylabel="accuracy",
                       line=results["summary"]["acc"]["mean"], line_label="macro mean")

    def per_language(self, results: dict[str, Any]) -> list[LanguageValues]:
        """Mean accuracy, both directions and the margin variant per language."""
        per, langs = results["per_language"], results["languages"]
        return [
            LanguageValues("acc. (mean)", {x: per[x]["acc"]["mean"] for x in langs}, measure="acc"),
            LanguageValues(f"acc. xx→{results['pivot']}", {x: per[x]["acc"]["xx2pivot"] for x in langs},
                           measure="acc_xx2pivot"),
            LanguageValues(f"acc. {results['pivot']}→xx", {x: per[x]["acc"]["pivot2xx"] for x in langs},
                           measure="acc_pivot2xx"),
            LanguageValues("margin acc. (mean)", {x: per[x]["margin"]["mean"] for x in langs}, measure="margin"),
        ]
