"""models_from: which trained model a run reuses, decided from folders and config files only."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import expand_grid, load_experiment, training_config
from hybridbatch.experiment.layout import ExperimentFolder
from hybridbatch.experiment.records import check_same_settings, run_settings
from hybridbatch.experiment.reuse import reused_model, trained_languages
from hybridbatch.outputs import write_json
from hybridbatch.training.data import PreparedData
from hybridbatch.training.model_card import model_card_section
from tests.training.helpers import toy_items, toy_pairs, write_config, write_jsonl


def _grid(tmp_path: Path, block: dict, models_from: Path | None = None):
    write_jsonl(tmp_path / "items.jsonl", toy_items(20, ["en", "de", "es"]))
    write_config(tmp_path / "train.yaml", {"model": "default", "datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
                                           "output_dir": str(tmp_path / "unused")})
    data = {"name": "g", "train": {"toy": "train.yaml"}, "grid": [block], "evaluate": {"benchmarks": ["xquad-r"]}}
    if models_from is not None:
        data["models_from"] = str(models_from)
    return load_experiment(write_config(tmp_path / f"exp{len(list(tmp_path.glob('exp*')))}.yaml", data))


def fake_trained_run(cfg, spec, folder: ExperimentFolder, languages: tuple[str, ...] = ("de", "en", "es")) -> Path:
    """A run folder of ``spec`` as a finished training leaves it: run.json, a complete model whose card is
    the trainer's own (:func:`model_card_section`) stating ``languages``."""
    run = folder.run(spec.run_id)
    run.train.model.mkdir(parents=True)
    (run.train.model / "modules.json").write_text("[]")
    config = training_config(cfg, spec, run.train.path)
    data = PreparedData([], TrainingPairs([toy_pairs(5, languages)]), None)
    card = model_card_section(config, data, {"query": "q: ", "passage": "p: "}, 2, None)
    run.train.model_card.write_text("---\ntags: []\n---\n\n" + card, encoding="utf-8")
    write_json(run.record, run_settings(cfg, spec)[1])
    return run.train.model.resolve()


def test_the_card_states_the_training_languages(tmp_path):
    cfg = _grid(tmp_path, {"strategy": ["x-y"]})
    (spec,) = expand_grid(cfg)
    fake_trained_run(cfg, spec, ExperimentFolder(tmp_path / "a"), ("de", "en"))
    card = ExperimentFolder(tmp_path / "a").run(spec.run_id).train.model_card
    assert trained_languages(card) == [("toy", ["de", "en"])]
    assert trained_languages(tmp_path / "no-card.md") is None


def test_same_run_with_same_settings_is_reused_and_other_settings_are_not(tmp_path):
    first = _grid(tmp_path, {"strategy": ["x-y"]})
    (spec,) = expand_grid(first)
    model = fake_trained_run(first, spec, ExperimentFolder(tmp_path / "a"))
    second = _grid(tmp_path, {"strategy": ["x-y"]}, models_from=tmp_path / "a")
    assert reused_model(second, spec, run_settings(second, spec)[1]) == model
    other = dict(run_settings(second, spec)[1], train_overrides={"max_steps": 3})
    assert reused_model(second, spec, other) is None
    second.models_from = None
    assert reused_model(second, spec, run_settings(second, spec)[1]) is None


def _reusing_run(cfg, spec, folder: ExperimentFolder, model: Path) -> None:
    """A run folder of ``spec`` as a grid that reused ``model`` leaves it: run.json with model_from, no model."""
    run = folder.run(spec.run_id)
    run.path.mkdir(parents=True)
    write_json(run.record, run_settings(cfg, spec)[1] | {"model_from": str(model)})


def test_a_grid_that_reused_its_models_passes_them_on(tmp_path):
    first = _grid(tmp_path, {"strategy": ["x-y"]})
    (spec,) = expand_grid(first)
    model = fake_trained_run(first, spec, ExperimentFolder(tmp_path / "a"))
    _reusing_run(first, spec, ExperimentFolder(tmp_path / "b"), model)
    third = _grid(tmp_path, {"strategy": ["x-y"]}, models_from=tmp_path / "b")
    assert reused_model(third, spec, run_settings(third, spec)[1]) == model
    other = dict(run_settings(third, spec)[1], train_overrides={"max_steps": 3})
    assert reused_model(third, spec, other) is None  # the settings are still compared
    counts = _grid(tmp_path, {"strategy": ["x-y"], "train_languages": {
        "sizes": [3], "languages": ["de", "en", "es"], "include": ["en"]}}, models_from=tmp_path / "b")
    (subset,) = expand_grid(counts)
    assert reused_model(counts, subset, run_settings(counts, subset)[1]) == model  # the card read at the source
    shutil.rmtree(tmp_path / "a")  # the source model is gone: train here
    assert reused_model(third, spec, run_settings(third, spec)[1]) is None


def test_a_subset_reuses_the_unrestricted_run_trained_on_exactly_its_languages(tmp_path):
    first = _grid(tmp_path, {"strategy": ["x-y"]})
    (plain,) = expand_grid(first)
    model = fake_trained_run(first, plain, ExperimentFolder(tmp_path / "a"), ("de", "en", "es"))
    counts = _grid(tmp_path, {"strategy": ["x-y"], "train_languages": {
        "sizes": [2, 3], "languages": ["de", "en", "es"], "include": ["en"]}}, models_from=tmp_path / "a")
    by_k = {len(s.languages): s for s in expand_grid(counts)}
    assert reused_model(counts, by_k[3], run_settings(counts, by_k[3])[1]) == model
    assert reused_model(counts, by_k[2], run_settings(counts, by_k[2])[1]) is None
    # the unrestricted run saw a fourth language: restricting to three drops items, so train here
    (tmp_path / "a" / plain.run_id).rename(tmp_path / "old")
    fake_trained_run(first, plain, ExperimentFolder(tmp_path / "a"), ("de", "en", "es", "fr"))
    assert reused_model(counts, by_k[3], run_settings(counts, by_k[3])[1]) is None
    # a card that states no training data (an older model): train here
    card = ExperimentFolder(tmp_path / "a").run(plain.run_id).train.model_card
    card.write_text("# a model\n", encoding="utf-8")
    assert reused_model(counts, dataclasses.replace(by_k[3]), run_settings(counts, by_k[3])[1]) is None


def test_a_comment_in_the_training_config_changes_no_run_but_a_value_does(tmp_path):
    first = _grid(tmp_path, {"strategy": ["x-y"]})
    (spec,) = expand_grid(first)
    model = fake_trained_run(first, spec, ExperimentFolder(tmp_path / "a"))
    train_yaml = tmp_path / "train.yaml"
    train_yaml.write_text("# a comment edited later\n" + train_yaml.read_text(), encoding="utf-8")
    second = dataclasses.replace(first, models_from=str(tmp_path / "a"))
    now = run_settings(second, spec)[1]
    assert now["train_config"].startswith("# a comment") and reused_model(second, spec, now) == model
    folder = ExperimentFolder(tmp_path / "a").run(spec.run_id)
    check_same_settings(folder, now)  # the run folder continues under the commented file
    train_yaml.write_text(train_yaml.read_text().replace("model: default", "model: other"), encoding="utf-8")
    changed = run_settings(second, spec)[1]
    assert reused_model(second, spec, changed) is None
    with pytest.raises(HybridbatchError, match="another training config"):
        check_same_settings(folder, changed)


def test_a_setting_added_to_the_file_and_overridden_back_in_the_experiment_is_the_same_run(tmp_path):
    first = _grid(tmp_path, {"strategy": ["x-y"]})
    (spec,) = expand_grid(first)
    model = fake_trained_run(first, spec, ExperimentFolder(tmp_path / "a"))
    folder = ExperimentFolder(tmp_path / "a").run(spec.run_id)
    train_yaml = tmp_path / "train.yaml"
    train_yaml.write_text(train_yaml.read_text() + "negatives: {policy: same-language}\n"
                          "training: {length_sorted: true}\n", encoding="utf-8")
    moved = run_settings(first, spec)[1]  # the file now trains another run
    with pytest.raises(HybridbatchError, match="another training config"):
        check_same_settings(folder, moved)
    back = dataclasses.replace(first, models_from=str(tmp_path / "a"),
                               train_overrides={"negatives.policy": None, "length_sorted": False})
    now = run_settings(back, spec)[1]
    check_same_settings(folder, now)
    assert reused_model(back, spec, now) == model
    other_run = dict(now, run_overrides={"scale": 50.0})  # same training config, other run settings
    assert reused_model(back, spec, other_run) is None
