"""Index files: build, add, manifest, kinds, and refusals (existing index, corrupt files, other model)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.search.builder import build_index
from hybridbatch.search.index import IndexSettings, build_faiss, read_manifest
from tests.search.conftest import DOCS, write_corpus


def test_manifest_records_model_counts_hash_and_versions(exact_index, tiny_model_dir):
    manifest = read_manifest(exact_index)
    assert manifest["documents"] == len(DOCS) == sum(manifest["counts"].values())
    assert manifest["counts"] == {"de": 3, "en": 3, "es": 3, "zh": 1}
    assert manifest["model"]["spec"] == str(tiny_model_dir.resolve()) and len(manifest["model"]["identity"]) == 24
    assert len(manifest["corpora"][0]["sha256"]) == 64 and "faiss-cpu" in manifest["versions"]
    assert not [p for p in exact_index.parent.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_adding_documents_extends_the_index_and_refuses_known_ids(tmp_path, exact_index, tiny_model_dir):
    index = tmp_path / "idx"
    shutil.copytree(exact_index, index)
    extra = write_corpus(tmp_path / "more.jsonl", [("fr-1", "fr", "Le Rhin prend sa source dans les Alpes.")])
    manifest = build_index(str(extra), index, add=True, cache=False)
    assert manifest["documents"] == len(DOCS) + 1 and manifest["counts"]["fr"] == 1
    assert [c["documents"] for c in manifest["corpora"]] == [len(DOCS), 1]
    from hybridbatch.search.searcher import Searcher

    hits = Searcher(index).search(["Rhin"], __import__("hybridbatch.search.searcher", fromlist=["Request"])
                                  .Request(k=3, langs=("fr",)))[0]
    assert [h["id"] for h in hits] == ["fr-1"]
    with pytest.raises(HybridbatchError, match="'fr-1' is already in the index"):
        build_index(str(extra), index, add=True, cache=False)


def test_existing_index_or_foreign_folder_is_not_overwritten(tmp_path, exact_index, corpus_file, tiny_model_dir):
    before = (exact_index / "manifest.json").read_bytes()
    with pytest.raises(HybridbatchError, match="already exists"):
        build_index(str(corpus_file), exact_index, model=str(tiny_model_dir))
    assert (exact_index / "manifest.json").read_bytes() == before
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(HybridbatchError, match="holds no index"):
        build_index(str(corpus_file), tmp_path / "mine", model=str(tiny_model_dir))
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_adding_with_another_model_is_refused(tmp_path, exact_index, corpus_file):
    from tests.conftest import build_tiny_model

    index = tmp_path / "idx"
    shutil.copytree(exact_index, index)
    other = build_tiny_model(tmp_path / "other", seed=5)
    extra = write_corpus(tmp_path / "more.jsonl", [("x-1", "en", "Another text.")])
    with pytest.raises(HybridbatchError, match="model mismatch"):
        build_index(str(extra), index, model=str(other), add=True, cache=False)
    assert read_manifest(index)["documents"] == len(DOCS)


@pytest.mark.parametrize("damage, fragment", [
    (lambda d: (d / "manifest.json").write_text("{not json"), "corrupt manifest"),
    (lambda d: (d / "manifest.json").write_text('{"format": 1}'), "'model' missing"),
    (lambda d: (d / "manifest.json").unlink(), "no manifest.json"),
    (lambda d: (d / "vectors.faiss").unlink(), "vectors.faiss is missing"),
    (lambda d: (d / "vectors.faiss").write_bytes(b"garbage"), "unreadable FAISS index"),
    (lambda d: (d / "documents.sqlite").write_bytes(b"garbage" * 100), "unreadable documents table"),
])
def test_damaged_index_is_an_error_naming_the_file(tmp_path, exact_index, damage, fragment):
    from hybridbatch.search.searcher import Searcher

    index = tmp_path / "idx"
    shutil.copytree(exact_index, index)
    damage(index)
    with pytest.raises(HybridbatchError, match=fragment) as err:
        Searcher(index)
    assert str(index) in str(err.value)


def test_manifest_with_another_format_version_is_refused(tmp_path, exact_index):
    index = tmp_path / "idx"
    shutil.copytree(exact_index, index)
    manifest = json.loads((index / "manifest.json").read_text())
    (index / "manifest.json").write_text(json.dumps(manifest | {"format": 99}))
    with pytest.raises(HybridbatchError, match="format 99 is not supported"):
        read_manifest(index)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_kinds_find_the_exact_neighbours_on_easy_data(kind):
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((20, 16)).astype(np.float32)
    x = centres[rng.integers(0, 20, 2000)] + 0.05 * rng.standard_normal((2000, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    settings = IndexSettings(kind=kind, nprobe=8)
    index = build_faiss(x, settings)
    _, found = index.search(x[:50], 1)
    assert (found[:, 0] == np.arange(50)).mean() >= 0.9
    if kind == "ivf":
        assert settings.nlist == min(int(4 * np.sqrt(2000)), 2000 // 39)


def test_settings_out_of_range_are_refused():
    with pytest.raises(HybridbatchError, match="'nprobe' is 0; must be >= 1"):
        IndexSettings(kind="ivf", nprobe=0).validate()
    with pytest.raises(HybridbatchError, match="'kind' is 'lsh'; expected one of exact, ivf, hnsw"):
        IndexSettings(kind="lsh").validate()  # type: ignore[arg-type]
