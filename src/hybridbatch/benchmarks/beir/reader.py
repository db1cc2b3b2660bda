"""Read a retrieval benchmark in BEIR layout (e.g. MIRACL exported for BEIR).

Layout of ``folder``:

* ``corpus.jsonl`` (or ``corpus.jsonl.gz``): ``{"_id", "title", "text", "lang"?}`` per line.
  Candidate text = ``title + ". " + text`` when the title is non-empty, else ``text``.
* ``queries.jsonl`` (or ``.gz``): ``{"_id", "text", "lang"?}`` per line.
* ``qrels/<split>.tsv``: ``query-id corpus-id score`` (tab-separated, header optional); the 4-column
  TREC form ``query-id iteration corpus-id score`` is accepted too.

A missing ``lang`` is ``"und"``. Only queries that appear in the qrels are kept (also those whose
judgments are all 0). Each query is its own group. Order: languages sorted by code, then file order.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages

UNDETERMINED = "und"


def read_beir(folder: Path, split: str = "test", languages: list[str] | None = None) -> Benchmark:
    """Read ``folder`` (BEIR layout) for ``split``, restricted to ``languages`` (default: all).

    Raises HybridbatchError naming file and line for malformed JSON/TSV, missing fields, empty
    texts, duplicate ids, qrels naming unknown queries or documents, and missing files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise HybridbatchError("BEIR folder not found", path=folder)
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        splits = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
        raise HybridbatchError(f"file not found (available splits: {', '.join(splits) or 'none'})",
                               path=qrels_path)
    candidates = _read_corpus(_jsonl_path(folder, "corpus"))
    all_queries = _read_queries(_jsonl_path(folder, "queries"))
    qrels = _read_qrels(qrels_path, all_queries, {c.id for c in candidates})

    queries = [q for q in all_queries.values() if q.id in qrels]
    available = sorted({c.lang for c in candidates} | {q.lang for q in queries})
    langs = select_languages(languages, available, folder)
    keep = set(langs)
    queries = sorted((q for q in queries if q.lang in keep), key=lambda q: q.lang)
    candidates = sorted((c for c in candidates if c.lang in keep), key=lambda c: c.lang)
    if len(keep) < len(available):
        kept = {c.id for c in candidates}
        qrels = {q.id: {d: r for d, r in qrels[q.id].items() if d in kept} for q in queries}
    bench = Benchmark(f"{folder.name}-{split}", "beir", queries, candidates, qrels, langs, str(folder))
    bench.validate()
    return bench


def _jsonl_path(folder: Path, stem: str) -> Path:
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz"):
        if (folder / name).is_file():
            return folder / name
    raise HybridbatchError("file not found", path=folder / f"{stem}.jsonl")


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise HybridbatchError(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path,
                                           record=f"line {n}") from None
                if not isinstance(obj, dict):
                    raise HybridbatchError("expected a JSON object", path=path, record=f"line {n}")
                yield n, obj
    except UnicodeDecodeError as exc:
        raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    except (OSError, EOFError) as exc:  # unreadable or truncated gzip
        raise HybridbatchError(f"cannot read: {exc}", path=path) from None


def _string(obj: dict[str, Any], key: str, path: Path, record: str, default: str | None = None) -> str:
    value = obj.get(key)
    if value is None and default is not None:
        return default
    if value is None:
        raise HybridbatchError(f"missing '{key}'", path=path, record=record)
    if isinstance(value, int) and not isinstance(value, bool) and key == "_id":
        value = str(value)
    if not isinstance(value, str):
        raise HybridbatchError(f"'{key}' should be a string, got {type(value).__name__}", path=path,
                               record=record)
    return value


def _read_corpus(path: Path) -> list[Candidate]:
    out: list[Candidate] = []
    seen: dict[str, int] = {}
    for n, obj in _records(path):
        record = f"line {n}"
        doc_id = _string(obj, "_id", path, record)
        record = f"line {n} document {doc_id!r}"
        title = _string(obj, "title", path, record, default="").strip()
        text = _string(obj, "text", path, record).strip()
        lang = _string(obj, "lang", path, record, default=UNDETERMINED).strip() or UNDETERMINED
        if doc_id in seen:
            raise HybridbatchError(f"duplicate document id (first on line {seen[doc_id]})", path=path,
                                   record=record)
        seen[doc_id] = n
        full = f"{title}. {text}" if title and text else title or text
        if not full:
            raise HybridbatchError("empty document text", path=path, record=record)
        out.append(Candidate(doc_id, lang, full))
    return out


def _read_queries(path: Path) -> dict[str, Query]:
    out: dict[str, Query] = {}
    lines: dict[str, int] = {}
    for n, obj in _records(path):
        qid = _string(obj, "_id", path, f"line {n}")
        record = f"line {n} query {qid!r}"
        text = _string(obj, "text", path, record).strip()
        lang = _string(obj, "lang", path, record, default=UNDETERMINED).strip() or UNDETERMINED
        if qid in out:
            raise HybridbatchError(f"duplicate query id (first on line {lines[qid]})", path=path,
                                   record=record)
        if not text:
            raise HybridbatchError("empty query text", path=path, record=record)
        lines[qid] = n
        out[qid] = Query(qid, lang, qid, text)
    return out


def _read_qrels(path: Path, queries: dict[str, Query], doc_ids: set[str]) -> dict[str, dict[str, int]]:
    try:
        return _parse_qrels(path, queries, doc_ids)
    except UnicodeDecodeError as exc:
        raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=path) from None


def _parse_qrels(path: Path, queries: dict[str, Query], doc_ids: set[str]) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t") if "\t" in line else line.split()
            if n == 1 and fields[0].strip().lower() in ("query-id", "query_id", "qid"):
                continue  # header
            record = f"line {n}"
            if len(fields) == 4:  # TREC: qid iteration docid rel
                fields = [fields[0], fields[2], fields[3]]
            if len(fields) != 3:
                raise HybridbatchError(f"expected 3 tab-separated fields, got {len(fields)}", path=path,
                                       record=record)
            qid, doc_id, raw = (f.strip() for f in fields)
            try:
                score = float(raw)
            except ValueError:
                score = math.nan
            if not math.isfinite(score) or score != int(score):
                raise HybridbatchError(f"score {raw!r} is not an integer", path=path, record=record)
            if qid not in queries:
                raise HybridbatchError(f"unknown query {qid!r} (not in queries.jsonl)", path=path,
                                       record=record)
            if doc_id not in doc_ids:
                raise HybridbatchError(f"unknown document {doc_id!r} (not in the corpus)", path=path,
                                       record=record)
            judged = qrels.setdefault(qid, {})
            if judged.get(doc_id, int(score)) != int(score):
                raise HybridbatchError(f"conflicting scores for query {qid!r} document {doc_id!r}",
                                       path=path, record=record)
            judged[doc_id] = int(score)
    return qrels
