"""The training step bar: the step count, steps per second, the time left and the loss, from the step a
resumed run starts at, on the main process only."""

from __future__ import annotations

import io
import re
import time

from transformers import TrainerControl, TrainerState

from hybridbatch.training.progress import TrainingProgress


def _train(progress: TrainingProgress, state: TrainerState, steps: int) -> None:
    control = TrainerControl()
    progress.on_train_begin(None, state, control)
    for _ in range(steps):
        time.sleep(0.02)
        state.global_step += 1
        progress.on_step_end(None, state, control)
        progress.on_log(None, state, control, logs={"loss": 0.5 / state.global_step, "learning_rate": 1e-5})
    progress.on_train_end(None, state, control)


def test_the_bar_shows_steps_rate_time_left_and_loss():
    out = io.StringIO()
    _train(TrainingProgress(file=out), TrainerState(global_step=0, max_steps=4), 4)
    last = out.getvalue().replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("training: 100%"), last
    assert "step 4/4" in last and "loss=0.1250" in last
    assert re.search(r"\[00:0\d<00:00, +\d+\.\d\d steps/s", last), last  # elapsed < left, rate per second


def test_a_resumed_run_counts_from_its_checkpoint_and_a_slow_rate_stays_per_second():
    out = io.StringIO()
    state = TrainerState(global_step=6, max_steps=8)
    progress = TrainingProgress(file=out)
    progress.on_train_begin(None, state, TrainerControl())
    time.sleep(1.2)  # slower than one step per second: still in steps/s, not s/step
    state.global_step = 7
    progress.on_step_end(None, state, TrainerControl())
    progress.bar.refresh()
    text = out.getvalue().replace("\r", "\n")
    assert "step 7/8" in text and "s/step" not in text
    assert re.search(r"0\.\d\d steps/s", text), text
    progress.on_train_end(None, state, TrainerControl())


def test_other_processes_draw_nothing():
    out = io.StringIO()
    _train(TrainingProgress(file=out), TrainerState(global_step=0, max_steps=2, is_world_process_zero=False), 2)
    assert out.getvalue() == ""


def test_train_draws_the_bar(tmp_path, tiny_model_dir, capsys):
    from hybridbatch.cli import main
    from tests.training.helpers import toy_items, write_config, write_jsonl

    write_jsonl(tmp_path / "items.jsonl", toy_items(20, ["en", "de"]))
    cfg = write_config(tmp_path / "train.yaml", {
        "datasets": [{"jsonl": "items.jsonl", "name": "toy"}], "output_dir": str(tmp_path / "run"), "seed": 1,
        "validation_fraction": 0.0, "training": {"batch_size": 8, "max_steps": 2, "loss": "mnrl",
                                                 "warmup_steps": 0, "max_seq_length": 32}})
    assert main(["train", "--config", str(cfg), "--model", str(tiny_model_dir)]) == 0
    err = capsys.readouterr().err.replace("\r", "\n")
    assert re.search(r"training: 100%.*step 2/2 \[.*steps/s", err), err
