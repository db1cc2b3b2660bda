"""``hybridbatch train`` flags: derived from the config fields, the earlier spellings kept."""

from __future__ import annotations

from hybridbatch.cli import build_parser
from hybridbatch.config import override_fields
from hybridbatch.training.config import TrainConfig

EARLIER_FLAGS = ["--config", "--strategy", "--alpha", "--seed", "--max-steps", "--batch-size", "--lr", "--model",
                 "--warmup-steps", "--max-seq-length", "--eval-steps", "--loss", "--mini-batch-size",
                 "--validation-fraction", "--language-weighting", "--freeze-word-embeddings", "--precision",
                 "--eval-benchmark", "--out", "--resume", "--allow-leakage", "--data-dir", "--dry-run",
                 "--plan-out", "--plan-batches", "--world-size"]


def _train_parser():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices["train"]


def test_every_config_field_has_a_flag_and_the_earlier_flags_remain():
    flags = {s for a in _train_parser()._actions for s in a.option_strings}
    assert set(EARLIER_FLAGS) <= flags
    for leaf in override_fields(TrainConfig).values():
        assert set(leaf.flags) <= flags, leaf.path


def test_flags_become_overrides_with_types_and_none():
    from hybridbatch.cli.config_flags import overrides_from_args

    args = build_parser().parse_args(["train", "--config", "c.yaml", "--lr", "1e-4", "--scale", "50",
                                      "--no-freeze-word-embeddings", "--early-stopping-patience", "none",
                                      "--eval-benchmark", "xquad-r, mlqa-r", "--strategy", "x-y"])
    assert overrides_from_args(args, args.config_flags) == {
        "training.learning_rate": 1e-4, "training.scale": 50.0, "training.freeze_word_embeddings": False,
        "training.early_stopping_patience": None, "eval_benchmarks": ["xquad-r", "mlqa-r"],
        "sampling.strategy": "x-y"}
    bare = build_parser().parse_args(["train", "--config", "c.yaml"])
    assert overrides_from_args(bare, bare.config_flags) == {}
