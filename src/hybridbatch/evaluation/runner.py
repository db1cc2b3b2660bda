"""Evaluate one model (or one embeddings file) on one benchmark and write the report folder.

Flow: read the benchmark → encode every query and candidate once (through the cache) → score both
matrices with the scorer registered for the benchmark's kind (:mod:`.scorer`) → write results.json /
.md / .csv, the scorer's plots, per-query arrays and the resolved configuration into an output folder
that appears whole or not at all.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.benchmarks.registry import get_scorer, load_benchmark
from hybridbatch.data.benchmark import Benchmark
from hybridbatch.encoding import SentenceTransformerEncoder, encode_texts
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.embeddings_file import load_embeddings
from hybridbatch.evaluation.embeddings_file import save_embeddings as save
from hybridbatch.evaluation.robustness import robustness_measures, run_perturbations
from hybridbatch.hardware import resolve_device
from hybridbatch.models.backends import resolve_backend_precision
from hybridbatch.models.loading import load_model
from hybridbatch.outputs import atomic_dir, provenance, write_json
from hybridbatch.run_files import EVAL_CONFIG, PER_QUERY, RESULTS, RESULTS_CSV, RESULTS_MD
from hybridbatch.scoring.scorer import Scorer

log = logging.getLogger(__name__)


def resolve_hardware(cfg: EvaluationConfig) -> EvaluationConfig:
    """A checked copy of ``cfg`` with ``device`` and ``precision`` resolved (auto → what runs here, for the
    config's ``backend``: onnx runs fp32 only); the resolved values are what config.json records and what the
    encoder identity contains."""
    cfg.validate()
    device = resolve_device(cfg.device)
    return dataclasses.replace(cfg, device=device,
                               precision=resolve_backend_precision(cfg.backend, cfg.precision, device))


def build_encoder(cfg: EvaluationConfig):
    """Load the model named by the config and wrap it as the project's one encoder."""
    model = load_model(cfg.model, max_seq_length=cfg.max_seq_length,
                       device="cuda" if cfg.device == "cuda" else "cpu")
    return SentenceTransformerEncoder(model, query_prompt=cfg.query_prefix, passage_prompt=cfg.passage_prefix,
                                      batch_size=cfg.batch_size, label=cfg.model or "", precision=cfg.precision,
                                      backend=cfg.backend)


def embed_benchmark(bench: Benchmark, cfg: EvaluationConfig, encoder=None) -> tuple[np.ndarray, np.ndarray,
                                                                                     dict[str, Any]]:
    """Q and C for ``bench`` from the embeddings file or the encoder, with timing figures."""
    start = time.perf_counter()
    if cfg.embeddings:
        Q, C = load_embeddings(Path(cfg.embeddings), bench)
        return Q, C, {"source": "embeddings file", "load_seconds": round(time.perf_counter() - start, 3)}
    encoder = encoder or build_encoder(cfg)
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    passes = 2 + len(cfg.perturb)  # then one per perturbation (.robustness)
    Q, n_q = encode_texts(encoder, [q.text for q in bench.queries], "query", cache=cfg.cache, label=bench.name,
                          step=(1, passes))
    C, n_c = encode_texts(encoder, bench.candidate_texts(cfg.candidate_text), "passage", cache=cfg.cache,
                          label=bench.name, step=(2, passes))
    seconds = time.perf_counter() - start
    encoded = n_q + n_c
    return Q, C, {"source": "model", "encoder_identity": encoder.identity,
                  "model_load_seconds": round(load_seconds, 2), "encode_seconds": round(seconds, 2),
                  "texts_encoded": encoded, "texts_from_cache": len(Q) + len(C) - encoded,
                  "texts_per_second": round(encoded / seconds, 2) if encoded and seconds > 0 else None}


def write_report(out: Path, results: dict[str, Any], per_query: dict[str, np.ndarray],
                 cfg: EvaluationConfig, scorer: Scorer | None = None) -> None:
    """Fill folder ``out`` with every report file: results.json/.md/.csv, the scorer's plots,
    per_query.npz and config.json."""
    scorer = scorer or get_scorer(results["kind"])
    write_json(out / RESULTS, results)
    (out / RESULTS_CSV).write_text(scorer.csv(results), encoding="utf-8")
    (out / RESULTS_MD).write_text(scorer.markdown(results), encoding="utf-8")
    scorer.write_plots(results, out)
    np.savez_compressed(out / PER_QUERY, **per_query)
    write_json(out / EVAL_CONFIG, provenance(asdict(cfg)))


def run_evaluation(cfg: EvaluationConfig, out: Path, *, save_embeddings: Path | None = None,
                   bench: Benchmark | None = None, encoder=None) -> dict[str, Any]:
    """Evaluate and write the report folder ``out``; returns the results dict."""
    cfg = resolve_hardware(cfg)
    if bench is None:
        bench = load_benchmark(cfg.benchmark, cfg.data_dir, cfg.languages)
    scorer = get_scorer(bench.kind)
    if cfg.perturb:
        robustness_measures(bench)
        encoder = encoder or build_encoder(cfg)
    Q, C, timing = embed_benchmark(bench, cfg, encoder)
    start = time.perf_counter()
    results, per_query = scorer.score(bench, Q, C)
    timing["metric_seconds"] = round(time.perf_counter() - start, 3)
    results["timing"] = timing
    with atomic_dir(Path(out)) as tmp:
        write_report(tmp, results, per_query, cfg, scorer)
        if cfg.perturb:
            start = time.perf_counter()
            run_perturbations(bench, scorer, encoder, C, results, cfg.perturb, cfg.perturb_seed, tmp, cache=cfg.cache)
            log.info("robustness suite: %d perturbations in %.1f s", len(cfg.perturb), time.perf_counter() - start)
    if save_embeddings:
        save(Path(save_embeddings), bench, Q, C)
    log.info("wrote %s", out)
    return results
