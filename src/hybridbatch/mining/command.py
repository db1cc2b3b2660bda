"""``hybridbatch mine`` as one request: mine hard negatives for a training config's train split and write
the negatives file, or (``check``) validate an existing one against it.

Data: :func:`hybridbatch.training.data.prepare_data` — the same datasets and the same validation split as
training; queries and candidates are the *train* split's items only (never the validation groups).
Model: ``--model`` or the config's ``model``, loaded as training loads it (``training.max_seq_length``),
with the training prompts (``training.prompts``) and precision (``training.precision`` or ``--precision``,
resolved for the device as training resolves it), so the vectors are the distillation targets' own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.data.negatives import (
    ItemTable,
    negative_record,
    query_record,
    read_negatives,
    write_negatives,
)
from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.mining.encode import encode_items, training_encoder
from hybridbatch.mining.rank import MiningSettings, Sampling, candidate_items, mine
from hybridbatch.mining.summary import check_summary, mining_summary
from hybridbatch.models.loading import load_model
from hybridbatch.outputs import check_output_file, versions
from hybridbatch.run_files import NEGATIVES_FILE
from hybridbatch.training.config import TrainConfig, apply_overrides, load_config, to_dict
from hybridbatch.training.data import PreparedData, prepare_data
from hybridbatch.training.runtime import resolve_hardware, resolve_prompts


@dataclass
class MineRequest:
    """What ``hybridbatch mine`` was asked: the training config, where to write (``out``) or what to validate
    (``check``), ``overrides`` of training-config fields (dotted path or unique name → value: ``model``,
    ``seed``, ``training.precision``, ``negatives.*``, as ``train`` takes them) and ``sampling`` (None: the
    :class:`MiningSettings` default)."""

    config: str
    out: Path | None = None
    check: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    sampling: Sampling | None = None
    data_dir: str | None = None


def run_mine(request: MineRequest, *, encoder=None) -> str:
    """Carry out ``request`` and return the summary to print. Bad options, config, data or file raise
    :class:`HybridbatchError` before anything is written; the output file appears whole or not at all.
    The settings are the config's ``negatives`` section with the overrides (policy: same-language when
    neither sets one); ``check`` validates against the config's policy (any, when it sets none). ``encoder``: an :class:`~hybridbatch.encoding.Encoder` to use instead of loading the
    model (tests)."""
    if (request.out is None) == (request.check is None):
        raise HybridbatchError("give exactly one of --out (mine) and --check (validate a negatives file)")
    config = resolve_config(request)
    if request.check is not None:
        data = prepare_data(config, request.data_dir)
        mined = read_negatives(request.check, data.train, config.negatives.policy)
        return check_summary(mined, data.train)
    negatives = config.negatives
    if negatives.policy is None:
        negatives = replace(negatives, policy=MiningSettings().policy)
    sampling = {} if request.sampling is None else {"sampling": request.sampling}
    settings = MiningSettings(negatives=negatives, seed=config.seed, **sampling).validate()
    out = check_output_file(request.out, "--out")
    return mine_config(config, out, settings, data_dir=request.data_dir, config_label=str(request.config),
                       encoder=encoder)


def mine_config(config: TrainConfig, out: Path, settings: MiningSettings, *, data_dir: str | Path | None = None,
                config_label: str = "", encoder=None) -> str:
    """Mine for ``config``'s train split (device and precision already resolved) into ``out``; returns the
    summary. ``config_label`` names the config in the file's header."""
    config = apply_overrides(config, {"negatives.file": None})  # mining needs no negatives of its own
    data = prepare_data(config, data_dir)
    mined_sets = [ps for entry, ps in zip(config.datasets, data.train.datasets) if entry.negatives == "mined"]
    if not mined_sets:
        raise HybridbatchError("every training dataset draws random negatives (datasets[].negatives): "
                               "nothing to mine")
    pool = TrainingPairs(mined_sets)  # the datasets with negatives: random draw theirs when training loads
    model_info: dict[str, Any] = {"spec": config.model}
    if encoder is None:
        encoder, extra = load_encoder(config)
        model_info |= extra
    encoded = encode_items(encoder, pool)
    table = ItemTable(pool)
    languages = sorted(set(table.lang))
    code = {lang: i for i, lang in enumerate(languages)}
    item_lang = np.array([code[lang] for lang in table.lang], dtype=np.int64)
    passages = pool.texts("passage", np.arange(pool.n_items))
    candidates = candidate_items(passages)
    mined = mine(encoded.queries, encoded.passages, item_lang, table.cluster, candidates, settings,
                 device=config.training.device)
    model_info["identity"] = encoded.identity
    header = _header(config_label, config, data, pool, settings, model_info, mined.n_candidates)
    records = (query_record(table, i, [negative_record(table, i, c, r, s) for c, r, s in kept])
               for i, kept in enumerate(mined.negatives))
    write_negatives(out, header, records)
    return mining_summary(mined, encoded, table, languages, settings, out, candidates)


def resolve_config(request: MineRequest) -> TrainConfig:
    """The training config with the request's overrides (the seed decides the validation split), resolved for
    the device."""
    config = load_config(request.config)
    if request.overrides:
        config = apply_overrides(config, request.overrides, source="command line")
    return resolve_hardware(config)


def load_encoder(config: TrainConfig):
    """The model as training loads it, and the distillation targets' encoder over it."""
    t = config.training
    model = load_model(config.model, max_seq_length=t.max_seq_length, device=t.device)
    model.max_seq_length = t.max_seq_length
    model.eval()
    prompts = resolve_prompts(model, t.prompts)
    encoder = training_encoder(model, prompts, t.precision)
    return encoder, {"model_identity": encoder.model_identity, "prompts": prompts,
                     "max_seq_length": t.max_seq_length, "precision": encoder.precision}


def _header(config_label: str, config: TrainConfig, data: PreparedData, pool: TrainingPairs,
            settings: MiningSettings, model: dict[str, Any], n_candidates: int) -> dict[str, Any]:
    """What was mined, with what, from which data; deterministic (no time stamp), so that two runs with
    the same inputs give byte-identical files."""
    full = to_dict(config)
    return {
        **settings.record(),
        "model": model,
        "training": {"config": config_label, "model": config.model, "seed": config.seed,
                     "validation_fraction": config.validation_fraction, "datasets": full["datasets"]},
        "split": {ps.name: {"train_items": len(ps.items), "train_groups": len(ps.groups)}
                  for ps in data.train.datasets},
        "queries": int(pool.item_offsets[-1]),
        "candidates": n_candidates,
        "versions": versions(),
    }



def ensure_negatives(config: TrainConfig, data_dir: str | Path | None = None, *, folder: Path | None = None
                     ) -> tuple[TrainConfig, str | None]:
    """A config that names its negatives file: unchanged when ``negatives.file`` is set or no ``negatives.policy``
    asks for negatives; else mined once with the config's own model (the base of the run) into
    ``<folder or output_dir>/negatives.jsonl`` — reused when already there, so a resumed run trains on the same
    negatives. Returns (config, the mining summary or None when nothing was mined)."""
    wanted = config.negatives
    if wanted.file or wanted.policy is None:
        return config, None
    out = Path(folder if folder is not None else config.output_dir) / NEGATIVES_FILE
    summary = None
    if not out.is_file():
        settings = MiningSettings(negatives=wanted, seed=config.seed).validate()
        out.parent.mkdir(parents=True, exist_ok=True)
        summary = mine_config(resolve_hardware(config), out, settings, data_dir=data_dir,
                              config_label="mined before training")
    return apply_overrides(config, {"negatives.file": str(out.resolve())}), summary
