"""Fault injection: a tiny training run killed with SIGKILL mid-step, mid-checkpoint and mid-final-save
(``$HYBRIDBATCH_TEST_KILL_AT``, see ``hybridbatch.training.checkpoints.kill_point``) and resumed each time
ends with weights bit-identical to an uninterrupted run, never trains past max_steps, and leaves no
temporary file behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.helpers import toy_items, write_config, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, name: str) -> Path:
    jsonl = tmp_path / "items.jsonl"
    if not jsonl.exists():
        write_jsonl(jsonl, toy_items(40, ["en", "de", "es"]))
    return write_config(tmp_path / f"{name}.yaml", {
        "datasets": [{"jsonl": str(jsonl), "name": "toy"}],
        "output_dir": str(tmp_path / name),
        "seed": 2,
        "validation_fraction": 0.2,  # validation loss picks the kept checkpoint: the best path must survive
        "sampling": {"batches_per_epoch": 4},  # max_steps 6 ends inside an epoch
        "training": {"batch_size": 8, "max_steps": 6, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                     "warmup_steps": 1, "max_seq_length": 32, "device": "cpu", "precision": "fp32"},
    })


def _train(config: Path, model: Path, *, kill_at: str | None = None, resume: bool = False) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HYBRIDBATCH_TEST_KILL_AT"}
    env |= {"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(REPO / "src")}
    if kill_at:
        env["HYBRIDBATCH_TEST_KILL_AT"] = kill_at
    cmd = [sys.executable, "-m", "hybridbatch", "train", "--config", str(config), "--model", str(model)]
    proc = subprocess.run(cmd + (["--resume"] if resume else []), env=env, capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    expected = -signal.SIGKILL if kill_at else 0
    assert proc.returncode == expected, (kill_at, proc.returncode, proc.stderr[-3000:])


def _temporaries(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*") if ".tmp" in p.name or ".old-" in p.name)


def _weights(run: Path) -> dict:
    from safetensors.numpy import load_file

    return load_file(str(run / "model" / "model.safetensors"))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_anywhere_resume_ends_with_the_uninterrupted_weights(tmp_path, tiny_model_dir):
    whole = tmp_path / "whole"
    _train(_config(tmp_path, "whole"), tiny_model_dir)

    config, run = _config(tmp_path, "split"), tmp_path / "split"
    _train(config, tiny_model_dir, kill_at="step-3")  # mid-step: checkpoint-2 is the last one
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["checkpoint-2"]

    _train(config, tiny_model_dir, kill_at="checkpoint-4", resume=True)  # mid-checkpoint
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [".tmp-checkpoint-4", "checkpoint-2"]
    assert not (run / "checkpoints" / ".tmp-checkpoint-4" / "checkpoint-4" / "optimizer.pt").exists()

    _train(config, tiny_model_dir, kill_at="final-save", resume=True)  # falls back to checkpoint-2
    assert (run / "checkpoints" / "checkpoint-6").is_dir() and not (run / "model").exists()
    assert [t for t in _temporaries(run) if t.startswith(".model.tmp-")]
    assert not [t for t in _temporaries(run) if "checkpoint" in t]  # the stale half checkpoint was removed

    _train(config, tiny_model_dir, resume=True)  # at max_steps: nothing left to train
    assert _temporaries(run) == []
    card = (run / "model" / "README.md").read_text()
    assert "| steps | 6 (max 6)" in card, card
    a, b = _weights(whole), _weights(run)
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    assert (run / "model" / "hybridbatch_run.json").read_text().count('"global_step": 6') == 1


def _fake_checkpoint(folder: Path, step: int, *, complete: bool = True) -> Path:
    import torch
    from safetensors.torch import save_file

    ck = folder / f"checkpoint-{step}"
    ck.mkdir(parents=True)
    (ck / "config.json").write_text("{}")
    if complete:
        (ck / "trainer_state.json").write_text(f'{{"global_step": {step}}}')
        for name in ("optimizer.pt", "scheduler.pt", "modules.json"):
            (ck / name).write_text("x")
        save_file({"w": torch.zeros(2)}, str(ck / "model.safetensors"))
    return ck


def test_resume_falls_back_to_the_newest_complete_checkpoint_and_says_which(tmp_path, caplog):
    from hybridbatch.errors import HybridbatchError
    from hybridbatch.training.checkpoints import checkpoint_to_resume
    from hybridbatch.training.config import load_config

    config = load_config(_config(tmp_path, "run"))
    folder = tmp_path / "run" / "checkpoints"
    _fake_checkpoint(folder, 2)
    _fake_checkpoint(folder, 10)
    _fake_checkpoint(folder, 12, complete=False)  # e.g. written by an older version, then killed
    with caplog.at_level("WARNING"):
        assert checkpoint_to_resume(tmp_path / "run", "latest", config) == folder / "checkpoint-10"
    assert "skipping incomplete checkpoint" in caplog.text and "resuming from" in caplog.text
    for step in (2, 10):
        for f in (folder / f"checkpoint-{step}").iterdir():
            f.unlink()
    with pytest.raises(HybridbatchError, match="no complete checkpoint to resume from"):
        checkpoint_to_resume(tmp_path / "run", "latest", config)


def test_stale_temporaries_are_removed_and_nothing_else(tmp_path):
    from hybridbatch.training.checkpoints import remove_stale_temporaries

    run = tmp_path / "run"
    folders = [run / "checkpoints" / ".tmp-checkpoint-4" / "checkpoint-4", run / ".model.tmp-ab12",
               run / ".model.old-77", run / "checkpoints" / "checkpoint-2", run / "model"]
    for p in folders:
        p.mkdir(parents=True)
    for p in (run / "config.yamlx1y2.tmp", run / "config.yaml", run / "notes.tmp"):
        p.write_text("x")
    stale = [run / "checkpoints" / ".tmp-checkpoint-4", run / ".model.tmp-ab12", run / ".model.old-77",
             run / "config.yamlx1y2.tmp"]
    kept = [run / "checkpoints" / "checkpoint-2", run / "model", run / "config.yaml", run / "notes.tmp"]
    assert len(remove_stale_temporaries(run)) == 4
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["checkpoint-2"]
