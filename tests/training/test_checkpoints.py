from __future__ import annotations

import pytest
import yaml

from hybridbatch.errors import HybridbatchError
from hybridbatch.training.checkpoints import check_same_config
from hybridbatch.training.config import dump_yaml, load_config
from tests.training.helpers import toy_items, write_config, write_jsonl


def _saved_without_dataset_weighting(tmp_path):
    """A run folder whose config.yaml predates the ``sampling.dataset_weighting`` key."""
    write_jsonl(tmp_path / "items.jsonl", toy_items(20, ["en", "de"]))
    config = load_config(write_config(tmp_path / "train.yaml", {"datasets": [{"jsonl": "items.jsonl"}]}))
    saved = yaml.safe_load(dump_yaml(config))
    del saved["sampling"]["dataset_weighting"]
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.yaml").write_text(yaml.safe_dump(saved), encoding="utf-8")
    return config, out


def test_a_run_saved_before_dataset_weighting_existed_resumes_with_its_old_behaviour(tmp_path):
    config, out = _saved_without_dataset_weighting(tmp_path)
    assert config.sampling.dataset_weighting == "size"
    check_same_config(out, config)


def test_a_run_saved_before_dataset_weighting_existed_refuses_another_weighting(tmp_path):
    config, out = _saved_without_dataset_weighting(tmp_path)
    config.sampling.dataset_weighting = "uniform"
    with pytest.raises(HybridbatchError, match=r"\(sampling.dataset_weighting changed\)"):
        check_same_config(out, config)
