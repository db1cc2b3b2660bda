"""Retrieval on the held-out validation groups of the training data, during training and after it.

The validation split (whole parallel groups, see :meth:`PairSet.split`) becomes a LAReQA-style benchmark:
every item's question is a query; every distinct passage text (per language) is a candidate; a query is
relevant to the passages of its group in every language (and to any candidate with the same text, as
LAReQA counts an answer sentence shared by two questions as relevant to both). It is scored by the
project's one LAReQA scorer — Mo., Cr., Mul. mAP and rank distance — so validation and evaluation
numbers mean the same thing.

Selection metrics (``training.select_metric``): ``loss`` (validation loss), ``mo``, ``cr``, ``mul``
(mAP), ``mo+mul`` = (Mo. + Mul.) / 2, ``mo+cr+mul`` = (Mo. + Cr. + Mul.) / 3; higher is better for all
but ``loss``.

:func:`build_validation_evaluator` is the one factory of the evaluator: ``hybridbatch merge``'s λ sweep
and an experiment's validation table use it through :mod:`hybridbatch.merging.validation` (the trainer's
``validation_evaluator`` builds the same evaluator). Merging and λ sweeps are :mod:`hybridbatch.merging`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hybridbatch.config import Precision
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.st_evaluator import RetrievalEvaluator
from hybridbatch.training.config import TrainConfig
from hybridbatch.training.data import PreparedData, selection_validation

COMPOSITES = {"mo+mul": ("mo", "mul"), "mo+cr+mul": ("mo", "cr", "mul")}
EVALUATOR_NAME = "val"


def validation_benchmark(pairs: TrainingPairs, name: str = "validation") -> Benchmark:
    """The validation split as a LAReQA-kind benchmark (see the module docstring)."""
    queries: list[Query] = []
    candidates: list[Candidate] = []
    cand_of: dict[tuple[str, str], str] = {}  # (lang, passage text) -> candidate id
    group_cands: dict[str, set[str]] = {}
    for ds in pairs.datasets:
        for it in ds.items:
            group = f"{ds.name}/{it.group}"
            text = ds.passage_text(it)
            cid = cand_of.get((it.lang, text))
            if cid is None:
                cid = cand_of[(it.lang, text)] = f"{it.lang}:p{len(candidates)}"
                candidates.append(Candidate(cid, it.lang, text))
            group_cands.setdefault(group, set()).add(cid)
            queries.append(Query(f"{group}:{it.lang}", it.lang, group, it.query))
    qrels = {q.id: {c: 1 for c in sorted(group_cands[q.group])} for q in queries}
    languages = sorted({q.lang for q in queries} | {c.lang for c in candidates})
    order = {lang: i for i, lang in enumerate(languages)}
    queries.sort(key=lambda q: order[q.lang])  # per language, then file order (as the readers do)
    candidates.sort(key=lambda c: order[c.lang])
    bench = Benchmark(name, "lareqa", queries, candidates, qrels, languages, source=name)
    bench.validate()
    return bench


class ValidationEvaluator(RetrievalEvaluator):
    """:class:`RetrievalEvaluator` on the validation benchmark, adding the composite selection metrics and
    keeping the history of every call in ``history_path`` (one JSON line per evaluation)."""

    def __init__(self, bench: Benchmark, *, select_metric: str = "mo+mul", history_path: Path | None = None,
                 **kwargs: Any):
        super().__init__(bench, name=EVALUATOR_NAME, **kwargs)
        self.select_metric = select_metric
        self.history_path = Path(history_path) if history_path else None
        if select_metric != "loss":
            self.primary_metric = f"{EVALUATOR_NAME}_{select_metric}"
            self.greater_is_better = True

    def metrics_from_results(self, results: dict[str, Any]) -> dict[str, float]:
        metrics = super().metrics_from_results(results)
        for name, parts in COMPOSITES.items():
            if all(p in metrics for p in parts):
                metrics[name] = sum(metrics[p] for p in parts) / len(parts)
        return metrics

    def __call__(self, model, output_path: str | None = None, epoch: int = -1, steps: int = -1) -> dict[str, float]:
        metrics = super().__call__(model, None, epoch, steps)
        if self.history_path is not None:
            self.history_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.history_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"step": steps, "epoch": epoch, "metrics": metrics}) + "\n")
        return metrics


def build_validation_evaluator(config: TrainConfig, data: PreparedData, prompts: dict[str, str], *,
                         select_metric: str | None = None, history_path: Path | None = None,
                         precision: Precision | None = None) -> ValidationEvaluator:
    """The evaluator on ``data``'s validation split with ``prompts`` (``{"query", "passage"}``), ranking by
    ``select_metric`` (default: ``config.training.select_metric``), encoding in ``precision`` (default:
    ``config.training.precision``), appending each evaluation to ``history_path`` when given. Raises
    :class:`HybridbatchError` when ``data`` has no validation split."""
    t = config.training
    chosen = selection_validation(config, data)
    if chosen is None:
        raise HybridbatchError("retrieval validation needs a validation split")
    return ValidationEvaluator(validation_benchmark(chosen),
                               select_metric=t.select_metric if select_metric is None else select_metric,
                               history_path=history_path, query_prompt=prompts["query"],
                               passage_prompt=prompts["passage"],
                               precision=t.precision if precision is None else precision)
