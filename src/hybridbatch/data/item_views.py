"""Read-only sequences over an Arrow item table: the items of a :class:`~hybridbatch.data.training_pairs.PairSet`
and its group ids, materialised per access (no Python object per item is kept)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hybridbatch.data.item_table import TEXT_FIELDS

_CHUNK = 8192


@dataclass(frozen=True)
class Item:
    """One (group, language) training item."""

    group: str
    lang: str
    query: str
    passage: str
    context: str | None = None
    negative: str | None = None


class ItemView(Sequence):
    """The items of a :class:`PairSet`, read from its table on access (``Item`` objects are made per call)."""

    def __init__(self, table: pa.Table, positions: np.ndarray, negatives: bool):
        self._table, self._positions, self._negatives = table, positions, negatives

    def __len__(self) -> int:
        return len(self._positions)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self._items(self._positions[index]))
        return next(self._items(self._positions[[int(index)]]))

    def __iter__(self) -> Iterator[Item]:
        for start in range(0, len(self._positions), _CHUNK):
            yield from self._items(self._positions[start:start + _CHUNK])

    def _items(self, positions: np.ndarray) -> Iterator[Item]:
        part = self._table.take(pa.array(positions, type=pa.int64()))
        cols = [part.column(f).to_pylist() for f in TEXT_FIELDS]
        if not self._negatives:
            cols[-1] = [None] * len(positions)
        for values in zip(*cols):
            yield Item(*values)


class GroupNames(Sequence):
    """Group ids of a :class:`PairSet` in group-number order, backed by an Arrow string array."""

    def __init__(self, names: pa.Array):
        self._names = names

    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._names[index].to_pylist()
        return self._names[int(index)].as_py()

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self._names), _CHUNK):
            yield from self._names[start:start + _CHUNK].to_pylist()

    def __contains__(self, value) -> bool:
        return pc.index(self._names, value).as_py() >= 0

    def index(self, value, start: int = 0, stop: int | None = None) -> int:
        i = pc.index(self._names, value, start=start, end=stop).as_py()
        if i < 0:
            raise ValueError(f"{value!r} is not a group")
        return i

    def take(self, indices: np.ndarray) -> GroupNames:
        return GroupNames(self._names.take(pa.array(indices, type=pa.int64())))

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"GroupNames({len(self)})"
