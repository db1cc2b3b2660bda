"""sentence-transformers' trainer with crash-safe checkpoints.

* A checkpoint is written by the parent trainer into ``checkpoints/.tmp-checkpoint-N/checkpoint-N``,
  synced to disk and renamed to ``checkpoints/checkpoint-N`` only when complete; a process killed while
  writing leaves only the temporary folder, which the next run removes.
* A run resumed from a checkpoint at ``max_steps`` (killed during the final save) trains no further
  step: it restores the checkpoint (or the best one, when the run keeps the best) and stops.
* :func:`~hybridbatch.training.checkpoints.kill_point` marks where the fault-injection test kills.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from sentence_transformers import SentenceTransformerTrainer
from transformers.trainer_callback import TrainerState
from transformers.trainer_utils import rotate_checkpoints

from hybridbatch.outputs import fsync_tree
from hybridbatch.run_files import STAGING_PREFIX, TRAINER_STATE, checkpoint_name
from hybridbatch.training.checkpoints import kill_point

log = logging.getLogger(__name__)


class SafeTrainer(SentenceTransformerTrainer):
    """A SentenceTransformerTrainer whose checkpoints appear whole or not at all."""

    _staging: Path | None = None

    def _get_output_dir(self, trial) -> str:
        # while a checkpoint is written, the parent trainer writes below the staging folder
        return str(self._staging) if self._staging is not None else super()._get_output_dir(trial)

    def _save_checkpoint(self, model, trial) -> None:
        run_dir = Path(super()._get_output_dir(trial))
        name = checkpoint_name(self.state.global_step)
        staging = run_dir / f"{STAGING_PREFIX}{name}"
        self._staging = staging
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._staging = None
        if self.state.best_model_checkpoint == str(staging / name):  # this step is the best so far
            self.state.best_model_checkpoint = str(run_dir / name)
        self.accelerator.wait_for_everyone()  # every rank has written its RNG state
        if self.args.should_save:
            self.state.save_to_json(str(staging / name / TRAINER_STATE))  # with the final best path
            self._publish(staging, run_dir, name)
            rotate_checkpoints(output_dir=str(run_dir), save_total_limit=self.args.save_total_limit,
                               best_model_checkpoint=self.state.best_model_checkpoint, use_mtime=True)
        self.accelerator.wait_for_everyone()

    @staticmethod
    def _publish(staging: Path, run_dir: Path, name: str) -> None:
        fsync_tree(staging)
        final = run_dir / name
        if final.exists():  # resumed from an older checkpoint: this one is written again
            old = run_dir / f"{STAGING_PREFIX}old-{name}"
            os.replace(final, old)
            os.replace(staging / name, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging / name, final)
        staging.rmdir()
        fsync_tree(run_dir, files=False)

    def _save_optimizer_and_scheduler(self, output_dir: str) -> None:
        kill_point(checkpoint_name(self.state.global_step))  # the model is written, the optimizer not yet
        super()._save_optimizer_and_scheduler(output_dir)

    def training_step(self, *args, **kwargs):
        loss = super().training_step(*args, **kwargs)
        kill_point(f"step-{self.state.global_step + 1}")  # gradients computed, weights not yet updated
        return loss

    def train(self, resume_from_checkpoint: str | None = None, **kwargs):
        """As the parent's, except that a checkpoint already at ``max_steps`` is restored, not trained on."""
        if resume_from_checkpoint is not None:
            state = TrainerState.load_from_json(os.path.join(resume_from_checkpoint, TRAINER_STATE))
            if state.global_step >= self.args.max_steps:
                return self._restore_finished(resume_from_checkpoint, state)
        return super().train(resume_from_checkpoint=resume_from_checkpoint, **kwargs)

    def _restore_finished(self, checkpoint: str, state: TrainerState) -> None:
        best = state.best_model_checkpoint
        keep = best if self.args.load_best_model_at_end and best and os.path.isdir(best) else checkpoint
        log.info("%s is at max_steps %d; nothing left to train, keeping %s", checkpoint, self.args.max_steps, keep)
        self._load_from_checkpoint(keep)
        self.state = state
