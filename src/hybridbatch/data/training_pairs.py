"""Training rows for hybrid batches: (group, query_lang, query, passage_lang, passage[, negative]).

A training dataset is a set of *items*, one per (parallel group, language): the question in that
language, its answer passage in that language and optionally a hard negative. A *row* pairs the
query of item (g, X) with the passage (and negative) of item (g, Y); X = Y gives a monolingual row.

Items live in an Arrow table (:mod:`hybridbatch.data.item_table`: memory-mapped for files, in memory for
small lists); a :class:`PairSet` holds only integer arrays over it (item -> table row, group, language;
group x language -> item; group -> conflict cluster) and reads texts when asked, so its memory per item is a
few dozen bytes whatever the texts' length. Rows are numbered, not stored: for each group in order, every
ordered (X, Y) of its languages in language order (X = Y included); :meth:`PairSet.row_index` and
:meth:`PairSet.decode_rows` convert between the two.

Sources:

* a LAReQA-style :class:`~hybridbatch.data.benchmark.Benchmark` (:func:`hybridbatch.data.benchmark_pairs.pairs_from_benchmark`):
  group = question id, passage = the answer-bearing sentence (optionally ``"sentence context"``,
  joined with one space as the evaluation does);
* JSONL, Parquet or a ``datasets`` folder (:func:`hybridbatch.data.pairs_files.read_pairs_file`), one record per (group, lang) item::

      {"group": "q17", "lang": "de", "query": "...", "passage": "...",
       "context": "optional paragraph", "negative": "optional hard negative in this language"}

* line-parallel bitext (:mod:`hybridbatch.data.bitext`): a sentence and its translations form a group; such
  a dataset has no useful monolingual rows (``monolingual`` is False).

Groups that share a passage or a query text (after :func:`normalize_text`) in any language are put
in one *conflict cluster* (:mod:`hybridbatch.data.clusters`): in LAReQA several questions often share one
answer sentence (more than half of XQuAD-R's), and two such rows in one batch would make a false negative.
The sampler never puts two rows of one cluster in a batch, and the validation split never cuts a cluster.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hybridbatch.data.benchmark import with_context
from hybridbatch.data.clusters import components, normalize_text
from hybridbatch.data.item_table import TEXT_FIELDS, table_from_columns
from hybridbatch.data.item_views import GroupNames, Item, ItemView
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages

__all__ = ["Item", "PairSet", "Row", "TrainingPairs", "normalize_text"]



@dataclass(frozen=True)
class Row:
    """One training row; ``passage`` already includes the context when the dataset uses it."""

    group: str
    query_lang: str
    query: str
    passage_lang: str
    passage: str
    negative: str | None = None


class PairSet:
    """One training dataset: items (rows of an Arrow table), their groups and languages, and the rows and
    conflict clusters derived from them.

    Integer attributes (numpy): ``item_group[i]``, ``item_lang[i]``; ``lang_item[g, l]`` item index or -1;
    ``cluster_of[g]``; ``row_start[g]`` the first row of group g. ``monolingual``: whether X = X rows teach
    anything (False for bitext: the sampler draws no X-X-mono batch from it); ``weight``: the dataset's
    share in a mix when weights are given (see :class:`~hybridbatch.training.planner.BatchPlanner`).
    """

    def __init__(self, name: str, items: Sequence[Item], *, with_context: bool = False, source: str = "",
                 monolingual: bool = True, weight: float | None = None):
        items = list(items)
        if not items:
            raise HybridbatchError("training dataset has no items", path=source or name)
        table = table_from_columns({f: [getattr(it, f) for it in items] for f in TEXT_FIELDS}, range(len(items)))
        self._init(name, table, np.arange(len(items), dtype=np.int64), with_context=with_context,
                   source=source or name, record_label="item", monolingual=monolingual, weight=weight)

    @classmethod
    def from_table(cls, name: str, table: pa.Table, *, languages: Sequence[str] | None = None,
                   exclude: Sequence[str] | None = None, with_context: bool = False, source: str = "", record_label: str = "line",
                   monolingual: bool = True, weight: float | None = None, negatives: bool = True) -> PairSet:
        """The items of ``table`` (:mod:`hybridbatch.data.item_table` columns) in ``languages`` (default all, less
        ``exclude``);
        errors name ``source`` and the ``record`` column as ``"<record_label> <n>"``. ``negatives`` False
        ignores a ``negative`` column."""
        where = source or name
        langs_col = table.column("lang")
        available = pc.unique(langs_col).to_pylist()
        if exclude is not None:
            select_languages(exclude, available, where)
            languages = [lang for lang in sorted(available) if lang not in set(exclude)]
        langs = select_languages(languages, available, where)
        if len(langs) == len(available):
            positions = np.arange(table.num_rows, dtype=np.int64)
        else:
            mask = pc.is_in(langs_col, value_set=pa.array(langs, type=pa.string()))
            positions = np.flatnonzero(mask.to_numpy(zero_copy_only=False)).astype(np.int64)
        self = cls.__new__(cls)
        self._init(name, table, positions, with_context=with_context, source=where, record_label=record_label,
                   monolingual=monolingual, weight=weight, negatives=negatives)
        return self

    def _init(self, name: str, table: pa.Table, positions: np.ndarray, *, with_context: bool, source: str,
              record_label: str, monolingual: bool, weight: float | None, negatives: bool = True) -> None:
        self.name, self.with_context, self.source = name, with_context, source
        self.monolingual, self.weight = monolingual, weight
        self._table, self.positions, self._record_label = table, positions, record_label
        if not len(positions):
            raise HybridbatchError("training dataset has no items", path=source)
        negative = self._column("negative")
        self._negatives = negatives and negative.null_count == 0
        self._some_negatives = negatives and negative.null_count < len(negative)
        group = self._column("group").combine_chunks().dictionary_encode()
        self.item_group = group.indices.to_numpy(zero_copy_only=False).astype(np.int32)  # int32: memory per item
        self.groups = GroupNames(group.dictionary)
        lang = self._column("lang").combine_chunks().dictionary_encode()
        seen = lang.dictionary.to_pylist()
        self.languages = sorted(seen)
        remap = np.array([self.languages.index(code) for code in seen], dtype=np.int16)
        self.item_lang = remap[lang.indices.to_numpy(zero_copy_only=False)]
        self._index_items()
        self.cluster_of = components(len(self.groups), self.item_group, self.keys("passage_key"),
                                     self.keys("query_key"))

    def _column(self, field: str) -> pa.ChunkedArray:
        column = self._table.column(field)
        if len(self.positions) == self._table.num_rows and self.positions[-1] == len(self.positions) - 1:
            return column  # every row, in order
        return column.take(pa.array(self.positions, type=pa.int64()))

    def _index_items(self) -> None:
        n_langs = len(self.languages)
        key = self.item_group.astype(np.int64) * n_langs + self.item_lang
        order = np.argsort(key, kind="stable")
        repeat = order[1:][key[order][1:] == key[order][:-1]]
        if len(repeat):
            i = int(repeat.min())
            raise HybridbatchError(f"two items for group {self.groups[self.item_group[i]]!r} in language "
                                   f"{self.languages[self.item_lang[i]]!r}", path=self.source,
                                   record=self.record_of(i))
        self.lang_item = np.full((len(self.groups), n_langs), -1, dtype=np.int32)
        self.lang_item[self.item_group, self.item_lang] = np.arange(len(key))
        present = self.lang_item >= 0
        self._n_langs = present.sum(axis=1)
        self.row_start = np.concatenate([[0], np.cumsum(self._n_langs ** 2)]).astype(np.int64)

    def record_of(self, item: int) -> str:
        """Where item ``item`` came from, as error messages name it (``line 17``)."""
        return f"{self._record_label} {self._table.column('record')[int(self.positions[item])].as_py()}"

    # ---- items and texts ----
    @property
    def items(self) -> ItemView:
        return ItemView(self._table, self.positions, self._negatives)

    @property
    def n_items(self) -> int:
        return len(self.positions)

    @property
    def has_negatives(self) -> bool:
        return self._negatives

    @property
    def mixed_negatives(self) -> bool:
        """Some items have a negative and some do not."""
        return self._some_negatives and not self._negatives

    @property
    def n_clusters(self) -> int:
        return int(self.cluster_of.max()) + 1

    @property
    def n_rows(self) -> int:
        return int(self.row_start[-1])

    def texts(self, field: str, items: np.ndarray) -> list[str | None]:
        """Column ``field`` of the given items; ``passage`` includes the context when the dataset uses it."""
        part = self._table.take(pa.array(self.positions[np.asarray(items, dtype=np.int64)], type=pa.int64()))
        values = part.column(field).to_pylist()
        if field == "passage" and self.with_context:
            return [with_context(p, c) for p, c in zip(values, part.column("context").to_pylist())]
        if field == "negative" and not self._negatives:
            return [None] * len(values)
        return values

    def raw_column(self, field: str) -> pa.ChunkedArray:
        """Column ``field`` of the items, in item order, as stored."""
        return self._column(field)

    def keys(self, field: str) -> np.ndarray:
        """``query_key`` or ``passage_key`` of every item (:func:`hybridbatch.data.clusters.text_keys`)."""
        return self._column(field).to_numpy()

    def passage_text(self, item: Item) -> str:
        """The passage as trained on: the sentence, or ``"sentence context"`` with context."""
        return with_context(item.passage, item.context) if self.with_context else item.passage

    def language_sizes(self) -> dict[str, int]:
        """Number of items (= groups) per language."""
        counts = np.bincount(self.item_lang, minlength=len(self.languages))
        return {lang: int(n) for lang, n in zip(self.languages, counts)}

    # ---- rows ----
    def row_index(self, groups: np.ndarray, x: np.ndarray | int, y: np.ndarray | int) -> np.ndarray:
        """Row numbers of (group, query language, passage language) triples; -1 where a language is missing."""
        groups = np.asarray(groups, dtype=np.int64)
        x = np.broadcast_to(np.asarray(x, dtype=np.int64), groups.shape)
        y = np.broadcast_to(np.asarray(y, dtype=np.int64), groups.shape)
        present = self.lang_item[groups] >= 0
        rank = np.cumsum(present, axis=1) - 1
        at = np.arange(len(groups))
        ok = present[at, x] & present[at, y]
        rows = self.row_start[groups] + rank[at, x] * self._n_langs[groups] + rank[at, y]
        return np.where(ok, rows, -1)

    def decode_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(group, query language, passage language) of each row number."""
        rows = np.asarray(rows, dtype=np.int64)
        g = np.searchsorted(self.row_start, rows, side="right") - 1
        offset = rows - self.row_start[g]
        n = self._n_langs[g]
        nth = np.cumsum(self.lang_item[g] >= 0, axis=1)
        x = (nth <= (offset // n)[:, None]).sum(axis=1)
        y = (nth <= (offset % n)[:, None]).sum(axis=1)
        return g, x, y

    def query_items(self, rows: np.ndarray) -> np.ndarray:
        g, x, _ = self.decode_rows(rows)
        return self.lang_item[g, x]

    def passage_items(self, rows: np.ndarray) -> np.ndarray:
        g, _, y = self.decode_rows(rows)
        return self.lang_item[g, y]

    @cached_property
    def _all_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.decode_rows(np.arange(self.n_rows))

    @property
    def row_group(self) -> np.ndarray:
        """Group of every row (materialised on first use: for small datasets and tests)."""
        return self._all_rows[0]

    @property
    def row_qlang(self) -> np.ndarray:
        return self._all_rows[1]

    @property
    def row_plang(self) -> np.ndarray:
        return self._all_rows[2]

    @property
    def row_query_item(self) -> np.ndarray:
        g, x, _ = self._all_rows
        return self.lang_item[g, x]

    @property
    def row_passage_item(self) -> np.ndarray:
        g, _, y = self._all_rows
        return self.lang_item[g, y]

    @property
    def row_of(self) -> np.ndarray:
        """``row_of[g, x, y]``: row number or -1 (a dense array: for small datasets and tests)."""
        n_groups, n_langs = self.lang_item.shape
        out = np.full((n_groups, n_langs, n_langs), -1, dtype=np.int64)
        g, x, y = self._all_rows
        out[g, x, y] = np.arange(self.n_rows)
        return out

    def rows(self) -> Iterator[Row]:
        """Every row: for each group, every ordered (X, Y) of its languages (X = Y included)."""
        for r in range(self.n_rows):
            yield self.row(r)

    def row(self, r: int) -> Row:
        q_item, p_item = int(self.query_items([r])[0]), int(self.passage_items([r])[0])
        q, p = self.items[q_item], self.items[p_item]
        return Row(q.group, q.lang, q.query, p.lang, self.passage_text(p), p.negative)

    # ---- subsets ----
    def subset_groups(self, keep: np.ndarray, name: str | None = None) -> PairSet:
        """A new PairSet over the same table holding the items of the groups where ``keep[g]`` is true."""
        out = PairSet.__new__(PairSet)
        out._init(name or self.name, self._table, self.positions[np.asarray(keep)[self.item_group]],
                  with_context=self.with_context, source=self.source, record_label=self._record_label,
                  monolingual=self.monolingual, weight=self.weight, negatives=self._negatives)
        return out

    def without_negatives(self) -> PairSet:
        """The same items with their ``negative`` field ignored."""
        out = PairSet.__new__(PairSet)
        out.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_all_rows"})
        out._negatives = out._some_negatives = False
        return out

    def split(self, fraction: float, seed: int) -> tuple[PairSet, PairSet | None]:
        """(train, validation): whole conflict clusters (so whole groups) go to validation, drawn
        in a seeded random order until they hold ``fraction`` of the items. ``fraction`` 0 -> None."""
        if not 0.0 <= fraction < 1.0:
            raise HybridbatchError(f"validation fraction {fraction} outside [0, 1)")
        if fraction == 0.0:
            return self, None
        rng = np.random.default_rng([seed, 7919])
        items_per_cluster = np.bincount(self.cluster_of[self.item_group], minlength=self.n_clusters)
        order = rng.permutation(self.n_clusters)
        taken = np.cumsum(items_per_cluster[order])
        n_val = int(np.searchsorted(taken, fraction * self.n_items) + 1)
        n_val = min(n_val, self.n_clusters - 1)
        if n_val <= 0:
            raise HybridbatchError(f"dataset {self.name!r} has a single conflict cluster; cannot hold out "
                                   "a validation split (set validation_fraction: 0)")
        val_clusters = np.zeros(self.n_clusters, dtype=bool)
        val_clusters[order[:n_val]] = True
        in_val = val_clusters[self.cluster_of]
        return self.subset_groups(~in_val), self.subset_groups(in_val, f"{self.name}/validation")


class TrainingPairs:
    """Several training datasets behind one global row numbering (dataset after dataset) and one global item
    numbering (:attr:`item_offsets`)."""

    def __init__(self, datasets: Sequence[PairSet]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise HybridbatchError("no training datasets")
        names = [d.name for d in self.datasets]
        if len(set(names)) != len(names):
            raise HybridbatchError(f"training dataset names repeat: {names}")
        negs = {d.has_negatives for d in self.datasets}
        if len(negs) > 1:
            raise HybridbatchError("hard negatives must be given for every training dataset or for none")
        self.has_negatives = negs.pop()
        self.row_offsets = np.cumsum([0] + [d.n_rows for d in self.datasets])
        self.item_offsets = np.cumsum([0] + [d.n_items for d in self.datasets])

    @property
    def n_rows(self) -> int:
        return int(self.row_offsets[-1])

    @property
    def n_items(self) -> int:
        return int(self.item_offsets[-1])

    def locate(self, global_row: int) -> tuple[PairSet, int]:
        """(dataset, local row index) of a global row index."""
        d = int(np.searchsorted(self.row_offsets, global_row, side="right") - 1)
        return self.datasets[d], int(global_row - self.row_offsets[d])

    def describe(self, global_row: int) -> dict[str, str]:
        """``{query_lang, passage_lang, group}`` of a global row (for batch plans)."""
        ds, r = self.locate(global_row)
        g, x, y = ds.decode_rows(np.array([r]))
        return {"query_lang": ds.languages[int(x[0])], "passage_lang": ds.languages[int(y[0])],
                "group": ds.groups[int(g[0])]}

    def describe_item(self, global_item: int) -> dict[str, str]:
        """``{group, lang}`` of a global item index (items numbered dataset after dataset)."""
        d = int(np.searchsorted(self.item_offsets, global_item, side="right") - 1)
        ds, i = self.datasets[d], int(global_item - self.item_offsets[d])
        return {"group": ds.groups[int(ds.item_group[i])], "lang": ds.languages[int(ds.item_lang[i])]}

    def row_items(self, global_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(global query item, global passage item) of each global row."""
        global_rows = np.asarray(global_rows, dtype=np.int64)
        d = np.searchsorted(self.row_offsets, global_rows, side="right") - 1
        q = np.empty(len(global_rows), dtype=np.int64)
        p = np.empty(len(global_rows), dtype=np.int64)
        for k in np.unique(d):
            at = d == k
            local = global_rows[at] - self.row_offsets[k]
            q[at] = self.datasets[k].query_items(local) + self.item_offsets[k]
            p[at] = self.datasets[k].passage_items(local) + self.item_offsets[k]
        return q, p

    def texts(self, field: str, global_items: np.ndarray) -> list[str | None]:
        """Column ``field`` of global items (``passage`` with context where the dataset uses it)."""
        global_items = np.asarray(global_items, dtype=np.int64)
        d = np.searchsorted(self.item_offsets, global_items, side="right") - 1
        out: list[str | None] = [None] * len(global_items)
        for k in np.unique(d):
            at = np.flatnonzero(d == k)
            for i, text in zip(at, self.datasets[k].texts(field, global_items[at] - self.item_offsets[k])):
                out[i] = text
        return out

