"""Training items as an Arrow table, converted once and memory-mapped from a cache folder.

One row per (parallel group, language) item; columns ``group``, ``lang``, ``query``, ``passage``,
``context`` and ``negative`` (both nullable), ``record`` (the source line or row number, for error
messages) and ``query_key`` / ``passage_key`` (:func:`hybridbatch.data.clusters.text_keys` of the query and
the passage sentence: clustering and leakage checks compare these, never the strings).

Sources: JSONL (one object per line, the format of :mod:`hybridbatch.data.training_pairs`), Parquet, and a
Hugging Face ``datasets`` folder (``save_to_disk``) with the same columns. :func:`open_items` converts a
source in one streaming pass (a labelled progress bar, batches of :data:`BATCH` rows, errors naming the file
and the line or row) into ``<cache>/items/<key>.arrow``, keyed by the source's bytes and the converter
version, and memory-maps it: a second run opens it in well under a second, and its texts cost page cache,
not heap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import xxhash

from hybridbatch import settings
from hybridbatch.data.clusters import text_keys
from hybridbatch.errors import HybridbatchError

CONVERTER_VERSION = 1
BATCH = 20_000
TEXT_FIELDS = ("group", "lang", "query", "passage", "context", "negative")
REQUIRED = ("group", "lang", "query", "passage")
SCHEMA = pa.schema([("group", pa.string()), ("lang", pa.string()), ("query", pa.string()),
                    ("passage", pa.string()), ("context", pa.string()), ("negative", pa.string()),
                    ("record", pa.int64()), ("query_key", pa.uint64()), ("passage_key", pa.uint64())])


def table_from_columns(columns: dict[str, list], records: Sequence[int]) -> pa.Table:
    """An in-memory item table from checked Python columns (``TEXT_FIELDS``; optional ones may be None)."""
    return pa.Table.from_batches([_batch(columns, records)], schema=SCHEMA)


def open_items(path: Path, fmt: str = "auto") -> pa.Table:
    """The memory-mapped item table of ``path`` (``fmt``: auto | jsonl | parquet | datasets), converted into
    the cache on first use."""
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if not path.exists():
        raise HybridbatchError("cannot read training file (No such file or directory)", path=path)
    target = settings.cache_dir() / "items" / f"{source_key(path, fmt)}.arrow"
    if not target.is_file():
        _convert(path, fmt, target)
    return pa.ipc.open_file(pa.memory_map(str(target), "r")).read_all()


def detect_format(path: Path) -> str:
    """jsonl (``.jsonl``/``.json``), parquet (``.parquet``) or datasets (a folder)."""
    if path.is_dir():
        return "datasets"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise HybridbatchError("cannot tell the format of this training file (expected .jsonl, .parquet or a "
                           "datasets folder)", path=path)


def source_key(path: Path, fmt: str) -> str:
    """Hex key of the source's bytes (every file of a folder, in name order), its format and the converter."""
    digest = xxhash.xxh3_128()
    digest.update(f"{fmt}:{CONVERTER_VERSION}".encode())
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        try:
            with open(file, "rb") as handle:
                while chunk := handle.read(1 << 24):
                    digest.update(chunk)
        except OSError as exc:
            raise HybridbatchError(f"cannot read training file ({exc.strerror})", path=file) from None
    return digest.hexdigest()


def _convert(path: Path, fmt: str, target: Path) -> None:
    batches = {"jsonl": _jsonl_batches, "parquet": _parquet_batches, "datasets": _datasets_batches}.get(fmt)
    if batches is None:
        raise HybridbatchError(f"unknown training data format {fmt!r} (jsonl | parquet | datasets)", path=path)
    from tqdm.auto import tqdm

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    n = 0
    try:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as writer, \
                tqdm(desc=f"converting {path.name} to Arrow (items)", unit=" items", unit_scale=True,
                     disable=None) as bar:
            for batch in batches(path):
                writer.write_batch(batch)
                n += batch.num_rows
                bar.update(batch.num_rows)
        if n == 0:
            raise HybridbatchError("no items", path=path)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _batch(columns: dict[str, list], records: Sequence[int]) -> pa.RecordBatch:
    arrays = [pa.array(columns.get(f, [None] * len(records)), type=pa.string()) for f in TEXT_FIELDS]
    arrays.append(pa.array(np.asarray(records, dtype=np.int64)))
    arrays.append(pa.array(text_keys(columns["query"])))
    arrays.append(pa.array(text_keys(columns["passage"])))
    return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)


def check_value(key: str, value, path: Path, record: str) -> str | None:
    """A field value as stored: stripped non-empty string (an int group becomes its decimal string); None
    for an absent optional field; anything else is a one-line error naming ``path`` and ``record``."""
    if value is None and key not in REQUIRED:
        return None
    if key == "group" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise HybridbatchError(f"'{key}' should be a non-empty string", path=path, record=record)
    return value.strip()


def _jsonl_batches(path: Path) -> Iterator[pa.RecordBatch]:
    columns: dict[str, list] = {f: [] for f in TEXT_FIELDS}
    records: list[int] = []
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise HybridbatchError(f"cannot read training file ({exc.strerror})", path=path) from None
    with handle:
        try:
            for n, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                for key, value in _parse_line(line, path, n).items():
                    columns[key].append(value)
                records.append(n)
                if len(records) == BATCH:
                    yield _batch(columns, records)
                    columns, records = {f: [] for f in TEXT_FIELDS}, []
        except UnicodeDecodeError as exc:
            raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    if records:
        yield _batch(columns, records)


def _parse_line(line: str, path: Path, n: int) -> dict[str, str | None]:
    record = f"line {n}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise HybridbatchError(f"malformed JSON: {exc.msg}", path=path, record=record) from None
    if not isinstance(obj, dict):
        raise HybridbatchError("expected a JSON object", path=path, record=record)
    unknown = set(obj) - set(TEXT_FIELDS)
    if unknown:
        raise HybridbatchError(f"unknown field(s) {', '.join(sorted(unknown))}", path=path, record=record)
    return {key: check_value(key, obj.get(key), path, record) for key in TEXT_FIELDS}


def _table_batches(batches: Iterator[pa.RecordBatch], path: Path) -> Iterator[pa.RecordBatch]:
    """Rows of Arrow record batches (Parquet, datasets) checked like JSONL lines; records count rows from 1."""
    start = 0
    for batch in batches:
        names = set(batch.schema.names)
        unknown = names - set(TEXT_FIELDS)
        if unknown:
            raise HybridbatchError(f"unknown column(s) {', '.join(sorted(unknown))}", path=path)
        missing = [f for f in REQUIRED if f not in names]
        if missing:
            raise HybridbatchError(f"missing column(s) {', '.join(missing)}", path=path)
        raw = {f: batch.column(f).to_pylist() for f in TEXT_FIELDS if f in names}
        columns: dict[str, list] = {f: [] for f in TEXT_FIELDS}
        for i in range(batch.num_rows):
            record = f"row {start + i + 1}"
            for f in TEXT_FIELDS:
                columns[f].append(check_value(f, raw[f][i] if f in raw else None, path, record))
        yield _batch(columns, range(start + 1, start + batch.num_rows + 1))
        start += batch.num_rows


def _parquet_batches(path: Path) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(str(path))
    except (OSError, pa.ArrowInvalid) as exc:
        raise HybridbatchError(f"not a readable Parquet file ({exc})", path=path) from None
    yield from _table_batches(source.iter_batches(batch_size=BATCH), path)


def _datasets_batches(path: Path) -> Iterator[pa.RecordBatch]:
    from datasets import load_from_disk

    try:
        ds = load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise HybridbatchError(f"not a datasets folder written by save_to_disk ({exc})", path=path) from None
    if not hasattr(ds, "data"):
        raise HybridbatchError("a DatasetDict: give the folder of one split", path=path)
    yield from _table_batches(iter(ds.data.to_batches(max_chunksize=BATCH)), path)
