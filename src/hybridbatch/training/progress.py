"""Training progress a user can read: one bar over the optimizer steps with the step count, steps per second,
the time left and the last logged loss (``training:  30%|███   | step 12/40 [00:14<00:33,  0.85 steps/s,
loss=0.4123]``).

The trainer's own bar is off (``disable_tqdm``); this callback draws the bar on the main process only, from
the step a resumed run starts at, so the rate and the time left count the steps of this process.
"""

from __future__ import annotations

from typing import IO, Any

from tqdm.auto import tqdm
from transformers import TrainerCallback

BAR_FORMAT = ("{desc}: {percentage:3.0f}%|{bar}| step {n_fmt}/{total_fmt} "
              "[{elapsed}<{remaining}, {rate_noinv_fmt}{postfix}]")
"""tqdm's default layout, with the rate always as steps per second (tqdm would show s/step below one)."""


class TrainingProgress(TrainerCallback):
    """A step bar (tqdm, to ``file``, default stderr) updated at every optimizer step; ``loss`` from the
    trainer's logs as its postfix."""

    def __init__(self, desc: str = "training", file: IO[str] | None = None):
        self.desc, self.file = desc, file
        self.bar: Any = None

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero and state.max_steps > 0:
            self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc=self.desc, unit=" steps",
                            bar_format=BAR_FORMAT, file=self.file, dynamic_ncols=True)

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.bar is not None and logs and "loss" in logs:
            self.bar.set_postfix(loss=f"{logs['loss']:.4f}", refresh=False)

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
