"""LAReQA scoring: Mo. / Cr. / Mul. mAP, mAP@20, R@1, R@10 and language bias from one pair of matrices.

Scores are dot products of float32 query and candidate embeddings (cosine for L2-normalised rows),
computed by one matmul per query block. Ranks follow the tie rule of :mod:`.metrics` (equal scores:
earlier candidate first). No row is sorted: for each query the scores of its relevant candidates are
sorted (a handful), every candidate is bucketed among them with ``searchsorted`` (the thresholds are
each relevant score and the next float above it, so a bucket tells "equal" from "above"), and a
histogram per candidate language gives, for each relevant r and language Y, ``#{c in Y : s_c > s_r}``.
A row where some candidate other than r itself has exactly r's score (duplicate texts, quantised
vectors) is rare and gets its ``#{c < r : s_c == s_r}`` per language counted directly. The rank of r
among the candidates of its own language is 1 + its count in that language; its rank in the pooled
corpus is 1 + the sum over languages. Top-10 of the pooled corpus comes from ``torch.topk`` (ties at the
10th place resolved by the same rule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation import bias as bias_mod
from hybridbatch.evaluation.metrics import average_precision, nanmean, recall_at_k, reciprocal_rank

METRICS = ("map", "map@20", "r@1", "r@10", "mrr@10")
LEGACY_OPTIONAL = ("mrr@10",)  # measures added later: per_query.npz files made before them lack them
BIAS_MEASURES = ("rank_distance", "top10_own_share", "relevant_own_share")
TOP_K = 10


@dataclass
class RelevantRanks:
    """Ranks of every query's relevant candidates; rows in query order, slots 0-padded.

    ``cand``: candidate row (-1 = padding); ``lang``: language index of that candidate (-1 = padding);
    ``in_lang``: rank among the candidates of its own language; ``pooled``: rank among all candidates
    (both float, ``inf`` = padding); ``top_own``: number of the query's top-``top_k`` pooled results in
    the query's language.
    """

    cand: np.ndarray
    lang: np.ndarray
    in_lang: np.ndarray
    pooled: np.ndarray
    top_own: np.ndarray
    top_k: int


def check_embeddings(bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shapes must be (n_queries, d) and (n_candidates, d), finite; returns C-contiguous float32 copies/views."""
    n_q, n_c = len(bench.queries), len(bench.candidates)
    Q, C = np.asarray(Q), np.asarray(C)
    if Q.ndim != 2 or Q.shape[0] != n_q:
        raise HybridbatchError(f"query embeddings have shape {Q.shape}; expected ({n_q}, dim): one row per "
                               f"query of benchmark {bench.name!r}, in its query order", path=bench.source)
    if C.ndim != 2 or C.shape[0] != n_c:
        raise HybridbatchError(f"candidate embeddings have shape {C.shape}; expected ({n_c}, dim): one row "
                               f"per candidate of benchmark {bench.name!r}, in its candidate order",
                               path=bench.source)
    if Q.shape[1] != C.shape[1]:
        raise HybridbatchError(f"query embeddings have dim {Q.shape[1]} but candidate embeddings have dim "
                               f"{C.shape[1]}; expected the same dim", path=bench.source)
    Q = np.ascontiguousarray(Q, dtype=np.float32)
    C = np.ascontiguousarray(C, dtype=np.float32)
    if not (np.isfinite(Q).all() and np.isfinite(C).all()):
        raise HybridbatchError("embeddings contain NaN or inf; expected finite values", path=bench.source)
    return Q, C


def language_indices(bench: Benchmark) -> tuple[np.ndarray, np.ndarray]:
    """Index into ``bench.languages`` of each query and each candidate; unknown language -> error."""
    index = {lang: i for i, lang in enumerate(bench.languages)}

    def lookup(items, what: str) -> np.ndarray:
        try:
            return np.array([index[x.lang] for x in items], dtype=np.int64)
        except KeyError as err:
            raise HybridbatchError(f"a {what} has language {err.args[0]!r}, which is not in the benchmark "
                                   f"languages {bench.languages}", path=bench.source) from None

    return lookup(bench.queries, "query"), lookup(bench.candidates, "candidate")


def relevant_ranks(Q: np.ndarray, C: np.ndarray, relevant: list[np.ndarray], q_lang: np.ndarray,
                   c_lang: np.ndarray, n_lang: int, *, top_k: int = TOP_K, block: int = 512,
                   exclude: np.ndarray | None = None) -> RelevantRanks:
    """Exact per-language and pooled ranks of the relevant candidates of every query (see module doc).

    ``exclude`` (n_queries,): a candidate row left out of each query's ranking (-1 = none), e.g. the
    query's own sentence in a multi-parallel benchmark; it must not be one of the query's relevant rows.
    """
    n_q, n_c = Q.shape[0], C.shape[0]
    m_all = max([len(r) for r in relevant] + [1])
    out_cand = np.full((n_q, m_all), -1, dtype=np.int64)
    out_in_lang = np.full((n_q, m_all), np.inf)
    out_pooled = np.full((n_q, m_all), np.inf)
    top_own = np.zeros(n_q, dtype=np.int64)
    Ct = torch.from_numpy(C)
    c_lang_t = torch.from_numpy(c_lang.astype(np.int32))
    kk = min(top_k, n_c - int(exclude is not None and bool((exclude >= 0).any())))
    block = max(1, min(block, (2**31 - 1) // (n_lang * (2 * m_all + 1))))  # int32 histogram keys
    with torch.inference_mode():
        for start in range(0, n_q, block):
            stop = min(start + block, n_q)
            S = torch.from_numpy(Q[start:stop]) @ Ct.T
            if exclude is not None:
                rows = np.flatnonzero(exclude[start:stop] >= 0)
                S[torch.from_numpy(rows), torch.from_numpy(exclude[start:stop][rows])] = float("-inf")
            cand, in_lang, pooled = _block_ranks(S, relevant[start:stop], c_lang, c_lang_t, n_lang)
            m = cand.shape[1]
            out_cand[start:stop, :m], out_in_lang[start:stop, :m], out_pooled[start:stop, :m] = (
                cand, in_lang, pooled)
            top = _top_set(S, kk)
            top_own[start:stop] = (c_lang[top] == q_lang[start:stop, None]).sum(1)
    lang = np.where(out_cand >= 0, c_lang[np.maximum(out_cand, 0)], -1)
    return RelevantRanks(out_cand, lang, out_in_lang, out_pooled, top_own, kk)


def _block_ranks(S: torch.Tensor, relevant: list[np.ndarray], c_lang: np.ndarray, c_lang_t: torch.Tensor,
                 n_lang: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b, n_c = S.shape
    m = max([len(r) for r in relevant] + [1])
    idx = np.zeros((b, m), dtype=np.int64)
    valid = np.zeros((b, m), dtype=bool)
    for i, r in enumerate(relevant):
        idx[i, : len(r)] = r
        valid[i, : len(r)] = True
    R = S.gather(1, torch.from_numpy(idx)).masked_fill_(torch.from_numpy(~valid), float("inf"))
    Rs, perm = R.sort(dim=1)
    Rs = Rs.numpy()
    sorted_cand = np.take_along_axis(idx, perm.numpy(), axis=1)
    # thresholds per row: each distinct relevant score u and the next float above it, so that with
    # pos = #{thresholds <= s_c}: pos == 2u + 1 <=> s_c == u-th score, pos >= 2u + 2 <=> s_c > it
    new = np.ones((b, m), dtype=bool)
    new[:, 1:] = Rs[:, 1:] != Rs[:, :-1]
    uid = np.cumsum(new, axis=1) - 1
    U = np.full((b, m), np.inf, dtype=np.float32)
    U[np.arange(b)[:, None], uid] = Rs
    T = np.stack([U, np.nextafter(U, np.float32(np.inf))], axis=-1).reshape(b, 2 * m)
    width = 2 * m + 1
    key = torch.searchsorted(torch.from_numpy(T), S, right=True, out_int32=True)
    key.add_((c_lang_t * width)[None, :]).add_(
        torch.arange(0, b * n_lang * width, n_lang * width, dtype=torch.int32)[:, None])
    hist = np.bincount(key.numpy().ravel(), minlength=b * n_lang * width).reshape(b, n_lang, width)
    at_least = hist[..., ::-1].cumsum(-1)[..., ::-1]  # at_least[..., p] = #{c : pos_c >= p}
    above = np.take_along_axis(at_least, np.broadcast_to((2 * uid + 2)[:, None, :], (b, n_lang, m)), axis=2)
    above = np.ascontiguousarray(above, dtype=np.int64)  # (b, L, m): #{c in lang : s_c > Rs[:, j]}
    # a tie other than a relevant candidate with itself is rare: count those rows exactly
    ties = hist[..., 1::2].sum(1)  # (b, m): candidates equal to the u-th distinct relevant score
    for i in np.flatnonzero((ties > 1).any(1)):
        row = S[i].numpy()
        for j in range(int(valid[i].sum())):  # valid slots come first once sorted
            earlier = np.flatnonzero(row[: sorted_cand[i, j]] == Rs[i, j])
            above[i, :, j] += np.bincount(c_lang[earlier], minlength=n_lang)
    slot_valid = np.isfinite(Rs)
    own = c_lang[sorted_cand]
    in_lang = 1.0 + np.take_along_axis(above, own[:, None, :], axis=1)[:, 0, :]
    pooled = 1.0 + above.sum(1)
    cand = np.where(slot_valid, sorted_cand, -1)
    return cand, np.where(slot_valid, in_lang, np.inf), np.where(slot_valid, pooled, np.inf)


def _top_set(S: torch.Tensor, kk: int) -> np.ndarray:
    """Candidate rows of the top-kk of each score row, ties at place kk broken by candidate order."""
    b, n_c = S.shape
    if kk >= n_c:
        return np.broadcast_to(np.arange(n_c), (b, n_c))
    vals, inds = torch.topk(S, kk + 1, dim=1)
    top = inds[:, :kk].numpy().copy()
    for i in torch.nonzero(vals[:, kk - 1] == vals[:, kk]).flatten().tolist():
        row = S[i].numpy()
        t = vals[i, kk - 1].item()
        higher = np.flatnonzero(row > t)
        tied = np.flatnonzero(row == t)[: kk - len(higher)]
        top[i] = np.concatenate([higher, tied])
    return top


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
    over languages. Bias: see :mod:`.bias`.

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
