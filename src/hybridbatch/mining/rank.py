"""Rank the pooled training passages for every training query and keep hard negatives.

For query item i (its vector q_i, its own same-language passage p_i, its conflict cluster c_i):

1. candidates: the training passages of every language and dataset, one per distinct passage text;
   those of cluster c_i (its translations, shared answers: positives) are removed first;
2. ``rank``: 1-based position by descending cosine score among the remaining candidates, ties broken by
   candidate order (global item order), so the ranking is deterministic;
3. eligible: ``range_min < rank <= range_max`` (skip the top ``range_min``, look no deeper than
   ``range_max``) and ``score < q_i·p_i − margin`` (no margin: ``None``), as in sentence-transformers'
   ``mine_hard_negatives`` (there ranks are counted after the margin filter; here they are the model's
   own ranking, so a file's ranks say where the model puts the passage);
4. the policy keeps eligible candidates in the query's language (``same-language``), in any other
   (``other-language``) or in any (``any``);
5. sampling: the ``per_query`` best ranked (``top``), or ``per_query`` drawn uniformly without replacement
   (``random``) with a generator seeded by (seed, query item index) — independent of chunking — and
   listed in rank order.

Also counted, per query: how many of the eligible candidates *before* the policy filter are in the query's
language (the model's language bias among its hardest wrong passages).
"""

from __future__ import annotations

import dataclasses
import time
import typing
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from hybridbatch.config import check_fields, setting
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import NegativesConfig

Sampling = Literal["top", "random"]
SAMPLINGS: tuple[str, ...] = typing.get_args(Sampling)
CHUNK_CELLS = 8_000_000
"""Score-matrix cells per query chunk (32 MB of float32)."""


@dataclass(frozen=True)
class MiningSettings:
    """One mining pass: the training config's ``negatives`` section (policy, per_query, range_min, range_max,
    margin: declared there once, with their ranges and help), how the kept candidates are drawn, and the seed
    of random draws (the run's seed)."""

    negatives: NegativesConfig = setting(default_factory=lambda: NegativesConfig(policy="same-language"))
    sampling: Sampling = setting("top", help="top: the best ranked eligible candidates; random: drawn among "
                                 "them, seeded")
    seed: int = 0

    @classmethod
    def of(cls, **values: Any) -> MiningSettings:
        """Settings from flat values: ``negatives`` fields by name (the others as declared), ``sampling``,
        ``seed``."""
        section = {f.name for f in dataclasses.fields(NegativesConfig)}
        negatives = dataclasses.replace(cls().negatives, **{k: v for k, v in values.items() if k in section})
        return cls(negatives=negatives, **{k: v for k, v in values.items() if k not in section})

    @property
    def policy(self) -> str:
        return self.negatives.policy or ""

    @property
    def per_query(self) -> int:
        return self.negatives.per_query

    @property
    def range_min(self) -> int:
        return self.negatives.range_min

    @property
    def range_max(self) -> int:
        return self.negatives.range_max

    @property
    def margin(self) -> float | None:
        return self.negatives.margin

    def validate(self) -> MiningSettings:
        """Types and ranges (as the config loader checks them), a policy, and ranks that can hold the negatives."""
        check_fields(self)
        n = self.negatives
        if n.policy is None:
            raise HybridbatchError("mining needs a negatives.policy")
        if n.range_max <= n.range_min:
            raise HybridbatchError(f"negatives.range_max {n.range_max} must be larger than negatives.range_min "
                                   f"{n.range_min}")
        if n.per_query > n.range_max - n.range_min:
            raise HybridbatchError(f"negatives.per_query {n.per_query} negatives cannot fit in ranks "
                                   f"{n.range_min + 1}..{n.range_max} (negatives.range_min/range_max)")
        return self

    def record(self) -> dict[str, Any]:
        """The settings as a negatives file's header lists them."""
        return {"policy": self.policy, "per_query": self.per_query, "range_min": self.range_min,
                "range_max": self.range_max, "margin": self.margin, "sampling": self.sampling, "seed": self.seed}


@dataclass
class Mined:
    """``negatives[i]``: (candidate item, rank, score) kept for query item i, in rank order;
    ``positive_scores[i]`` = q_i·p_i; ``eligible[i]`` / ``eligible_same[i]``: eligible candidates before the
    policy filter, and how many of them are in the query's language."""

    negatives: list[list[tuple[int, int, float]]]
    positive_scores: np.ndarray
    eligible: np.ndarray
    eligible_same: np.ndarray
    n_candidates: int
    seconds: float


def candidate_items(passage_texts: list[str]) -> np.ndarray:
    """Global item indices of the candidates: the first item of each distinct passage text."""
    first: dict[str, int] = {}
    for i, text in enumerate(passage_texts):
        first.setdefault(text, i)
    return np.array(sorted(first.values()), dtype=np.int64)


def mine(queries: np.ndarray, passages: np.ndarray, item_lang: np.ndarray, cluster: np.ndarray,
         candidates: np.ndarray, settings: MiningSettings, *, device: str = "cpu") -> Mined:
    """Mine for every item (row of ``queries``) against the passages of ``candidates`` (global item indices).
    ``item_lang`` / ``cluster``: integer language and conflict cluster of every item."""
    import torch  # deferred: torch

    settings.validate()
    start = time.perf_counter()
    n, n_cand = len(queries), len(candidates)
    Q = torch.as_tensor(np.ascontiguousarray(queries, dtype=np.float32), device=device)
    P_all = torch.as_tensor(np.ascontiguousarray(passages, dtype=np.float32), device=device)
    P = P_all[torch.as_tensor(candidates, device=device)]
    positive = (Q * P_all).sum(dim=1).cpu().numpy()
    cand_cluster = torch.as_tensor(cluster[candidates], device=device)
    cand_lang, query_cluster = item_lang[candidates], torch.as_tensor(cluster, device=device)
    k = min(settings.range_max, n_cand)
    chunk = max(1, CHUNK_CELLS // max(n_cand, 1))
    negatives: list[list[tuple[int, int, float]]] = []
    eligible = np.zeros(n, dtype=np.int64)
    eligible_same = np.zeros(n, dtype=np.int64)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        scores = Q[lo:hi] @ P.T
        own = cand_cluster[None, :] == query_cluster[lo:hi, None]
        scores.masked_fill_(own, float("-inf"))
        rows, cols, vals = _top_with_ties(torch, scores, own, k)
        for local, (c, s) in enumerate(_split_rows(rows, cols, vals, hi - lo)):
            i = lo + local
            kept, n_el, n_same = _select(i, candidates[c], cand_lang[c], s, item_lang[i], positive[i], settings)
            negatives.append(kept)
            eligible[i], eligible_same[i] = n_el, n_same
    return Mined(negatives, positive, eligible, eligible_same, n_cand, time.perf_counter() - start)


def _top_with_ties(torch, scores, own, k: int):
    """(row, column, score) of the top ``k`` non-own candidates of every row, sorted by row, descending score,
    then column: every candidate scoring at least the row's k-th score is gathered, then cut to k after the
    exact sort (so ties at the cut go to the earlier candidate, whatever torch.topk picks)."""
    if k == 0 or scores.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    kth = torch.topk(scores, k, dim=1, sorted=False).values.min(dim=1).values
    selected = (scores >= kth[:, None]) & ~own
    rows, cols = selected.nonzero(as_tuple=True)
    vals = scores[rows, cols].cpu().numpy()
    rows, cols = rows.cpu().numpy(), cols.cpu().numpy()
    order = np.lexsort((cols, -vals, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    starts = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(len(rows)) - starts) < k
    return rows[keep], cols[keep], vals[keep]


def _split_rows(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_rows: int):
    bounds = np.searchsorted(rows, np.arange(n_rows + 1), side="left")
    for r in range(n_rows):
        yield cols[bounds[r]:bounds[r + 1]], vals[bounds[r]:bounds[r + 1]]


def _select(query: int, items: np.ndarray, langs: np.ndarray, scores: np.ndarray, query_lang: int,
            positive: float, s: MiningSettings) -> tuple[list[tuple[int, int, float]], int, int]:
    ranks = np.arange(1, len(items) + 1)
    ok = ranks > s.range_min
    if s.margin is not None:
        ok &= scores < positive - s.margin
    same = langs == query_lang
    n_eligible, n_same = int(ok.sum()), int((ok & same).sum())
    if s.policy == "same-language":
        ok &= same
    elif s.policy == "other-language":
        ok &= ~same
    picks = np.flatnonzero(ok)
    if len(picks) > s.per_query:
        if s.sampling == "top":
            picks = picks[:s.per_query]
        else:
            rng = np.random.default_rng([s.seed, query])
            picks = np.sort(rng.choice(picks, size=s.per_query, replace=False))
    kept = [(int(items[j]), int(ranks[j]), float(scores[j])) for j in picks]
    return kept, n_eligible, n_same
