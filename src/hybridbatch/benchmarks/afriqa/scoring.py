"""Cross-lingual QA retrieval with a translated control (AfriQA): the gap a question's language costs.

Each group holds a question in its own language (*native*, e.g. Hausa) and the same question in a human
translation into the language of the passages (*translated*, English or French), both with the same
gold passage(s). Which is which is read from the data: a query is *translated* when its language is
the language of its relevant candidates, else *native*; a group's language is its native query's.

Every query is ranked against all candidates (the pooled passages), exactly (float32 dot products, tie
rule of :mod:`hybridbatch.scoring.metrics`, :func:`hybridbatch.scoring.ranking.relevant_ranks`). Per query: nDCG@10 (binary gains),
Recall@10, Recall@100, MRR@10 (reciprocal rank of the first relevant within the top 10, else 0).
Per language: means over its native queries and over its translated ones, and gap = translated −
native (the per-query gap of each group, averaged); summary: macro means over languages.
"""

from __future__ import annotations

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.metrics import nanmean, ndcg_at_k, recall_at_k, reciprocal_rank
from hybridbatch.scoring.ranking import check_embeddings, relevant_ranks

METRICS = ("ndcg@10", "r@10", "r@100", "mrr@10")
ROLES = ("native", "translated")


def roles(bench: Benchmark) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(is_translated (n_q,) bool, group keys in first-appearance order, group index of each query), checked:
    every group has one native and one translated query."""
    cand_lang = {c.id: c.lang for c in bench.candidates}
    translated = np.zeros(len(bench.queries), dtype=bool)
    groups: dict[str, int] = {}
    index = np.zeros(len(bench.queries), dtype=np.int64)
    for i, q in enumerate(bench.queries):
        langs = {cand_lang[c] for c, r in bench.qrels.get(q.id, {}).items() if r > 0}
        translated[i] = langs == {q.lang}
        index[i] = groups.setdefault(q.group, len(groups))
    for role, wanted in (("native", False), ("translated", True)):
        counts = np.bincount(index[translated == wanted], minlength=len(groups))
        if (counts != 1).any():
            g = list(groups)[int(np.flatnonzero(counts != 1)[0])]
            raise HybridbatchError(f"group {g!r} has {int(counts[list(groups).index(g)])} {role} queries; "
                                   "expected one native question and one translated into the passages' language",
                                   path=bench.source)
    return translated, list(groups), index


def translated_qa_per_query(bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
    """Per query (``bench.queries`` order): ``"<m>"`` for every query, ``"native/<m>"`` and
    ``"translated/<m>"`` (NaN on the other role's rows), and ``"gap/<m>"`` = translated − native of the
    group, on the native row (NaN elsewhere); NaN where a query has no relevant candidate."""
    Q, C = check_embeddings(bench, Q, C)
    translated, _, group = roles(bench)
    relevant = bench.relevant_indices()
    n_q = len(bench.queries)
    zeros_q, zeros_c = np.zeros(n_q, dtype=np.int64), np.zeros(len(bench.candidates), dtype=np.int64)
    rr = relevant_ranks(Q, C, relevant, zeros_q, zeros_c, 1)
    n_rel = (rr.cand >= 0).sum(1)
    gains = (rr.cand >= 0).astype(np.float64)
    with np.errstate(invalid="ignore"):
        values = {"ndcg@10": np.where(n_rel > 0, ndcg_at_k(rr.pooled, gains, gains, 10), np.nan),
                  "r@10": recall_at_k(rr.pooled, n_rel, 10), "r@100": recall_at_k(rr.pooled, n_rel, 100),
                  "mrr@10": reciprocal_rank(rr.pooled, n_rel, 10)}
    out: dict[str, np.ndarray] = {}
    partner = np.full(n_q, -1, dtype=np.int64)
    for_group = np.full(group.max() + 1 if n_q else 0, -1, dtype=np.int64)
    for_group[group[translated]] = np.flatnonzero(translated)
    partner[~translated] = for_group[group[~translated]]
    for m in METRICS:
        v = values[m]
        out[m] = v
        out[f"native/{m}"] = np.where(~translated, v, np.nan)
        out[f"translated/{m}"] = np.where(translated, v, np.nan)
        gap = np.full(n_q, np.nan)
        native_rows = np.flatnonzero(~translated)
        gap[native_rows] = v[partner[native_rows]] - v[native_rows]
        out[f"gap/{m}"] = gap
    return out


def aggregate_translated_qa(bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict:
    """Results from the per-query arrays: per native language ``{native, translated, gap: {m: mean},
    n_queries, pivot}``; summary = macro means over languages of each."""
    n_q = len(bench.queries)
    arrays = {}
    for key in [f"{role}/{m}" for role in (*ROLES, "gap") for m in METRICS]:
        if key not in per_query or np.shape(per_query[key]) != (n_q,):
            raise HybridbatchError(f"per-query array {key!r} missing or not of shape ({n_q},)", path=bench.source)
        arrays[key] = np.asarray(per_query[key], dtype=np.float64)
    translated, _, group = roles(bench)
    native_lang = {}
    pivot_of = {}
    for i, q in enumerate(bench.queries):
        if translated[i]:
            pivot_of[group[i]] = q.lang
        else:
            native_lang[group[i]] = q.lang
    languages = [lang for lang in bench.languages if lang in set(native_lang.values())]
    q_native_lang = np.array([native_lang[g] for g in group], dtype=object)
    per_language: dict[str, dict] = {}
    for lang in languages:
        rows = q_native_lang == lang
        entry: dict = {role: {m: nanmean(arrays[f"{role}/{m}"][rows]) for m in METRICS}
                       for role in (*ROLES, "gap")}
        entry["n_queries"] = int((~np.isnan(arrays["native/ndcg@10"][rows])).sum())
        entry["pivot"] = "/".join(sorted({pivot_of[g] for g in np.unique(group[rows])}))
        per_language[lang] = entry
    summary = {role: {m: nanmean(np.array([e[role][m] for e in per_language.values() if e[role][m] is not None],
                                          dtype=np.float64)) for m in METRICS} for role in (*ROLES, "gap")}
    return {"benchmark": bench.name, "kind": "translated_qa", "languages": languages,
            "n_candidates": len(bench.candidates), "n_groups": int(group.max() + 1) if n_q else 0,
            "summary": summary, "per_language": per_language}
