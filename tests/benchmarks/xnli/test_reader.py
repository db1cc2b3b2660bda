"""XNLI reader and spec: layout, neutral handling, one-line errors naming file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hybridbatch.benchmarks.registry import family_for_spec, load_benchmark
from hybridbatch.benchmarks.xnli.reader import read_xnli
from hybridbatch.errors import HybridbatchError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "xnli_tiny"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "xnli")
    return tmp_path


def test_layout_and_neutral_left_out(data: Path) -> None:
    b = load_benchmark("xnli", data)
    assert (b.name, b.kind, b.languages) == ("xnli-dev", "xnli", ["de", "en", "sw"])
    assert [q.id for q in b.queries[:4]] == ["de:0", "de:1", "de:3", "de:4"]  # items = line index, neutral out
    q = b.queries[0]
    assert (q.text, q.group, b.candidates[0].text) == ("Eine Katze sitzt.", "0", "Die Katze saß auf der Matte.")
    assert b.qrels["en:0"] == {"en:0": 1} and b.qrels["en:1"] == {"en:1": 0}
    assert [c.id for c in b.candidates] == [q.id for q in b.queries]


def test_neutral_kept_as_negative(data: Path) -> None:
    b = load_benchmark("xnli:dev+neutral", data, ["en"])
    assert b.name == "xnli-dev+neutral" and len(b.queries) == 6
    assert b.qrels["en:2"] == {"en:2": 0}
    assert load_benchmark("XNLI+neutral", data, ["en"]).name == "xnli-dev+neutral"


@pytest.mark.parametrize("spec", ["xnli:train", "xnli+neutrals", "xnli:dev:x"])
def test_bad_specs(spec: str, data: Path) -> None:
    assert family_for_spec(spec).name == "xnli"
    with pytest.raises(HybridbatchError, match=r"expected xnli\[:dev\|test\]\[\+neutral\]"):
        load_benchmark(spec, data)


def test_unknown_language_and_missing_split(data: Path) -> None:
    with pytest.raises(HybridbatchError, match="unknown language"):
        load_benchmark("xnli", data, ["fr"])
    with pytest.raises(HybridbatchError, match="no languages found"):
        load_benchmark("xnli:test", data)


@pytest.mark.parametrize("line, message", [
    ("only\ttwo\n", "line 3: 2 tab-separated fields; expected 3"),
    ("premise\t \tentailment\n", "line 3: empty hypothesis"),
    ("premise\thypothesis\tmaybe\n", "line 3: label 'maybe'; expected one of entailment, neutral, contradiction"),
])
def test_malformed_lines(line: str, message: str, data: Path) -> None:
    path = data / "xnli" / "dev-de.tsv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2] + [line] + lines[3:]), encoding="utf-8")
    with pytest.raises(HybridbatchError) as err:
        read_xnli(data / "xnli")
    assert str(err.value) == f"{path}: {message}" or str(err.value).startswith(f"{path}: {message}")
    assert "\n" not in str(err.value)


def test_not_utf8(data: Path) -> None:
    path = data / "xnli" / "dev-en.tsv"
    path.write_bytes(path.read_bytes() + b"caf\xe9\tx\tentailment\n")
    with pytest.raises(HybridbatchError, match=rf"{path}: line 7: not UTF-8 text"):
        read_xnli(data / "xnli")
