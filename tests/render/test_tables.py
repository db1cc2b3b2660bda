"""Table primitives."""

from __future__ import annotations

import pytest

from hybridbatch.render.tables import csv_text, fmt, markdown_table, mean_std, mean_std_cell


def test_fmt():
    assert fmt(0.12345) == "0.123"
    assert fmt(12.34, 1) == "12.3"
    assert fmt(None) == "–"


def test_mean_std_and_cells():
    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(1.4142135623730951))
    assert mean_std([2.0]) == (2.0, 0.0)
    assert mean_std_cell([1.0, 3.0], 1) == "2.0 ± 1.4"
    assert mean_std_cell([0.5]) == "0.500"
    assert mean_std_cell([]) == "–"


def test_markdown_table():
    assert markdown_table(["a", "b"], [[1, "x"], ["y", 2.5]]) == ["| a | b |", "|---|---|", "| 1 | x |",
                                                                  "| y | 2.5 |"]


def test_csv_text():
    assert csv_text(["k", "v"], [["a,b", 0.1], ["c", None]]) == 'k,v\n"a,b",0.1\nc,\n'
