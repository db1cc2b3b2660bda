from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from hybridbatch.cli import main
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from hybridbatch.training import checkpoints, runtime, trainer
from hybridbatch.training.config import TrainConfig, dump_yaml, load_config
from hybridbatch.training.data import prepare_data
from hybridbatch.training.planner import BatchPlanner
from tests.training.helpers import parse_row, record_training_batches, toy_items, write_config, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _config_dict(tmp_path: Path, **training) -> dict:
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    return {
        "datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
        "output_dir": str(tmp_path / "run"),
        "seed": 1,
        "validation_fraction": 0.2,
        "training": {"batch_size": 8, "max_steps": 4, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                     "warmup_steps": 0, "max_seq_length": 32} | training,
    }


def _config(tmp_path: Path, **training) -> TrainConfig:
    return load_config(write_config(tmp_path / "train.yaml", _config_dict(tmp_path, **training)))


def _model(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_model_dir), device="cpu")


# ---- configuration ----

# ---- bad input through the command line: one line, exit 2, nothing written ----

def _corrupt_checkpoint(tmp_path: Path) -> str:
    ck = tmp_path / "elsewhere" / "checkpoint-3"
    ck.mkdir(parents=True)
    (ck / "trainer_state.json").write_text("{truncated")
    return str(ck)


@pytest.mark.parametrize("case", ["strategy", "alpha", "language", "too-small", "config-key", "checkpoint"])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, case):
    data = _config_dict(tmp_path)
    extra: list[str] = []
    if case == "strategy":
        extra = ["--strategy", "zigzag"]
    elif case == "alpha":
        extra = ["--alpha", "1.2"]
    elif case == "language":
        data["datasets"][0]["languages"] = ["en", "xx"]
    elif case == "too-small":
        extra = ["--batch-size", "64"]
    elif case == "config-key":
        data["sampling"] = {"strategy": "hybrid", "aplha": 0.5}
    elif case == "checkpoint":
        extra = ["--resume", _corrupt_checkpoint(tmp_path)]
    cfg = write_config(tmp_path / "train.yaml", data)
    plan = tmp_path / "plan.jsonl"
    args = ["train", "--config", str(cfg)] + extra
    if case != "checkpoint":
        args += ["--dry-run", "--plan-out", str(plan)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hybridbatch: error:") and "\n" not in err
    expected = {"strategy": "'sampling.strategy' is 'zigzag'; expected one of x-x-mono, x-y, hybrid", "alpha": "'sampling.alpha' is 1.2; must be <= 1.0",
                "language": "xx", "too-small": "too few for one batch of 64",
                "config-key": "unknown config key 'sampling.aplha'", "checkpoint": "unreadable checkpoint"}[case]
    assert expected in err
    assert not plan.exists() and not (tmp_path / "run").exists()


def test_dry_run_of_two_datasets_reports_the_dataset_draw(tmp_path, capsys):
    data = _config_dict(tmp_path)
    write_jsonl(tmp_path / "small.jsonl", toy_items(15, ["en", "fr"], start=500))
    data["datasets"].append({"jsonl": "small.jsonl", "name": "small"})
    cfg = write_config(tmp_path / "train.yaml", data)
    plan = tmp_path / "plan.jsonl"
    assert main(["train", "--config", str(cfg), "--dry-run", "--plan-out", str(plan), "--plan-batches", "400",
                 "--dataset-weighting", "uniform"]) == 0
    out = capsys.readouterr().out
    shares = Counter(json.loads(x)["dataset"] for x in plan.read_text().splitlines())
    assert f"datasets (uniform): toy {shares['toy']}, small {shares['small']}" in out
    assert abs(shares["small"] / 400 - 0.5) < 0.07  # by size: about 30 / 150 = 0.2


def test_dry_run_writes_the_batch_plan(tmp_path, capsys):
    cfg = write_config(tmp_path / "train.yaml", _config_dict(tmp_path))
    plan = tmp_path / "plans" / "plan.jsonl"
    assert main(["train", "--config", str(cfg), "--dry-run", "--plan-out", str(plan), "--plan-batches", "30",
                 "--alpha", "0.25", "--seed", "5"]) == 0
    assert "planned 30 batches of 8" in capsys.readouterr().out
    lines = [json.loads(x) for x in plan.read_text().splitlines()]
    assert len(lines) == 30
    for rec in lines:
        assert rec["dataset"] == "toy" and len(rec["rows"]) == 8
        langs = {(r["query_lang"], r["passage_lang"]) for r in rec["rows"]}
        if rec["batch_type"] == "x-x-mono":
            assert langs == {(rec["language"], rec["language"])}
        else:
            assert rec["batch_type"] == "x-y" and all(x != y for x, y in langs)
        assert len({r["group"] for r in rec["rows"]}) == 8
    assert not (tmp_path / "run").exists()
    # the plan is the sequence the trainer will use (same seed, same split)
    config = load_config(cfg)
    config.seed, config.sampling.alpha = 5, 0.25
    data = prepare_data(config)
    planner = BatchPlanner(data.train, 8, config.sampling, seed=5)
    first = next(iter(planner.plan(0)))
    assert [data.train.describe(int(r)) for r in first.rows] == lines[0]["rows"]


# ---- training ----

def _overlapping_benchmark() -> Benchmark:
    q = Query("en:q", "en", "q", "what is bb in en")  # a training question
    c = Candidate("en:c", "en", "something else", None)
    return Benchmark("evalset", "lareqa", [q], [c], {"en:q": {"en:c": 1}}, ["en"], "evalset")


def test_leakage_blocks_training_unless_allowed_then_a_tiny_model_trains(tmp_path, tiny_model_dir, monkeypatch):
    import hybridbatch.training.data as training_data

    monkeypatch.setattr(training_data, "load_benchmark", lambda spec, data_dir=None, languages=None:
                        _overlapping_benchmark())
    config = _config(tmp_path, freeze_word_embeddings=True, prompts="paper")
    config.eval_benchmarks = ["evalset"]
    with pytest.raises(HybridbatchError, match="refusing to train"):
        trainer.train(config, model=_model(tiny_model_dir))
    assert not Path(config.output_dir).exists()

    config.allow_leakage = True
    model = _model(tiny_model_dir)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = trainer.train(config, model=model)
    out = Path(config.output_dir)
    assert result.global_step == 4
    assert json.loads((out / "leakage.json").read_text())[0]["overlap"] is True
    assert yaml.safe_load((out / "config.yaml").read_text())["sampling"]["strategy"] == "hybrid"
    run = json.loads((out / "run.json").read_text())
    assert run["versions"]["sentence-transformers"] and run["config"]["seed"] == 1
    assert list((out / "logs").glob("events.out.tfevents.*"))
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["checkpoint-2", "checkpoint-4"]
    card = (result.model_dir / "README.md").read_text()
    for fact in ("batch strategy | hybrid; alpha = 0.5", "| steps | 4 (max 4)", "| seed | 1 |", "toy (items.jsonl)"):
        assert fact in card
    assert card.startswith("---")  # sentence-transformers' own card metadata kept

    from sentence_transformers import SentenceTransformer

    trained = SentenceTransformer(str(result.model_dir), device="cpu")
    assert trained.prompts["query"] == "Query: " and trained.prompts["passage"] == "Passage: "
    after = trained.state_dict()
    emb = next(k for k in after if k.endswith("word_embeddings.weight"))
    assert after[emb].equal(before[emb])  # frozen
    changed = [k for k in after if k != emb and not after[k].equal(before[k])]
    assert changed  # everything else trained


def test_resumed_run_continues_the_batch_sequence_and_ends_with_the_same_weights(tmp_path, tiny_model_dir,
                                                                                  monkeypatch):
    from transformers import TrainerCallback


    class Killed(Exception):
        pass

    class KillAfterStep6(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 6:
                raise Killed()

    def run(name: str, resume=None, callbacks=None):
        config = _config(tmp_path, max_steps=10, loss="cached-mnrl", mini_batch_size=3, warmup_steps=2)
        config.sampling.batches_per_epoch = 4  # the run crosses epochs 0, 1, 2
        config.output_dir = str(tmp_path / name)
        queries = {it.query for d in prepare_data(config).train.datasets for it in d.items}
        seen: list = []
        with monkeypatch.context() as mp:
            record_training_batches(mp, queries, seen)
            try:
                trainer.train(config, resume=resume, model=_model(tiny_model_dir), callbacks=callbacks)
            except Killed:
                pass
        return seen

    whole = run("whole")
    first = run("split", callbacks=[KillAfterStep6()])
    assert not (tmp_path / "split" / "model").exists()
    second = run("split", resume="latest")
    # the loader reads one batch ahead, so each run records one more than it trains on
    assert len(whole) == 11 and len(first) == 7 and len(second) == 5
    assert whole[:10] == first[:6] + second[:4]
    kinds = {tuple(sorted({parse_row(*r)[:2] for r in b})) for b in whole}
    assert len(kinds) > 2  # the sequence is not trivially constant

    from sentence_transformers import SentenceTransformer

    a = SentenceTransformer(str(tmp_path / "whole" / "model"), device="cpu").state_dict()
    b = SentenceTransformer(str(tmp_path / "split" / "model"), device="cpu").state_dict()
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)


def test_resume_refuses_a_changed_config_and_a_fresh_run_refuses_old_checkpoints(tmp_path):

    config = _config(tmp_path)
    out = Path(config.output_dir)
    ck = out / "checkpoints" / "checkpoint-2"
    ck.mkdir(parents=True)
    (out / "config.yaml").write_text(dump_yaml(config))
    with pytest.raises(HybridbatchError, match="already holds checkpoints"):
        trainer.train(config)
    for name in ("optimizer.pt", "scheduler.pt", "modules.json"):
        (ck / name).write_text("x")
    (ck / "trainer_state.json").write_text('{"global_step": 2}')
    with pytest.raises(HybridbatchError, match="no model weights"):
        trainer.train(config, resume="latest")
    (ck / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(HybridbatchError, match="unreadable checkpoint: model.safetensors"):
        checkpoints.check_checkpoint(ck)
    import torch
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(ck / "model.safetensors"))
    checkpoints.check_checkpoint(ck)
    config.sampling.alpha = 0.7
    with pytest.raises(HybridbatchError, match=r"\(sampling.alpha changed\)"):
        trainer.train(config, resume="latest")


def test_prompt_modes():
    resolve_prompts = runtime.resolve_prompts

    class M:
        prompts = {"query": "query: ", "document": "passage: "}

    class Bare:
        prompts = {}

    assert resolve_prompts(M(), "auto") == {"query": "query: ", "passage": "passage: "}
    assert resolve_prompts(Bare(), "auto") == {"query": "Query: ", "passage": "Passage: "}
    assert resolve_prompts(M(), "paper") == {"query": "Query: ", "passage": "Passage: "}
    assert resolve_prompts(M(), "none") == {"query": "", "passage": ""}
    with pytest.raises(HybridbatchError, match="no query/passage prompts"):
        resolve_prompts(Bare(), "model")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_train_command_with_a_model_folder(tmp_path, tiny_model_dir, capsys, precision):
    pytest.importorskip("hybridbatch.models.loading")
    from safetensors.numpy import load_file

    cfg = write_config(tmp_path / "train.yaml", _config_dict(tmp_path) | {"validation_fraction": 0.0})
    assert main(["train", "--config", str(cfg), "--model", str(tiny_model_dir), "--max-steps", "2",
                 "--precision", precision]) == 0
    assert "trained 2 steps" in capsys.readouterr().out
    assert (tmp_path / "run" / "model" / "README.md").is_file()
    saved = load_file(str(tmp_path / "run" / "model" / "model.safetensors"))
    assert {str(v.dtype) for v in saved.values()} == {"float32"}  # mixed precision keeps fp32 weights
    before = load_file(str(tiny_model_dir / "model.safetensors"))
    assert any(not np.array_equal(before[k], saved[k]) for k in saved if k in before)
