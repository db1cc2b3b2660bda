"""Pair classification over parallel languages (XNLI, PAWS-X, AmericasNLI): per ordered language pair, pooled,
per language and by resource class.

For languages X (first text: premise / sentence1) and Y (second text: hypothesis / sentence2) the pairs of
(X, Y) are the items both have with the same label (:meth:`PairLayout.pairs`); the score of a pair is
the cosine similarity of the first text's candidate row and the second text's query row. X = Y are the
**monolingual** pairs, X ≠ Y the **cross-lingual** ones; each embedding serves every pair it is part of.
Metrics per pair set: :mod:`hybridbatch.scoring.pair_classification` (AP, best-threshold accuracy and F1).

* ``summary.mono`` = macro mean over languages of the (X, X) metrics; ``summary.cross`` = macro mean over
  ordered pairs X ≠ Y; ``summary.gap`` = mono − cross (language bias of the encoder on the task);
  ``pooled_mono`` / ``pooled_cross``: all monolingual / all cross-lingual pairs as one set (one threshold).
* per language x: its (x, x) metrics, ``cross`` = mean over the 2(L−1) ordered pairs with x on one side,
  ``gap`` = mono − cross; ``by_class``: means of those over the languages of each resource class.

Per-query arrays (rows = queries = second texts; columns = first-text languages in ``bench.languages``
order): ``cosine`` (n, L), ``cross/ap`` and ``cross/acc`` (n, L) with the diagonal NaN, ``mono/ap`` and
``mono/acc`` (n,) = the diagonal: the AP contribution of each positive pair (NaN for negatives) and the
0/1 correctness at the pair set's best-accuracy threshold. :func:`aggregate_pairs` rebuilds everything
from ``cosine``.

Layout (what the readers build with :func:`build_pair_benchmark` and the scorer reads back): a labelled pair (first text, second text, label) of item ``g`` in language ``x`` becomes

* a **query** ``"<x>:<g>"`` (group ``g``) holding the *second* text (hypothesis / sentence2): the side that
  ``evaluate --perturb`` perturbs;
* a **candidate** with the same id holding the *first* text (premise / sentence1);
* ``qrels["<x>:<g>"] = {"<x>:<g>": label}``, label 1 (positive: entailment, paraphrase) or 0 (negative).

The sets are parallel: item ``g`` is the same pair in every language, so the first text of ``g`` in ``x`` and
the second of ``g`` in ``y`` make a cross-lingual pair. :func:`pair_layout` reads this structure back; a
repeated first text (XNLI premises carry three hypotheses) is one text and encoded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.data.language_metadata import known, resource_class
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.pair_classification import accuracy_hits, ap_contributions, pair_metrics


@dataclass(frozen=True)
class Pair:
    """One labelled pair of one language: item id, first text, second text, label (1 positive, 0 negative)."""

    item: str
    first: str
    second: str
    label: int


def build_pair_benchmark(name: str, kind: str, pairs: dict[str, list[Pair]], source: Path | str) -> Benchmark:
    """The benchmark of ``pairs`` (language → its pairs in file order), laid out as in the module doc."""
    queries: list[Query] = []
    candidates: list[Candidate] = []
    qrels: dict[str, dict[str, int]] = {}
    for lang in sorted(pairs):
        for p in pairs[lang]:
            pid = f"{lang}:{p.item}"
            queries.append(Query(pid, lang, p.item, p.second))
            candidates.append(Candidate(pid, lang, p.first))
            qrels[pid] = {pid: p.label}
    bench = Benchmark(name, kind, queries, candidates, qrels, sorted(pairs), str(source))
    bench.validate()
    return bench


@dataclass
class PairLayout:
    """Per language: query rows, candidate rows and labels by item (for scoring)."""

    languages: list[str]
    rows: dict[str, dict[str, tuple[int, int, int]]]
    """lang → item → (query row, candidate row, label)."""

    def pairs(self, first: str, second: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query rows of ``second``, candidate rows of ``first``, labels) of the items both languages have
        with the same label, in the item order of ``second``. ``first == second``: the monolingual pairs."""
        a, b = self.rows[first], self.rows[second]
        keep = [(qb, a[g][1], lb) for g, (qb, _, lb) in b.items() if g in a and a[g][2] == lb]
        if not keep:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        q, c, y = (np.array(col, dtype=np.int64) for col in zip(*keep))
        return q, c, y


def pair_layout(bench: Benchmark) -> PairLayout:
    """Read the layout of the module doc back from ``bench``; anything else is an error naming its source."""
    cand_pos = {c.id: i for i, c in enumerate(bench.candidates)}
    rows: dict[str, dict[str, tuple[int, int, int]]] = {lang: {} for lang in bench.languages}
    for i, q in enumerate(bench.queries):
        judged = bench.qrels.get(q.id, {})
        if list(judged) != [q.id] or q.id not in cand_pos or judged[q.id] not in (0, 1):
            raise HybridbatchError(f"query {q.id!r}: a pair-classification query judges exactly its own first "
                                   "text (candidate of the same id) with label 0 or 1", path=bench.source)
        if q.lang not in rows:
            raise HybridbatchError(f"query {q.id!r}: language {q.lang!r} is not listed", path=bench.source)
        rows[q.lang][q.group] = (i, cand_pos[q.id], int(judged[q.id]))
    return PairLayout(list(bench.languages), rows)


METRICS = ("ap", "acc", "f1")


def unit_rows(bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q and C checked against ``bench`` (shape, finite, no zero row) and scaled to unit length."""
    out = []
    for name, M, n in (("query", Q, len(bench.queries)), ("candidate", C, len(bench.candidates))):
        M = np.asarray(M, dtype=np.float64)
        if M.ndim != 2 or M.shape[0] != n:
            raise HybridbatchError(f"{name} embeddings have shape {M.shape}; expected ({n}, dim), in benchmark "
                                   "order", path=bench.source)
        if not np.isfinite(M).all():
            raise HybridbatchError(f"{name} embeddings contain NaN or inf", path=bench.source)
        norms = np.linalg.norm(M, axis=1, keepdims=True)
        if (norms == 0).any():
            raise HybridbatchError(f"a {name} embedding is the zero vector (no cosine)", path=bench.source)
        out.append(M / norms)
    if out[0].shape[1] != out[1].shape[1]:
        raise HybridbatchError(f"query dim {out[0].shape[1]} differs from candidate dim {out[1].shape[1]}",
                               path=bench.source)
    return out[0], out[1]


def _sets(layout: PairLayout):
    """(column of X, X, Y, query rows, candidate rows, labels) for every ordered language pair."""
    for j, x in enumerate(layout.languages):
        for y in layout.languages:
            q, c, labels = layout.pairs(x, y)
            yield j, x, y, q, c, labels


def pair_per_query(bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
    """The per-query arrays of the module doc."""
    Q, C = unit_rows(bench, Q, C)
    layout = pair_layout(bench)
    shape = (len(bench.queries), len(layout.languages))
    cosine, ap, acc = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    for j, _, _, q, c, labels in _sets(layout):
        if not q.size:
            continue
        s = np.einsum("ij,ij->i", Q[q], C[c])
        cosine[q, j] = s
        ap[q, j] = ap_contributions(s, labels)
        acc[q, j] = accuracy_hits(s, labels)
    diag = np.array([layout.languages.index(qr.lang) for qr in bench.queries], dtype=np.int64)
    rows = np.arange(shape[0])
    out = {"cosine": cosine, "mono/ap": ap[rows, diag], "mono/acc": acc[rows, diag]}
    for key, values in (("cross/ap", ap), ("cross/acc", acc)):
        values = values.copy()
        values[rows, diag] = np.nan
        out[key] = values
    return out


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def _means(entries: list[dict[str, Any]]) -> dict[str, float | None]:
    return {m: _mean([e.get(m) for e in entries]) for m in METRICS}


def _gap(mono: dict[str, Any], cross: dict[str, Any]) -> dict[str, float | None]:
    return {m: None if mono.get(m) is None or cross.get(m) is None else mono[m] - cross[m] for m in METRICS}


def class_of(lang: str) -> str:
    """The language's resource class (Joshi et al. 2020) as a string, ``"unknown"`` without metadata."""
    return str(resource_class(lang)) if known(lang) else "unknown"


def aggregate_pairs(bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
    """Results (module doc) from the per-query ``cosine`` array."""
    layout = pair_layout(bench)
    langs = layout.languages
    shape = (len(bench.queries), len(langs))
    cosine = per_query.get("cosine")
    if cosine is None or np.shape(cosine) != shape:
        raise HybridbatchError(f"per-query array 'cosine' missing or not of shape {shape}", path=bench.source)
    cosine = np.asarray(cosine, dtype=np.float64)
    pairs: dict[str, dict[str, Any]] = {}
    pooled: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {"mono": ([], []), "cross": ([], [])}
    for j, x, y, q, _, labels in _sets(layout):
        s = cosine[q, j]
        if np.isnan(s).any():
            raise HybridbatchError(f"per-query array 'cosine' is NaN for pairs of {x}-{y} that the benchmark has",
                                   path=bench.source)
        pairs[f"{x}-{y}"] = pair_metrics(s, labels).as_dict()
        pooled["mono" if x == y else "cross"][0].append(s)
        pooled["mono" if x == y else "cross"][1].append(labels)
    per_language: dict[str, dict[str, Any]] = {}
    for x in langs:
        mono = {m: pairs[f"{x}-{x}"][m] for m in METRICS}
        cross = _means([pairs[f"{a}-{b}"] for a in langs for b in langs if a != b and x in (a, b)])
        per_language[x] = {"n": pairs[f"{x}-{x}"]["n"], "n_positive": pairs[f"{x}-{x}"]["n_positive"],
                           "mono": mono, "cross": cross, "gap": _gap(mono, cross), "class": class_of(x)}
    by_class: dict[str, dict[str, Any]] = {}
    for cls in sorted({e["class"] for e in per_language.values()}):
        members = [x for x in langs if per_language[x]["class"] == cls]
        by_class[cls] = {"languages": members} | {
            part: _means([per_language[x][part] for x in members]) for part in ("mono", "cross", "gap")}
    mono = _means([per_language[x]["mono"] for x in langs])
    cross = _means([pairs[f"{a}-{b}"] for a in langs for b in langs if a != b])
    summary: dict[str, Any] = {"mono": mono, "cross": cross, "gap": _gap(mono, cross)}
    for part, (scores, labels) in pooled.items():
        metrics = pair_metrics(np.concatenate(scores) if scores else np.zeros(0),
                               np.concatenate(labels) if labels else np.zeros(0, np.int64))
        summary[f"pooled_{part}"] = {m: getattr(metrics, m) for m in METRICS}
    return {"benchmark": bench.name, "kind": bench.kind, "languages": langs, "n_queries": len(bench.queries),
            "summary": summary, "per_language": per_language, "by_class": by_class, "pairs": pairs}
