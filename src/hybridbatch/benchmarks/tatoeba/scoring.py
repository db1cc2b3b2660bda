"""Bitext retrieval (Tatoeba, XTREME protocol): nearest-neighbour accuracy per language pair, both ways.

A bitext benchmark holds pairs ``"<x>-<pivot>"`` (Tatoeba: ``afr-eng``); every query and candidate id
starts with ``"<pair>:"``; each sentence is a query (query prefix) and a candidate (passage prefix) and
has exactly one relevant candidate, its translation on the other side of the same pair.

* **Cosine** (XTREME): a query's prediction is the candidate of the other side of its pair with the
  highest score (dot product of the float32 rows = cosine for unit vectors); ties go to the earlier
  candidate. Accuracy = share of queries whose prediction is their translation. ``xx2pivot`` = the
  x-side queries, ``pivot2xx`` = the pivot-side ones, ``mean`` = their average, per language.
* **Ratio margin** (Artetxe & Schwenk 2019, k = 4, as LASER mines bitext): with S the query-side ×
  candidate-side score matrix of one direction, margin(q, c) = S[q, c] / ((mean of the k largest
  S[q, ·]) / 2 + (mean of the k largest S[·, c]) / 2); prediction = argmax over c (same tie rule).

The summary is the macro mean over languages (pairs). Per-query arrays: ``"acc"`` and ``"margin_acc"``
(1.0 / 0.0 per query, both directions), from which :func:`aggregate_bitext` rebuilds everything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.metrics import nanmean
from hybridbatch.scoring.ranking import check_embeddings

MARGIN_K = 4
DIRECTIONS = ("xx2pivot", "pivot2xx")
VARIANTS = (("acc", "acc"), ("margin", "margin_acc"))
"""(results key, per-query key) of the cosine and the ratio-margin accuracies."""


@dataclass
class Pair:
    """One language pair: its query rows and candidate rows per side, and each query's gold candidate row."""

    name: str
    x: str
    pivot: str
    queries: dict[str, np.ndarray]
    candidates: dict[str, np.ndarray]
    gold: dict[str, np.ndarray]


def pair_of(item_id: str) -> str:
    """The pair a query or candidate id belongs to (the part before the first ``:``)."""
    return item_id.split(":", 1)[0]


def bitext_pairs(bench: Benchmark) -> list[Pair]:
    """The pairs of a bitext benchmark in order of first appearance, checked (see module doc)."""
    cand_pos = {c.id: i for i, c in enumerate(bench.candidates)}
    q_rows: dict[str, dict[str, list[int]]] = {}
    c_rows: dict[str, dict[str, list[int]]] = {}
    gold: dict[str, dict[str, list[int]]] = {}
    for j, c in enumerate(bench.candidates):
        c_rows.setdefault(pair_of(c.id), {}).setdefault(c.lang, []).append(j)
    for i, q in enumerate(bench.queries):
        pair = pair_of(q.id)
        judged = [cid for cid, r in bench.qrels.get(q.id, {}).items() if r > 0]
        if len(judged) != 1:
            raise HybridbatchError(f"query {q.id!r} has {len(judged)} relevant candidates; a bitext query needs "
                                   "exactly one (its translation)", path=bench.source)
        target = bench.candidates[cand_pos[judged[0]]]
        if pair_of(target.id) != pair or target.lang == q.lang:
            raise HybridbatchError(f"query {q.id!r}: its relevant candidate {target.id!r} is not on the other "
                                   f"side of pair {pair!r}", path=bench.source)
        q_rows.setdefault(pair, {}).setdefault(q.lang, []).append(i)
        gold.setdefault(pair, {}).setdefault(q.lang, []).append(cand_pos[target.id])
    out = []
    for name, sides in q_rows.items():
        x, sep, pivot = name.partition("-")
        if not sep or set(sides) != {x, pivot} or set(c_rows.get(name, {})) != {x, pivot}:
            raise HybridbatchError(f"pair {name!r}: expected queries and candidates in exactly the languages "
                                   f"'{x}' and '{pivot}' (ids '<x>-<pivot>:…')", path=bench.source)
        out.append(Pair(name, x, pivot, {k: np.array(v) for k, v in sides.items()},
                        {k: np.array(v) for k, v in c_rows[name].items()},
                        {k: np.array(v) for k, v in gold[name].items()}))
    return out


def _predictions(S: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column index of the cosine and of the ratio-margin nearest neighbour of each row of ``S``."""
    k = min(k, S.shape[0], S.shape[1])
    fwd = np.partition(S, S.shape[1] - k, axis=1)[:, -k:].mean(1, dtype=np.float64)
    bwd = np.partition(S, S.shape[0] - k, axis=0)[-k:, :].mean(0, dtype=np.float64)
    margin = S / ((fwd[:, None] + bwd[None, :]) / 2)
    return S.argmax(1), margin.argmax(1)


def bitext_per_query(bench: Benchmark, Q: np.ndarray, C: np.ndarray, k: int = MARGIN_K) -> dict[str, np.ndarray]:
    """``{"acc": hits, "margin_acc": hits}`` (n_queries,) in ``bench.queries`` order (see module doc)."""
    Q, C = check_embeddings(bench, Q, C)
    out = {key: np.full(len(bench.queries), np.nan) for _, key in VARIANTS}
    for pair in bitext_pairs(bench):
        for src, tgt in ((pair.x, pair.pivot), (pair.pivot, pair.x)):
            rows, cols = pair.queries[src], pair.candidates[tgt]
            S = Q[rows] @ C[cols].T
            nearest, by_margin = _predictions(S, k)
            out["acc"][rows] = (cols[nearest] == pair.gold[src]).astype(np.float64)
            out["margin_acc"][rows] = (cols[by_margin] == pair.gold[src]).astype(np.float64)
    return out


def aggregate_bitext(bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict:
    """Results from the per-query hits: per language (the x of each pair) the accuracies of both directions
    and their mean, for the cosine and the margin variant; summary = macro means over languages."""
    n = len(bench.queries)
    hits = {}
    for _, key in VARIANTS:
        if key not in per_query or np.shape(per_query[key]) != (n,):
            raise HybridbatchError(f"per-query array {key!r} missing or not of shape ({n},)", path=bench.source)
        hits[key] = np.asarray(per_query[key], dtype=np.float64)
    pairs = bitext_pairs(bench)
    per_language: dict[str, dict] = {}
    for pair in pairs:
        entry: dict = {"pair": pair.name, "n_sentences": int(len(pair.queries[pair.x]))}
        for name, key in VARIANTS:
            values = {"xx2pivot": nanmean(hits[key][pair.queries[pair.x]]),
                      "pivot2xx": nanmean(hits[key][pair.queries[pair.pivot]])}
            both = [v for v in values.values() if v is not None]
            values["mean"] = float(np.mean(both)) if len(both) == 2 else None
            entry[name] = values
        per_language[pair.x] = entry
    summary = {name: {d: nanmean(np.array([e[name][d] for e in per_language.values() if e[name][d] is not None],
                                          dtype=np.float64)) for d in (*DIRECTIONS, "mean")}
               for name, _ in VARIANTS}
    pivots = sorted({p.pivot for p in pairs})
    return {"benchmark": bench.name, "kind": "bitext", "languages": [p.x for p in pairs],
            "pivot": pivots[0] if len(pivots) == 1 else "/".join(pivots), "margin_k": MARGIN_K,
            "n_queries": n, "summary": summary, "per_language": per_language}
