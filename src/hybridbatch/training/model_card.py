"""The final model folder of a run: the model (saved atomically) with its prompts, a model card section
stating data, strategy, alpha, steps and seed, and the run's resolved configuration."""

from __future__ import annotations

from pathlib import Path

from hybridbatch.outputs import atomic_dir, provenance, write_json, write_text
from hybridbatch.run_files import MODEL_CARD, MODEL_RUN_RECORD, MODEL_SETTINGS
from hybridbatch.training.checkpoints import kill_point
from hybridbatch.training.config import TrainConfig, dump_yaml, to_dict
from hybridbatch.training.data import PreparedData


def save_model(model, folder: Path, config: TrainConfig, data: PreparedData, prompts: dict[str, str],
               steps: int, best: str | None) -> None:
    """Save the final model (atomically) with its prompts, a model card and the run's settings."""
    model.prompts = dict(model.prompts or {}) | {"query": prompts["query"], "passage": prompts["passage"]}
    if "document" in model.prompts:
        model.prompts["document"] = prompts["passage"]
    with atomic_dir(folder) as tmp:
        model.save(str(tmp))
        kill_point("final-save")
        card = tmp / MODEL_CARD
        text = card.read_text(encoding="utf-8") if card.exists() else ""
        write_text(card, insert_card_section(text, model_card_section(config, data, prompts, steps, best)))
        write_text(tmp / MODEL_SETTINGS, dump_yaml(config))
        write_json(tmp / MODEL_RUN_RECORD, provenance(to_dict(config)) | {"global_step": steps,
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
    if len(config.datasets) > 1:
        how = {"size": "by size (items)", "uniform": "uniformly"}[s.dataset_weighting]
        lines.append(f"| dataset draw | one dataset per batch, drawn {how} |")
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


def insert_card_section(card: str, section: str) -> str:
    """``section`` placed after the card's YAML front matter (or at the top when it has none)."""
    if card.startswith("---"):
        end = card.find("\n---", 3)
        if end >= 0:
            cut = card.find("\n", end + 4)
            cut = len(card) if cut < 0 else cut + 1
            return card[:cut] + "\n" + section + "\n" + card[cut:]
    return section + "\n" + card
