"""Mined hard negatives in the batch plan: which negative each row of a batch carries.

A training query item (group g, language X) comes with up to K mined negatives (passage items of other
groups, best first; :mod:`hybridbatch.data.negatives` reads them from a ``hybridbatch mine`` file). A row
(query of (g, X), passage of (g, Y)) carries one of its query item's negatives, so an X-Y row can carry a
distractor in the *query's* language — the mistake a language-biased model makes.

In-batch negatives are shared by every row of a batch (and of a step under DDP), so a negative must not
belong to the conflict cluster of any row of the step: it would be a positive there. :func:`choose_slots`
picks, per row, the first of its negatives that is safe; a row none of whose negatives is safe is replaced
by another group of the same stream (:class:`~hybridbatch.training.planner.BatchPlanner` does that).

The trainer's dataset holds K entries per row, entry ``row * K + k`` carrying the row's k-th negative; the
plan's dataset index of a row is therefore ``row * K + slot``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybridbatch.data.training_pairs import PairSet, TrainingPairs
from hybridbatch.errors import HybridbatchError


@dataclass(frozen=True)
class NegativeSlots:
    """Up to ``k`` mined negatives per query item of each training dataset.

    ``per_dataset[d]``: (n_items of dataset d, k) local item indices of the negatives' passages, best first,
    -1 where a query item has fewer; ``policy`` names how they were mined (same-language, other-language,
    any) and ``source`` the file they come from.
    """

    per_dataset: tuple[np.ndarray, ...]
    policy: str
    source: str = ""

    @property
    def k(self) -> int:
        return int(self.per_dataset[0].shape[1]) if self.per_dataset else 0

    def check_against(self, pairs: TrainingPairs) -> None:
        """Shapes fit ``pairs``; no negative belongs to its query item's conflict cluster."""
        if len(self.per_dataset) != len(pairs.datasets):
            raise HybridbatchError(f"negatives for {len(self.per_dataset)} datasets; training has "
                                   f"{len(pairs.datasets)}", path=self.source)
        for ds, slots in zip(pairs.datasets, self.per_dataset):
            if slots.ndim != 2 or slots.shape[0] != ds.n_items or slots.shape[1] != self.k:
                raise HybridbatchError(f"negatives of dataset {ds.name!r} have shape {slots.shape}; expected "
                                       f"({ds.n_items}, {self.k})", path=self.source)
            valid = slots >= 0
            if (slots >= ds.n_items).any():
                raise HybridbatchError(f"negatives of dataset {ds.name!r} name items beyond its "
                                       f"{ds.n_items}", path=self.source)
            own = ds.cluster_of[ds.item_group][:, None]
            neg = ds.cluster_of[ds.item_group[np.maximum(slots, 0)]]
            bad = valid & (neg == own)
            if bad.any():
                i = int(np.argwhere(bad)[0][0])
                raise HybridbatchError(f"a negative of query item {ds.items[i].group}/{ds.items[i].lang} belongs to "
                                       "its own parallel group or shares its passage", path=self.source)


def choose_slots(ds: PairSet, slots: np.ndarray, local_rows: np.ndarray, step_clusters: np.ndarray) -> np.ndarray:
    """Per row, the index (0..k-1) of its first negative whose cluster is none of ``step_clusters``; -1 when
    no negative of the row is safe."""
    candidates = slots[ds.query_items(local_rows)]
    clusters = ds.cluster_of[ds.item_group[np.maximum(candidates, 0)]]
    ok = (candidates >= 0) & ~np.isin(clusters, step_clusters)
    return np.where(ok.any(axis=1), ok.argmax(axis=1), -1)


def random_slots(ds: PairSet, k: int, policy: str, seed: int | list[int]) -> np.ndarray:
    """(n_items, k) negatives drawn for every query item of ``ds`` uniformly, with replacement, among the
    dataset's items of other conflict clusters — in the query's language (``same-language``), in another
    (``other-language``) or in any (``any``); seeded; -1 where no item qualifies. A dataset's ``negatives:
    random``: no model and no encoding, for large or easy sources such as bitext."""
    rng = np.random.default_rng(seed)
    out = np.full((ds.n_items, k), -1, dtype=np.int64)
    if k == 0 or ds.n_items == 0:
        return out
    cluster = ds.cluster_of[ds.item_group]
    everyone = np.arange(ds.n_items)
    if policy == "any":
        pools = [(everyone, everyone)]
    else:
        pools = []
        for lang in np.unique(ds.item_lang):
            same = ds.item_lang == lang
            pools.append((everyone[same], everyone[same] if policy == "same-language" else everyone[~same]))
    for queries, pool in pools:
        if len(pool) == 0:
            continue
        draws = pool[rng.integers(len(pool), size=(len(queries), k))]
        own = cluster[queries][:, None]
        for _ in range(8):  # redraw the (rare, in a large pool) draws of the query's own cluster
            bad = cluster[draws] == own
            if not bad.any():
                break
            draws[bad] = pool[rng.integers(len(pool), size=int(bad.sum()))]
        draws[cluster[draws] == own] = -1
        out[queries] = draws
    return out
