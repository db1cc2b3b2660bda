"""Paired tests with languages as the units: does one system beat another on the under-represented languages
(resource classes 0–2 of Joshi et al. 2020), on the others (3–5), on the languages unseen and seen in training?

For a benchmark, a group G of its languages and two systems A and B (the base model among them), the test takes
the per-language values of :mod:`hybridbatch.reporting.language_gains` (the scorer's first per-language
breakdown, averaged over seeds, sign-flipped where lower is better) and runs the two-sided paired randomization
test of mean_{x∈G} (v_A(x) − v_B(x)) = 0 over G's languages. Its population is languages, not queries: it asks
whether A's advantage holds across the group's languages, and with n languages its p-value cannot fall below
about 2 / 2ⁿ (0.004 for 9).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

from hybridbatch.render.tables import csv_text, fmt, markdown_table
from hybridbatch.reporting.language_gains import LanguageGain
from hybridbatch.reporting.significance import paired_randomization_test

LOW_RESOURCE = frozenset({0, 1, 2})
HIGH_RESOURCE = frozenset({3, 4, 5})
GROUPS: dict[str, Callable[[LanguageGain], bool]] = {
    "classes 0–2": lambda g: g.joshi_class in LOW_RESOURCE,
    "classes 3–5": lambda g: g.joshi_class in HIGH_RESOURCE,
    "unseen": lambda g: g.seen is False,
    "seen": lambda g: g.seen is True,
}
"""Language groups, each a test of its own; a language of unknown class is in neither class group."""
MIN_LANGUAGES = 3
CSV_HEADER = ("benchmark", "group", "a", "b", "languages", "mean_a", "mean_b", "p")


def class_tests(gains: list[LanguageGain], base_label: str, n_resamples: int = 10_000) -> list[dict[str, Any]]:
    """One row per benchmark, group (of at least :data:`MIN_LANGUAGES` languages) and pair of systems (every
    two trained systems, and each against ``base_label``): ``mean_a``/``mean_b`` are the group's mean values."""
    rows: list[dict[str, Any]] = []
    for bench in dict.fromkeys(g.benchmark for g in gains):
        mine = [g for g in gains if g.benchmark == bench]
        systems = list(dict.fromkeys(g.system for g in mine))
        for group, member in GROUPS.items():
            inside = [g for g in mine if member(g)]
            values = {s: {g.language: g.value for g in inside if g.system == s} for s in systems}
            values[base_label] = {g.language: g.base for g in inside}
            pairs = [(base_label, s) for s in systems] + list(combinations(systems, 2))
            for a, b in pairs:
                langs = sorted(set(values[a]) & set(values[b]))
                if len(langs) < MIN_LANGUAGES:
                    continue
                va, vb = [values[a][x] for x in langs], [values[b][x] for x in langs]
                rows.append({"benchmark": bench, "group": group, "a": a, "b": b, "languages": len(langs),
                             "mean_a": sum(va) / len(va), "mean_b": sum(vb) / len(vb),
                             "p": paired_randomization_test(va, vb, n_resamples=n_resamples)})
    return rows


def class_tests_table(rows: list[dict[str, Any]], titles: dict[str, str]) -> list[str]:
    """Markdown: per benchmark, one row per group and pair of systems."""
    lines: list[str] = []
    for bench in dict.fromkeys(r["benchmark"] for r in rows):
        lines += [f"### {bench}: {titles[bench]}, paired tests over the languages of each group", ""]
        lines += markdown_table(["group", "a", "b", "languages", "mean a", "mean b", "p"], [
            [r["group"], r["a"], r["b"], str(r["languages"]), fmt(r["mean_a"]), fmt(r["mean_b"]), f"{r['p']:.4f}"]
            for r in rows if r["benchmark"] == bench])
        lines.append("")
    return lines


def class_tests_csv(rows: list[dict[str, Any]]) -> str:
    """``class_tests.csv``: one row per test, values with six decimals."""
    return csv_text(CSV_HEADER, ([r["benchmark"], r["group"], r["a"], r["b"], r["languages"], f"{r['mean_a']:.6f}",
                                  f"{r['mean_b']:.6f}", f"{r['p']:.6f}"] for r in rows))
