"""Documents to index: a document file, or the candidates of any registered benchmark.

Corpus specs (``hybridbatch index --corpus``):

* ``PATH.jsonl`` (or ``jsonl:PATH``) — one object per line with ``id``, ``text``, ``lang`` and optionally
  ``title`` and any other fields (kept and returned with the hit);
* ``beir:DIR`` — the folder's corpus.jsonl as a document file (``_id``, ``text``, ``title``): every document,
  its title and other fields kept; its language comes from each record's ``lang`` field or, failing that,
  ``--lang``;
* any other benchmark spec of :mod:`hybridbatch.benchmarks.registry` (``xquad-r``, ``tatoeba``, ...) —
  every candidate of the loaded benchmark (in ``languages``, default the benchmark's own set) under its
  candidate id, its context (e.g. a LAReQA sentence's paragraph) kept as the ``context`` field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridbatch.benchmarks.beir import parse_beir_spec
from hybridbatch.benchmarks.beir.reader import (
    _jsonl_path,
    _records,  # the one JSONL record reader (file:line errors)
)
from hybridbatch.benchmarks.registry import family_for_spec, load_benchmark, spec_help
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import check_language_code
from hybridbatch.settings import data_dir as default_data_dir

RESERVED = ("id", "text", "lang", "title")


@dataclass(frozen=True)
class Document:
    """One retrievable text. ``fields`` holds any extra JSON-serialisable fields of the source record."""

    id: str
    text: str
    lang: str
    title: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


def read_corpus(spec: str, *, data_dir: Path | None = None, lang: str | None = None,
                languages: list[str] | None = None) -> list[Document]:
    """Read the corpus named by ``spec`` (see the module docstring); ids must be unique, texts non-empty.
    ``lang``: the language of document-file records without one; ``languages``: the benchmark languages."""
    if spec.startswith("jsonl:") or spec.endswith((".jsonl", ".jsonl.gz")):
        path = Path(spec[len("jsonl:"):] if spec.startswith("jsonl:") else spec)
        docs = list(_read_jsonl(path, lang))
    elif spec.startswith("beir:"):
        docs = _read_beir(spec, data_dir, lang)
    else:
        docs = _read_benchmark(spec, data_dir, languages)
    if not docs:
        raise HybridbatchError("the corpus holds no documents", path=spec)
    return docs


def _read_jsonl(path: Path, default_lang: str | None) -> Iterator[Document]:
    if not path.is_file():
        raise HybridbatchError("file not found" if not path.exists() else "not a file", path=path)
    seen: set[str] = set()
    for n, obj in _records(path):
        record = f"line {n}"
        doc_id = obj.get("id", obj.get("_id"))
        if isinstance(doc_id, int) and not isinstance(doc_id, bool):
            doc_id = str(doc_id)
        if not isinstance(doc_id, str) or not doc_id:
            raise HybridbatchError("missing or non-string 'id'", path=path, record=record)
        if doc_id in seen:
            raise HybridbatchError(f"duplicate id '{doc_id}'", path=path, record=record)
        seen.add(doc_id)
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            raise HybridbatchError("missing or empty 'text'", path=path, record=record)
        code = obj.get("lang", default_lang)
        if not isinstance(code, str) or not code:
            raise HybridbatchError("missing 'lang' (give it per record or with --lang)", path=path, record=record)
        _check_lang(code, path, record)
        title = obj.get("title") or ""
        if not isinstance(title, str):
            raise HybridbatchError("'title' should be a string", path=path, record=record)
        extra = {k: v for k, v in obj.items() if k not in RESERVED and k != "_id"}
        yield Document(doc_id, text, code, title, extra)


def _read_beir(spec: str, data_dir: Path | None, lang: str | None) -> list[Document]:
    folder = Path(parse_beir_spec(spec)[0])
    if not folder.exists() and not folder.is_absolute():
        folder = default_data_dir(data_dir) / folder
    if not folder.is_dir():
        raise HybridbatchError("BEIR folder not found", path=folder)
    return list(_read_jsonl(_jsonl_path(folder, "corpus"), lang))


def _read_benchmark(spec: str, data_dir: Path | None, languages: list[str] | None) -> list[Document]:
    try:
        family_for_spec(spec)
    except HybridbatchError:
        raise HybridbatchError(f"unknown corpus '{spec}': give a .jsonl file, beir:DIR or a benchmark "
                               f"({spec_help()})") from None
    bench = load_benchmark(spec, data_dir, languages)
    return [Document(c.id, c.text, c.lang, "", {"context": c.context} if c.context else {})
            for c in bench.candidates]


def _check_lang(code: str, path: Path, record: str) -> None:
    try:
        check_language_code(code)
    except HybridbatchError as exc:
        raise HybridbatchError(str(exc), path=path, record=record) from None
