"""The one path that turns texts into vectors: sorted-by-length batches, an on-disk cache, progress.

Contract: every encoder returns float32 arrays of shape (n, dim), rows L2-normalised, in the order
of the input texts. Queries and passages may get different prefixes (prompts). Evaluation encodes
through :func:`encode_texts` with the cache, which an encoder that reports its batches as they are done
(:class:`SentenceTransformerEncoder`) fills as it goes, so an interrupted pass resumes with the texts it had
not encoded; the training-time evaluator (:class:`hybridbatch.evaluation.st_evaluator.RetrievalEvaluator`)
through it without the cache (the weights change between calls); search will encode through it too.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from hybridbatch.config import EXPERIMENTAL_BACKENDS
from hybridbatch.errors import HybridbatchError
from hybridbatch.models.backends import (
    BackendModel,
    check_backend,
    load_backend,
    require,
    resolve_backend_precision,
)
from hybridbatch.models.batching import token_length_batches
from hybridbatch.models.fingerprint import model_fingerprint, tokenizer_fingerprint, tokenizer_signature
from hybridbatch.models.quantized_backends import CALIBRATED, calibration_key, load_quantized
from hybridbatch.settings import cache_dir

log = logging.getLogger(__name__)
Side = Literal["query", "passage"]
_PLURAL = {"query": "queries", "passage": "passages"}
_DESCRIPTION: ContextVar[str | None] = ContextVar("hybridbatch_encoding_description", default=None)
BatchSink = Callable[[np.ndarray, np.ndarray], None]
"""``on_batch(positions, vectors)``: one finished batch, its positions in the texts being encoded and their final
(normalised, float32) vectors."""
CACHE_WRITE_TEXTS = 2048
"""The embedding cache is written each time this many newly encoded vectors wait (and when the pass ends or
fails), so an interrupted pass loses at most this many texts' work."""


def pass_description(side: Side | str, label: str = "", step: tuple[int, int] | None = None) -> str:
    """What a progress bar says while one pass encodes: ``encoding xquad-r passages (2/2)``; ``label`` names
    the texts' source (a benchmark, ``validation <benchmark>``), ``step`` = (this pass, number of passes)."""
    words = ["encoding", label, _PLURAL.get(side, side)]
    text = " ".join(w for w in words if w)
    return f"{text} ({step[0]}/{step[1]})" if step else text


def current_description() -> str | None:
    """The description of the pass being encoded now (set by :func:`encode_texts`), or None: what an
    encoder's progress bar says."""
    return _DESCRIPTION.get()


@contextmanager
def describing(text: str) -> Iterator[None]:
    """Within the block, :func:`current_description` is ``text``."""
    token = _DESCRIPTION.set(text)
    try:
        yield
    finally:
        _DESCRIPTION.reset(token)


@runtime_checkable
class Encoder(Protocol):
    """What evaluation and training-time validation need from a model (and search will). An encoder whose
    ``streams_batches`` attribute is true also takes ``on_batch`` (a :data:`BatchSink`) in both methods."""

    @property
    def identity(self) -> str:
        """A string that changes whenever the vectors could change (weights, prefixes, max length)."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """An :class:`Encoder` over a sentence-transformers model.

    ``query_prompt`` / ``passage_prompt`` are literal prefixes; ``None`` means the model's own
    ``query`` / ``passage`` prompt if it has one, else no prefix. ``precision`` "bf16" (or "auto" where bf16 is native, see :mod:`hybridbatch.hardware`) runs the
    forward pass under CPU/GPU bfloat16 autocast (weights stay fp32; vectors are returned as fp32);
    it is part of the identity, so fp32 and bf16 vectors never share a cache.

    ``backend`` "onnx" or "openvino" runs the forward pass on an export of ``model`` (made once per model
    and package versions, see :mod:`hybridbatch.models.backends`) with the same prompts, tokenisation and
    batch size, and the same output contract; its packages are checked here, the export is made at the
    first encode. The backend is part of :attr:`identity` (so its vectors never share a cache with
    torch's), not of :attr:`model_identity`. onnx runs fp32 only (``auto`` means fp32 there); openvino
    runs fp32 as true f32 and bf16 with OpenVINO's bf16 inference precision.

    The int8 variants of :data:`hybridbatch.config.EXPERIMENTAL_BACKENDS` (``onnx-int8-dynamic``,
    ``onnx-int8-static``, ``openvino-int8``; measured only, see :mod:`hybridbatch.models.quantized_backends`) are
    accepted here; the calibrated ones need ``calibration`` texts (whole inputs, prompts included), whose hash is
    part of :attr:`identity`.
    """

    streams_batches = True
    """:meth:`encode_queries` and :meth:`encode_passages` take ``on_batch`` (a :data:`BatchSink`)."""

    def __init__(self, model, *, query_prompt: str | None = None, passage_prompt: str | None = None,
                 batch_size: int = 64, show_progress: bool = True, label: str = "", precision: str = "auto",
                 backend: str = "torch", calibration: Sequence[str] | None = None):
        self.model = model
        self.backend = check_backend(backend)
        self.calibration = list(calibration) if backend in CALIBRATED and calibration else None
        if backend in CALIBRATED and not self.calibration:
            raise HybridbatchError(f"backend {backend} needs calibration texts")
        device = "cuda" if str(model.device).startswith("cuda") else "cpu"
        self.precision = resolve_backend_precision(backend, precision, device)
        if backend != "torch":
            require(backend)  # fail before any work when the extra is missing
        self._backend_model: BackendModel | None = None
        prompts = getattr(model, "prompts", {}) or {}
        self.query_prompt = query_prompt if query_prompt is not None else prompts.get("query", "")
        self.passage_prompt = passage_prompt if passage_prompt is not None else prompts.get("passage", "")
        self.batch_size = batch_size
        self.show_progress = show_progress
        self.label = label
        self._identity: str | None = None
        self._part_cache: list[str] | None = None

    @property
    def model_identity(self) -> str:
        """What the vectors depend on apart from precision and backend: weights, tokenizer, prefixes, max length
        (a search index records it, so vectors built in fp32 or with one backend can be searched from a bf16
        machine or with another backend)."""
        parts = self._parts()
        parts[1] = tokenizer_signature(self.model)  # not the truncation state the tokenizer keeps after use
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]

    @property
    def identity(self) -> str:
        if self._identity is None:
            # torch fp32 keeps its old identity (= model_identity), so existing caches stay valid
            parts = self._parts() + ([] if self.precision == "fp32" else [self.precision])
            parts += [] if self.backend == "torch" else [f"backend {self.backend}"]
            parts += [calibration_key(self.calibration)] if self.calibration else []
            self._identity = hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]
        return self._identity

    def _parts(self) -> list[str]:
        if self._part_cache is None:
            self._part_cache = [model_fingerprint(self.model), tokenizer_fingerprint(self.model),
                                repr(self.query_prompt), repr(self.passage_prompt), str(self.model.max_seq_length)]
        return list(self._part_cache)

    def _load_backend(self) -> BackendModel:
        if self.backend in EXPERIMENTAL_BACKENDS:
            return load_quantized(self.model, self.backend, self.precision, calibration=self.calibration,
                                  fingerprint=self._parts()[0])
        return load_backend(self.model, self.backend, self.precision, fingerprint=self._parts()[0])

    def encode_queries(self, texts: Sequence[str], on_batch: BatchSink | None = None) -> np.ndarray:
        return self._encode(texts, self.query_prompt, "queries", on_batch)

    def encode_passages(self, texts: Sequence[str], on_batch: BatchSink | None = None) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, "passages", on_batch)

    def _encode(self, texts: Sequence[str], prompt: str, what: str, on_batch: BatchSink | None) -> np.ndarray:
        if not texts:
            dim = self.model.get_embedding_dimension()
            return np.zeros((0, dim or 0), dtype=np.float32)
        desc = current_description() or pass_description(what)
        if self.show_progress:
            log.info("%s: %d texts%s", desc, len(texts), "" if self.backend == "torch" else f" ({self.backend})")
        texts = list(texts)
        out: np.ndarray | None = None
        for positions, unit in self._unit_batches(texts, prompt, desc):
            if out is None:
                out = np.empty((len(texts), unit.shape[1]), dtype=np.float32)
            out[positions] = unit
            if on_batch is not None:
                on_batch(positions, unit)
        return out

    def _unit_batches(self, texts: list[str], prompt: str, desc: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(positions in ``texts``, their unit-norm float32 vectors) per batch, as each batch is done."""
        if self.backend != "torch":
            if self._backend_model is None:
                self._backend_model = self._load_backend()
            for positions, rows in self._backend_model.encode_batches(texts, prompt, self.batch_size,
                                                                      self.show_progress, desc):
                yield positions, unit_rows(rows)
            return
        import torch  # deferred: torch
        from tqdm.auto import tqdm  # deferred: tqdm

        torch.set_num_threads(os.cpu_count() or 1)
        device_type = "cuda" if str(self.model.device).startswith("cuda") else "cpu"
        # batches of similar token counts (models.batching); sentence-transformers runs each under inference_mode
        for chunk in tqdm(token_length_batches(self.model, texts, prompt, self.batch_size), desc=desc,
                          disable=not self.show_progress):
            with torch.autocast(device_type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
                part = self.model.encode([texts[i] for i in chunk], prompt=prompt or None,
                                         batch_size=len(chunk), show_progress_bar=False, convert_to_tensor=True,
                                         normalize_embeddings=False)
            yield chunk, torch.nn.functional.normalize(part.float(), p=2, dim=1).cpu().numpy()  # in fp32


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """``rows`` scaled to unit L2 norm (a zero row stays zero), as contiguous float32."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.ascontiguousarray(rows / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


class EmbeddingCache:
    """Vectors on disk, one SQLite file per encoder identity, keyed by sha1(side, text).

    The encoder identity already covers model weights, prefixes and max length.
    """

    def __init__(self, identity: str, root: Path | None = None):
        folder = (root or cache_dir()) / "embeddings"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{identity}.sqlite"
        self._db = sqlite3.connect(self.path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, dim INTEGER, data BLOB)")

    @staticmethod
    def key(side: Side, text: str) -> str:
        return hashlib.sha1(f"{side}\x00{text}".encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 900):
            chunk = list(keys[start:start + 900])
            marks = ",".join("?" * len(chunk))
            for key, _dim, data in self._db.execute(f"SELECT key, dim, data FROM vec WHERE key IN ({marks})",
                                                    chunk):
                found[key] = np.frombuffer(data, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?, ?)",
                                 [(k, int(v.shape[0]), v.astype(np.float32).tobytes()) for k, v in items.items()])

    def close(self) -> None:
        self._db.close()


class _CacheWriter:
    """Receives a streaming encoder's batches (positions into ``keys``, the cache keys of the texts being
    encoded) and writes them to ``store`` in groups of :data:`CACHE_WRITE_TEXTS`."""

    def __init__(self, store: EmbeddingCache, keys: Sequence[str]):
        self.store, self.keys = store, keys
        self.waiting: dict[str, np.ndarray] = {}

    def add(self, positions: np.ndarray, vectors: np.ndarray) -> None:
        for i, vector in zip(positions, vectors):
            self.waiting[self.keys[int(i)]] = vector
        if len(self.waiting) >= CACHE_WRITE_TEXTS:
            self.flush()

    def flush(self) -> None:
        if self.waiting:
            self.store.put_many(self.waiting)
            self.waiting = {}


def encode_texts(encoder: Encoder, texts: Sequence[str], side: Side, *, cache: bool = True,
                 cache_root: Path | None = None, label: str = "", step: tuple[int, int] | None = None
                 ) -> tuple[np.ndarray, int]:
    """Encode ``texts`` as queries or passages, each distinct text once, reusing cached vectors.

    With the cache and an encoder that streams its batches, vectors are written to the cache while the pass runs
    (every :data:`CACHE_WRITE_TEXTS`, and what is done when it fails), so an interrupted pass is resumed by the
    next call. ``label`` and ``step`` name the pass in the progress bar (:func:`pass_description`).
    Returns (vectors in input order, number of texts actually encoded now).
    """
    for i, text in enumerate(texts):
        if not text or not text.strip():
            raise HybridbatchError(f"empty text at position {i} ({side})")
    unique = list(dict.fromkeys(texts))
    store = EmbeddingCache(encoder.identity, cache_root) if cache else None
    try:
        keys = [EmbeddingCache.key(side, t) for t in unique]
        known = store.get_many(keys) if store else {}
        missing = [t for t, k in zip(unique, keys) if k not in known]
        missing_keys = [k for k in keys if k not in known]
        if missing:
            if known:
                log.info("%s: %d of %d texts are in the cache", pass_description(side, label, step), len(known),
                         len(unique))
            writer = _CacheWriter(store, missing_keys) if store and getattr(encoder, "streams_batches", False) \
                else None
            encode = encoder.encode_queries if side == "query" else encoder.encode_passages
            with describing(pass_description(side, label, step)):
                try:
                    fresh = encode(missing, on_batch=writer.add) if writer else encode(missing)
                finally:
                    if writer:
                        writer.flush()
            if fresh.shape[0] != len(missing):
                raise HybridbatchError(f"encoder returned {fresh.shape[0]} vectors for {len(missing)} texts")
            new = dict(zip(missing_keys, fresh))
            if store and not writer:
                store.put_many(new)
            known.update(new)
        by_text = {t: known[k] for t, k in zip(unique, keys)}
        out = np.stack([by_text[t] for t in texts]).astype(np.float32) if texts else np.zeros((0, 0), np.float32)
        return out, len(missing)
    finally:
        if store:
            store.close()
