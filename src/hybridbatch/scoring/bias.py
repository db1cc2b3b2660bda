"""Language bias in the pooled (multilingual) corpus, after Huang et al. 2023 (KD-SPD).

- rank distance of a query = (worst rank - best rank) among its relevant candidates in the pooled
  ranking; queries with fewer than 2 relevant candidates are skipped. Mean per query language, then
  mean over the languages that have a value. Lower is better (0 = all translations ranked together).
- top-10 own share of a query = the share of its top-10 pooled results that are in the query's
  language; reported next to the relevant own share = the share of its relevant candidates in its own
  language (what the top-10 share would be if retrieval ignored language). Both over the queries with
  at least one relevant candidate, mean per query language.
"""

from __future__ import annotations

import numpy as np

from hybridbatch.scoring.metrics import nanmean


def rank_distance(pooled_ranks: np.ndarray) -> np.ndarray:
    """Per query: max - min of the finite ranks in each row (``inf`` = padding); NaN with < 2 ranks."""
    r = np.asarray(pooled_ranks, dtype=np.float64)
    finite = np.isfinite(r)
    hi = np.where(finite, r, -np.inf).max(1, initial=-np.inf)
    lo = np.where(finite, r, np.inf).min(1, initial=np.inf)
    return np.where(finite.sum(1) >= 2, hi - lo, np.nan)


def bias_per_query(pooled_ranks: np.ndarray, rel_lang: np.ndarray, top_own: np.ndarray, top_k: int,
                   q_lang: np.ndarray) -> dict[str, np.ndarray]:
    """Per query: ``"rank_distance"``, ``"top10_own_share"``, ``"relevant_own_share"`` (NaN where undefined).

    ``pooled_ranks`` (n_q, m): pooled ranks of each query's relevant candidates (``inf`` padding);
    ``rel_lang`` (n_q, m): their language indices (-1 padding); ``top_own`` (n_q,): how many of the
    query's top-``top_k`` pooled results are in its language; ``q_lang`` (n_q,): language index of each query.
    """
    rel_lang = np.asarray(rel_lang)
    n_rel = (rel_lang >= 0).sum(1)
    n_own = (rel_lang == np.asarray(q_lang)[:, None]).sum(1)
    scored = n_rel > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "rank_distance": rank_distance(pooled_ranks),
            "top10_own_share": np.where(scored, np.asarray(top_own, dtype=np.float64) / top_k, np.nan),
            "relevant_own_share": np.where(scored, n_own / np.maximum(n_rel, 1), np.nan),
        }


def aggregate_bias(per_query: dict[str, np.ndarray], q_lang: np.ndarray, languages: list[str]) -> dict:
    """Means per query language of the :func:`bias_per_query` arrays, plus ``"rank_distance_mean"`` (the
    mean over languages with a value); None where undefined."""
    q_lang = np.asarray(q_lang)
    results: dict = {name: {} for name in per_query}
    for x, lang in enumerate(languages):
        rows = q_lang == x
        for name, values in per_query.items():
            results[name][lang] = nanmean(values[rows])
    results["rank_distance_mean"] = nanmean(
        np.array([v for v in results["rank_distance"].values() if v is not None], dtype=np.float64))
    return results


def language_bias(pooled_ranks: np.ndarray, rel_lang: np.ndarray, top_own: np.ndarray, top_k: int,
                  q_lang: np.ndarray, languages: list[str]) -> tuple[dict, dict[str, np.ndarray]]:
    """Bias numbers per query language: (:func:`aggregate_bias`, :func:`bias_per_query`), i.e.
    ``({"rank_distance": {lang: f}, "top10_own_share": {...}, "relevant_own_share": {...},
    "rank_distance_mean": f}, per-query arrays with the same three names)``."""
    per_query = bias_per_query(pooled_ranks, rel_lang, top_own, top_k, q_lang)
    return aggregate_bias(per_query, q_lang, languages), per_query
