from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from hybridbatch.data.training_pairs import Item, PairSet, TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import SamplingConfig
from hybridbatch.training.planner import BatchPlanner, plan_record, random_batching_collisions
from tests.training.helpers import toy_items, toy_pairs, toy_training


def _rows(pairs: TrainingPairs, batch):
    return [pairs.describe(int(r)) for r in batch.rows]


def _plan(pairs, n, batch_size=10, seed=0, world_size=1, **cfg):
    planner = BatchPlanner(pairs, batch_size, SamplingConfig(**cfg), seed=seed, world_size=world_size)
    return planner, list(planner.plan_sequence(n))


def test_mono_batches_hold_one_language():
    pairs = toy_training(toy_pairs(40, ("en", "de", "es", "ar")))
    _, batches = _plan(pairs, 200, strategy="x-x-mono")
    for b in batches:
        assert b.batch_type == "x-x-mono"
        assert {(r["query_lang"], r["passage_lang"]) for r in _rows(pairs, b)} == {(b.language, b.language)}
    counts = Counter(b.language for b in batches)
    assert set(counts) == {"en", "de", "es", "ar"} and min(counts.values()) > 30  # uniform: ~50 each


def test_xy_rows_pair_different_languages_drawn_per_row():
    pairs = toy_training(toy_pairs(40, ("en", "de", "es"), missing={"es": 25}))
    _, batches = _plan(pairs, 200, strategy="x-y")
    pairs_seen = Counter()
    for b in batches:
        assert b.batch_type == "x-y" and b.language is None
        for r in _rows(pairs, b):
            assert r["query_lang"] != r["passage_lang"]
            pairs_seen[(r["query_lang"], r["passage_lang"])] += 1
    assert len(pairs_seen) == 6  # every ordered pair occurs
    mixed = sum(len({(r["query_lang"], r["passage_lang"]) for r in _rows(pairs, b)}) > 1 for b in batches)
    assert mixed == len(batches)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 1.0])
def test_hybrid_share_of_mono_batches_is_alpha(alpha):
    pairs = toy_training(toy_pairs(30))
    _, batches = _plan(pairs, 3000, strategy="hybrid", alpha=alpha, seed=1)
    share = np.mean([b.batch_type == "x-x-mono" for b in batches])
    assert abs(share - alpha) < 0.03  # binomial sd <= 0.0092
    for b in batches:  # each batch is wholly one kind
        langs = {(r["query_lang"] == r["passage_lang"]) for r in _rows(pairs, b)}
        assert langs == {b.batch_type == "x-x-mono"}


def test_no_two_rows_of_a_batch_share_a_group_or_passage_even_when_streams_wrap():
    items = toy_items(13, ["en", "de", "es"])  # pools of 13 for batches of 10: every batch after the first wraps
    items += [Item(f"twin{i}", "de", f"twin question {i}", items[3 * i].passage) for i in range(3)]
    ps = PairSet("t", items)
    pairs = TrainingPairs([ps])
    for strategy in ("x-x-mono", "x-y", "hybrid"):
        _, batches = _plan(pairs, 300, strategy=strategy, seed=2)
        for b in batches:
            groups = [r["group"] for r in _rows(pairs, b)]
            assert len(set(groups)) == len(groups)
            clusters = [ps.cluster_of[ps.groups.index(g)] for g in groups]
            assert len(set(clusters)) == len(clusters)
            assert len(b.rows) == 10


def test_plan_is_a_function_of_seed_and_epoch():
    pairs = toy_training(toy_pairs(30))
    p1, _ = _plan(pairs, 0, seed=4)
    p2, _ = _plan(pairs, 0, seed=4)
    p3, _ = _plan(pairs, 0, seed=5)
    as_lists = lambda planner, e: [b.rows.tolist() for b in planner.plan(e)]  # noqa: E731
    assert as_lists(p1, 3) == as_lists(p2, 3)
    assert as_lists(p1, 3) != as_lists(p3, 3)
    assert as_lists(p1, 3) != as_lists(p1, 4)
    # a fresh planner asked for epoch 3 directly (as after a resume) gives the same batches
    assert as_lists(BatchPlanner(pairs, 10, SamplingConfig(), seed=4), 3) == as_lists(p1, 3)


def test_epoch_length_and_sequence_across_epochs():
    pairs = toy_training(toy_pairs(30))  # 90 items
    planner, batches = _plan(pairs, 25, batch_size=10)
    assert len(planner) == 9
    assert [b.epoch for b in batches] == [0] * 9 + [1] * 9 + [2] * 7
    assert [b.index for b in batches[:10]] == list(range(9)) + [0]
    assert len(BatchPlanner(pairs, 10, SamplingConfig(batches_per_epoch=4))) == 4


def test_a_batch_never_mixes_datasets_and_datasets_are_drawn_by_size():
    big = toy_pairs(60, name="general")  # 180 items
    small = toy_pairs(20, ("en", "fr"), name="domain", start=100)  # 40 items
    pairs = TrainingPairs([big, small])
    _, batches = _plan(pairs, 2000, seed=3)
    for b in batches:
        owner = {pairs.locate(int(r))[0].name for r in b.rows}
        assert owner == {b.dataset}
    share = np.mean([b.dataset == "general" for b in batches])
    assert abs(share - 180 / 220) < 0.03


def test_uniform_dataset_weighting_draws_each_dataset_equally_and_keeps_epoch_length():
    big = toy_pairs(60, name="general")  # 180 items
    small = toy_pairs(20, ("en", "fr"), name="domain", start=100)  # 40 items
    pairs = TrainingPairs([big, small])
    planner, batches = _plan(pairs, 2000, seed=3, dataset_weighting="uniform")
    assert planner.dataset_p.tolist() == [0.5, 0.5]
    assert len(planner) == 220 // 10
    assert abs(np.mean([b.dataset == "general" for b in batches]) - 0.5) < 0.035
    for b in batches:
        assert {pairs.locate(int(r))[0].name for r in b.rows} == {b.dataset}


def test_language_weighting_by_size_and_smoothed():
    ps = toy_pairs(80, ("en", "de"), missing={"de": 20})  # en 80, de 20 items
    pairs = toy_training(ps)
    for weighting, expected in (("uniform", 0.5), ("size", 0.8), ("smoothed", 80 ** 0.5 / (80 ** 0.5 + 20 ** 0.5))):
        _, batches = _plan(pairs, 2000, strategy="x-x-mono", language_weighting=weighting, seed=9)
        share = np.mean([b.language == "en" for b in batches])
        assert abs(share - expected) < 0.035, weighting


def test_side_by_side_batches_of_ranks_share_type_language_and_no_group():
    pairs = toy_training(toy_pairs(40, ("en", "de", "es")), toy_pairs(30, ("en", "ar"), name="b", start=100))
    planner, batches = _plan(pairs, 400, world_size=2, seed=7)
    assert len(planner) % 2 == 0
    for a, b in zip(batches[0::2], batches[1::2]):
        assert (a.dataset, a.batch_type, a.language) == (b.dataset, b.batch_type, b.language)
        ga = {r["group"] for r in _rows(pairs, a)}
        gb = {r["group"] for r in _rows(pairs, b)}
        assert not ga & gb


@pytest.mark.parametrize("cfg, message", [
    ({"strategy": "mixed"}, "'sampling.strategy' is 'mixed'; expected one of x-x-mono, x-y, hybrid"),
    ({"alpha": 1.5}, "'sampling.alpha' is 1.5; must be <= 1.0"),
    ({"alpha": -0.1}, "'sampling.alpha' is -0.1; must be >= 0.0"),
    ({"language_weighting": "zipf"}, "'sampling.language_weighting' is 'zipf'"),
])
def test_bad_settings_are_errors(cfg, message):
    with pytest.raises(HybridbatchError, match=message):
        BatchPlanner(toy_training(), 10, SamplingConfig(**cfg))


def test_dataset_too_small_for_a_batch_without_repeated_groups():
    pairs = toy_training(toy_pairs(30, missing={"es": 8}))
    with pytest.raises(HybridbatchError, match="language 'es': 8 groups.*batch of 10"):
        BatchPlanner(pairs, 10, SamplingConfig(strategy="hybrid"))
    BatchPlanner(pairs, 10, SamplingConfig(strategy="x-y"))  # x-y never needs 10 'es' groups
    with pytest.raises(HybridbatchError, match=r"x-y .* 30 groups.*batch of 20 x 2 ranks"):
        BatchPlanner(pairs, 20, SamplingConfig(strategy="x-y"), world_size=2)


def test_validation_planner_shrinks_batches_to_what_the_data_allows():
    pairs = toy_training(toy_pairs(30, missing={"es": 8}))
    planner = BatchPlanner(pairs, 100, SamplingConfig(), allow_smaller=True)
    assert planner.batch_size == 8
    tiny = toy_training(toy_pairs(1))
    with pytest.raises(HybridbatchError, match="validation split too small"):
        BatchPlanner(tiny, 100, SamplingConfig(), allow_smaller=True)


def test_random_batching_collision_figure_matches_a_direct_count():
    pairs = toy_training(toy_pairs(30))  # 270 rows, 9 per group
    stats = random_batching_collisions(pairs, 10, epochs=50, seed=1)
    rng = np.random.default_rng(1)
    group = pairs.datasets[0].row_group
    hits = 0
    for _ in range(50):
        perm = rng.permutation(pairs.n_rows)[:270].reshape(27, 10)
        hits += sum(len(set(group[b])) < 10 for b in perm)
    assert stats.batches == 50 * 27
    assert stats.batches_with_group_repeat == hits
    assert 0.5 < stats.group_repeat_rate < 1.0  # birthday problem: 1 - prod(1 - 8k/269) ~ 0.77


def test_plan_record_format():
    pairs = toy_training(toy_pairs(12))
    _, batches = _plan(pairs, 1, strategy="x-x-mono")
    rec = plan_record(pairs, batches[0])
    assert rec["batch_type"] == "x-x-mono" and rec["dataset"] == "toy" and len(rec["rows"]) == 10
    assert set(rec["rows"][0]) == {"query_lang", "passage_lang", "group"}


def test_mlqa_r_random_batches_repeat_groups_hybrid_batches_never_do(shared_data):
    """Real data, batch 100: the default sampler puts two rows of one question in almost every batch."""
    from hybridbatch.benchmarks.registry import load_benchmark
    from hybridbatch.data.benchmark_pairs import pairs_from_benchmark

    ps = pairs_from_benchmark(load_benchmark("mlqa-r", shared_data))
    pairs = TrainingPairs([ps])
    stats = random_batching_collisions(pairs, 100, epochs=3)
    assert stats.group_repeat_rate > 0.9
    assert stats.mean_rows_in_repeated_groups > 2
    _, batches = _plan(pairs, 1000, batch_size=100, seed=0)
    for b in batches:
        assert len({pairs.describe(int(r))["group"] for r in b.rows}) == 100
