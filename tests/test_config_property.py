"""Property-based: the strict config loader (training and experiment configs), given random bytes, random
YAML or a valid config with one random part replaced, either loads it or raises a one-line
HybridbatchError naming the file, never another exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import load_experiment
from hybridbatch.training.config import load_config
from tests.training.helpers import toy_items, write_jsonl

SETTINGS = settings(max_examples=80, deadline=None)

TRAIN = {"datasets": [{"jsonl": "items.jsonl", "languages": ["en", "de"]}], "output_dir": "run", "seed": 1,
         "validation_fraction": 0.1, "sampling": {"strategy": "hybrid", "alpha": 0.5},
         "training": {"batch_size": 8, "max_steps": 4, "learning_rate": 3.0e-5, "max_seq_length": 64,
                      "warmup_steps": 0.1, "early_stopping_patience": 3}}
EXPERIMENT = {"name": "x", "train": {"toy": "train.yaml"},
              "grid": [{"strategy": ["hybrid", "x-y"], "alpha": [0.5], "seed": [1, 2]}],
              "train_overrides": {"max_steps": 2}, "evaluate": {"benchmarks": ["xquad-r"], "batch_size": 16},
              "evaluate_wise": 0.5, "soups": [["x-x-mono", "x-y"]]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Holds the training data and the valid training config the experiment names."""
    folder = tmp_path_factory.mktemp("config-property")
    write_jsonl(folder / "items.jsonl", toy_items(20, ["en", "de"]))
    (folder / "train.yaml").write_text(yaml.safe_dump(TRAIN), encoding="utf-8")
    return folder

scalars = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | st.text(max_size=8)
           | st.sampled_from(["hybrid", "1e20", ".nan", "null", "", "x-y"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=3), max_leaves=8)


def _paths(node, prefix=()):
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        yield from _paths(child, prefix + (key,))


@st.composite
def mutated(draw, document):
    """``document`` with one node replaced by a random value, or one mapping key renamed."""
    doc = json.loads(json.dumps(document))
    paths = list(_paths(doc))
    path = paths[draw(st.integers(0, len(paths) - 1))]
    value = draw(values)
    if not path:
        return value
    node = doc
    for key in path[:-1]:
        node = node[key]
    if isinstance(node, dict) and draw(st.booleans()):
        node[draw(st.text(max_size=6))] = node.pop(path[-1])
    else:
        node[path[-1]] = value
    return doc


def _expect_clean(load, path: Path, *, referenced: bool = False) -> None:
    """``load(path)`` succeeds or raises a one-line HybridbatchError naming ``path`` (with ``referenced``: or
    a training config the experiment names, which lies in the same folder or is the folder itself)."""
    try:
        load(path)
    except HybridbatchError as exc:
        assert str(path) in str(exc) or (referenced and str(path.parent) in str(exc)), str(exc)
        assert "\n" not in str(exc), str(exc)


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@SETTINGS
@given(doc=mutated(TRAIN))
def test_training_config_with_one_part_replaced(folder, doc):
    _expect_clean(load_config, _write(folder, "t.yaml", yaml.safe_dump(doc)))


@SETTINGS
@given(doc=mutated(EXPERIMENT))
def test_experiment_config_with_one_part_replaced(folder, doc):
    _expect_clean(load_experiment, _write(folder, "e.yaml", yaml.safe_dump(doc)), referenced=True)


@SETTINGS
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_training_config_from_random_bytes(folder, data):
    _expect_clean(load_config, _write(folder, "t.yaml", data))


@SETTINGS
@given(data=st.binary(max_size=300) | st.text(alphabet="{}[]:,- \n\t'\"!&*#|>%@`ax1.", max_size=120).map(str.encode))
def test_experiment_config_from_random_bytes(folder, data):
    _expect_clean(load_experiment, _write(folder, "e.yaml", data), referenced=True)
