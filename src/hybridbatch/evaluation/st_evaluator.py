"""Any registered scorer as a sentence-transformers evaluator, for validation during training.

``RetrievalEvaluator(bench)`` follows sentence-transformers' ``SentenceEvaluator`` contract:
``evaluator(model, output_path=None, epoch=-1, steps=-1) -> dict[str, float]`` with ``primary_metric``
and ``greater_is_better`` taken from the scorer's primary measure, so the trainer can log it, select
the best checkpoint on it and stop early on it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
from sentence_transformers.sentence_transformer.evaluation import SentenceEvaluator

from hybridbatch.benchmarks.registry import get_scorer
from hybridbatch.config import Precision
from hybridbatch.data.benchmark import Benchmark, CandidateText
from hybridbatch.encoding import SentenceTransformerEncoder, encode_texts
from hybridbatch.scoring.scorer import Scorer


class RetrievalEvaluator(SentenceEvaluator):
    """Encode ``bench`` with the model being trained and score it with the scorer of its kind.

    Encoding goes through :func:`hybridbatch.encoding.encode_texts` without the embedding cache (the
    weights change between calls), with ``query_prompt`` / ``passage_prompt`` as in ``evaluate``'s
    ``--query-prefix`` / ``--passage-prefix`` (None = the model's own prompts). The model is put in eval
    mode while encoding and restored afterwards. It always encodes with the torch backend: the weights
    change at every pass, and an ONNX or OpenVINO export per pass would cost more than it saves.

    Returns flat metrics: ``{measure.name: value}`` for every measure of the scorer, plus
    ``{primary.name}_{lang}`` for each query language the scorer breaks the primary measure down by;
    every key prefixed by ``name`` + ``_`` when ``name`` is not empty (sentence-transformers' convention).
    Undefined values (None) are left out. With ``output_path``, every call appends one JSON line
    ``{"epoch", "steps", "metrics"}`` to ``<output_path>/retrieval_evaluation_<name or kind>.jsonl``.
    """

    def __init__(self, bench: Benchmark, *, name: str | None = None, query_prompt: str | None = None,
                 passage_prompt: str | None = None, candidate_text: CandidateText = "sentence",
                 batch_size: int = 64, precision: Precision = "fp32", scorer: Scorer | None = None):
        super().__init__()
        self.bench = bench
        self.scorer = scorer or get_scorer(bench.kind)
        self.name = bench.name if name is None else name
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.candidate_text = candidate_text
        self.batch_size = batch_size
        self.precision = precision
        primary = self.scorer.measures[0]
        self.primary_metric = f"{self.name}_{primary.name}" if self.name else primary.name
        self.greater_is_better = primary.greater_is_better
        self.last_results: dict[str, Any] | None = None

    def __call__(self, model, output_path: str | None = None, epoch: int = -1, steps: int = -1
                 ) -> dict[str, float]:
        Q, C = self.embed(model)
        results, _ = self.scorer.score(self.bench, Q, C)
        self.last_results = results
        metrics = self.prefix_name_to_metrics(self.metrics_from_results(results), self.name)
        if output_path is not None:
            os.makedirs(output_path, exist_ok=True)
            path = os.path.join(output_path, f"retrieval_evaluation_{self.name or self.scorer.kind}.jsonl")
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"epoch": epoch, "steps": steps, "metrics": metrics}) + "\n")
        self.store_metrics_in_model_card_data(model, metrics, epoch, steps)
        return metrics

    def embed(self, model) -> tuple[np.ndarray, np.ndarray]:
        """Query and candidate matrices of the benchmark under ``model`` (no cache), in benchmark order."""
        import torch


        encoder = SentenceTransformerEncoder(model, query_prompt=self.query_prompt,
                                             passage_prompt=self.passage_prompt, batch_size=self.batch_size,
                                             show_progress=False, precision=self.precision)
        was_training, threads = model.training, torch.get_num_threads()
        model.eval()
        try:
            label = f"validation {self.bench.name}"
            Q, _ = encode_texts(encoder, [q.text for q in self.bench.queries], "query", cache=False, label=label,
                                step=(1, 2))
            C, _ = encode_texts(encoder, self.bench.candidate_texts(self.candidate_text), "passage", cache=False,
                                label=label, step=(2, 2))
        finally:
            model.train(was_training)
            torch.set_num_threads(threads)
        return Q, C

    def metrics_from_results(self, results: dict[str, Any]) -> dict[str, float]:
        """Unprefixed flat metrics of a results dict (see the class docstring)."""
        metrics = {m.name: v for m in self.scorer.measures if (v := m.value(results)) is not None}
        primary = self.scorer.measures[0]
        for table in self.scorer.per_language(results):
            if table.measure == primary.name:
                metrics.update({f"{primary.name}_{lang}": float(v) for lang, v in table.values.items()
                                if v is not None})
        return metrics

    def get_config_dict(self) -> dict[str, Any]:
        """What the model card records about this evaluator."""
        return {"benchmark": self.bench.name, "kind": self.scorer.kind, "candidate_text": self.candidate_text,
                "precision": self.precision}
