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
    if path.is_dir():
        raise HybridbatchError("embeddings file is a folder, not a file", path=path)
    if not path.is_file():
        raise HybridbatchError("embeddings file not found", path=path)
    with open_npz(path) as data:
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
                arr = numeric_array(data, key, path)
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


def open_npz(path: Path) -> np.lib.npyio.NpzFile:
    """``np.load`` of an ``.npz`` archive (no pickles); anything else (empty, truncated, a plain ``.npy``,
    not numpy at all) is a HybridbatchError naming the file. Use as a context manager."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HybridbatchError(f"not a readable .npz file ({what})", path=path) from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise HybridbatchError("not an .npz archive (a single array)", path=path)
    return data


def numeric_array(data: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    """Array ``key`` of an open archive; object, string or unreadable arrays are a HybridbatchError."""
    try:
        arr = data[key]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HybridbatchError(f"array {key!r} is unreadable ({what})", path=path) from None
    if arr.dtype.kind not in "biuf":
        raise HybridbatchError(f"array {key!r} holds {arr.dtype} values, not numbers", path=path)
    return arr


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)
