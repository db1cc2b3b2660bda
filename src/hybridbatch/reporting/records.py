"""Finished evaluation folders as records: reading them (results.json, per_query.npz, config.json), checking
that they can be compared, grouping them by benchmark and label, and the scorer of a benchmark's records."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.benchmarks.registry import scorer_for
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.embeddings_file import numeric_array, open_npz
from hybridbatch.run_files import EVAL_CONFIG, PER_QUERY, RESULTS
from hybridbatch.scoring.scorer import Scorer

BASE_LABEL = "base (untrained)"  # the experiment runner's label of the untrained model's evaluations


@dataclass
class EvalRecord:
    """One finished evaluation folder (results.json, per_query.npz, config.json)."""

    path: Path
    label: str
    seed: int | None
    results: dict[str, Any]
    per_query: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def benchmark(self) -> str:
        return self.results["benchmark"]


def load_record(path: Path, label: str | None = None) -> EvalRecord:
    """Read an evaluation folder written by ``hybridbatch evaluate`` or the experiment runner."""
    path = Path(path)
    files = {name: path / name for name in (RESULTS, PER_QUERY, EVAL_CONFIG)}
    for name, file in files.items():
        if not file.is_file():
            raise HybridbatchError(f"not a finished evaluation folder (no {name})", path=path)
    results = read_json_object(files[RESULTS])
    if not isinstance(results.get("benchmark"), str) or not isinstance(results.get("languages"), list):
        raise HybridbatchError("not evaluation results (no 'benchmark' or 'languages')", path=files[RESULTS])
    config = read_json_object(files[EVAL_CONFIG]).get("config", {})
    if not isinstance(config, dict):
        raise HybridbatchError("'config' should be an object", path=files[EVAL_CONFIG])
    per_query = read_per_query(files[PER_QUERY])
    meta = dict(config.get("extra") or {})
    return EvalRecord(path, label or meta.get("label") or path.name, meta.get("seed"), results, per_query, meta)


def read_json_object(file: Path) -> dict[str, Any]:
    """A JSON file that must hold an object; unreadable, malformed or other JSON is a one-line error."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=file) from None
    except json.JSONDecodeError as exc:
        raise HybridbatchError(f"malformed JSON ({exc})", path=file) from None
    if not isinstance(data, dict):
        raise HybridbatchError(f"should hold a JSON object, not {type(data).__name__}", path=file)
    return data


def read_per_query(file: Path) -> dict[str, np.ndarray]:
    """The per-query arrays of an evaluation: numbers only, NaN (undefined) allowed, infinities not, and at
    least one defined value (a file of NaN only scored no query)."""
    with open_npz(file) as data:
        arrays = {k: numeric_array(data, k, file) for k in data.files}
    for key, values in arrays.items():
        if np.isinf(values).any():
            raise HybridbatchError(f"array {key!r} holds infinite values", path=file)
    if arrays and all(np.isnan(values).all() for values in arrays.values()):
        raise HybridbatchError("every per-query array holds only NaN values: no query was scored", path=file)
    return arrays


def check_undefined_queries(records: list[EvalRecord]) -> None:
    """Raise when a headline per-query array is NaN (undefined) for queries that another evaluation of the
    same benchmark scores: which queries are undefined depends on the benchmark, not on the model, so such
    a file is damaged (the significance tests would silently leave those queries out)."""
    for bench, by_label in group_records(records).items():
        scorer = benchmark_scorer(bench, by_label)
        recs = [r for group in by_label.values() for r in group]
        for key in (m.per_query for m in scorer.measures if m.per_query):
            have = [r for r in recs if key in r.per_query]
            for rec in have[1:]:
                first, values = have[0].per_query[key], rec.per_query[key]
                if values.shape == first.shape and not np.array_equal(np.isnan(values), np.isnan(first)):
                    worse, other = (rec, have[0]) if np.isnan(values).sum() > np.isnan(first).sum() else (have[0], rec)
                    raise HybridbatchError(f"array {key!r} is NaN for queries that {other.path} scores",
                                           path=worse.path / PER_QUERY)


def group_records(records: list[EvalRecord]) -> dict[str, dict[str, list[EvalRecord]]]:
    """benchmark → label → records (one per seed), labels in first-seen order."""
    grouped: dict[str, dict[str, list[EvalRecord]]] = defaultdict(dict)
    for rec in records:
        grouped[rec.benchmark].setdefault(rec.label, []).append(rec)
    return grouped


def benchmark_scorer(bench: str, groups: Mapping[Any, list[EvalRecord]]) -> Scorer:
    """The scorer of one benchmark's records (grouped by label or α); different kinds are an error."""
    recs = [r for group in groups.values() for r in group]
    kinds = {r.results.get("kind") for r in recs}
    if len(kinds) != 1:
        raise HybridbatchError(f"evaluations of benchmark {bench!r} come from different kinds: "
                               f"{', '.join(sorted(map(str, kinds)))}", path=recs[0].path)
    return scorer_for(recs[0].results)
