"""The batch planner: X-X-mono, X-Y and hybrid batches over parallel training rows (pure numpy).

Contract (:class:`BatchPlanner`):

* ``x-x-mono``: all rows of a batch are (query in X, passage in X) for one language X, drawn per
  batch with weight 1 (``uniform``, the paper), n_X (``size``, n_X = items in X) or n_X^e
  (``smoothed``, e = ``smoothing_exponent``).
* ``x-y``: each row takes a group with two or more languages and an ordered pair X != Y drawn
  uniformly among that group's languages.
* ``hybrid``: each batch is ``x-x-mono`` with probability ``alpha``, else ``x-y``.
* With several datasets, the dataset of a batch is drawn with probability proportional to its
  number of items (``dataset_weighting: size``, the method) or 1/D for each of D datasets
  (``uniform``); a batch never mixes datasets. An epoch is (items of all datasets) // batch size
  batches either way.
* No two rows of a batch come from one conflict cluster (so never from one parallel group; see
  :mod:`hybridbatch.data.training_pairs`). Groups come from per-(dataset, language) and
  per-dataset x-y streams: a seeded permutation of the clusters, consumed in order and reshuffled
  when used up, so an epoch spreads over the data without repeats inside a pass.
* ``world_size`` consecutive batches form one *step*: they run side by side on the ranks (accelerate
  gives batch ``k`` to rank ``k % world_size``), share dataset, batch type and language, and have
  no cluster in common (so ``gather_across_devices`` losses stay free of false negatives).
* With mined negatives (:mod:`hybridbatch.training.negatives`) each row also carries one of its query
  item's negatives, never one of a conflict cluster of any row of the step; a row with no such negative is
  replaced by the stream's next group. Without them the plan is exactly what it was before negatives existed.
* The plan of epoch ``e`` is a pure function of (seed, e): resuming replays it and skips the
  batches already trained, so the sequence continues exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from hybridbatch.data.training_pairs import PairSet, TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import SamplingConfig, TrainConfig
from hybridbatch.training.negatives import NegativeSlots, choose_slots

MONO, XY = "x-x-mono", "x-y"


@dataclass(frozen=True)
class PlannedBatch:
    """One batch: global row indices into :class:`TrainingPairs` plus how it was drawn."""

    epoch: int
    index: int  # position in the epoch
    dataset: str
    batch_type: str
    language: str | None
    rows: np.ndarray
    negatives: np.ndarray | None = None  # global item index of each row's mined negative
    slots: np.ndarray | None = None  # which of the row's mined negatives (0..k-1)

    def dataset_indices(self, k: int) -> np.ndarray:
        """Indices into the trainer's dataset: the row itself, or ``row * k + slot`` with ``k`` negatives."""
        return self.rows if self.slots is None else self.rows * k + self.slots


class _Pool:
    """Clusters eligible for one batch kind; each maps to its eligible groups (CSR: ``starts`` /
    ``counts`` into ``groups``)."""

    def __init__(self, eligible_groups: np.ndarray, cluster_of: np.ndarray):
        order = np.argsort(cluster_of[eligible_groups], kind="stable")
        self.groups = eligible_groups[order]
        clusters, self.starts, self.counts = np.unique(cluster_of[self.groups], return_index=True,
                                                        return_counts=True)
        self.size = len(clusters)


class _Stream:
    """A pool consumed from seeded permutations, reshuffled when used up."""

    def __init__(self, pool: _Pool):
        self.pool = pool
        self.perm = np.empty(0, dtype=np.int64)
        self.pos = 0

    def take(self, k: int, rng: np.random.Generator) -> np.ndarray:
        """k groups from k distinct clusters (k <= pool size)."""
        picked = self.perm[self.pos:self.pos + k]
        self.pos += len(picked)
        if len(picked) < k:
            fresh = rng.permutation(self.pool.size)
            if len(picked):  # keep this batch's clusters out of the refill
                clash = np.isin(fresh, picked)
                fresh = np.concatenate([fresh[~clash], fresh[clash]])
            need = k - len(picked)
            picked = np.concatenate([picked, fresh[:need]])
            self.perm, self.pos = fresh, need
        pool = self.pool
        offset = (rng.random(k) * pool.counts[picked]).astype(np.int64)
        return pool.groups[pool.starts[picked] + offset]


class BatchPlanner:
    """Plans the batches of each epoch (pure numpy; no torch)."""

    def __init__(self, pairs: TrainingPairs, batch_size: int, config: SamplingConfig, *, seed: int = 0,
                 world_size: int = 1, batches_per_epoch: int | None = None, allow_smaller: bool = False,
                 negatives: NegativeSlots | None = None):
        """``allow_smaller``: shrink the batch to what the smallest stream allows (validation
        plans) instead of raising. ``negatives``: mined negatives every row carries (None: none)."""
        config.validate()
        if negatives is not None:
            negatives.check_against(pairs)
        self.negatives = negatives
        if batch_size < 1:
            raise HybridbatchError(f"batch size {batch_size} must be >= 1")
        self.pairs, self.config, self.seed, self.world_size = pairs, config, int(seed), int(world_size)
        self.mono_p = config.mono_probability
        sizes = np.array([d.n_items for d in pairs.datasets], dtype=float)
        self.dataset_p = dataset_shares(pairs, config)
        self._dataset_cdf = np.cumsum(self.dataset_p)
        self.lang_p = [self._language_weights(d) for d in pairs.datasets]
        self._lang_cdf = [np.cumsum(p) for p in self.lang_p]
        self._pools: dict[tuple[int, int], _Pool] = {}
        smallest = min(self._stream_sizes(d)[0] for d in pairs.datasets)
        if allow_smaller:
            batch_size = max(1, min(batch_size, smallest // self.world_size))
            if batch_size < 2:
                raise HybridbatchError("validation split too small for even one batch of 2 rows without "
                                       "repeated groups; raise validation_fraction or set it to 0")
        self.batch_size = int(batch_size)
        self._check_sizes()
        per_epoch = batches_per_epoch or config.batches_per_epoch or int(sizes.sum()) // self.batch_size
        self.batches_per_epoch = max(self.world_size, per_epoch - per_epoch % self.world_size)

    @classmethod
    def for_training(cls, config: TrainConfig, pairs: TrainingPairs, world_size: int = 1,
                     negatives: NegativeSlots | None = None) -> BatchPlanner:
        """The training planner exactly as the trainer uses it (raises on too-small data)."""
        return cls(pairs, config.training.batch_size, config.sampling, seed=config.seed, world_size=world_size,
                   negatives=negatives)

    def __len__(self) -> int:
        return self.batches_per_epoch

    def plan(self, epoch: int) -> Iterator[PlannedBatch]:
        """The batches of ``epoch``, in order (global sequence, before sharding to ranks)."""
        rng = np.random.default_rng([self.seed, int(epoch)])
        # replacements of rows without a safe negative draw from their own generator, so that batch types,
        # languages and datasets follow the same sequence as without negatives
        replace_rng = np.random.default_rng([self.seed, int(epoch), 104723])
        streams: dict[tuple[int, int], _Stream] = {}
        step_rows = self.batch_size * self.world_size
        index = 0
        while index < self.batches_per_epoch:
            d = _draw(self._dataset_cdf, rng) if len(self.dataset_p) > 1 else 0
            ds = self.pairs.datasets[d]
            mono = ds.monolingual and (self.mono_p >= 1.0 or (self.mono_p > 0.0 and rng.random() < self.mono_p))
            lang = _draw(self._lang_cdf[d], rng) if mono else -1
            stream = streams.get((d, lang))
            if stream is None:
                stream = streams[(d, lang)] = _Stream(self._pool(d, lang))
            groups = stream.take(step_rows, rng)
            local = _rows(ds, groups, lang, rng)
            slots = negatives = None
            if self.negatives is not None:
                local, slots = self._with_negatives(d, ds, stream, groups, local, lang, replace_rng)
                chosen = self.negatives.per_dataset[d][ds.query_items(local), slots]
                negatives = chosen + self.pairs.item_offsets[d]
            rows = local + self.pairs.row_offsets[d]
            for w in range(self.world_size):
                part = slice(w * self.batch_size, (w + 1) * self.batch_size)
                yield PlannedBatch(int(epoch), index, ds.name, MONO if mono else XY,
                                   ds.languages[lang] if mono else None, rows[part],
                                   None if negatives is None else negatives[part],
                                   None if slots is None else slots[part])
                index += 1

    def _with_negatives(self, d: int, ds: PairSet, stream: _Stream, groups: np.ndarray, local: np.ndarray,
                        lang: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(rows, slot per row): every row's first negative outside the step's clusters; rows with none are
        replaced by the stream's next groups (of clusters not yet in the step) until every row has one."""
        slots_of = self.negatives.per_dataset[d]
        groups, local = groups.copy(), local.copy()
        for _ in range(100):
            slots = choose_slots(ds, slots_of, local, ds.cluster_of[groups])
            bad = np.flatnonzero(slots < 0)
            if not len(bad):
                return local, slots
            fresh = stream.take(len(bad), rng)
            fresh = fresh[~np.isin(ds.cluster_of[fresh], ds.cluster_of[groups])]
            replace = bad[:len(fresh)]
            groups[replace] = fresh[:len(replace)]
            local[replace] = _rows(ds, groups[replace], lang, rng)
        raise HybridbatchError(f"dataset {ds.name!r}: no batch of {len(groups)} rows whose mined negatives all lie "
                               "outside the batch's groups; mine more negatives per query (--per-query)",
                               path=self.negatives.source)

    def plan_sequence(self, n_batches: int, start_epoch: int = 0) -> Iterator[PlannedBatch]:
        """The first ``n_batches`` batches from ``start_epoch`` on, crossing epochs."""
        epoch, done = start_epoch, 0
        while done < n_batches:
            for batch in self.plan(epoch):
                if done == n_batches:
                    return
                yield batch
                done += 1
            epoch += 1

    # ---- setup ----
    def _language_weights(self, ds: PairSet) -> np.ndarray:
        sizes = np.bincount(ds.item_lang, minlength=len(ds.languages)).astype(float)
        if self.config.language_weighting == "uniform":
            w = np.ones_like(sizes)
        elif self.config.language_weighting == "size":
            w = sizes
        else:
            w = sizes ** self.config.smoothing_exponent
        return w / w.sum()

    def _needs_mono(self, ds: PairSet) -> bool:
        return self.mono_p > 0.0 and ds.monolingual

    def _needs_xy(self) -> bool:
        return self.mono_p < 1.0

    def _pool(self, d: int, lang: int) -> _Pool:
        """Clusters usable for mono batches in ``lang`` (``-1``: x-y batches) of dataset ``d``."""
        pool = self._pools.get((d, lang))
        if pool is None:
            ds = self.pairs.datasets[d]
            present = ds.lang_item >= 0
            eligible = present[:, lang] if lang >= 0 else present.sum(axis=1) >= 2
            pool = self._pools[(d, lang)] = _Pool(np.nonzero(eligible)[0], ds.cluster_of)
        return pool

    def _stream_sizes(self, ds: PairSet) -> tuple[int, list[tuple[str, int]]]:
        """(smallest needed pool, [(label, clusters)] for every needed pool)."""
        d = self.pairs.datasets.index(ds)
        out = []
        if self._needs_mono(ds):
            out += [(f"language {lang!r}", self._pool(d, i).size) for i, lang in enumerate(ds.languages)]
        if self._needs_xy() or not ds.monolingual:
            out.append(("x-y (groups with 2+ languages)", self._pool(d, -1).size))
        return min(n for _, n in out), out

    def _check_sizes(self) -> None:
        need = self.batch_size * self.world_size
        for ds in self.pairs.datasets:
            _, streams = self._stream_sizes(ds)
            for label, n in streams:
                if n < need:
                    ranks = f" x {self.world_size} ranks" if self.world_size > 1 else ""
                    raise HybridbatchError(
                        f"dataset {ds.name!r}, {label}: {n} groups without shared passages, too few for "
                        f"one batch of {self.batch_size}{ranks} rows without repeated groups")


def _rows(ds: PairSet, groups: np.ndarray, lang: int, rng: np.random.Generator) -> np.ndarray:
    """Local rows of ``groups``: (X, X) for a mono batch in ``lang``, else a random ordered pair X != Y each."""
    if lang >= 0:
        return ds.row_index(groups, lang, lang)
    x, y = _two_languages(ds.lang_item[groups] >= 0, rng)
    return ds.row_index(groups, x, y)


def dataset_shares(pairs: TrainingPairs, config: SamplingConfig) -> np.ndarray:
    """Probability that a batch comes from each dataset: the datasets' ``weight`` when given (all or none),
    else proportional to their items (``dataset_weighting: size``) or equal (``uniform``)."""
    given = [d.weight for d in pairs.datasets]
    if any(w is not None for w in given):
        if any(w is None for w in given):
            raise HybridbatchError("give a weight to every training dataset or to none")
        weights = np.array(given, dtype=float)
        if weights.sum() <= 0:
            raise HybridbatchError("the training datasets' weights add up to 0")
    elif config.dataset_weighting == "size":
        weights = np.array([d.n_items for d in pairs.datasets], dtype=float)
    else:
        weights = np.ones(len(pairs.datasets))
    return weights / weights.sum()


def batch_mix(pairs: TrainingPairs, config: SamplingConfig) -> dict[str, dict[str, float]]:
    """Expected share of each dataset's batches and of its X-X-mono batches, per dataset: a batch's dataset is
    drawn by :func:`dataset_shares`; within a dataset with monolingual rows the batch is X-X-mono with
    probability alpha (1 for x-x-mono, 0 for x-y); a dataset without them (bitext) gives X-Y batches only. The
    overall X-X-mono share is therefore alpha x the summed shares of the datasets that have monolingual rows."""
    shares = dataset_shares(pairs, config)
    mono = config.mono_probability
    return {d.name: {"batches": float(s), "x-x-mono": float(s * mono) if d.monolingual else 0.0}
            for d, s in zip(pairs.datasets, shares)}


def _draw(cdf: np.ndarray, rng: np.random.Generator) -> int:
    """An index drawn with the probabilities whose cumulative sums are ``cdf``."""
    return min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(cdf) - 1)


def _two_languages(present: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per row, an ordered pair X != Y drawn uniformly among the languages marked present."""
    keys = rng.random(present.shape)
    keys[~present] = -1.0
    rows = np.arange(len(present))
    x = keys.argmax(axis=1)
    keys[rows, x] = -1.0
    return x, keys.argmax(axis=1)


def plan_record(pairs: TrainingPairs, batch: PlannedBatch) -> dict:
    """The JSON-able description of a planned batch (one line of ``--plan-out``); with mined negatives each
    row also names its negative's group and language."""
    rows = [pairs.describe(int(r)) for r in batch.rows]
    if batch.negatives is not None:
        for row, item in zip(rows, batch.negatives):
            row["negative"] = pairs.describe_item(int(item))
    return {"epoch": batch.epoch, "index": batch.index, "batch_type": batch.batch_type, "dataset": batch.dataset,
            "language": batch.language, "rows": rows}


@dataclass(frozen=True)
class CollisionStats:
    """How often uniform random batching puts two rows of one group (or cluster) in a batch."""

    batches: int
    batch_size: int
    batches_with_group_repeat: int
    batches_with_cluster_repeat: int
    mean_rows_in_repeated_groups: float  # rows per batch whose group appears more than once

    @property
    def group_repeat_rate(self) -> float:
        return self.batches_with_group_repeat / max(self.batches, 1)

    @property
    def cluster_repeat_rate(self) -> float:
        return self.batches_with_cluster_repeat / max(self.batches, 1)


def random_batching_collisions(pairs: TrainingPairs, batch_size: int, *, epochs: int = 10,
                               seed: int = 0) -> CollisionStats:
    """Simulate sentence-transformers' default sampler (shuffle all rows, cut into batches, drop
    the last partial one) for ``epochs`` epochs and count batches holding a repeated group."""
    rng = np.random.default_rng(seed)
    group_key = np.concatenate([d.row_group + 1_000_000 * i for i, d in enumerate(pairs.datasets)])
    cluster_key = np.concatenate([d.cluster_of[d.row_group] + 1_000_000 * i for i, d in enumerate(pairs.datasets)])
    n_full = pairs.n_rows // batch_size
    batches = group_hits = cluster_hits = 0
    rows_repeated = 0
    for _ in range(epochs):
        perm = rng.permutation(pairs.n_rows)[:n_full * batch_size].reshape(n_full, batch_size)
        for keys, counter in ((group_key, "g"), (cluster_key, "c")):
            k = np.sort(keys[perm], axis=1)
            dup = k[:, 1:] == k[:, :-1]
            hit = dup.any(axis=1)
            if counter == "g":
                group_hits += int(hit.sum())
                in_repeat = np.zeros_like(k, dtype=bool)
                in_repeat[:, 1:] |= dup
                in_repeat[:, :-1] |= dup
                rows_repeated += int(in_repeat.sum())
            else:
                cluster_hits += int(hit.sum())
        batches += n_full
    return CollisionStats(batches, batch_size, group_hits, cluster_hits, rows_repeated / max(batches, 1))
