"""Table primitives for reports: number formatting, Markdown tables, long-format CSV.

Generic: nothing here knows a benchmark kind (each scorer lays out its own tables with these).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

MISSING = "–"
"""What a table shows for an undefined number."""


_COUNTS = {1: "one", 2: "two", 3: "three"}


def too_few_languages(n_languages: int) -> str:
    """What a table shows for a measure undefined because only ``n_languages`` were chosen:
    ``"n/a (one language)"``, ``"n/a (two languages)"``."""
    count = _COUNTS.get(n_languages, str(n_languages))
    return f"n/a ({count} language{'' if n_languages == 1 else 's'})"


def fmt(x: float | None, digits: int = 3, missing: str = MISSING) -> str:
    """``x`` with ``digits`` decimals, or ``missing`` (default :data:`MISSING`) for None."""
    return missing if x is None else f"{x:.{digits}f}"


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof 1; 0.0 for a single value)."""
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def mean_std_cell(values: Sequence[float], digits: int = 3) -> str:
    """``"mean ± std"`` over several values, the value alone for one, :data:`MISSING` for none."""
    if not len(values):
        return MISSING
    mean, std = mean_std(values)
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if len(values) > 1 else f"{mean:.{digits}f}"


def markdown_row(cells: Iterable[Any]) -> str:
    """``| a | b | c |``."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown_table(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    """Lines of a Markdown table: header, ``|---|`` rule, one line per row."""
    return [markdown_row(header), "|---" * len(header) + "|"] + [markdown_row(r) for r in rows]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with ``\\n`` line ends (None → empty cell, floats as Python writes them)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


RESULTS_CSV_HEADER = ("setting", "query_lang", "candidate_lang", "metric", "value")
"""Columns of every ``results.csv`` (one row per number)."""
