"""AmericasNLI reader: header, ids as items, empty texts left out, one-line errors naming file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hybridbatch.benchmarks.americasnli.reader import read_americasnli
from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.data.language_metadata import known, language_info
from hybridbatch.errors import HybridbatchError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "americasnli_tiny"
HEADER = "id\tlanguage\tpremise\thypothesis\tlabel\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "americasnli")
    return tmp_path


def test_layout(data: Path) -> None:
    b = load_benchmark("americasnli", data)
    assert (b.name, b.kind, b.languages) == ("americasnli-test", "americasnli", ["aym", "gn"])
    # gn item 5 has an empty premise (left out); neutral item 3 left out
    assert [q.id for q in b.queries] == ["aym:1", "aym:2", "aym:4", "gn:1", "gn:2"]
    assert b.queries[3].group == "1" and b.qrels["gn:2"] == {"gn:2": 0}
    assert load_benchmark("americasnli:dev+neutral", data, ["gn"]).name == "americasnli-dev+neutral"
    assert len(load_benchmark("americasnli:dev+neutral", data, ["gn"]).queries) == 3


def test_every_americasnli_code_has_metadata() -> None:
    for code in ("aym", "bzd", "cni", "gn", "hch", "nah", "oto", "quy", "shp", "tar"):
        assert known(code) and language_info(code).class_source == "estimate"
    assert language_info("gn").code == "grn"


@pytest.mark.parametrize("text, message", [
    ("id\tlang\tpremise\thypothesis\tlabel\n", "line 1: expected the header id language premise hypothesis label"),
    (HEADER + "1\taym\tp\th\n", "line 2: 4 tab-separated fields; expected 5"),
    (HEADER + "1\tgn\tp\th\tentailment\n", "line 2: language 'gn' in the file of 'aym'"),
    (HEADER + "1\taym\tp\th\tyes\n", "line 2: label 'yes'; expected one of entailment, neutral, contradiction"),
    (HEADER + "1\taym\tp\th\tentailment\n1\taym\tq\tr\tcontradiction\n", "line 3: duplicate id '1'"),
    (HEADER + "1\t\tp\th\tentailment\n", "line 2: empty language"),
])
def test_malformed(text: str, message: str, data: Path) -> None:
    path = data / "americasnli" / "test" / "aym.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HybridbatchError) as err:
        read_americasnli(data / "americasnli")
    assert str(err.value).startswith(f"{path}: {message}") and "\n" not in str(err.value)
