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

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.hardware import resolve_device, resolve_precision
from hybridbatch.models.loading import load_model
from hybridbatch.outputs import check_output_dir, provenance, write_json, write_text
from hybridbatch.training.checkpoints import checkpoint_to_resume, remove_stale_temporaries
from hybridbatch.training.config import PAPER_PROMPTS, TrainConfig, apply_overrides, dump_yaml, to_dict
from hybridbatch.training.data import PreparedData, leakage_reports, prepare_data
from hybridbatch.training.losses import build_loss, distill_targets
from hybridbatch.training.model_card import save_model
from hybridbatch.training.planner import BatchPlanner
from hybridbatch.training.validation import EVALUATOR_NAME, build_validation_evaluator

log = logging.getLogger(__name__)


def resolve_hardware(config: TrainConfig) -> TrainConfig:
    """A checked copy with ``training.device`` and ``training.precision`` resolved for this machine (what
    config.yaml records and the trainer uses)."""
    config.validate()
    device = resolve_device(config.training.device)
    precision = resolve_precision(config.training.precision, device)
    if (device, precision) != (config.training.device, config.training.precision):
        log.info("training on %s in %s", device, precision)
    return apply_overrides(config, {"training.device": device, "training.precision": precision})


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
        write_text(out / "config.yaml", dump_yaml(config))
        write_json(out / "run.json", provenance(to_dict(config)))
        if reports:
            write_json(out / "leakage.json", [r.to_dict() for r in reports])

    evaluator = validation_evaluator(config, data, prompts)
    targets = None
    if config.training.distill_weight > 0:
        import copy

        # rows of the training split first, then those of the validation split (validation loss needs them)
        every = TrainingPairs(data.train.datasets + (data.validation.datasets if data.validation else []))
        targets = distill_targets(copy.deepcopy(model).eval(), every, prompts, precision=config.training.precision)
    trainer = build_trainer(config, model, data, prompts, callbacks or [], train_planner=planner,
                            evaluator=evaluator, distill=targets)
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    best = trainer.state.best_model_checkpoint
    model_dir = out / "model"
    if trainer.is_world_process_zero():
        save_model(trainer.model, model_dir, config, data, prompts, trainer.state.global_step, best)
    return TrainResult(out, model_dir, trainer.state.global_step, best)


def validation_evaluator(config: TrainConfig, data: PreparedData, prompts: dict[str, str]):
    """Retrieval on the validation split (:mod:`.validation`) when ``select_metric`` is not ``loss`` or
    ``retrieval_validation`` is on; else None."""
    t = config.training
    if t.select_metric == "loss" and not t.retrieval_validation:
        return None
    return build_validation_evaluator(config, data, prompts, history_path=Path(config.output_dir) / "validation.jsonl")


def build_trainer(config: TrainConfig, model, data: PreparedData, prompts: dict[str, str], callbacks: list,
                  *, evaluator=None, train_planner: BatchPlanner | None = None, distill=None):
    """A SentenceTransformerTrainer (:class:`.safe_trainer.SafeTrainer`, with crash-safe checkpoints) wired
    to the hybrid batch sampler, the loss, validation loss, early stopping, checkpoints and TensorBoard. ``evaluator``: an optional sentence-transformers
    evaluator the trainer calls at each evaluation (retrieval on the validation split; selection uses it
    when ``select_metric`` is not ``loss``). ``distill``: the base model's vectors for the regulariser."""
    from sentence_transformers import SentenceTransformerTrainingArguments
    from transformers import EarlyStoppingCallback
    from transformers.integrations import TensorBoardCallback

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
    train_ds = data.train.to_dataset(row_labels=t.distill_weight > 0, negative_slots=data.negatives)
    eval_ds = (data.validation.to_dataset(row_labels=t.distill_weight > 0, label_offset=data.train.n_rows)
               if data.validation is not None else None)
    factory = HybridSamplerFactory(config.sampling, (train_ds, data.train),
                                   (eval_ds, data.validation) if eval_ds is not None else None,
                                   train_planner=train_planner, negatives=data.negatives)
    validating = eval_ds is not None
    if t.select_metric == "loss":
        best_metric, greater = "eval_loss", False
    else:
        best_metric, greater = f"eval_{EVALUATOR_NAME}_{t.select_metric}", True
    column_prompts = {col: prompts[side] for col, side in
                      (("query", "query"), ("positive", "passage"), ("negative", "passage")) if prompts[side]}
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out / "checkpoints"),
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
    tensorboard.logging_dir = str(out / "logs")
    extra = [tensorboard, SamplerEpochCallback(factory)]
    if validating and t.early_stopping_patience:
        extra.append(EarlyStoppingCallback(early_stopping_patience=t.early_stopping_patience))
    trainer = SafeTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                                         loss=build_loss(model, config, distill), evaluator=evaluator,
                                         callbacks=extra + list(callbacks))
    trainer.hybrid_sampler_factory = factory
    return trainer


def resolve_prompts(model, mode: str) -> dict[str, str]:
    """``{"query": ..., "passage": ...}`` prefixes: ``paper`` (Query: / Passage: ), ``model`` (the
    model's own query/passage prompts), ``auto`` (model's if it has both, else paper), ``none``."""
    own = dict(getattr(model, "prompts", None) or {})
    own_passage = own.get("passage") or own.get("document")
    has_own = bool(own.get("query")) and bool(own_passage)
    if mode == "none":
        return {"query": "", "passage": ""}
    if mode == "paper" or (mode == "auto" and not has_own):
        return dict(PAPER_PROMPTS)
    if not has_own:
        raise HybridbatchError("training.prompts is 'model' but the model has no query/passage prompts")
    return {"query": own["query"], "passage": own_passage}


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
