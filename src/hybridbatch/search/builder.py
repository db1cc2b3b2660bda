"""Build an index from a corpus, or add a corpus to an existing index (``hybridbatch index``)."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path

from hybridbatch.encoding import SentenceTransformerEncoder, encode_texts
from hybridbatch.errors import HybridbatchError
from hybridbatch.hardware import resolve_device
from hybridbatch.models.loading import load_model
from hybridbatch.outputs import atomic_dir, check_output_dir
from hybridbatch.search.corpus import Document, read_corpus
from hybridbatch.search.index import (
    MANIFEST,
    IndexSettings,
    build_faiss,
    copy_index,
    load_faiss,
    new_manifest,
    read_manifest,
    record_corpus,
    write_index,
)

log = logging.getLogger(__name__)


def document_text(doc: Document) -> str:
    """The text encoded for a document: ``"<title>. <text>"`` when it has a title (as BEIR documents are
    evaluated), else its text."""
    return f"{doc.title}. {doc.text}" if doc.title else doc.text


def model_record(spec: str, encoder) -> dict:
    """How a search finds and checks the index's model: its spec (``default`` or an absolute folder), the
    identity of its vectors, prompts and maximum length."""
    return {"spec": spec if spec == "default" else str(Path(spec).expanduser().resolve()),
            "identity": encoder.model_identity, "query_prompt": encoder.query_prompt,
            "passage_prompt": encoder.passage_prompt, "max_seq_length": encoder.model.max_seq_length}


def open_encoder(spec: str, *, precision: str = "auto", device: str = "auto", batch_size: int = 64,
                 show_progress: bool = True, backend: str = "torch"):
    """Load the model named by ``spec`` and wrap it in the one encoder of :mod:`hybridbatch.encoding`
    (``backend`` onnx or openvino: run by an export of the model; its ``model_identity`` stays the torch
    model's, so an index built with one backend is searched with any other)."""
    model = load_model(spec, device=resolve_device(device))
    return SentenceTransformerEncoder(model, batch_size=batch_size, show_progress=show_progress,
                                      label=spec, precision=precision, backend=backend)


def check_model(manifest: dict, encoder, where: Path) -> None:
    """Refuse an encoder whose vectors would not be comparable with the index's."""
    want = manifest["model"].get("identity")
    if encoder.model_identity != want:
        raise HybridbatchError(
            f"model mismatch: the index was built with {manifest['model'].get('spec')} (identity {want}), "
            f"this model's identity is {encoder.model_identity}", path=where)


def build_index(corpus: str, out: Path, *, model: str | None = None, add: bool = False,
                settings: IndexSettings | None = None, data_dir: Path | None = None, lang: str | None = None,
                languages: list[str] | None = None, batch_size: int = 64, precision: str = "auto", device: str = "auto", cache: bool = True,
                backend: str = "torch") -> dict:
    """Encode ``corpus`` and write an index to ``out``; with ``add``, extend the index already there (its
    model; a different ``model`` is refused). ``lang`` and ``languages``: see
    :func:`~hybridbatch.search.corpus.read_corpus`. Returns the manifest. ``out`` changes only on success."""
    out = check_output_dir(out, "--out")
    existing = (out / MANIFEST).is_file()
    if existing and not add:
        raise HybridbatchError("an index already exists here (use --add to add documents, or another folder)",
                               path=out)
    if not existing and out.is_dir() and any(out.iterdir()):
        raise HybridbatchError("folder exists, is not empty and holds no index", path=out)
    manifest = read_manifest(out) if existing else None
    if manifest is not None and settings is not None and settings.kind != manifest["index"]["kind"]:
        raise HybridbatchError(f"the index is {manifest['index']['kind']}, not {settings.kind}", path=out)
    settings = IndexSettings(**manifest["index"]) if manifest else (settings or IndexSettings())
    settings.validate()
    docs = read_corpus(corpus, data_dir=data_dir, lang=lang, languages=languages)
    if manifest:
        _refuse_known_ids(out, docs)

    spec = model or (manifest["model"]["spec"] if manifest else "default")
    encoder = open_encoder(spec, precision=precision, device=device, batch_size=batch_size, backend=backend)
    if manifest:
        check_model(manifest, encoder, out)
    started = time.perf_counter()
    vectors, fresh = encode_texts(encoder, [document_text(d) for d in docs], "passage", cache=cache,
                                  label="corpus", step=(1, 1))
    encode_s = time.perf_counter() - started
    log.info("encoded %d documents (%d new to the cache) in %.1f s", len(docs), fresh, encode_s)

    started = time.perf_counter()
    with atomic_dir(out) as tmp:
        if manifest:
            copy_index(out, tmp)
            index = load_faiss(out, manifest)
            start = index.ntotal
            index.add(vectors)
        else:
            manifest = new_manifest(model_record(spec, encoder), settings, int(vectors.shape[1]))
            index = build_faiss(vectors, settings)
            manifest["index"] = asdict(settings)  # with the nlist chosen
            start = 0
        record_corpus(manifest, corpus, docs)
        if languages:
            manifest["corpora"][-1]["languages"] = list(languages)
        manifest["corpora"][-1] |= {"encode_seconds": round(encode_s, 2), "texts_encoded": fresh,
                                    "precision": encoder.precision, "backend": encoder.backend,
                                    "build_seconds": round(time.perf_counter() - started, 2)}
        write_index(tmp, manifest, index, docs, start)
    return manifest


def _refuse_known_ids(folder: Path, docs: list[Document]) -> None:
    import sqlite3

    db = sqlite3.connect(f"file:{folder / 'documents.sqlite'}?mode=ro", uri=True)
    try:
        ids = [d.id for d in docs]
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            row = db.execute(f"SELECT id FROM docs WHERE id IN ({','.join('?' * len(chunk))}) LIMIT 1",
                             chunk).fetchone()
            if row:
                raise HybridbatchError(f"document id '{row[0]}' is already in the index", path=folder)
    finally:
        db.close()
