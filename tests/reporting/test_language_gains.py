"""Per-language gains over the base: arithmetic, direction, resource classes, seen/unseen, losers, plot."""

from __future__ import annotations

import numpy as np
import pytest

from hybridbatch.reporting.compare import BASE_LABEL, load_record, write_comparison
from hybridbatch.reporting.language_gains import class_table, language_gains, resource_class
from tests.reporting.test_compare import make_eval


@pytest.fixture
def records(tmp_path):
    base = [load_record(make_eval(tmp_path / "base", "lareqa", 7, label=BASE_LABEL))]
    tuned = [load_record(make_eval(tmp_path / f"t{i}", "lareqa", i, label="tuned", seed=i)) for i in (1, 2)]
    return base + tuned


def test_gain_is_the_seed_mean_minus_the_base_per_language(records):
    gains, titles = language_gains(records, BASE_LABEL, {"de", "en"})
    assert titles == {"lareqa_tiny": "Mo. mAP (X→X)"}
    by_lang = {g.language: g for g in gains}
    assert set(by_lang) == {"de", "en", "es"} and {g.system for g in gains} == {"tuned"}
    for lang, g in by_lang.items():
        expected = np.mean([r.results["pairs"][f"{lang}-{lang}"]["map"] for r in records[1:]])
        assert g.value == pytest.approx(expected)
        assert g.gain == pytest.approx(expected - records[0].results["pairs"][f"{lang}-{lang}"]["map"])
    assert by_lang["es"].seen is False and by_lang["de"].seen is True
    assert by_lang["de"].joshi_class == resource_class("de") == 5


def test_rank_distance_gain_is_positive_when_it_falls(records):
    gains, _ = language_gains(records, BASE_LABEL, breakdown=2)  # LAReQA's third breakdown: rank distance
    for g in gains:
        base = records[0].results["bias"]["rank_distance"][g.language]
        mean = np.mean([r.results["bias"]["rank_distance"][g.language] for r in records[1:]])
        assert g.gain == pytest.approx(base - mean)


def test_class_table_lists_the_losers_and_groups_by_class(records):
    gains, titles = language_gains(records, BASE_LABEL, {"de", "en"})
    lines = class_table(gains, titles, tolerance=0.0)
    assert "| system | 5 | seen | unseen |" in lines
    losers = [g.language for g in gains if g.gain < 0]
    line = next(x for x in lines if x.startswith("- tuned:"))
    assert all(f"{x} (" in line for x in losers) and (losers or "none" in line)


def test_unknown_codes_get_class_minus_one_and_no_base_means_no_gains(records):
    assert resource_class("xx-unknown") == -1
    assert language_gains(records[1:], BASE_LABEL) == ([], {})


def test_comparison_has_the_gain_section_and_plot_only_with_a_base(records, tmp_path):
    write_comparison(records, tmp_path / "with", seen_languages={"de", "en"}, n_resamples=50)
    text = (tmp_path / "with" / "summary.md").read_text()
    assert "## Gain over the base model by resource class" in text and (tmp_path / "with" / "gain_by_class.png").is_file()
    write_comparison(records[1:], tmp_path / "without", n_resamples=50)
    assert "Gain over the base" not in (tmp_path / "without" / "summary.md").read_text()
    assert not (tmp_path / "without" / "gain_by_class.png").exists()


def test_report_base_option_names_the_base_of_hand_made_evaluations(tmp_path, capsys):
    from hybridbatch.cli import main

    make_eval(tmp_path / "runs" / "mine-base", "lareqa", 7)
    make_eval(tmp_path / "runs" / "mine-tuned", "lareqa", 1)
    out = tmp_path / "r"
    assert main(["report", str(tmp_path / "runs"), "--out", str(out), "--resamples", "1000", "--base", "mine-base"]) == 0
    assert "gain over the base" in (out / "summary.md").read_text()
    assert main(["report", str(tmp_path / "runs"), "--out", str(tmp_path / "r2"), "--base", "nobody"]) == 2
    assert "--base 'nobody' is none of the systems: mine-base, mine-tuned" in capsys.readouterr().err
    assert not (tmp_path / "r2").exists()


def test_seen_languages_match_across_code_systems():
    from hybridbatch.reporting.language_gains import _aliases

    assert "de" in _aliases("deu") and "de" in _aliases("de") and _aliases("qqq") == {"qqq"}
