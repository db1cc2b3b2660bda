"""Ranking and selection of hard negatives on hand-made vectors, against a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

from hybridbatch.data.negatives import ItemTable
from hybridbatch.data.training_pairs import Item, PairSet, TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.mining import rank
from hybridbatch.mining.rank import MiningSettings, candidate_items, mine
from tests.training.helpers import toy_items

LANGS = ["de", "en", "es"]


def _pairs() -> TrainingPairs:
    items = toy_items(40, LANGS)
    # groups 0 and 1 share the English answer sentence: one conflict cluster of two groups
    shared = items[1].passage
    items = [Item(it.group, it.lang, it.query, shared) if it.lang == "en" and it.group == items[3].group else it
             for it in items]
    return TrainingPairs([PairSet("toy", items)])


def _vectors(pairs: TrainingPairs, *, bias: float = 0.6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A vector per group, plus a language direction of weight ``bias`` (a language-biased model) and noise:
    translations are the closest passages, same-language passages the next."""
    rng = np.random.default_rng(seed)
    ps = pairs.datasets[0]
    group = rng.standard_normal((len(ps.groups), 32))
    lang = rng.standard_normal((len(ps.languages), 32))
    base = group[ps.item_group] + bias * lang[ps.item_lang]
    Q = base + 0.3 * rng.standard_normal(base.shape)
    P = base + 0.3 * rng.standard_normal(base.shape)
    P[10] = P[9]  # an exact tie between two candidates (group 3 in de and en)
    norm = lambda x: (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)  # noqa: E731
    return norm(Q), norm(P)


def _run(pairs, Q, P, **settings):
    table = ItemTable(pairs)
    lang = np.array([LANGS.index(x) for x in table.lang])
    texts = [ds.passage_text(it) for ds in pairs.datasets for it in ds.items]
    return table, lang, mine(Q, P, lang, table.cluster, candidate_items(texts), MiningSettings.of(**settings))


def _reference(Q, P, lang, cluster, candidates, s: MiningSettings):
    """Full stable sort per query: what :func:`mine` must keep with sampling "top"."""
    out = []
    for i in range(len(Q)):
        cands = candidates[cluster[candidates] != cluster[i]]
        scores = P[cands] @ Q[i]
        order = np.lexsort((cands, -scores))
        pos = float((Q[i] * P[i]).sum())
        kept = []
        for r, j in enumerate(order[:s.range_max], start=1):
            c, sc = int(cands[j]), float(scores[j])
            if r <= s.range_min or (s.margin is not None and not sc < pos - s.margin):
                continue
            same = lang[c] == lang[i]
            if (s.policy == "same-language" and not same) or (s.policy == "other-language" and same):
                continue
            kept.append((c, r))
        out.append(kept[:s.per_query])
    return out


@pytest.mark.parametrize("policy", ["same-language", "other-language", "any"])
def test_negatives_leave_out_the_cluster_and_follow_the_policy(policy):
    pairs = _pairs()
    Q, P = _vectors(pairs)
    table, lang, mined = _run(pairs, Q, P, policy=policy, per_query=5, range_max=60)
    assert table.cluster[0] == table.cluster[3]  # the two groups sharing an answer
    assert sum(map(len, mined.negatives)) > 0
    for i, kept in enumerate(mined.negatives):
        for c, r, s in kept:
            assert table.cluster[c] != table.cluster[i] and table.group[c] != table.group[i]
            assert (lang[c] == lang[i]) == (policy == "same-language") or policy == "any"
            assert 0 < r <= 60 and s < mined.positive_scores[i]
    # without the cluster mask the translations would have been the top candidates
    assert np.argmax(P @ Q[0]) in np.flatnonzero(table.cluster == table.cluster[0])


@pytest.mark.parametrize("settings", [
    dict(policy="same-language", per_query=3, range_min=0, range_max=200, margin=0.0),
    dict(policy="any", per_query=4, range_min=5, range_max=20, margin=0.05),
    dict(policy="other-language", per_query=2, range_min=2, range_max=30, margin=None),
    dict(policy="same-language", per_query=6, range_min=10, range_max=16, margin=-0.0),
])
def test_top_sampling_equals_a_full_stable_sort(settings, monkeypatch):
    pairs = _pairs()
    Q, P = _vectors(pairs)
    table, lang, mined = _run(pairs, Q, P, **settings)
    texts = [it.passage for it in pairs.datasets[0].items]
    ref = _reference(Q, P, lang, table.cluster, candidate_items(texts), MiningSettings.of(**settings))
    assert [[(c, r) for c, r, _ in kept] for kept in mined.negatives] == ref
    monkeypatch.setattr(rank, "CHUNK_CELLS", 7 * len(texts))  # 7 queries per chunk: the same result
    chunked = _run(pairs, Q, P, **settings)[2].negatives  # (scores to float32 rounding: BLAS blocks differ)
    assert [[(c, r) for c, r, _ in kept] for kept in chunked] == ref
    assert np.allclose([s for kept in chunked for *_, s in kept], [s for kept in mined.negatives for *_, s in kept],
                       atol=1e-6)


def test_ties_go_to_the_earlier_candidate():
    pairs = _pairs()
    Q, P = _vectors(pairs)
    _, _, mined = _run(pairs, Q, P, policy="any", per_query=120, range_max=200, margin=None)
    table = ItemTable(pairs)
    for i, kept in enumerate(mined.negatives):
        pos = {c: r for c, r, _ in kept}
        if table.cluster[i] != table.cluster[9]:
            assert pos[9] + 1 == pos[10]  # identical vectors: item 9 right before item 10


def test_range_and_margin_are_respected():
    pairs = _pairs()
    Q, P = _vectors(pairs, bias=1.5)
    _, _, mined = _run(pairs, Q, P, policy="any", per_query=5, range_min=7, range_max=25, margin=0.2)
    ranks = [r for kept in mined.negatives for _, r, _ in kept]
    assert ranks and min(ranks) == 8 and max(ranks) <= 25
    for i, kept in enumerate(mined.negatives):
        assert all(s < mined.positive_scores[i] - 0.2 for _, _, s in kept)


def test_random_sampling_is_seeded_and_kept_in_rank_order():
    pairs = _pairs()
    Q, P = _vectors(pairs)
    runs = [_run(pairs, Q, P, policy="any", per_query=3, range_max=40, sampling="random", seed=s)[2].negatives
            for s in (1, 1, 2)]
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert all([r for _, r, _ in kept] == sorted(r for _, r, _ in kept) for kept in runs[0])
    top = _run(pairs, Q, P, policy="any", per_query=3, range_max=40)[2].negatives
    assert runs[0] != top


def test_bias_counts_the_eligible_candidates_before_the_policy():
    pairs = _pairs()
    Q, P = _vectors(pairs, bias=3.0)
    _, _, mined = _run(pairs, Q, P, policy="other-language", per_query=2, range_max=20, margin=None)
    assert (mined.eligible == 20).all()
    assert mined.eligible_same.sum() / mined.eligible.sum() > 0.9  # a strongly biased "model"


@pytest.mark.parametrize("bad, message", [
    (dict(policy="mixed"), "'negatives.policy' is 'mixed'; expected one of same-language, other-language, any"),
    (dict(policy=None), "mining needs a negatives.policy"),
    (dict(per_query=0), "'negatives.per_query' is 0; must be >= 1"),
    (dict(range_min=-1), "'negatives.range_min' is -1"),
    (dict(range_min=5, range_max=5), "negatives.range_max 5 must be larger"),
    (dict(per_query=5, range_min=8, range_max=10), "cannot fit"),
    (dict(margin=-0.1), "'negatives.margin' is -0.1"),
    (dict(sampling="best"), "'sampling' is 'best'; expected one of top, random"),
])
def test_bad_settings_are_refused(bad, message):
    with pytest.raises(HybridbatchError, match=message):
        MiningSettings.of(**bad).validate()
