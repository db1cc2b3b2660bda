"""The pair-classification scorer (MTEB PairClassification on parallel languages), shared by XNLI, PAWS-X and
AmericasNLI: each family subclasses :class:`PairClassificationScorer` with its own ``kind`` and text names.

The metric core is :mod:`.pair_scoring`; this module holds the measures and the rendering.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hybridbatch.data.language_metadata import describe
from hybridbatch.render import plots
from hybridbatch.render.tables import MISSING, RESULTS_CSV_HEADER, csv_text, fmt, markdown_table
from hybridbatch.scoring.pair_scoring import METRICS, aggregate_pairs, pair_per_query
from hybridbatch.scoring.scorer import BaseScorer, LanguageValues, Measure, missing_text

if TYPE_CHECKING:
    from hybridbatch.data.benchmark import Benchmark

ROBUSTNESS_MEASURES = (("mono/ap", "mono AP"), ("cross/ap", "cross AP"), ("pooled_mono/ap", "pooled mono AP"),
                       ("mono/acc", "mono acc."), ("mono/f1", "mono F1"), ("cross/acc", "cross acc."),
                       ("cross/f1", "cross F1"))
"""What ``evaluate --perturb`` compares clean and perturbed (second texts perturbed; the first three drawn)."""
SETTINGS = (("mono", "mono (X, X)"), ("cross", "cross (X, Y≠X)"), ("gap", "gap mono − cross"),
            ("pooled_mono", "pooled mono"), ("pooled_cross", "pooled cross"))
CROSS = ("cross", "gap", "pooled_cross")
"""Settings that compare languages: undefined with one language."""
METRIC_LABELS = {"ap": "AP", "acc": "best-threshold acc.", "f1": "best-threshold F1"}


class PairClassificationScorer(BaseScorer):
    """Cosine similarity of the two texts of each pair; AP, best-threshold accuracy and F1 per ordered
    language pair, mono / cross macro means, their gap, pooled sets, per language and resource class."""

    kind = ""
    first, second = "first text", "second text"
    measures = (
        Measure("mono_ap", "mono/ap", "mono", per_query="mono/ap", unit="AP"),
        Measure("cross_ap", "cross/ap", "cross", per_query="cross/ap", unit="AP", min_languages=2),
        Measure("gap_ap", "gap/ap", "gap mono − cross", greater_is_better=False, unit="AP", min_languages=2),
        Measure("mono_acc", "mono/acc", "mono acc.", per_query="mono/acc"),
        Measure("mono_f1", "mono/f1", "mono F1"),
        Measure("cross_acc", "cross/acc", "cross acc.", per_query="cross/acc", min_languages=2),
        Measure("cross_f1", "cross/f1", "cross F1", min_languages=2),
        Measure("pooled_mono_ap", "pooled_mono/ap", "pooled mono", unit="AP"),
        Measure("pooled_cross_ap", "pooled_cross/ap", "pooled cross", unit="AP", min_languages=2),
    )
    summary_caption = ("pair classification: AP of the positive class and best-threshold accuracy / F1 of the "
                       "cosine, macro over languages (mono) and ordered language pairs (cross) "
                       "(mean ± std over seeds; n = number of seeds)")
    tradeoff = ("mono_ap", "cross_ap", "gap_ap")

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        """See :func:`.pair_scoring.pair_per_query`."""
        return pair_per_query(bench, Q, C)

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        """See :func:`.pair_scoring.aggregate_pairs`; adds the languages' metadata."""
        results = aggregate_pairs(bench, per_query)
        results["kind"] = self.kind
        results["language_info"] = describe(results["languages"])
        return results

    def summary_line(self, results: dict[str, Any]) -> str:
        s, na = results["summary"], missing_text(results, 2)
        return (f"{results['benchmark']} ({len(results['languages'])} languages): AP mono {fmt(s['mono']['ap'])}  "
                f"cross {fmt(s['cross']['ap'], 3, na)}  gap {fmt(s['gap']['ap'], 3, na)}  acc. mono {fmt(s['mono']['acc'])}  "
                f"F1 mono {fmt(s['mono']['f1'])}")

    def markdown(self, results: dict[str, Any]) -> str:
        """Summary, per language, by resource class, the AP matrix of ordered language pairs."""
        s, langs, info = results["summary"], results["languages"], results.get("language_info", {})
        per, pairs, na = results["per_language"], results["pairs"], missing_text(results, 2)
        n_pairs = sum(e["n"] for e in per.values())
        lines = [f"# {results['benchmark']}: {len(langs)} languages, {n_pairs} labelled pairs", ""]
        lines += markdown_table(["metric"] + [label for _, label in SETTINGS],
                                [[METRIC_LABELS[m]] + [fmt(s[key][m], 3, na if key in CROSS else MISSING) for key, _ in SETTINGS]
                                 for m in METRICS])
        lines += ["", f"Score = cosine of the {self.first} and the {self.second} embeddings; the thresholds are "
                  "chosen on the same scores (MTEB). Mono: macro over languages; cross: macro over ordered pairs "
                  f"({self.first} in X, {self.second} in Y ≠ X); gap = mono − cross.", "",
                  "## Per language", ""]
        rows = []
        for x in langs:
            e, meta = per[x], info.get(x, {})
            rows.append([x, meta.get("name", ""), e["class"], e["n"], e["n_positive"], fmt(e["mono"]["ap"]),
                         fmt(e["mono"]["acc"]), fmt(e["mono"]["f1"]), fmt(e["cross"]["ap"], 3, na), fmt(e["gap"]["ap"], 3, na)])
        lines += markdown_table(["lang", "name", "class", "pairs", "positive", "mono AP", "mono acc.", "mono F1",
                                 "cross AP (x on either side)", "gap AP"], rows)
        lines += ["", "## By resource class (Joshi et al. 2020; mean over its languages)", ""]
        lines += markdown_table(["class", "languages", "mono AP", "cross AP", "gap AP", "mono acc.", "mono F1"],
                                [[cls, " ".join(e["languages"]), fmt(e["mono"]["ap"]), fmt(e["cross"]["ap"], 3, na),
                                  fmt(e["gap"]["ap"], 3, na), fmt(e["mono"]["acc"]), fmt(e["mono"]["f1"])]
                                 for cls, e in results["by_class"].items()])
        lines += ["", f"## AP, {self.first} language (rows) × {self.second} language (columns)", ""]
        lines += markdown_table(["X \\ Y"] + langs,
                                [[x] + [fmt(pairs.get(f"{x}-{y}", {}).get("ap")) for y in langs] for x in langs])
        return "\n".join(lines) + "\n"

    def csv(self, results: dict[str, Any]) -> str:
        """Long format: settings mono / cross / gap / pooled_* / class:<c>; per pair, query_lang is the second
        text's language and candidate_lang the first text's."""
        rows: list[list[Any]] = []
        for key, _ in SETTINGS:
            rows += [[key, "all", "all", m, results["summary"][key][m]] for m in METRICS]
        for pair, e in results["pairs"].items():
            x, y = pair.split("-", 1)
            rows += [["mono" if x == y else "cross", y, x, m, e[m]] for m in (*METRICS, "n", "n_positive")]
        for x, e in results["per_language"].items():
            rows += [[part, x, "all", m, e[part][m]] for part in ("cross", "gap") for m in METRICS]
        for cls, e in results["by_class"].items():
            rows += [[f"class:{cls}", "all", "all", f"{part}_{m}", e[part][m]]
                     for part in ("mono", "cross", "gap") for m in METRICS]
        return csv_text(RESULTS_CSV_HEADER, rows)

    def write_plots(self, results: dict[str, Any], folder: Path) -> None:
        """``ap.png``: monolingual AP per language, sorted, with the macro mean."""
        per = results["per_language"]
        shown = sorted((x for x in results["languages"] if per[x]["mono"]["ap"] is not None),
                       key=lambda x: -per[x]["mono"]["ap"])
        if shown:
            plots.bars(shown, [per[x]["mono"]["ap"] for x in shown], Path(folder) / "ap.png",
                       title=f"{results['benchmark']}: monolingual AP", ylabel="AP",
                       line=results["summary"]["mono"]["ap"], line_label="macro mean")

    def per_language(self, results: dict[str, Any]) -> list[LanguageValues]:
        """Mono AP, cross AP (x on either side), their gap, mono accuracy and F1 per language."""
        per, langs = results["per_language"], results["languages"]
        return [
            LanguageValues("mono AP", {x: per[x]["mono"]["ap"] for x in langs}, measure="mono_ap"),
            LanguageValues("cross AP (x on either side)", {x: per[x]["cross"]["ap"] for x in langs},
                           measure="cross_ap"),
            LanguageValues("gap AP (mono − cross)", {x: per[x]["gap"]["ap"] for x in langs}, measure="gap_ap"),
            LanguageValues("mono acc.", {x: per[x]["mono"]["acc"] for x in langs}, measure="mono_acc"),
            LanguageValues("mono F1", {x: per[x]["mono"]["f1"] for x in langs}, measure="mono_f1"),
        ]
