"""Mined negatives in the batch plan: every row carries one of its query item's negatives, and no negative of
a step belongs to the conflict cluster of any row of that step."""

from __future__ import annotations

import numpy as np
import pytest

from hybridbatch.data.training_pairs import Item, PairSet
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import SamplingConfig
from hybridbatch.training.dataset import planned_dataset
from hybridbatch.training.negatives import NegativeSlots, choose_slots
from hybridbatch.training.planner import BatchPlanner, plan_record
from tests.training.helpers import toy_items, toy_pairs, toy_training


def same_language_slots(ds: PairSet, k: int, seed: int) -> np.ndarray:
    """k random negatives per query item: items of other groups in the query's language (as a
    ``same-language`` mining would give, without any care for batches)."""
    rng = np.random.default_rng(seed)
    out = np.full((len(ds.items), k), -1, dtype=np.int64)
    for i, (g, lang) in enumerate(zip(ds.item_group, ds.item_lang)):
        others = np.flatnonzero((ds.item_lang == lang) & (ds.cluster_of[ds.item_group] != ds.cluster_of[g]))
        out[i, :min(k, len(others))] = rng.choice(others, size=min(k, len(others)), replace=False)
    return out


def planner_with_negatives(pairs, k: int, seed: int, *, batch_size: int = 8, world_size: int = 1,
                           strategy: str = "hybrid") -> BatchPlanner:
    slots = NegativeSlots(tuple(same_language_slots(ds, k, seed) for ds in pairs.datasets), "same-language")
    return BatchPlanner(pairs, batch_size, SamplingConfig(strategy=strategy, alpha=0.5), seed=seed,
                        world_size=world_size, negatives=slots)


@pytest.mark.parametrize("seed", range(25))
def test_no_negative_of_a_step_belongs_to_a_cluster_of_its_rows(seed):
    # clusters: groups 0 and 1 share a passage, so one negative can be a false negative of two rows
    items = toy_items(60, ["en", "de", "es"], missing={"es": 30})
    items = [Item(it.group, it.lang, it.query, "shared passage" if it.group in ("gbb", "gbc") and it.lang == "en"
                  else it.passage) for it in items]
    pairs = toy_training(PairSet("toy", items))
    world = 2 if seed % 2 else 1
    planner = planner_with_negatives(pairs, k=2, seed=seed, batch_size=5, world_size=world)
    ds = pairs.datasets[0]
    batches = list(planner.plan_sequence(40))
    for start in range(0, len(batches), world):
        step = batches[start:start + world]
        rows = np.concatenate([b.rows for b in step])
        row_clusters = set(ds.cluster_of[ds.row_group[rows]].tolist())
        assert len(row_clusters) == len(rows)  # rows of a step: distinct clusters, as without negatives
        for b in step:
            negatives = b.negatives
            assert negatives is not None and len(negatives) == len(b.rows)
            neg_clusters = ds.cluster_of[ds.item_group[negatives]]
            assert not set(neg_clusters.tolist()) & row_clusters
            assert all(b.batch_type == step[0].batch_type and b.language == step[0].language for b in step)
            # each row carries one of its own query item's mined negatives, in the query's language
            own = planner.negatives.per_dataset[0][ds.row_query_item[b.rows]]
            assert (own[np.arange(len(b.rows)), b.slots] == negatives).all()
            assert (ds.item_lang[negatives] == ds.row_qlang[b.rows]).all()


def test_planned_dataset_holds_each_planned_row_with_its_mined_negative():
    pairs = toy_training(toy_pairs(30))
    planner = planner_with_negatives(pairs, k=3, seed=1)
    table, planned = planned_dataset(pairs, planner, 3, row_labels=True)
    assert len(table) == 3 * planner.batch_size and planned.entries(0, 3) is None
    ds = pairs.datasets[0]
    for index, batch in enumerate(planner.plan_sequence(3)):
        entries = planned.entries(0, index)
        for row, entry in zip(batch.rows, table[entries[0]:entries[-1] + 1]["query"]):
            assert entry == ds.items[int(ds.row_query_item[row])].query
        got = table[entries]
        assert got["label"] == batch.rows.tolist()
        assert got["negative"] == [ds.passage_text(ds.items[int(n)]) for n in batch.negatives]


def test_plan_is_unchanged_without_negatives_and_deterministic_with_them():
    pairs = toy_training(toy_pairs(40))
    plain = BatchPlanner(pairs, 8, SamplingConfig(), seed=3)
    assert all(b.negatives is None and b.slots is None for b in plain.plan(0))
    a = [(b.rows.tolist(), b.negatives.tolist()) for b in planner_with_negatives(pairs, 2, 3).plan(0)]
    b = [(b.rows.tolist(), b.negatives.tolist()) for b in planner_with_negatives(pairs, 2, 3).plan(0)]
    assert a == b


def test_plan_record_names_each_negative_group_and_language():
    pairs = toy_training(toy_pairs(30))
    batch = next(iter(planner_with_negatives(pairs, 2, 0).plan(0)))
    record = plan_record(pairs, batch)
    for row in record["rows"]:
        assert set(row["negative"]) == {"group", "lang"}
        assert row["negative"]["lang"] == row["query_lang"] and row["negative"]["group"] != row["group"]


def test_choose_slots_skips_negatives_of_the_step_clusters():
    ds = toy_pairs(6, ("en",))
    slots = np.array([[1, 2], [0, 2], [3, 4], [4, 5], [5, 0], [0, 1]])
    rows = ds.row_of[[0, 1], 0, 0]
    chosen = choose_slots(ds, slots, rows, ds.cluster_of[[0, 1]])
    assert chosen.tolist() == [1, 1]  # item 1 / item 0 are rows of the step; both take their 2nd negative
    assert choose_slots(ds, slots, ds.row_of[[5], 0, 0], ds.cluster_of[[0, 1, 5]]).tolist() == [-1]


def test_a_negative_of_the_query_items_own_group_is_refused():
    pairs = toy_training(toy_pairs(10, ("en", "de")))
    ds = pairs.datasets[0]
    slots = same_language_slots(ds, 1, 0)
    slots[0, 0] = ds.lang_item[ds.item_group[0], 1]  # its translation
    with pytest.raises(HybridbatchError, match="its own parallel group"):
        BatchPlanner(pairs, 4, SamplingConfig(), negatives=NegativeSlots((slots,), "any", "neg.jsonl"))


def test_too_few_safe_negatives_is_a_clear_error():
    pairs = toy_training(toy_pairs(12, ("en",)))
    ds = pairs.datasets[0]
    slots = np.zeros((len(ds.items), 1), dtype=np.int64)  # every query's only negative: item 0
    slots[0, 0] = 1
    planner = BatchPlanner(pairs, 12, SamplingConfig(strategy="x-x-mono"), negatives=NegativeSlots((slots,), "any"))
    with pytest.raises(HybridbatchError, match="mine more negatives per query"):
        list(planner.plan(0))
