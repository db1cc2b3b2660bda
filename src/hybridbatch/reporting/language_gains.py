"""Who gains and who loses: each trained system's per-language change over the untrained base model, grouped
by resource class (Joshi et al. 2020, 0 = left behind … 5 = winners, from ``data/languages.json``) and by
seen / unseen in training (codes compared across code systems: Tatoeba's ``deu`` is ``de``), the languages that lose, and a plot of gain against resource class.

Gain of system S in language x for a per-language breakdown v (the scorer's first, e.g. Mo. mAP for LAReQA,
mean accuracy for Tatoeba): mean over S's seeds of v_S(x) − mean over the base's seeds of v_base(x), sign
flipped for breakdowns where lower is better (rank distance), so a positive gain is always an improvement.
A language *loses* when its gain is below −``tolerance``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybridbatch.data.language_metadata import known, language_info
from hybridbatch.render.plots import pyplot
from hybridbatch.render.tables import markdown_table
from hybridbatch.reporting.records import benchmark_scorer, group_records

UNKNOWN_CLASS = -1


@dataclass(frozen=True)
class LanguageGain:
    """One system's change over the base in one language of one benchmark."""

    benchmark: str
    system: str
    language: str
    joshi_class: int
    seen: bool | None
    base: float
    value: float

    @property
    def gain(self) -> float:
        return self.value - self.base


def resource_class(code: str) -> int:
    """The language's Joshi class, or :data:`UNKNOWN_CLASS` when the metadata does not know the code."""
    return language_info(code).joshi_class if known(code) else UNKNOWN_CLASS


def _aliases(code: str) -> set[str]:
    """``code`` and its other spellings (ISO 639-1, the metadata's key), so Tatoeba's ``deu`` is ``de``."""
    if not known(code):
        return {code}
    info = language_info(code)
    return {code, info.code} | ({info.iso639_1} if info.iso639_1 else set())


def language_gains(records, base_label: str, seen_languages: set[str] | None = None,
                   breakdown: int = 0) -> tuple[list[LanguageGain], dict[str, str]]:
    """(gains of every non-base system, {benchmark: title of the breakdown used}). Benchmarks without a
    base evaluation are skipped."""
    gains: list[LanguageGain] = []
    titles: dict[str, str] = {}
    for bench, by_label in group_records(records).items():
        if base_label not in by_label:
            continue
        scorer = benchmark_scorer(bench, by_label)
        lower_is_better = _lower_is_better(scorer, breakdown, by_label[base_label][0].results)
        sign = -1.0 if lower_is_better else 1.0
        means = {label: _mean_values(scorer, recs, breakdown) for label, recs in by_label.items()}
        titles[bench] = scorer.per_language(by_label[base_label][0].results)[breakdown].title
        for label, values in means.items():
            if label == base_label:
                continue
            for lang, value in values.items():
                base = means[base_label].get(lang)
                if base is None:
                    continue
                seen = None if seen_languages is None else bool(_aliases(lang) & seen_languages)
                gains.append(LanguageGain(bench, label, lang, resource_class(lang), seen, sign * base, sign * value))
    return gains, titles


def _mean_values(scorer, recs, breakdown: int) -> dict[str, float]:
    per = [scorer.per_language(r.results)[breakdown].values for r in recs]
    langs = per[0].keys()
    out = {}
    for lang in langs:
        vals = [p[lang] for p in per if p.get(lang) is not None]
        if vals:
            out[lang] = float(np.mean(vals))
    return out


def _lower_is_better(scorer, breakdown: int, results: dict) -> bool:
    name = scorer.per_language(results)[breakdown].measure
    return any(m.name == name and not m.greater_is_better for m in scorer.measures)


def class_table(gains: list[LanguageGain], titles: dict[str, str], tolerance: float = 0.01) -> list[str]:
    """Markdown: per benchmark, mean gain (and number of languages) per resource class and seen/unseen,
    one row per system, then the languages that lose more than ``tolerance``."""
    lines: list[str] = []
    for bench in dict.fromkeys(g.benchmark for g in gains):
        rows_of = [g for g in gains if g.benchmark == bench]
        classes = sorted({g.joshi_class for g in rows_of})
        heads = [_class_name(c) for c in classes]
        has_seen = any(g.seen is not None for g in rows_of)
        heads += ["seen", "unseen"] if has_seen else []
        lines += [f"### {bench}: gain over the base in {titles[bench]}, mean per resource class (n languages)", ""]
        rows = []
        for system in dict.fromkeys(g.system for g in rows_of):
            mine = [g for g in rows_of if g.system == system]
            groups = [[g for g in mine if g.joshi_class == c] for c in classes]
            if has_seen:
                groups += [[g for g in mine if g.seen], [g for g in mine if g.seen is False]]
            rows.append([system] + [_cell(gs) for gs in groups])
        lines += markdown_table(["system"] + heads, rows)
        lines += ["", f"Languages losing more than {tolerance:g} against the base:", ""]
        for system in dict.fromkeys(g.system for g in rows_of):
            losers = sorted((g for g in rows_of if g.system == system and g.gain < -tolerance), key=lambda g: g.gain)
            listed = ", ".join(f"{g.language} ({g.gain:+.3f}, class {_class_name(g.joshi_class)})" for g in losers)
            lines.append(f"- {system}: {listed or 'none'}")
        lines.append("")
    return lines


def _cell(group: list[LanguageGain]) -> str:
    return f"{np.mean([g.gain for g in group]):+.3f} ({len(group)})" if group else "–"


def _class_name(joshi_class: int) -> str:
    return "?" if joshi_class == UNKNOWN_CLASS else str(joshi_class)


def gain_plot(gains: list[LanguageGain], titles: dict[str, str], path: Path) -> bool:
    """Gain against resource class, one panel per benchmark, one colour per system (points jittered
    within a class, the class mean as a line); False when there is nothing to plot."""
    benches = list(dict.fromkeys(g.benchmark for g in gains))
    if not benches:
        return False
    plt = pyplot()
    fig, axes = plt.subplots(1, len(benches), figsize=(5.5 * len(benches), 4.2), squeeze=False)
    systems = list(dict.fromkeys(g.system for g in gains))
    for ax, bench in zip(axes[0], benches):
        for i, system in enumerate(systems):
            mine = [g for g in gains if g.benchmark == bench and g.system == system]
            if not mine:
                continue
            offset = (i - (len(systems) - 1) / 2) * 0.12
            xs = [g.joshi_class + offset for g in mine]
            ax.scatter(xs, [g.gain for g in mine], s=16, alpha=0.7, color=f"C{i}", label=system)
            classes = sorted({g.joshi_class for g in mine})
            ax.plot([c + offset for c in classes], [np.mean([g.gain for g in mine if g.joshi_class == c])
                                                    for c in classes], color=f"C{i}", linewidth=1)
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_xticks(range(UNKNOWN_CLASS, 6), ["?"] + [str(c) for c in range(6)])
        ax.set_xlabel("resource class (Joshi et al. 2020; ? = unknown)")
        ax.set_ylabel(f"gain over base, {titles[bench]}")
        ax.set_title(bench)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
