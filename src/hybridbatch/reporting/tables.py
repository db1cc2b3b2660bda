"""Evaluation results as Markdown in the paper's layout and as a long-format CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

LAREQA_METRICS = [("map", "mAP"), ("map@20", "mAP@20"), ("r@1", "R@1"), ("r@10", "R@10")]
BEIR_METRICS = [("ndcg@10", "nDCG@10"), ("recall@100", "R@100"), ("mrr@10", "MRR@10")]


def _f(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def lareqa_markdown(results: dict[str, Any]) -> str:
    """Summary (Mo./Cr./Mul. × mAP, mAP@20, R@1, R@10, rank distance), per-language table, X→Y mAP matrix."""
    s = results["summary"]
    langs = results["languages"]
    lines = [f"# {results['benchmark']}: {len(langs)} languages, {results['n_queries']} questions, "
             f"{results['n_candidates']} candidates", "",
             "| metric | Mo. | Cr. | Mul. |", "|---|---|---|---|"]
    for key, label in LAREQA_METRICS:
        lines.append(f"| {label} | {_f(s['mo'][key])} | {_f(s['cr'][key])} | {_f(s['mul'][key])} |")
    lines += ["", f"Rank distance (language bias, lower is better): **{s['rank_distance']:.1f}**", ""]

    bias = results["bias"]
    lines += ["## Per query language", "",
              "| lang | Mo. mAP (X→X) | Cr. mAP (X→Y, mean over Y) | Mul. mAP | Mul. R@1 | Mul. R@10 "
              "| rank distance | top-10 own-language share | own share of relevant |",
              "|---|---|---|---|---|---|---|---|---|"]
    for x in langs:
        cross = [results["pairs"][f"{x}-{y}"]["map"] for y in langs
                 if y != x and f"{x}-{y}" in results["pairs"]]
        mono = results["pairs"].get(f"{x}-{x}", {}).get("map")
        mul = results["multilingual"].get(x, {})
        lines.append(
            f"| {x} | {_f(mono)} | {_f(sum(cross) / len(cross) if cross else None)} | {_f(mul.get('map'))} "
            f"| {_f(mul.get('r@1'))} | {_f(mul.get('r@10'))} | {_f(bias['rank_distance'].get(x), 1)} "
            f"| {_f(bias['top10_own_share'].get(x))} | {_f(bias['relevant_own_share'].get(x))} |")
    lines += ["", "## mAP, query language (rows) → candidate language (columns)", "",
              "| X \\ Y | " + " | ".join(langs) + " |", "|---" * (len(langs) + 1) + "|"]
    for x in langs:
        cells = [_f(results["pairs"].get(f"{x}-{y}", {}).get("map")) for y in langs]
        lines.append(f"| {x} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def beir_markdown(results: dict[str, Any]) -> str:
    """Overall and per-language nDCG@10, Recall@100, MRR@10."""
    lines = [f"# {results['benchmark']}", "", "| lang | queries | " +
             " | ".join(label for _, label in BEIR_METRICS) + " |", "|---" * (len(BEIR_METRICS) + 2) + "|"]
    for lang, row in results["per_language"].items():
        lines.append(f"| {lang} | {row['n_queries']} | " +
                     " | ".join(_f(row[k]) for k, _ in BEIR_METRICS) + " |")
    s = results["summary"]
    lines.append("| **all** | " + str(sum(r["n_queries"] for r in results["per_language"].values())) + " | " +
                 " | ".join(f"**{_f(s[k])}**" for k, _ in BEIR_METRICS) + " |")
    return "\n".join(lines) + "\n"


def results_csv(results: dict[str, Any]) -> str:
    """Long format: ``setting,query_lang,candidate_lang,metric,value`` (one row per number)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["setting", "query_lang", "candidate_lang", "metric", "value"])
    if results["kind"] == "lareqa":
        for setting in ("mo", "cr", "mul"):
            for key, _ in LAREQA_METRICS:
                w.writerow([setting, "all", "all", key, results["summary"][setting][key]])
        w.writerow(["mul", "all", "all", "rank_distance", results["summary"]["rank_distance"]])
        for pair, row in results["pairs"].items():
            x, y = pair.split("-", 1)
            for key, value in row.items():
                w.writerow(["mo" if x == y else "cr", x, y, key, value])
        for x, row in results["multilingual"].items():
            for key, value in row.items():
                w.writerow(["mul", x, "all", key, value])
        for key, per_lang in results["bias"].items():
            for x, value in per_lang.items():
                w.writerow(["mul", x, "all", key, value])
    else:
        for key, _ in BEIR_METRICS:
            w.writerow(["beir", "all", "all", key, results["summary"][key]])
        for lang, row in results["per_language"].items():
            for key, value in row.items():
                w.writerow(["beir", lang, lang, key, value])
    return buf.getvalue()
