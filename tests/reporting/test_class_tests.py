"""Paired tests over the languages of a resource-class or seen/unseen group."""

from __future__ import annotations

import csv
import io

import pytest

from hybridbatch.reporting.class_tests import class_tests, class_tests_csv, class_tests_table
from hybridbatch.reporting.compare import BASE_LABEL, write_comparison
from hybridbatch.reporting.language_gains import LanguageGain
from hybridbatch.reporting.significance import paired_randomization_test
from tests.reporting.test_language_gains import records  # noqa: F401 (fixture)


def _gains() -> list[LanguageGain]:
    """10 low-resource languages where hybrid beats x-y by .05, 4 high-resource ones where they tie, 2 of
    unknown class; the base .1 below x-y everywhere."""
    gains = []
    langs = [(f"l{i}", i % 3) for i in range(10)] + [(f"h{i}", 3 + i % 3) for i in range(4)] + [("u0", -1), ("u1", -1)]
    for i, (lang, cls) in enumerate(langs):
        xy = 0.5 + 0.01 * i
        hybrid = xy + (0.05 if cls in (0, 1, 2) else 0.0)
        seen = lang in ("h0", "h1", "h2")
        gains += [LanguageGain("b", "x-y", lang, cls, seen, xy - 0.1, xy),
                  LanguageGain("b", "hybrid", lang, cls, seen, xy - 0.1, hybrid)]
    return gains


def test_groups_pairs_and_p_values():
    rows = class_tests(_gains(), BASE_LABEL, n_resamples=2000)
    by = {(r["group"], r["a"], r["b"]): r for r in rows}
    low = by[("classes 0–2", "x-y", "hybrid")]
    assert low["languages"] == 10 and low["mean_b"] - low["mean_a"] == pytest.approx(0.05)
    assert low["p"] < 0.01
    values_xy = [0.5 + 0.01 * i for i in range(10)]
    assert low["p"] == paired_randomization_test(values_xy, [v + 0.05 for v in values_xy], n_resamples=2000)
    assert by[("classes 3–5", "x-y", "hybrid")]["p"] == 1.0  # equal on every high-resource language
    assert by[("classes 3–5", BASE_LABEL, "x-y")]["languages"] == 4
    assert by[("classes 0–2", BASE_LABEL, "hybrid")]["mean_b"] - by[("classes 0–2", BASE_LABEL, "hybrid")]["mean_a"] \
        == pytest.approx(0.15)
    assert by[("unseen", "x-y", "hybrid")]["languages"] == 13 and by[("seen", "x-y", "hybrid")]["languages"] == 3
    assert {r["languages"] for r in rows} >= {3} and all(r["languages"] >= 3 for r in rows)
    table = class_tests_table(rows, {"b": "acc."})
    assert "### b: acc., paired tests over the languages of each group" in table
    assert any(line.startswith("| classes 0–2 | x-y | hybrid | 10 |") for line in table)
    parsed = list(csv.DictReader(io.StringIO(class_tests_csv(rows))))
    assert len(parsed) == len(rows) and float(parsed[0]["p"]) == pytest.approx(rows[0]["p"], abs=1e-6)


def test_groups_of_fewer_than_three_languages_are_not_tested():
    gains = [g for g in _gains() if g.language in ("l0", "l1", "h0")]
    assert class_tests(gains, BASE_LABEL, n_resamples=100) == []


def test_the_comparison_writes_the_tests(records, tmp_path):  # noqa: F811 (fixture)
    write_comparison(records, tmp_path / "cmp", seen_languages={"de", "en"}, n_resamples=200)
    text = (tmp_path / "cmp" / "summary.md").read_text()
    assert "## Paired randomization tests over languages" in text
    rows = list(csv.DictReader((tmp_path / "cmp" / "class_tests.csv").open()))
    assert [(r["group"], r["a"], r["b"], r["languages"]) for r in rows] == [("classes 3–5", BASE_LABEL, "tuned", "3")]
