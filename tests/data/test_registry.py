"""load_benchmark: spec parsing and where each benchmark is looked up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hybridbatch.data.registry import load_benchmark, parse_beir_spec
from hybridbatch.errors import HybridbatchError


@pytest.mark.parametrize("spec, expected", [
    ("beir:/data/miracl-de", ("/data/miracl-de", "test")),
    ("beir:/data/miracl-de:dev", ("/data/miracl-de", "dev")),
    ("beir:rel/dir:train", ("rel/dir", "train")),
    ("beir:./x", ("./x", "test")),
    ("beir:a:b/c", ("a:b/c", "test")),
])
def test_parse_beir_spec(spec: str, expected: tuple[str, str]) -> None:
    assert parse_beir_spec(spec) == expected


def test_lareqa_spec_reads_under_data_dir(tmp_path: Path, lareqa_tiny: Path) -> None:
    shutil.copytree(lareqa_tiny, tmp_path / "lareqa" / "xquad-r")
    b = load_benchmark("xquad-r", tmp_path, ["en", "de"])
    assert b.name == "xquad-r" and b.kind == "lareqa"
    assert b.languages == ["de", "en"]
    assert len(b.queries) == 8


def test_lareqa_spec_uses_environment(tmp_path: Path, lareqa_tiny: Path, monkeypatch) -> None:
    shutil.copytree(lareqa_tiny, tmp_path / "lareqa" / "mlqa-r")
    monkeypatch.setenv("HYBRIDBATCH_DATA", str(tmp_path))
    assert load_benchmark("mlqa-r", None, None).languages == ["de", "en", "es"]
    monkeypatch.delenv("HYBRIDBATCH_DATA")
    with pytest.raises(HybridbatchError, match="no data folder"):
        load_benchmark("mlqa-r", None, None)
    with pytest.raises(HybridbatchError, match=r"mlqa-r: LAReQA folder not found"):
        load_benchmark("mlqa-r", tmp_path / "lareqa", None)


def test_beir_spec(beir_tiny: Path, monkeypatch) -> None:
    b = load_benchmark(f"beir:{beir_tiny}:dev", None, None)
    assert b.name == "beir_tiny-dev" and [q.id for q in b.queries] == ["q5"]
    # a relative folder that does not exist here is looked up under the data dir
    monkeypatch.chdir(beir_tiny.parent.parent)
    assert load_benchmark("beir:beir_tiny", beir_tiny.parent, ["en"]).languages == ["en"]
    assert len(load_benchmark("beir:fixtures/beir_tiny", None, None).queries) == 4


@pytest.mark.parametrize("spec", ["squad", "beir:", "xquad"])
def test_unknown_spec(spec: str, tmp_path: Path) -> None:
    with pytest.raises(HybridbatchError, match=r"xquad-r \| mlqa-r \| lareqa:DIR \| beir:DIR\[:split\]"):
        load_benchmark(spec, tmp_path, None)


def test_real_mlqa_subset(real_data: Path) -> None:
    b = load_benchmark("mlqa-r", real_data, ["de", "en"])
    assert b.languages == ["de", "en"]
    assert sum(q.lang == "de" for q in b.queries) == 512
    assert all(len(rel) == 2 for q, rel in zip(b.queries, b.relevant_indices()) if q.lang == "de")
