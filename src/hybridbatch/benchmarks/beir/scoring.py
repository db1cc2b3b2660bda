"""BEIR / MIRACL-style scoring: nDCG@10, Recall@100, MRR@10 from a faiss top-100 search.

Search: exact inner product (``faiss.IndexFlatIP``), depth 100. Ranks follow the tie rule of
:mod:`hybridbatch.scoring.metrics`: results are re-ordered by (score desc, candidate order asc), and a query whose
100th and 101st scores are equal is searched again in full so the cut-off is exact too.

Which candidates a query searches (``scope``): ``"language"`` = the candidates in the query's language
(MIRACL: one corpus per language), ``"all"`` = every candidate (one BEIR corpus, or cross-lingual
sets such as AfriQA); ``"auto"`` = ``"language"`` when every query language has candidates, else
``"all"``.

Relevant = judged grade > 0 (trec_eval relevance level 1). Gains are the grades (linear, as
pytrec_eval/BEIR ``ndcg_cut_10``), the ideal ranking is built from all the query's positive
judgements. A query without any is skipped (NaN per query, not counted in ``n_queries``).
Per-language values are means over scored queries; the summary is the macro mean over languages
(MIRACL's "average over languages"; with one language it is the plain mean).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.metrics import nanmean, ndcg_at_k, recall_at_k, reciprocal_rank
from hybridbatch.scoring.ranking import check_embeddings, language_indices

DEPTH = 100
METRICS = ("ndcg@10", "recall@100", "mrr@10")


def search_top(Q: np.ndarray, C: np.ndarray, depth: int) -> np.ndarray:
    """Rows of ``C`` ranked 1..depth for each row of ``Q`` by inner product, exact tie rule."""
    import faiss  # here, so that aggregating stored results needs no faiss

    n = C.shape[0]
    depth = min(depth, n)
    index = faiss.IndexFlatIP(C.shape[1])
    index.add(C)
    probe = min(depth + 1, n)
    sims, ids = index.search(Q, probe)
    order = np.lexsort((ids, -sims), axis=1)
    sims, ids = np.take_along_axis(sims, order, 1), np.take_along_axis(ids, order, 1)
    if probe > depth:
        tied = np.flatnonzero(sims[:, depth - 1] == sims[:, depth])
        if tied.size:
            full_sims, full_ids = index.search(Q[tied], n)
            full = np.lexsort((full_ids, -full_sims), axis=1)
            ids[tied] = np.take_along_axis(full_ids, full, 1)[:, :probe]
    return ids[:, :depth]


def _ranks_and_gains(top: np.ndarray, rows: np.ndarray, bench: Benchmark, cand_pos: dict[str, int]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    judged = [[(cand_pos[c], g) for c, g in bench.qrels.get(bench.queries[i].id, {}).items() if g > 0]
              for i in rows]
    m = max([len(j) for j in judged] + [1])
    rel = np.full((len(rows), m), -1, dtype=np.int64)
    gains = np.zeros((len(rows), m))
    for i, items in enumerate(judged):
        if items:
            rel[i, : len(items)] = [c for c, _ in items]
            gains[i, : len(items)] = [g for _, g in items]
    hit = top[:, :, None] == rel[:, None, :]  # (n, depth, m)
    found = hit.any(1)
    ranks = np.where(found, hit.argmax(1) + 1.0, np.inf)
    return ranks, gains, (rel >= 0).sum(1)


def score_beir(bench: Benchmark, Q: np.ndarray, C: np.ndarray,
               scope: Literal["auto", "language", "all"] = "auto") -> tuple[dict, dict[str, np.ndarray]]:
    """nDCG@10, Recall@100, MRR@10 per query language and macro over languages (see module doc).

    Returns ``(results, per_query)`` = ``(aggregate_beir(bench, pq), pq)`` with ``pq`` =
    :func:`beir_per_query`.
    """
    per_query = beir_per_query(bench, Q, C, scope)
    return aggregate_beir(bench, per_query), per_query


def beir_per_query(bench: Benchmark, Q: np.ndarray, C: np.ndarray,
                   scope: Literal["auto", "language", "all"] = "auto") -> dict[str, np.ndarray]:
    """``per_query[m]`` (n_queries,) for m in :data:`METRICS`, in ``bench.queries`` order, NaN for a
    query without relevant candidates."""
    if scope not in ("auto", "language", "all"):
        raise HybridbatchError(f"scope {scope!r}; expected 'auto', 'language' or 'all'")
    Q, C = check_embeddings(bench, Q, C)
    q_lang, c_lang = language_indices(bench)
    present = set(c_lang.tolist())
    if scope == "auto":
        scope = "language" if set(q_lang.tolist()) <= present else "all"
    cand_pos = {c.id: i for i, c in enumerate(bench.candidates)}
    per_query = {k: np.full(len(bench.queries), np.nan) for k in METRICS}
    for x, lang in enumerate(bench.languages):
        rows = np.flatnonzero(q_lang == x)
        if rows.size == 0:
            continue
        sub = np.flatnonzero(c_lang == x) if scope == "language" else np.arange(len(bench.candidates))
        if sub.size == 0:
            raise HybridbatchError(f"no candidate in language {lang!r} for its queries (scope 'language')",
                                   path=bench.source)
        top = sub[search_top(Q[rows], np.ascontiguousarray(C[sub]), DEPTH)]
        ranks, gains, n_rel = _ranks_and_gains(top, rows, bench, cand_pos)
        per_query["ndcg@10"][rows] = np.where(n_rel > 0, ndcg_at_k(ranks, gains, gains, 10), np.nan)
        per_query["recall@100"][rows] = recall_at_k(ranks, n_rel, DEPTH)
        per_query["mrr@10"][rows] = reciprocal_rank(ranks, n_rel, 10)
    return per_query


def aggregate_beir(bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict:
    """The results dict of :func:`score_beir` from its per-query arrays (e.g. a stored per_query.npz):
    per query language the means over scored queries, the summary their macro mean."""
    q_lang, _ = language_indices(bench)
    values = {}
    for k in METRICS:
        if k not in per_query or np.shape(per_query[k]) != (len(bench.queries),):
            raise HybridbatchError(f"per-query array {k!r} missing or not of shape ({len(bench.queries)},)",
                                   path=bench.source)
        values[k] = np.asarray(per_query[k], dtype=np.float64)
    per_language: dict[str, dict] = {}
    for x, lang in enumerate(bench.languages):
        rows = np.flatnonzero(q_lang == x)
        if rows.size == 0:
            continue
        entry = {k: nanmean(values[k][rows]) for k in METRICS}
        entry["n_queries"] = int((~np.isnan(values["ndcg@10"][rows])).sum())
        per_language[lang] = entry
    summary = {k: nanmean(np.array([e[k] for e in per_language.values() if e["n_queries"] > 0],
                                   dtype=np.float64)) for k in METRICS}
    return {"benchmark": bench.name, "kind": "beir", "languages": list(bench.languages),
            "summary": summary, "per_language": per_language}
