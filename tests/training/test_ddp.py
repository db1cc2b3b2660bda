"""Two CPU processes (gloo) through sentence-transformers' trainer and accelerate's sharding:
batches that run side by side share dataset, batch type and language, and a resumed DDP run
continues the batch sequence across an epoch boundary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.helpers import parse_row, toy_items, write_config, write_jsonl

WORKER = Path(__file__).with_name("ddp_worker.py")


def _launch(config: Path, model: Path, record: Path, *extra: str) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(WORKER), str(config), str(model), str(record), *extra]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _config(tmp_path: Path, name: str) -> Path:
    jsonl = tmp_path / "items.jsonl"
    if not jsonl.exists():
        write_jsonl(jsonl, toy_items(40, ["en", "de", "es"]))
    return write_config(tmp_path / f"{name}.yaml", {
        "datasets": [{"jsonl": str(jsonl), "name": "toy"}],
        "output_dir": str(tmp_path / name),
        "seed": 3,
        "validation_fraction": 0.2,
        "sampling": {"batches_per_epoch": 6},  # 3 steps per epoch on 2 ranks
        "training": {"batch_size": 4, "max_steps": 8, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                     "warmup_steps": 0, "max_seq_length": 32},
    })


def _read(record: Path, tag: str) -> list[list]:
    return [json.loads((record / f"{tag}-rank{r}.json").read_text()) for r in (0, 1)]


@pytest.mark.skipif(sys.platform == "win32", reason="gloo over torchrun")
def test_ranks_run_matching_batches_and_resume_continues_the_sequence(tmp_path, tiny_model_dir):
    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.planner import BatchPlanner

    record = tmp_path / "record"
    record.mkdir()
    whole = _config(tmp_path, "whole")
    _launch(whole, tiny_model_dir, record)
    rank0, rank1 = _read(record, "first")
    assert len(rank0) == len(rank1) >= 8
    for a, b in zip(rank0[:8], rank1[:8]):  # batch k of rank 0 runs next to batch k of rank 1
        langs_a = {parse_row(*row)[:2] for row in a}
        langs_b = {parse_row(*row)[:2] for row in b}
        mono_a, mono_b = all(x == y for x, y in langs_a), all(x == y for x, y in langs_b)
        assert mono_a == mono_b
        if mono_a:
            assert len(langs_a) == 1 and langs_a == langs_b
        else:
            assert all(x != y for x, y in langs_a | langs_b)
        assert not {parse_row(*row)[2] for row in a} & {parse_row(*row)[2] for row in b}

    # rank r trains on global batches r, r + 2, r + 4, ... of the plan for two ranks
    config = load_config(whole)
    data = prepare_data(config)
    planner = BatchPlanner.for_training(config, data.train, world_size=2)
    plan = list(planner.plan_sequence(16))
    describe = [[(d["query_lang"], d["passage_lang"], d["group"][1:]) for d in map(data.train.describe, b.rows)]
                for b in plan]
    assert [[parse_row(*row) for row in batch] for batch in rank0[:8]] == describe[0::2]
    assert [[parse_row(*row) for row in batch] for batch in rank1[:8]] == describe[1::2]

    split_record = tmp_path / "split_record"
    split_record.mkdir()
    split = _config(tmp_path, "split")
    _launch(split, tiny_model_dir, split_record, "--stop-at-step", "4")  # killed inside epoch 1
    _launch(split, tiny_model_dir, split_record, "--resume")
    first, resumed = _read(split_record, "first"), _read(split_record, "resumed")
    for r, whole_r in enumerate((rank0, rank1)):
        assert whole_r[:8] == first[r][:4] + resumed[r][:4]
