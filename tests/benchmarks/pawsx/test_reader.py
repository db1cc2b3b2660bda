"""PAWS-X reader: both layouts, unlabelled and untranslated pairs left out, one-line errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hybridbatch.benchmarks.pawsx.reader import read_pawsx
from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.errors import HybridbatchError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "pawsx_tiny"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "pawsx")
    return tmp_path


def test_dev_layout(data: Path) -> None:
    b = load_benchmark("pawsx", data)
    assert (b.name, b.kind, b.languages) == ("pawsx-dev", "pawsx", ["de", "en"])
    # de: line 2 is 'NS' (not translated), line 4 has no label: both left out
    assert [q.id for q in b.queries if q.lang == "de"] == ["de:0", "de:1", "de:3"]
    assert b.qrels["en:2"] == {"en:2": 1} and b.qrels["de:0"] == {"de:0": 0}
    assert b.candidates[1].text == "Er wurde 1950 in Berlin geboren."


def test_test_layout_with_ids(data: Path) -> None:
    b = load_benchmark("pawsx:test", data, ["zh", "de"])
    assert b.name == "pawsx-test" and [q.id for q in b.queries] == ["de:10", "de:12", "zh:10", "zh:12"]
    assert b.qrels["zh:12"] == {"zh:12": 1}


@pytest.mark.parametrize("name, text, message", [
    ("dev-en.tsv", "a\tb\n", "line 1: 2 tab-separated fields; expected 3 (sentence1 sentence2 label)"),
    ("dev-en.tsv", "a\t\t1\n", "line 1: empty sentence2"),
    ("test-de.tsv", "id\tsentence1\tsentence2\tlabel\n7\ta\tb\t1\n7\tc\td\t0\n", "line 3: duplicate id '7'"),
    ("test-de.tsv", "id\tsentence1\tsentence2\tlabel\n\ta\tb\t1\n", "line 2: empty id"),
    ("dev-en.tsv", "a\tb\t2\n", "no labelled pairs"),
])
def test_malformed(name: str, text: str, message: str, data: Path) -> None:
    path = data / "pawsx" / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HybridbatchError) as err:
        read_pawsx(data / "pawsx", name.split("-")[0])
    assert str(err.value) == f"{path}: {message}"
