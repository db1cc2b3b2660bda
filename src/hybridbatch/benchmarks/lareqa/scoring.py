"""LAReQA scoring: Mo. / Cr. / Mul. mAP, mAP@20, R@1, R@10, MRR@10 and language bias from one pair of
matrices, on the ranks of :func:`hybridbatch.scoring.ranking.relevant_ranks` (one matmul per query block,
the tie rule of :mod:`hybridbatch.scoring.metrics`).
"""

from __future__ import annotations

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring import bias as bias_mod
from hybridbatch.scoring.metrics import average_precision, nanmean, recall_at_k, reciprocal_rank
from hybridbatch.scoring.ranking import check_embeddings, language_indices, relevant_ranks

METRICS = ("map", "map@20", "r@1", "r@10", "mrr@10")
LEGACY_OPTIONAL = ("mrr@10",)  # measures added later: per_query.npz files made before them lack them
BIAS_MEASURES = ("rank_distance", "top10_own_share", "relevant_own_share")


def _metrics(ranks: np.ndarray, n_rel: np.ndarray) -> dict[str, np.ndarray]:
    return {"map": average_precision(ranks, n_rel), "map@20": average_precision(ranks, n_rel, 20),
            "r@1": recall_at_k(ranks, n_rel, 1), "r@10": recall_at_k(ranks, n_rel, 10),
            "mrr@10": reciprocal_rank(ranks, n_rel, 10)}


def score_lareqa(bench: Benchmark, Q: np.ndarray, C: np.ndarray, *, block: int = 512
                 ) -> tuple[dict, dict[str, np.ndarray]]:
    """Score every LAReQA setting and the language bias from one pair of embedding matrices.

    ``Q``: (n_queries, d), ``C``: (n_candidates, d), rows in ``bench`` order; score = dot product.
    Pair X-Y: queries in X against the candidates in Y; relevant = its relevant candidates in Y; a
    query without any is skipped (``n_queries`` counts the scored ones). Mo. = macro mean over the X-X
    pairs, Cr. = over the X-Y pairs with X != Y (pairs without scored queries are left out, their
    metrics are None). Mul. = each query against all candidates, mean per query language, then macro
    over languages. Bias: see :mod:`hybridbatch.scoring.bias`.

    Returns ``(results, per_query)`` = ``(aggregate_lareqa(bench, pq), pq)`` with ``pq`` =
    :func:`lareqa_per_query`. ``results`` is JSON-ready.
    """
    per_query = lareqa_per_query(bench, Q, C, block=block)
    return aggregate_lareqa(bench, per_query), per_query


def lareqa_per_query(bench: Benchmark, Q: np.ndarray, C: np.ndarray, *, block: int = 512,
                     exclude: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-query values of every LAReQA setting, in ``bench.queries`` order, NaN where not scored.

    ``"mo/<m>"``, ``"mul/<m>"`` (n_queries,); ``"cr/<m>"`` (n_queries,) = mean over the query's scored
    X-Y pairs, Y != X; ``"pairs/<m>"`` (n_queries, n_languages) = the query against the candidates of
    ``bench.languages[j]``; ``"bias/rank_distance"``, ``"bias/top10_own_share"``,
    ``"bias/relevant_own_share"`` (n_queries,). ``<m>`` is one of map, map@20, r@1, r@10, mrr@10
    (RR@10 = 1 / rank of the first relevant if that rank <= 10, else 0).
    ``exclude``: see :func:`relevant_ranks`.
    """
    Q, C = check_embeddings(bench, Q, C)
    q_lang, c_lang = language_indices(bench)
    L, n_q = len(bench.languages), len(bench.queries)
    rr = relevant_ranks(Q, C, bench.relevant_indices(), q_lang, c_lang, L, block=block, exclude=exclude)

    # every query against every target language: (rows, L, m) -> (rows * L, m), in chunks of queries so
    # that many languages x many relevant (TICO-19: 81,900 x 39 x 38) stay within a few hundred MB
    pair_vals = {k: np.empty((n_q, L)) for k in METRICS}
    step = max(1, 2**22 // (L * rr.lang.shape[1]))
    for s in range(0, n_q, step):
        e = min(s + step, n_q)
        in_y = rr.lang[s:e, None, :] == np.arange(L)[None, :, None]
        pair_ranks = np.where(in_y, rr.in_lang[s:e, None, :], np.inf).reshape((e - s) * L, -1)
        for k, v in _metrics(pair_ranks, in_y.sum(-1).reshape(-1)).items():
            pair_vals[k][s:e] = v.reshape(e - s, L)
    mul_vals = _metrics(rr.pooled, (rr.cand >= 0).sum(1))

    own = np.arange(L)[None, :] == q_lang[:, None]
    per_query: dict[str, np.ndarray] = {}
    for k in METRICS:
        per_query[f"mo/{k}"] = pair_vals[k][np.arange(n_q), q_lang]
        cross = np.where(own, np.nan, pair_vals[k])
        counted = (~np.isnan(cross)).sum(1)
        with np.errstate(invalid="ignore"):
            per_query[f"cr/{k}"] = np.where(counted > 0, np.nansum(cross, 1) / np.maximum(counted, 1), np.nan)
        per_query[f"mul/{k}"] = mul_vals[k]
        per_query[f"pairs/{k}"] = pair_vals[k]
    bias = bias_mod.bias_per_query(rr.pooled, rr.lang, rr.top_own, rr.top_k, q_lang)
    per_query.update({f"bias/{k}": v for k, v in bias.items()})
    return per_query


def present_metrics(per_query: dict[str, np.ndarray]) -> tuple[str, ...]:
    """:data:`METRICS` less the :data:`LEGACY_OPTIONAL` ones that ``per_query`` lacks."""
    return tuple(k for k in METRICS if k not in LEGACY_OPTIONAL or f"mul/{k}" in per_query)


def aggregate_lareqa(bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict:
    """The results dict of :func:`score_lareqa` from its per-query arrays (e.g. a stored per_query.npz).

    Needs ``"pairs/<m>"``, ``"mul/<m>"`` and ``"bias/*"`` for the benchmark's queries in order; a measure
    of :data:`LEGACY_OPTIONAL` missing from both (a per_query.npz made before it existed) is left out.
    """
    q_lang, _ = language_indices(bench)
    langs = list(bench.languages)
    L, n_q = len(langs), len(bench.queries)
    metrics = present_metrics(per_query)
    pair_vals = {k: _stored(per_query, f"pairs/{k}", (n_q, L), bench) for k in metrics}
    mul_vals = {k: _stored(per_query, f"mul/{k}", (n_q,), bench) for k in metrics}
    bias_pq = {k: _stored(per_query, f"bias/{k}", (n_q,), bench) for k in BIAS_MEASURES}

    pairs: dict[str, dict] = {}
    for x in range(L):
        rows = q_lang == x
        for y in range(L):
            col = {k: pair_vals[k][rows, y] for k in metrics}
            entry = {k: nanmean(col[k]) for k in metrics}
            entry["n_queries"] = int((~np.isnan(col["map"])).sum())
            pairs[f"{langs[x]}-{langs[y]}"] = entry
    multilingual = {}
    for x in range(L):
        rows = q_lang == x
        entry = {k: nanmean(mul_vals[k][rows]) for k in metrics}
        entry["n_queries"] = int((~np.isnan(mul_vals["map"][rows])).sum())
        multilingual[langs[x]] = entry

    def macro(entries: list[dict]) -> dict:
        return {k: nanmean(np.array([e[k] for e in entries if e["n_queries"] > 0], dtype=np.float64))
                for k in metrics}

    bias_results = bias_mod.aggregate_bias(bias_pq, q_lang, langs)
    summary = {
        "mo": macro([pairs[f"{x}-{x}"] for x in langs]),
        "cr": macro([pairs[f"{x}-{y}"] for x in langs for y in langs if x != y]),
        "mul": macro(list(multilingual.values())),
        "rank_distance": bias_results["rank_distance_mean"],
    }
    return {
        "benchmark": bench.name, "kind": "lareqa", "languages": langs,
        "n_queries": n_q, "n_candidates": len(bench.candidates),
        "summary": summary, "pairs": pairs, "multilingual": multilingual,
        "bias": {k: bias_results[k] for k in BIAS_MEASURES},
    }


def _stored(per_query: dict[str, np.ndarray], key: str, shape: tuple[int, ...], bench: Benchmark) -> np.ndarray:
    if key not in per_query:
        raise HybridbatchError(f"per-query arrays lack {key!r}; expected LAReQA per-query values",
                               path=bench.source)
    value = np.asarray(per_query[key], dtype=np.float64)
    if value.shape != shape:
        raise HybridbatchError(f"per-query array {key!r} has shape {value.shape}; expected {shape} for "
                               f"benchmark {bench.name!r}", path=bench.source)
    return value
