"""Evaluate one model (or one embeddings file) on one benchmark and write the report folder.

Flow: read the benchmark → encode every question and candidate once (through the cache) → score all
settings from those two matrices → write results.json / .md / .csv, plots, per-query arrays and
the resolved configuration into an output folder that appears whole or not at all.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import atomic_dir, provenance, write_json

log = logging.getLogger(__name__)
CandidateText = Literal["sentence", "sentence+context"]


@dataclass
class EvaluationConfig:
    """Everything that determines an evaluation's numbers (stored in the output folder)."""

    benchmark: str
    model: str | None = None
    embeddings: str | None = None
    languages: list[str] | None = None
    candidate_text: CandidateText = "sentence"
    batch_size: int = 64
    max_seq_length: int | None = None
    query_prefix: str | None = None
    passage_prefix: str | None = None
    precision: str = "fp32"
    cache: bool = True
    data_dir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        if (self.model is None) == (self.embeddings is None):
            raise HybridbatchError("give exactly one of --model and --embeddings")
        if self.candidate_text not in ("sentence", "sentence+context"):
            raise HybridbatchError(f"unknown --candidate-text {self.candidate_text!r} "
                                   "(expected sentence or sentence+context)")
        if self.batch_size < 1:
            raise HybridbatchError(f"--batch-size must be positive, got {self.batch_size}")
        if self.precision not in ("fp32", "bf16"):
            raise HybridbatchError(f"unknown --precision {self.precision!r} (expected fp32 or bf16)")


def candidate_texts(bench: Benchmark, mode: CandidateText) -> list[str]:
    """The text encoded for each candidate: the sentence, or the sentence followed by its paragraph."""
    if mode == "sentence" or bench.kind != "lareqa":
        return [c.text for c in bench.candidates]
    return [f"{c.text} {c.context}" if c.context else c.text for c in bench.candidates]


def build_encoder(cfg: EvaluationConfig):
    """Load the model named by the config and wrap it as the project's one encoder."""
    from hybridbatch.encoding import SentenceTransformerEncoder
    from hybridbatch.models.loading import load_model

    model = load_model(cfg.model, max_seq_length=cfg.max_seq_length)
    return SentenceTransformerEncoder(model, query_prompt=cfg.query_prefix, passage_prompt=cfg.passage_prefix,
                                      batch_size=cfg.batch_size, label=cfg.model or "", precision=cfg.precision)


def embed_benchmark(bench: Benchmark, cfg: EvaluationConfig, encoder=None) -> tuple[np.ndarray, np.ndarray,
                                                                                     dict[str, Any]]:
    """Q and C for ``bench`` from the embeddings file or the encoder, with timing figures."""
    from hybridbatch.encoding import encode_texts
    from hybridbatch.evaluation.embeddings_file import load_embeddings

    start = time.perf_counter()
    if cfg.embeddings:
        Q, C = load_embeddings(Path(cfg.embeddings), bench)
        return Q, C, {"source": "embeddings file", "load_seconds": round(time.perf_counter() - start, 3)}
    encoder = encoder or build_encoder(cfg)
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    Q, n_q = encode_texts(encoder, [q.text for q in bench.queries], "query", cache=cfg.cache)
    C, n_c = encode_texts(encoder, candidate_texts(bench, cfg.candidate_text), "passage", cache=cfg.cache)
    seconds = time.perf_counter() - start
    encoded = n_q + n_c
    return Q, C, {"source": "model", "encoder_identity": encoder.identity,
                  "model_load_seconds": round(load_seconds, 2), "encode_seconds": round(seconds, 2),
                  "texts_encoded": encoded, "texts_from_cache": len(Q) + len(C) - encoded,
                  "texts_per_second": round(encoded / seconds, 2) if encoded and seconds > 0 else None}


def score(bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Score with the protocol that fits the benchmark kind."""
    if bench.kind == "lareqa":
        from hybridbatch.evaluation.lareqa_scoring import score_lareqa

        return score_lareqa(bench, Q, C)
    from hybridbatch.evaluation.beir_scoring import score_beir

    return score_beir(bench, Q, C)


def write_report(out: Path, results: dict[str, Any], per_query: dict[str, np.ndarray],
                 cfg: EvaluationConfig) -> None:
    """Fill folder ``out`` with every report file."""
    from hybridbatch.reporting import plots, tables

    write_json(out / "results.json", results)
    (out / "results.csv").write_text(tables.results_csv(results), encoding="utf-8")
    if results["kind"] == "lareqa":
        (out / "results.md").write_text(tables.lareqa_markdown(results), encoding="utf-8")
        plots.pair_heatmap(results, out / "heatmap_map.png")
        plots.rank_distance_bars(results, out / "rank_distance.png")
    else:
        (out / "results.md").write_text(tables.beir_markdown(results), encoding="utf-8")
    np.savez_compressed(out / "per_query.npz", **per_query)
    write_json(out / "config.json", provenance(asdict(cfg)))


def run_evaluation(cfg: EvaluationConfig, out: Path, *, save_embeddings: Path | None = None,
                   bench: Benchmark | None = None, encoder=None) -> dict[str, Any]:
    """Evaluate and write the report folder ``out``; returns the results dict."""
    from hybridbatch.data.registry import load_benchmark
    from hybridbatch.settings import data_dir

    cfg.check()
    if bench is None:
        needs_data = not cfg.benchmark.startswith(("beir:", "lareqa:"))
        root = data_dir(cfg.data_dir) if needs_data else cfg.data_dir
        bench = load_benchmark(cfg.benchmark, root, cfg.languages)
    Q, C, timing = embed_benchmark(bench, cfg, encoder)
    start = time.perf_counter()
    results, per_query = score(bench, Q, C)
    timing["metric_seconds"] = round(time.perf_counter() - start, 3)
    results["timing"] = timing
    with atomic_dir(Path(out)) as tmp:
        write_report(tmp, results, per_query, cfg)
    if save_embeddings:
        from hybridbatch.evaluation.embeddings_file import save_embeddings as save

        save(Path(save_embeddings), bench, Q, C)
    log.info("wrote %s", out)
    return results
