"""The shared ranking engine of every benchmark family: exact ranks of each query's relevant candidates
among the candidates of each language and in the pooled corpus, from one pair of matrices.

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
