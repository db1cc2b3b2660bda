"""Calibration texts for the int8 variants of the backends (:mod:`hybridbatch.models.quantized_backends`).

Drawn from a training benchmark (MLQA-R by default: the data the default configuration trains on, disjoint
from the XQuAD-R evaluation), ``n`` queries and ``n`` passages per language, deterministically from a seed:
each language's draw depends only on the seed and the language (not on which other languages are asked),
without replacement, in the benchmark's order. Queries carry the query prompt and passages the passage
prompt, as encoding feeds them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError

CALIBRATION_BENCHMARK = "mlqa-r"


def _draw(n_items: int, n: int, seed: int, lang: str, side: str) -> np.ndarray:
    """``min(n, n_items)`` indices out of ``n_items``, ascending, fixed by (seed, language, side)."""
    salt = int.from_bytes(hashlib.sha256(f"{lang}\x00{side}".encode()).digest()[:8], "little")
    rng = np.random.default_rng([seed, salt])
    return np.sort(rng.choice(n_items, size=min(n, n_items), replace=False))


def draw_calibration(bench: Benchmark, n: int, seed: int = 0, *, query_prompt: str = "", passage_prompt: str = "",
                     candidate_text: str = "sentence") -> list[str]:
    """``n`` queries (with ``query_prompt``) and ``n`` passages (with ``passage_prompt``) per language of
    ``bench``: for each language its queries, then its passages."""
    if n < 1:
        raise HybridbatchError(f"calibration needs at least one text per language, got {n}")
    passages = bench.candidate_texts(candidate_text)
    texts: list[str] = []
    for lang in bench.languages:
        q = [x.text for x in bench.queries if x.lang == lang]
        p = [t for c, t in zip(bench.candidates, passages) if c.lang == lang]
        texts += [query_prompt + q[i] for i in _draw(len(q), n, seed, lang, "query")] if q else []
        texts += [passage_prompt + p[i] for i in _draw(len(p), n, seed, lang, "passage")] if p else []
    if not texts:
        raise HybridbatchError(f"benchmark {bench.name} has no texts to calibrate with")
    return texts


def calibration_texts(n: int, seed: int = 0, *, benchmark: str = CALIBRATION_BENCHMARK,
                      data_dir: Path | str | None = None, languages: Sequence[str] | None = None,
                      query_prompt: str = "", passage_prompt: str = "") -> list[str]:
    """:func:`draw_calibration` over ``benchmark`` (read by :func:`hybridbatch.benchmarks.registry.load_benchmark`)."""
    bench = load_benchmark(benchmark, data_dir, list(languages) if languages else None)
    return draw_calibration(bench, n, seed, query_prompt=query_prompt, passage_prompt=passage_prompt)
