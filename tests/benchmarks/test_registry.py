"""load_benchmark: spec parsing and where each benchmark is looked up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hybridbatch.benchmarks.beir import parse_beir_spec
from hybridbatch.benchmarks.registry import load_benchmark
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


@pytest.mark.parametrize("spec", ["squad", "xquad", "tatoeba:dev"])
def test_unknown_spec_names_every_family(spec: str, tmp_path: Path) -> None:
    with pytest.raises(HybridbatchError, match=r"unknown benchmark .*xquad-r \| mlqa-r \| lareqa:DIR \| "
                                               r"beir:DIR\[:split\].* \| tatoeba \| tico19\[:test\|dev\] \| "
                                               r"afriqa\[:test\|dev\|train\]"):
        load_benchmark(spec, tmp_path, None)


@pytest.mark.parametrize("spec", ["beir:", "lareqa:"])
def test_a_spec_without_its_folder(spec: str, tmp_path: Path) -> None:
    with pytest.raises(HybridbatchError, match=f"benchmark spec '{spec}' names no folder; expected {spec[:-1]}:DIR"):
        load_benchmark(spec, tmp_path, None)


@pytest.mark.parametrize("spec, languages, name, kind, n_queries", [
    ("tatoeba", ["all"], "tatoeba", "bitext", 18),
    ("tatoeba", ["afr"], "tatoeba", "bitext", 8),
    ("tico19", None, "tico19-test", "multiparallel", 18),
    ("tico19:dev", ["en", "fr"], "tico19-dev", "multiparallel", 4),
    ("afriqa", None, "afriqa-test", "translated_qa", 10),
    ("afriqa:dev", ["all"], "afriqa-dev", "translated_qa", 2),
])
def test_new_benchmarks_read_under_the_data_dir(tiny_data: Path, spec, languages, name, kind, n_queries) -> None:
    b = load_benchmark(spec, tiny_data, languages)
    assert (b.name, b.kind, len(b.queries)) == (name, kind, n_queries)


def test_new_benchmarks_use_the_environment(tiny_data: Path, monkeypatch) -> None:
    monkeypatch.setenv("HYBRIDBATCH_DATA", str(tiny_data))
    assert load_benchmark("afriqa", None, ["hau"]).languages == ["en", "fr", "hau"]
    with pytest.raises(HybridbatchError, match=r"tatoeba\.ara-eng\.ara: file not found"):
        load_benchmark("tatoeba")  # the default is XTREME's 36 languages
    with pytest.raises(HybridbatchError, match="unknown TICO-19 split 'train'"):
        load_benchmark("tico19:train")


def test_real_mlqa_subset(real_data: Path) -> None:
    b = load_benchmark("mlqa-r", real_data, ["de", "en"])
    assert b.languages == ["de", "en"]
    assert sum(q.lang == "de" for q in b.queries) == 512
    assert all(len(rel) == 2 for q, rel in zip(b.queries, b.relevant_indices()) if q.lang == "de")
