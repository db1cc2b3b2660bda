"""Fine-tune with hybrid batches through sentence-transformers' own trainer.

Run folder (``output_dir``)::

    config.yaml     resolved configuration        run.json      config + package versions + argv
    leakage.json    evaluation-vs-training check   logs/         TensorBoard events
    checkpoints/    trainer checkpoints (checkpoint-N), resumable
    model/          final sentence-transformers model (best validation loss when validating),
                    README.md model card with data, strategy, alpha, steps and seed

Everything that can fail on bad input (config, data, sampler sizes, leakage, checkpoint) is checked
before anything is written.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from hybridbatch.data.training_pairs import PairSet, TrainingPairs, pairs_from_benchmark, read_pairs_jsonl
from hybridbatch.errors import HybridbatchError
from hybridbatch.leakage import LeakageReport, check_leakage
from hybridbatch.outputs import write_text
from hybridbatch.sampling import BatchPlanner, HybridSamplerFactory
from hybridbatch.train_config import PAPER_PROMPTS, TrainConfig, dump_yaml, to_dict

log = logging.getLogger(__name__)
RESUMABLE_KEYS = {"training.max_steps", "training.early_stopping_patience", "training.logging_steps",
                  "training.save_total_limit", "allow_leakage", "output_dir"}


@dataclass
class PreparedData:
    """Training data after the validation split; ``full`` is every dataset before splitting."""

    full: list[PairSet]
    train: TrainingPairs
    validation: TrainingPairs | None


@dataclass
class TrainResult:
    output_dir: Path
    model_dir: Path
    global_step: int
    best_checkpoint: str | None


def load_datasets(config: TrainConfig, data_dir: str | Path | None = None) -> list[PairSet]:
    """Read every configured training dataset into a PairSet."""
    out = []
    for d in config.datasets:
        with_context = d.passage == "sentence+context"
        if d.benchmark is not None:
            from hybridbatch.data.registry import load_benchmark

            bench = load_benchmark(d.benchmark, Path(data_dir) if data_dir else None, d.languages)
            out.append(pairs_from_benchmark(bench, name=d.label, languages=d.languages, with_context=with_context,
                                            hard_negatives=d.hard_negatives, seed=config.seed))
        else:
            ps = read_pairs_jsonl(config.resolve_path(d.jsonl), name=d.label, languages=d.languages,
                                  with_context=with_context)
            if d.hard_negatives and not ps.has_negatives:
                raise HybridbatchError("hard_negatives is on but the items have no 'negative'", path=ps.source)
            if not d.hard_negatives and ps.has_negatives:
                ps = PairSet(ps.name, [dataclasses.replace(it, negative=None) for it in ps.items],
                             with_context=with_context, source=ps.source)
            out.append(ps)
    return out


def prepare_data(config: TrainConfig, data_dir: str | Path | None = None) -> PreparedData:
    """Load the datasets and hold out the validation groups (seeded, whole conflict clusters)."""
    full = load_datasets(config, data_dir)
    train, val = [], []
    for ps in full:
        tr, va = ps.split(config.validation_fraction, config.seed)
        train.append(tr)
        if va is not None:
            val.append(va)
    return PreparedData(full, TrainingPairs(train), TrainingPairs(val) if val else None)


def make_planner(config: TrainConfig, data: PreparedData, world_size: int = 1) -> BatchPlanner:
    """The training batch planner exactly as the trainer will use it (raises on too-small data)."""
    return BatchPlanner(data.train, config.training.batch_size, config.sampling, seed=config.seed,
                        world_size=world_size)


def leakage_reports(config: TrainConfig, data: PreparedData, data_dir: str | Path | None = None
                    ) -> list[LeakageReport]:
    """One report per ``eval_benchmarks`` entry, against all training data (validation included)."""
    from hybridbatch.data.registry import load_benchmark

    return [check_leakage(data.full, load_benchmark(spec, Path(data_dir) if data_dir else None))
            for spec in config.eval_benchmarks]


def train(config: TrainConfig, *, resume: str | None = None, data_dir: str | Path | None = None,
          model=None, callbacks: list | None = None) -> TrainResult:
    """Train as configured. ``resume``: ``"latest"`` or a checkpoint folder. ``model``: an already
    loaded SentenceTransformer (else ``config.model`` is loaded). ``callbacks`` are added to the
    trainer (tests use them to stop early or record batches)."""
    config.validate()
    out = Path(config.output_dir)
    data = prepare_data(config, data_dir)
    make_planner(config, data, _world_size())
    reports = leakage_reports(config, data, data_dir)
    for report in reports:
        if report.overlap and not config.allow_leakage:
            raise HybridbatchError(f"{report.summary()}; refusing to train (pass --allow-leakage to override)")
    checkpoint = _checkpoint_to_resume(out, resume, config)
    if checkpoint is None and any((out / "checkpoints").glob("checkpoint-*")):
        raise HybridbatchError("output folder already holds checkpoints; pass --resume or choose another --out",
                               path=out)
    if model is None:
        from hybridbatch.models.loading import load_model

        model = load_model(config.model, max_seq_length=config.training.max_seq_length)
    model.max_seq_length = config.training.max_seq_length
    prompts = resolve_prompts(model, config.training.prompts)

    if _is_main_process():
        from hybridbatch.outputs import provenance, write_json

        out.mkdir(parents=True, exist_ok=True)
        write_text(out / "config.yaml", dump_yaml(config))
        write_json(out / "run.json", provenance(to_dict(config)))
        if reports:
            write_json(out / "leakage.json", [r.to_dict() for r in reports])

    trainer = build_trainer(config, model, data, prompts, callbacks or [])
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    best = trainer.state.best_model_checkpoint
    model_dir = out / "model"
    if trainer.is_world_process_zero():
        save_model(trainer.model, model_dir, config, data, prompts, trainer.state.global_step, best)
    return TrainResult(out, model_dir, trainer.state.global_step, best)


def build_trainer(config: TrainConfig, model, data: PreparedData, prompts: dict[str, str], callbacks: list):
    """A SentenceTransformerTrainer wired to the hybrid batch sampler, the loss, validation loss,
    early stopping, checkpoints and TensorBoard."""
    import torch
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from transformers import EarlyStoppingCallback
    from transformers.integrations import TensorBoardCallback

    t = config.training
    out = Path(config.output_dir)
    if t.freeze_word_embeddings:
        freeze_word_embeddings(model)
    train_ds = data.train.to_dataset()
    eval_ds = data.validation.to_dataset() if data.validation is not None else None
    factory = HybridSamplerFactory(config.sampling, (train_ds, data.train),
                                   (eval_ds, data.validation) if eval_ds is not None else None)
    validating = eval_ds is not None
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
        metric_for_best_model="eval_loss" if validating else None,
        greater_is_better=False if validating else None,
        logging_steps=t.logging_steps,
        report_to="none",
        dataloader_drop_last=True,
        bf16=t.precision == "bf16",  # on CPU: torch.autocast(bfloat16), weights and optimizer stay fp32
        use_cpu=not torch.cuda.is_available(),  # also selects gloo DDP across CPU processes
        dataloader_pin_memory=torch.cuda.is_available(),
        disable_tqdm=True,
    )
    tensorboard = TensorBoardCallback()
    tensorboard.logging_dir = str(out / "logs")
    extra = [tensorboard, sampler_epoch_callback(factory)]
    if validating and t.early_stopping_patience:
        extra.append(EarlyStoppingCallback(early_stopping_patience=t.early_stopping_patience))
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                                         loss=build_loss(model, config), callbacks=extra + list(callbacks))
    trainer.hybrid_sampler_factory = factory
    return trainer


def build_loss(model, config: TrainConfig):
    """MultipleNegativesRankingLoss, or its GradCache version, with the configured scale."""
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )

    t = config.training
    if t.loss == "mnrl":
        return MultipleNegativesRankingLoss(model, scale=t.scale, gather_across_devices=t.gather_across_devices)
    return CachedMultipleNegativesRankingLoss(model, scale=t.scale, mini_batch_size=t.mini_batch_size,
                                              gather_across_devices=t.gather_across_devices)


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


def sampler_epoch_callback(factory: HybridSamplerFactory):
    """A TrainerCallback that sets the training sampler's epoch at each epoch start from the
    global step: on resume under DDP the trainer's own ``set_epoch`` does not reach a sampler
    behind accelerate's shard and skip wrappers."""
    from transformers import TrainerCallback

    class SamplerEpochCallback(TrainerCallback):
        def on_epoch_begin(self, args, state, control, train_dataloader=None, **kwargs):
            sampler = factory.train_sampler
            if sampler is None or train_dataloader is None:
                return
            n, ga = len(train_dataloader), args.gradient_accumulation_steps
            steps_per_epoch = max(n // ga + int(n % ga > 0), 1)
            sampler.set_epoch(state.global_step // steps_per_epoch)

    return SamplerEpochCallback()


def save_model(model, folder: Path, config: TrainConfig, data: PreparedData, prompts: dict[str, str],
               steps: int, best: str | None) -> None:
    """Save the final model (atomically) with its prompts, a model card and the run's settings."""
    from hybridbatch.outputs import atomic_dir, provenance, write_json

    model.prompts = dict(model.prompts or {}) | {"query": prompts["query"], "passage": prompts["passage"]}
    if "document" in model.prompts:
        model.prompts["document"] = prompts["passage"]
    with atomic_dir(folder) as tmp:
        model.save(str(tmp))
        card = tmp / "README.md"
        text = card.read_text(encoding="utf-8") if card.exists() else ""
        write_text(card, _insert_card_section(text, model_card_section(config, data, prompts, steps, best)))
        write_text(tmp / "hybridbatch_config.yaml", dump_yaml(config))
        write_json(tmp / "hybridbatch_run.json", provenance(to_dict(config)) | {"global_step": steps,
                                                                                "best_checkpoint": best})


def model_card_section(config: TrainConfig, data: PreparedData, prompts: dict[str, str], steps: int,
                       best: str | None) -> str:
    """Markdown stating data, strategy, alpha, steps and seed."""
    s, t = config.sampling, config.training
    lines = ["## Hybrid batch fine-tuning (hybridbatch)", "", "| setting | value |", "|---|---|"]
    for ps, dc in zip(data.train.datasets, config.datasets):
        src = dc.benchmark or dc.jsonl
        lines.append(f"| training data | {ps.name} ({src}): {len(ps.items)} items, {len(ps.groups)} groups, "
                     f"languages {' '.join(ps.languages)}; passage: {dc.passage} |")
    if data.validation is not None:
        n = sum(len(d.items) for d in data.validation.datasets)
        lines.append(f"| validation | {n} held-out items (whole groups, fraction {config.validation_fraction}) |")
    alpha = {"x-x-mono": "1 (all X-X-mono)", "x-y": "0 (all X-Y)"}.get(s.strategy, str(s.alpha))
    lines += [
        f"| batch strategy | {s.strategy}; alpha = {alpha}; mono language weighting: {s.language_weighting} |",
        f"| batch size | {t.batch_size}, no two rows of one parallel group (or shared passage) per batch |",
        f"| loss | {t.loss}, scale {t.scale} (temperature {1 / t.scale:.3g}) |",
        f"| prompts | query {prompts['query']!r}, passage {prompts['passage']!r} |",
        f"| optimiser | AdamW, lr {t.learning_rate}, weight decay {t.weight_decay}, warmup {t.warmup_steps}, "
        f"max_seq_length {t.max_seq_length} |",
        f"| steps | {steps} (max {t.max_steps}); kept: {Path(best).name if best else 'last step'} |",
        f"| seed | {config.seed} |",
        f"| base model | {config.model} |",
        "",
    ]
    return "\n".join(lines)


def _insert_card_section(card: str, section: str) -> str:
    if card.startswith("---"):
        end = card.find("\n---", 3)
        if end >= 0:
            cut = card.find("\n", end + 4)
            cut = len(card) if cut < 0 else cut + 1
            return card[:cut] + "\n" + section + "\n" + card[cut:]
    return section + "\n" + card


def _checkpoint_to_resume(out: Path, resume: str | None, config: TrainConfig) -> Path | None:
    if resume is None:
        return None
    if resume == "latest":
        found = sorted((p for p in (out / "checkpoints").glob("checkpoint-*") if p.name[11:].isdigit()),
                       key=lambda p: int(p.name[11:]))
        if not found:
            log.warning("no checkpoint in %s; starting afresh", out / "checkpoints")
            return None
        path = found[-1]
    else:
        path = Path(resume)
    check_checkpoint(path)
    _check_same_config(out, config)
    return path


def check_checkpoint(path: Path) -> None:
    """Raise HybridbatchError unless ``path`` is a readable trainer checkpoint."""
    path = Path(path)
    if not path.is_dir():
        raise HybridbatchError("checkpoint folder not found", path=path)
    try:
        state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
        int(state["global_step"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HybridbatchError(f"unreadable checkpoint: trainer_state.json ({type(exc).__name__})",
                               path=path) from None
    for name in ("optimizer.pt", "scheduler.pt", "modules.json"):
        f = path / name
        if not f.is_file() or f.stat().st_size == 0:
            raise HybridbatchError(f"unreadable checkpoint: {name} missing or empty", path=path)
    weights = list(path.rglob("*.safetensors"))
    if not weights:
        raise HybridbatchError("unreadable checkpoint: no model weights (*.safetensors)", path=path)
    from safetensors import safe_open

    for w in weights:
        try:
            with safe_open(str(w), framework="pt") as handle:
                handle.keys()
        except Exception as exc:  # safetensors raises its own error types
            raise HybridbatchError(f"unreadable checkpoint: {w.name}: {exc}", path=path) from None


def _check_same_config(out: Path, config: TrainConfig) -> None:
    import yaml

    saved_path = out / "config.yaml"
    if not saved_path.is_file():
        return
    saved = _flatten(yaml.safe_load(saved_path.read_text(encoding="utf-8")) or {})
    now = _flatten(to_dict(config))
    differ = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k) and k not in RESUMABLE_KEYS)
    if differ:
        raise HybridbatchError(f"cannot resume with a different configuration ({', '.join(differ)} changed); "
                               "the batch sequence would not continue", path=saved_path)


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out |= _flatten(v, f"{prefix}{k}.")
        else:
            out[f"{prefix}{k}"] = v
    return out




def _world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0
