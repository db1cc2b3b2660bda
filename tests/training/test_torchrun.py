"""``hybridbatch train --nproc 2`` through the real entry point (``python -m hybridbatch``, relaunched under
torch.distributed.run; two CPU processes, gloo) against one process training the whole step.

What is equal, and why: with N ranks of ``batch_size`` B, the planner draws each step's dataset, batch type,
language and N·B rows exactly as it does for one process with batch N·B, then hands B rows to each rank —
so the side-by-side batches share type and language and together are the one-process batch. With
``gather_across_devices`` every rank scores its queries against all N·B passages and DDP averages the
gradients, which is the one-process loss and gradient: the logged losses, the validation retrieval and the
final weights match to float rounding (dropout is off here; with dropout each process draws other masks).
Without gathering, each rank's in-batch negatives are its own B−1 rows, so the losses differ from the N·B
run while the batch sequence does not. Checkpoint selection, the validation history and the model card
are written once, by rank 0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.cli import main
from tests.training.helpers import toy_items, write_config, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _losses(run: Path) -> list[float]:
    """Loss and gradient norm of every step (logged by rank 0: the mean over ranks, the averaged gradient)."""
    state = json.loads((run / "checkpoints" / "checkpoint-4" / "trainer_state.json").read_text())
    return [x for h in state["log_history"] if "loss" in h for x in (h["loss"], h["grad_norm"])]


def _validation(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "validation.jsonl").read_text().splitlines()]


@pytest.mark.skipif(sys.platform == "win32", reason="gloo over torchrun")
def test_two_processes_train_the_one_process_step_split_in_two(tmp_path, tiny_model_dir, capsys):
    from safetensors.numpy import load_file

    model = Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))
    hf = json.loads((model / "config.json").read_text())
    hf |= {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}  # the same forward in any process
    (model / "config.json").write_text(json.dumps(hf))
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    config = write_config(tmp_path / "train.yaml", {
        "model": str(model), "datasets": [{"jsonl": str(tmp_path / "items.jsonl"), "name": "toy"}], "seed": 3,
        "validation_fraction": 0.2, "output_dir": str(tmp_path / "unused"),
        "sampling": {"strategy": "hybrid", "alpha": 0.5},
        "training": {"batch_size": 4, "max_steps": 4, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                     "gather_across_devices": True, "warmup_steps": 0, "max_seq_length": 32, "learning_rate": 1e-3,
                     "select_metric": "mo+mul", "device": "cpu", "precision": "fp32"}})
    # the plan: batches 2k and 2k+1 run side by side and are together the one-process batch k of 8 rows
    assert main(["train", "--config", str(config), "--dry-run", "--nproc", "2", "--plan-out", str(tmp_path / "p2.jsonl")]) == 0
    assert main(["train", "--config", str(config), "--dry-run", "--batch-size", "8",
                 "--plan-out", str(tmp_path / "p1.jsonl")]) == 0
    two, one = ([json.loads(x) for x in (tmp_path / f).read_text().splitlines()] for f in ("p2.jsonl", "p1.jsonl"))
    assert len(two) == 2 * len(one) == 8
    for k, whole in enumerate(one):
        a, b = two[2 * k], two[2 * k + 1]
        assert a["batch_type"] == b["batch_type"] == whole["batch_type"]
        assert a["language"] == b["language"] == whole["language"] and a["dataset"] == b["dataset"]
        assert a["rows"] + b["rows"] == whole["rows"]
    assert {b["batch_type"] for b in one} == {"x-x-mono", "x-y"}

    # two processes through the entry point, one process with the whole step
    env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(REPO / "src"))
    proc = subprocess.run([sys.executable, "-m", "hybridbatch", "train", "--config", str(config), "--nproc", "2",
                           "--out", str(tmp_path / "ddp")], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert main(["train", "--config", str(config), "--batch-size", "8", "--out", str(tmp_path / "one")]) == 0
    ddp, single = tmp_path / "ddp", tmp_path / "one"
    assert _losses(ddp) == pytest.approx(_losses(single), rel=1e-5) and len(_losses(ddp)) == 8
    steps = [(v["step"], v["metrics"]["val_mo+mul"]) for v in _validation(ddp)]
    assert [s for s, _ in steps] == [2, 4]  # one line per evaluation: rank 0 writes the history
    assert [m for _, m in steps] == pytest.approx([v["metrics"]["val_mo+mul"] for v in _validation(single)], abs=1e-6)
    a, b = load_file(ddp / "model" / "model.safetensors"), load_file(single / "model" / "model.safetensors")
    start = load_file(next(model.rglob("model.safetensors")))
    moved = np.sqrt(sum(float(np.square(b[k] - start[k]).sum()) for k in b if k in start))
    apart = np.sqrt(sum(float(np.square(a[k] - b[k]).sum()) for k in a))
    # AdamW divides by sqrt(v): where a gradient is ~0 its update is sensitive to the last bits of the (gathered,
    # all-reduced) gradient, so single weights may differ by a visible share of their step (up to 1.1 % of the largest
    # move seen on a busy machine, where MKL may run on fewer threads); over all weights the two runs must agree to
    # 0.1 % of how far training moved them (lr 1e-3, 8 steps). A step that is not the one-process step is off by O(1).
    assert apart < 1e-3 * moved
    state = json.loads((ddp / "checkpoints" / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["train_batch_size"] == 4  # per rank: the equal losses are two ranks' halves of each step
    assert state["best_model_checkpoint"] in (str(ddp / "checkpoints" / "checkpoint-2"), str(ddp / "checkpoints" / "checkpoint-4"))
    assert "Hybrid batch fine-tuning" in (ddp / "model" / "README.md").read_text()
    assert sorted(p.name for p in ddp.iterdir() if p.name.startswith(".")) == []  # nothing half-written
