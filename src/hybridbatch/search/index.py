"""A search index on disk: FAISS vectors, an SQLite table of the documents, and a manifest.

Layout of an index folder::

    manifest.json      format, the model's identity and prompts, index kind and parameters, corpora
                       (spec, sha256, documents), counts per language, versions, times
    vectors.faiss      inner-product FAISS index; row i is document position i
    documents.sqlite   table docs(pos, id, lang, title, text, fields)

Kinds (``IndexSettings.kind``): ``exact`` (IndexFlatIP, default), ``ivf`` (IndexIVFFlat: ``nlist`` k-means
cells, ``nprobe`` visited per query; k-means on the first corpus, at most 64 points per cell), ``hnsw``
(IndexHNSWFlat: ``hnsw_m`` links per node, ``ef_construction``, ``ef_search``). Vectors are L2-normalised, so inner product = cosine.
Every write goes to a temporary sibling folder that replaces the index only when complete.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from hybridbatch.config import check_fields, setting
from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import versions
from hybridbatch.search.corpus import Document

IndexKind = Literal["exact", "ivf", "hnsw"]
FORMAT = 1
MANIFEST, VECTORS, DOCUMENTS = "manifest.json", "vectors.faiss", "documents.sqlite"


@dataclass
class IndexSettings:
    """FAISS index kind and its parameters (see the module docstring); 0 means "chosen from the size".
    ``hybridbatch index`` derives its flags from these fields."""

    kind: IndexKind = setting("exact", help="exact inner product, ivf (k-means cells) or hnsw (graph) "
                              "for large corpora")
    nlist: int = setting(0, ge=0, help="ivf: number of cells; 0: 4·sqrt(n), at most n/39 (FAISS "
                         "wants ≥ 39 training points per cell)")
    nprobe: int = setting(32, ge=1, help="ivf: cells visited per query")
    hnsw_m: int = setting(32, ge=1, help="hnsw: links per node")
    ef_construction: int = setting(80, ge=1, help="hnsw: build beam")
    ef_search: int = setting(64, ge=1, help="hnsw: search beam")

    def validate(self) -> None:
        """Every field against its type and range; raises :class:`HybridbatchError` naming the field."""
        check_fields(self)


def build_faiss(vectors: np.ndarray, settings: IndexSettings):
    """A FAISS inner-product index of ``settings.kind`` holding ``vectors`` (rows in order)."""
    import faiss

    n, dim = vectors.shape
    if settings.kind == "exact":
        index = faiss.IndexFlatIP(dim)
    elif settings.kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.ef_construction
        index.hnsw.efSearch = settings.ef_search
    else:
        nlist = settings.nlist or max(1, min(int(4 * math.sqrt(n)), n // 39))
        if n < nlist:
            raise HybridbatchError(f"an ivf index with {nlist} cells needs at least {nlist} vectors, got {n}")
        settings.nlist = nlist
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = vectors  # k-means on at most 64 points per cell (FAISS wants 39-256), a seeded sample
        if n > 64 * nlist:
            sample = vectors[np.sort(np.random.default_rng(0).choice(n, 64 * nlist, replace=False))]
        index.train(sample)
        index.nprobe = settings.nprobe
    index.add(vectors)
    return index


def write_index(folder: Path, manifest: dict, index, documents: list[Document], start: int = 0) -> None:
    """Write (or, for ``start > 0``, extend) the files of an index into ``folder`` (a temporary folder)."""
    import faiss

    faiss.write_index(index, str(folder / VECTORS))
    db = sqlite3.connect(folder / DOCUMENTS)
    try:
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS docs (pos INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, "
                       "lang TEXT NOT NULL, title TEXT, text TEXT NOT NULL, fields TEXT)")
            db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)",
                           [(start + i, d.id, d.lang, d.title, d.text, json.dumps(d.fields, ensure_ascii=False))
                            for i, d in enumerate(documents)])
    except sqlite3.IntegrityError as exc:
        raise HybridbatchError(f"document id already in the index ({exc})", path=folder) from None
    finally:
        db.close()
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def corpus_hash(documents: list[Document]) -> str:
    """sha256 over (id, lang, title, text) of every document, in order."""
    digest = hashlib.sha256()
    for d in documents:
        digest.update("\x1f".join((d.id, d.lang, d.title, d.text)).encode("utf-8") + b"\x1e")
    return digest.hexdigest()


def new_manifest(model: dict, settings: IndexSettings, dim: int) -> dict:
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return {"format": FORMAT, "model": model, "dim": dim, "index": asdict(settings), "corpora": [],
            "counts": {}, "documents": 0, "versions": versions(), "created_utc": now, "updated_utc": now}


def record_corpus(manifest: dict, spec: str, documents: list[Document]) -> None:
    """Add a corpus entry and its per-language counts to ``manifest``."""
    manifest["corpora"].append({"spec": spec, "sha256": corpus_hash(documents), "documents": len(documents)})
    for d in documents:
        manifest["counts"][d.lang] = manifest["counts"].get(d.lang, 0) + 1
    manifest["counts"] = dict(sorted(manifest["counts"].items()))
    manifest["documents"] += len(documents)
    manifest["updated_utc"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def read_manifest(folder: Path) -> dict:
    """The manifest of the index in ``folder``; a missing or corrupt one is an error naming the file."""
    path = Path(folder) / MANIFEST
    if not Path(folder).is_dir():
        raise HybridbatchError("index folder not found" if not Path(folder).exists() else "not a folder",
                               path=folder)
    if not path.is_file():
        raise HybridbatchError("not an index folder (no manifest.json)", path=folder)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HybridbatchError(f"corrupt manifest ({exc})", path=path) from None
    required = {"format": int, "model": dict, "dim": int, "index": dict, "counts": dict, "documents": int}
    for key, kind in required.items():
        if not isinstance(manifest, dict) or not isinstance(manifest.get(key), kind):
            raise HybridbatchError(f"corrupt manifest: '{key}' missing or not a {kind.__name__}", path=path)
    if manifest["format"] != FORMAT:
        raise HybridbatchError(f"index format {manifest['format']} is not supported (expected {FORMAT})", path=path)
    for name in (VECTORS, DOCUMENTS):
        if not (Path(folder) / name).is_file():
            raise HybridbatchError(f"index incomplete: {name} is missing", path=folder)
    return manifest


def copy_index(src: Path, dst: Path) -> None:
    """Copy an index's files into the (temporary) folder ``dst``, to be extended there."""
    for name in (MANIFEST, VECTORS, DOCUMENTS):
        shutil.copy2(src / name, dst / name)


def load_faiss(folder: Path, manifest: dict):
    """Read ``vectors.faiss``; its size and dimension must agree with the manifest."""
    import faiss

    path = Path(folder) / VECTORS
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise HybridbatchError(f"unreadable FAISS index ({str(exc).splitlines()[0][:120]})", path=path) from None
    if index.ntotal != manifest["documents"] or index.d != manifest["dim"]:
        raise HybridbatchError(f"holds {index.ntotal} vectors of dimension {index.d}, the manifest says "
                               f"{manifest['documents']} of {manifest['dim']}", path=path)
    return index


def positions_by_language(folder: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(language of each position, {language: sorted positions}) read from documents.sqlite."""
    db = _connect(folder)
    try:
        rows = db.execute("SELECT pos, lang FROM docs ORDER BY pos").fetchall()
    finally:
        db.close()
    langs = np.array([lang for _, lang in rows], dtype=object)
    if [p for p, _ in rows] != list(range(len(rows))):
        raise HybridbatchError("document positions are not 0..n-1", path=Path(folder) / DOCUMENTS)
    return langs, {lang: np.flatnonzero(langs == lang).astype(np.int64) for lang in sorted(set(langs))}


def fetch_documents(folder: Path, positions: list[int]) -> dict[int, dict]:
    """{position: {"id", "lang", "title", "text", "fields"}} for the given positions."""
    if not positions:
        return {}
    db = _connect(folder)
    try:
        marks = ",".join("?" * len(positions))
        rows = db.execute(f"SELECT pos, id, lang, title, text, fields FROM docs WHERE pos IN ({marks})",
                          [int(p) for p in positions]).fetchall()
    finally:
        db.close()
    return {pos: {"id": i, "lang": lang, "title": title or "", "text": text, "fields": json.loads(fields or "{}")}
            for pos, i, lang, title, text, fields in rows}


def _connect(folder: Path) -> sqlite3.Connection:
    path = Path(folder) / DOCUMENTS
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        db.execute("SELECT 1 FROM docs LIMIT 1")
        return db
    except sqlite3.DatabaseError as exc:
        raise HybridbatchError(f"unreadable documents table ({exc})", path=path) from None
