"""``hybridbatch evaluate --perturb``: perturbed queries scored against the clean candidates, drops reported,
perturbed texts encoded through the same cache under their own keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridbatch.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAREQA = f"lareqa:{FIXTURES / 'lareqa_tiny'}"


def test_perturb_writes_drops_and_reuses_the_cache(tmp_path, tiny_model_dir, capsys):
    pytest.importorskip("anyascii")
    args = ["evaluate", "--model", str(tiny_model_dir), "--benchmark", LAREQA, "--batch-size", "8",
            "--perturb", "char-noise:0.1", "--perturb", "char-noise:0.3", "--perturb", "lowercase",
            "--perturb", "code-switch:0.5", "--perturb", "translit", "--perturb-seed", "3"]
    out = tmp_path / "r1"
    assert main(args + ["--out", str(out)]) == 0
    assert "robustness:" in capsys.readouterr().out
    rob = json.loads((out / "robustness.json").read_text())
    assert [r["perturbation"] for r in rob["rows"]] == ["char-noise:0.1", "char-noise:0.3", "lowercase:1",
                                                         "code-switch:0.5", "translit:1"]
    clean = json.loads((out / "results.json").read_text())
    for row in rob["rows"]:
        sub = out / f"perturb-{row['name']}-{row['strength']:g}"
        res = json.loads((sub / "perturbed_results.json").read_text())
        assert res["perturbation"]["seed"] == 3
        assert row["mul/map"]["clean"] == clean["summary"]["mul"]["map"]
        assert row["mul/map"]["drop"] == pytest.approx(clean["summary"]["mul"]["map"] - res["summary"]["mul"]["map"])
        assert row["changed"] > 0
    assert json.loads((out / "config.json").read_text())["config"]["perturb"][0] == "char-noise:0.1"
    for name in ("robustness.md", "robustness.csv", "robustness.png"):
        assert (out / name).is_file()
    # second run: the clean and every perturbed text come from the cache
    out2 = tmp_path / "r2"
    assert main(args + ["--out", str(out2)]) == 0
    rob2 = json.loads((out2 / "robustness.json").read_text())
    assert all(r["texts_encoded"] == 0 for r in rob2["rows"])
    assert [r["mul/map"] for r in rob2["rows"]] == [r["mul/map"] for r in rob["rows"]]


@pytest.mark.parametrize("extra,message", [
    (["--perturb", "typo:0.1"], "unknown perturbation"),
    (["--perturb", "char-noise:2"], "outside"),
    (["--perturb", "lowercase", "--perturb", "lowercase:1"], "given twice"),
])
def test_bad_perturbation_is_exit_2_one_line_nothing_written(extra, message, tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "r"
    code = main(["evaluate", "--model", str(tiny_model_dir), "--benchmark", LAREQA, "--out", str(out)] + extra)
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not out.exists()
