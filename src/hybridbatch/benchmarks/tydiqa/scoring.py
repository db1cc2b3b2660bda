"""Question → passage retrieval per language and pooled over all languages (TyDi QA GoldP).

One pass of :func:`hybridbatch.scoring.ranking.relevant_ranks` (exact float32 dot products, the tie rule
of :mod:`hybridbatch.scoring.metrics`) gives each relevant passage's rank among the passages of its own
language and among all passages. Two scopes per query:

* ``language``: against the passages of the query's language (that language's corpus); relevant = its
  relevant passages in that language;
* ``pooled``: against every passage of every chosen language; relevant = all its relevant passages.

Per query and scope (binary gains, R = relevant passages, rank r_1 of the first one):
nDCG@10 = Σ_{r ∈ R, rank ≤ 10} 1/log2(rank + 1) / Σ_{i=1}^{min(|R|,10)} 1/log2(i + 1);
MRR@10 = 1/r_1 if r_1 ≤ 10 else 0; R@100 = |{r ∈ R : rank ≤ 100}| / |R|. NaN when R is empty.
Language bias (pooled only): top-10 own-language share = the share of the query's 10 highest pooled
passages that are in its language (:mod:`hybridbatch.scoring.bias`), next to the corpus own share =
the share of the pool in that language (what the top-10 share would be if retrieval ignored language).

Per language: means over its queries; summary: macro means over the query languages (as MIRACL);
``by_class``: macro means over the languages of each resource class (Joshi et al. 2020).
"""

from __future__ import annotations

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.data.language_metadata import known, language_info
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring import bias
from hybridbatch.scoring.metrics import nanmean, ndcg_at_k, recall_at_k, reciprocal_rank
from hybridbatch.scoring.ranking import check_embeddings, language_indices, relevant_ranks

METRICS = ("ndcg@10", "mrr@10", "r@100")
SCOPES = ("language", "pooled")
BIAS = "pooled/top10_own_share"
KEYS = tuple(f"{scope}/{m}" for scope in SCOPES for m in METRICS) + (BIAS,)


def _metrics(ranks: np.ndarray, relevant: np.ndarray) -> dict[str, np.ndarray]:
    """nDCG@10, MRR@10, R@100 of ``ranks`` (inf = not relevant in this scope) with binary gains."""
    gains = relevant.astype(np.float64)
    n_rel = relevant.sum(1)
    return {"ndcg@10": ndcg_at_k(ranks, gains, gains, 10), "mrr@10": reciprocal_rank(ranks, n_rel, 10),
            "r@100": recall_at_k(ranks, n_rel, 100)}


def tydiqa_per_query(bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
    """Per query (``bench.queries`` order), every key of :data:`KEYS`: ``"language/<m>"``,
    ``"pooled/<m>"`` for m in :data:`METRICS` and ``"pooled/top10_own_share"``; NaN where undefined."""
    Q, C = check_embeddings(bench, Q, C)
    q_lang, c_lang = language_indices(bench)
    rr = relevant_ranks(Q, C, bench.relevant_indices(), q_lang, c_lang, len(bench.languages))
    own = rr.lang == q_lang[:, None]
    out: dict[str, np.ndarray] = {}
    for scope, ranks, relevant in (("language", np.where(own, rr.in_lang, np.inf), own),
                                   ("pooled", rr.pooled, rr.cand >= 0)):
        out.update({f"{scope}/{m}": v for m, v in _metrics(ranks, relevant).items()})
    out[BIAS] = bias.bias_per_query(rr.pooled, rr.lang, rr.top_own, rr.top_k, q_lang)["top10_own_share"]
    return out


def aggregate_tydiqa(bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict:
    """Results from the per-query arrays: per query language ``{language: {m}, pooled: {m},
    top10_own_share, corpus_own_share, n_queries, n_passages}``, the macro ``summary`` of the same and
    ``by_class`` (resource class → languages and macro means; class ``"?"`` when unknown)."""
    n_q = len(bench.queries)
    arrays = {}
    for key in KEYS:
        if key not in per_query or np.shape(per_query[key]) != (n_q,):
            raise HybridbatchError(f"per-query array {key!r} missing or not of shape ({n_q},)", path=bench.source)
        arrays[key] = np.asarray(per_query[key], dtype=np.float64)
    q_lang = bench.query_langs()
    c_lang = bench.candidate_langs()
    per_language: dict[str, dict] = {}
    for lang in bench.languages:
        rows = q_lang == lang
        if not rows.any():
            continue
        entry: dict = {scope: {m: nanmean(arrays[f"{scope}/{m}"][rows]) for m in METRICS} for scope in SCOPES}
        entry["top10_own_share"] = nanmean(arrays[BIAS][rows])
        n_passages = int((c_lang == lang).sum())
        entry["corpus_own_share"] = n_passages / len(bench.candidates) if len(bench.candidates) else None
        entry["n_queries"] = int((~np.isnan(arrays["language/ndcg@10"][rows])).sum())
        entry["n_passages"] = n_passages
        per_language[lang] = entry
    classes: dict[str, list[str]] = {}
    for lang in per_language:
        cls = str(language_info(lang).joshi_class) if known(lang) else "?"
        classes.setdefault(cls, []).append(lang)
    by_class = {cls: {"languages": langs, **_macro([per_language[x] for x in langs])}
                for cls, langs in sorted(classes.items())}
    return {"benchmark": bench.name, "kind": "tydiqa", "languages": list(per_language),
            "n_queries": n_q, "n_candidates": len(bench.candidates),
            "summary": _macro(list(per_language.values())), "by_class": by_class, "per_language": per_language}


def _macro(entries: list[dict]) -> dict:
    """Macro means over per-language entries (languages without a value left out)."""

    def mean(values: list) -> float | None:
        return nanmean(np.array([v for v in values if v is not None], dtype=np.float64))

    out: dict = {scope: {m: mean([e[scope][m] for e in entries]) for m in METRICS} for scope in SCOPES}
    out["top10_own_share"] = mean([e["top10_own_share"] for e in entries])
    out["corpus_own_share"] = mean([e["corpus_own_share"] for e in entries])
    return out
