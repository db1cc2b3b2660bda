"""Fine-tune with hybrid batches through sentence-transformers' own trainer.

Run folder (``output_dir``)::

    config.yaml     resolved configuration        run.json      config + package versions + argv
    leakage.json    evaluation-vs-training check   logs/         TensorBoard events
    checkpoints/    trainer checkpoints (checkpoint-N, each renamed into place when complete), resumable
    model/          final sentence-transformers model (best validation loss when validating),
                    README.md model card with data, strategy, alpha, steps and seed

Everything that can fail on bad input (config, data, sampler sizes, leakage, checkpoint) is checked
once, before anything is written.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.models.loading import load_model
from hybridbatch.outputs import check_output_dir, provenance, write_json, write_text
from hybridbatch.run_files import (
    CHECKPOINTS,
    LEAKAGE_REPORT,
    LOGS,
    MODEL,
    RUN_RECORD,
    TRAIN_CONFIG,
    VALIDATION_HISTORY,
)
from hybridbatch.training.checkpoints import checkpoint_to_resume, remove_stale_temporaries
from hybridbatch.training.config import TrainConfig, dump_yaml, to_dict
from hybridbatch.training.data import PreparedData, leakage_reports, prepare_data, validation_sets
from hybridbatch.training.dataset import planned_dataset
from hybridbatch.training.losses import build_loss, distill_targets
from hybridbatch.training.model_card import save_model
from hybridbatch.training.planner import BatchPlanner
from hybridbatch.training.runtime import resolve_hardware, resolve_prompts
from hybridbatch.training.validation import EVALUATOR_NAME, build_validation_evaluator

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    output_dir: Path
    model_dir: Path
    global_step: int
    best_checkpoint: str | None


def train(config: TrainConfig, *, resume: str | None = None, data_dir: str | Path | None = None,
          model=None, callbacks: list | None = None) -> TrainResult:
    """Train as configured. ``resume``: ``"latest"`` or a checkpoint folder. ``model``: an already
    loaded SentenceTransformer (else ``config.model`` is loaded). ``callbacks`` are added to the
    trainer (tests use them to stop early or record batches)."""
    config = resolve_hardware(config)
    out = check_output_dir(config.output_dir, "output_dir")
    data = prepare_data(config, data_dir)
    planner = BatchPlanner.for_training(config, data.train, world_size(), negatives=data.negatives)
    reports = leakage_reports(config, data, data_dir)
    for report in reports:
        if report.overlap and not config.allow_leakage:
            raise HybridbatchError(f"{report.summary()}; refusing to train (pass --allow-leakage to override)")
    checkpoint = checkpoint_to_resume(out, resume, config)
    if model is None:
        model = load_model(config.model, max_seq_length=config.training.max_seq_length)
    model.max_seq_length = config.training.max_seq_length
    prompts = resolve_prompts(model, config.training.prompts)

    if is_main_process():
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(out)
        write_text(out / TRAIN_CONFIG, dump_yaml(config))
        write_json(out / RUN_RECORD, provenance(to_dict(config)))
        if reports:
            write_json(out / LEAKAGE_REPORT, [r.to_dict() for r in reports])

    evaluator = validation_evaluator(config, data, prompts)
    targets = None
    if config.training.distill_weight > 0:
        import copy

        # rows of the training split first, then those of the validation split (validation loss needs them)
        every = TrainingPairs(data.train.datasets + (data.validation.datasets if data.validation else []))
        base = copy.deepcopy(model).eval()

        def targets(rows):  # encoded once the plan is known: only the rows training and validation will read
            return distill_targets(base, every, prompts, precision=config.training.precision, rows=rows)
    trainer = build_trainer(config, model, data, prompts, callbacks or [], train_planner=planner,
                            evaluator=evaluator, distill=targets)
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    best = trainer.state.best_model_checkpoint
    model_dir = out / MODEL
    if trainer.is_world_process_zero():
        save_model(trainer.model, model_dir, config, data, prompts, trainer.state.global_step, best)
    return TrainResult(out, model_dir, trainer.state.global_step, best)


def validation_evaluator(config: TrainConfig, data: PreparedData, prompts: dict[str, str]):
    """Retrieval on the validation split (:mod:`.validation`) when ``select_metric`` is not ``loss`` or
    ``retrieval_validation`` is on; else None."""
    t = config.training
    if t.select_metric == "loss" and not t.retrieval_validation:
        return None
    return build_validation_evaluator(config, data, prompts, history_path=Path(config.output_dir) / VALIDATION_HISTORY)


def build_trainer(config: TrainConfig, model, data: PreparedData, prompts: dict[str, str], callbacks: list,
                  *, evaluator=None, train_planner: BatchPlanner | None = None, distill=None):
    """A SentenceTransformerTrainer (:class:`.safe_trainer.SafeTrainer`, with crash-safe checkpoints) wired
    to the hybrid batch sampler, the loss, validation loss, early stopping, checkpoints and TensorBoard. ``evaluator``: an optional sentence-transformers
    evaluator the trainer calls at each evaluation (retrieval on the validation split; selection uses it
    when ``select_metric`` is not ``loss``). ``distill``: the base model's vectors for the regulariser
    (:class:`~.losses.DistillTargets`), or a function of the planned global rows that returns them."""
    from sentence_transformers import SentenceTransformerTrainingArguments
    from transformers import EarlyStoppingCallback
    from transformers.integrations import TensorBoardCallback

    from hybridbatch.training.progress import TrainingProgress  # deferred: transformers
    from hybridbatch.training.safe_trainer import SafeTrainer  # deferred: transformers
    from hybridbatch.training.sampler import (  # deferred: transformers
        HybridSamplerFactory,
        SamplerEpochCallback,
    )

    config = resolve_hardware(config)
    t = config.training
    out = Path(config.output_dir)
    if t.freeze_word_embeddings:
        freeze_word_embeddings(model)
    labels = t.distill_weight > 0
    world = world_size()
    if train_planner is None:
        train_planner = BatchPlanner.for_training(config, data.train, world, negatives=data.negatives)
    # one step beyond max_steps: the data loader reads a batch ahead
    train_ds, train_plan = planned_dataset(data.train, train_planner, (t.max_steps + 1) * world, row_labels=labels)
    evals = []
    for name, pairs, offset in validation_sets(config, data):
        planner = BatchPlanner(pairs, t.batch_size, dataclasses.replace(config.sampling, batches_per_epoch=None),
                               seed=config.seed, world_size=world, allow_smaller=True)
        n_batches = min(len(planner), t.eval_batches or len(planner))
        ds, plan = planned_dataset(pairs, planner, n_batches, row_labels=labels, label_offset=offset)
        evals.append((name, ds, planner, plan))
    if callable(distill):
        distill = distill(np.concatenate([label_column(ds) for ds in [train_ds] + [e[1] for e in evals]]))
    factory = HybridSamplerFactory((train_ds, train_planner, train_plan), [e[1:] for e in evals])
    validating = bool(evals)
    # one validation split: "eval_loss"; several: "eval_<dataset>_loss" each, the selection dataset first
    eval_ds = evals[0][1] if len(evals) == 1 else {name: ds for name, ds, _, _ in evals} if evals else None
    if t.select_metric == "loss":
        best_metric = "eval_loss" if len(evals) <= 1 else f"eval_{evals[0][0]}_loss"
        greater = False
    else:
        best_metric, greater = f"eval_{EVALUATOR_NAME}_{t.select_metric}", True
    column_prompts = {col: prompts[side] for col, side in
                      (("query", "query"), ("positive", "passage"), ("negative", "passage")) if prompts[side]}
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out / CHECKPOINTS),
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.batch_size,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        warmup_steps=t.warmup_steps if t.warmup_steps < 1 else int(t.warmup_steps),
        lr_scheduler_type="linear",
        optim="adamw_torch",
        seed=config.seed,
        batch_sampler=factory,
        prompts=column_prompts or None,
        eval_strategy="steps" if validating else "no",
        eval_steps=t.eval_steps if validating else None,
        save_strategy="steps",
        save_steps=t.eval_steps,
        save_total_limit=t.save_total_limit,
        load_best_model_at_end=validating,
        metric_for_best_model=best_metric if validating else None,
        greater_is_better=greater if validating else None,
        logging_steps=t.logging_steps,
        report_to="none",
        dataloader_drop_last=True,
        bf16=t.precision == "bf16",  # on CPU: torch.autocast(bfloat16), weights and optimizer stay fp32
        use_cpu=t.device == "cpu",  # also selects gloo DDP across CPU processes
        dataloader_pin_memory=t.device == "cuda",
        disable_tqdm=True,
    )
    tensorboard = TensorBoardCallback()
    tensorboard.logging_dir = str(out / LOGS)
    extra = [tensorboard, SamplerEpochCallback(factory), TrainingProgress()]
    if validating and t.early_stopping_patience:
        extra.append(EarlyStoppingCallback(early_stopping_patience=t.early_stopping_patience))
    trainer = SafeTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                                         loss=build_loss(model, config, distill), evaluator=evaluator,
                                         callbacks=extra + list(callbacks))
    trainer.hybrid_sampler_factory = factory
    return trainer


def label_column(dataset) -> np.ndarray:
    """The global row numbers (``label`` column) of a planned dataset, read without its text transform."""
    return np.asarray(dataset.data.column("label").to_numpy(), dtype=np.int64)


def freeze_word_embeddings(model) -> int:
    """Stop gradients into the input word-embedding matrix; returns how many were frozen."""
    frozen = 0
    for module in model.modules():
        auto = getattr(module, "auto_model", None)
        if auto is not None and hasattr(auto, "get_input_embeddings"):
            auto.get_input_embeddings().weight.requires_grad_(False)
            frozen += 1
    if not frozen:
        raise HybridbatchError("freeze_word_embeddings: the model has no transformer word embeddings")
    return frozen


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0
