"""Embeddings in and out: ``.npz`` files with ``Q_<lang>`` (questions) and ``C_<lang>`` (candidates).

Rows follow the order in which queries / candidates of that language appear in the benchmark's files,
so any tool can produce a file we score, and anyone can re-score ours.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import atomic_file


def _rows_by_lang(langs: np.ndarray, languages: list[str]) -> dict[str, np.ndarray]:
    return {lang: np.flatnonzero(langs == lang) for lang in languages}


def save_embeddings(path: Path, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> None:
    """Write ``Q_<lang>`` / ``C_<lang>`` arrays (float32) atomically."""
    arrays: dict[str, np.ndarray] = {}
    for lang, rows in _rows_by_lang(bench.query_langs(), bench.languages).items():
        arrays[f"Q_{lang}"] = Q[rows].astype(np.float32)
    for lang, rows in _rows_by_lang(bench.candidate_langs(), bench.languages).items():
        arrays[f"C_{lang}"] = C[rows].astype(np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as handle:
        np.savez(handle, **arrays)


def load_embeddings(path: Path, bench: Benchmark) -> tuple[np.ndarray, np.ndarray]:
    """Read a file written by :func:`save_embeddings` (or any tool) into benchmark-ordered Q and C.

    Every language of ``bench`` needs both arrays, with the right row count and one common width.
    """
    path = Path(path)
    if not path.is_file():
        raise HybridbatchError("embeddings file not found", path=path)
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise HybridbatchError(f"not a readable .npz file ({exc})", path=path) from None
    with data:
        dim: int | None = None
        parts = {}
        for prefix, langs, n_total in (("Q", bench.query_langs(), len(bench.queries)),
                                        ("C", bench.candidate_langs(), len(bench.candidates))):
            out = None
            for lang, rows in _rows_by_lang(langs, bench.languages).items():
                key = f"{prefix}_{lang}"
                if key not in data.files:
                    raise HybridbatchError(f"missing array {key!r} (has: {', '.join(sorted(data.files))})",
                                           path=path)
                arr = data[key]
                if arr.ndim != 2 or arr.shape[0] != len(rows):
                    raise HybridbatchError(
                        f"array {key!r} has shape {arr.shape}, expected ({len(rows)}, dim)", path=path)
                if dim is None:
                    dim = arr.shape[1]
                    if dim == 0:
                        raise HybridbatchError(f"array {key!r} has zero width", path=path)
                elif arr.shape[1] != dim:
                    raise HybridbatchError(f"array {key!r} has width {arr.shape[1]}, other arrays {dim}",
                                           path=path)
                if not np.isfinite(arr).all():
                    raise HybridbatchError(f"array {key!r} holds NaN or infinite values", path=path)
                if out is None:
                    out = np.zeros((n_total, dim), dtype=np.float32)
                out[rows] = arr
            parts[prefix] = out
    return _normalise(parts["Q"]), _normalise(parts["C"])


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)
