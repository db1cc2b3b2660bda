"""Read a training-items file (JSONL, Parquet or a ``datasets`` folder; the format is in
:mod:`hybridbatch.data.training_pairs`) into a :class:`~hybridbatch.data.training_pairs.PairSet` through the
Arrow item cache."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hybridbatch.data.item_table import open_items
from hybridbatch.data.training_pairs import PairSet
from hybridbatch.errors import HybridbatchError


def read_pairs_file(path: Path, *, name: str | None = None, languages: Sequence[str] | None = None,
                    exclude: Sequence[str] | None = None, with_context: bool = False, fmt: str = "auto",
                    negatives: bool = True, weight: float | None = None) -> PairSet:
    """Items from a JSONL file, a Parquet file or a ``datasets`` folder (format in :mod:`hybridbatch.data.training_pairs`),
    converted once into the Arrow cache (:func:`hybridbatch.data.item_table.open_items`); errors name the
    file and line (row). ``negatives`` False ignores a ``negative`` field."""
    path = Path(path)
    table = open_items(path, fmt)
    label = "line" if fmt == "jsonl" or (fmt == "auto" and path.suffix.lower() in (".jsonl", ".json", ".ndjson")) \
        else "row"
    ps = PairSet.from_table(name or path.stem, table, languages=languages, exclude=exclude,
                            with_context=with_context, source=str(path), record_label=label, weight=weight,
                            negatives=negatives)
    if ps.mixed_negatives:
        raise HybridbatchError("some items have a 'negative' and some do not; give all or none", path=path)
    return ps


def read_pairs_jsonl(path: Path, *, name: str | None = None, languages: Sequence[str] | None = None,
                     with_context: bool = False) -> PairSet:
    """Items from a JSONL file (:func:`read_pairs_file`)."""
    return read_pairs_file(path, name=name, languages=languages, with_context=with_context, fmt="jsonl")
