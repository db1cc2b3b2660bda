"""Query an index: language filter, per-language quota, language-balanced interleaving.

Result lists (``mode``):

* ``ranked`` — the k nearest documents (within ``langs`` when given), by cosine;
* ``quota`` — the same, but at most ``per_lang`` documents of any one language;
* ``interleave`` — one list per language (each by cosine), merged round-robin, languages ordered by their
  best score: the top k then holds ⌈k/L⌉ or ⌊k/L⌋ documents of each of the L languages that have that many.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from hybridbatch.encoding import encode_texts
from hybridbatch.errors import HybridbatchError
from hybridbatch.search.builder import check_model, open_encoder
from hybridbatch.search.index import fetch_documents, load_faiss, positions_by_language, read_manifest

Mode = Literal["ranked", "quota", "interleave"]
MODES: tuple[str, ...] = ("ranked", "quota", "interleave")


@dataclass(frozen=True)
class Request:
    """One query's options; ``langs`` None means every language of the index."""

    k: int = 10
    langs: tuple[str, ...] | None = None
    mode: Mode = "ranked"
    per_lang: int | None = None


class Searcher:
    """An opened index: FAISS vectors, language positions and the index's own encoder.

    ``encoder`` defaults to the model recorded in the manifest, run by ``backend``; any encoder given must have
    the same ``model_identity`` (weights, tokenizer, prompts, max length: not precision nor backend), else the
    search is refused.
    """

    def __init__(self, folder: str | Path, encoder=None, *, precision: str = "auto", device: str = "auto",
                 batch_size: int = 64, backend: str = "torch"):
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        self.index = load_faiss(self.folder, self.manifest)
        self.lang_of, self.positions = positions_by_language(self.folder)
        self.encoder = encoder or open_encoder(self.manifest["model"]["spec"], precision=precision, device=device,
                                               batch_size=batch_size, show_progress=False, backend=backend)
        check_model(self.manifest, self.encoder, self.folder)
        self.name = self.folder.name
        self._selectors: dict[tuple[str, ...], object] = {}
        self._lock = threading.Lock()

    @property
    def languages(self) -> list[str]:
        return list(self.positions)

    def check(self, request: Request) -> Request:
        """``request`` if valid for this index, else an error saying what is wrong."""
        if request.k < 1:
            raise HybridbatchError(f"k must be ≥ 1, got {request.k}")
        if request.mode not in MODES:
            raise HybridbatchError(f"unknown mode '{request.mode}' ({', '.join(MODES)})")
        if request.mode == "quota" and (request.per_lang is None or request.per_lang < 1):
            raise HybridbatchError("mode quota needs per_lang ≥ 1")
        if request.langs is not None:
            if not request.langs:
                raise HybridbatchError("empty language list")
            unknown = [x for x in request.langs if x not in self.positions]
            if unknown:
                raise HybridbatchError(f"unknown language(s) {', '.join(unknown)}; the index has "
                                       f"{', '.join(self.languages)}", path=self.folder)
        return request

    def encode(self, queries: Sequence[str]) -> np.ndarray:
        """Query vectors through the one encode path (no cache: queries are rarely repeated)."""
        for i, q in enumerate(queries):
            if not isinstance(q, str) or not q.strip():
                raise HybridbatchError(f"empty query (position {i})")
        return encode_texts(self.encoder, list(queries), "query", cache=False)[0]

    def search(self, queries: Sequence[str], request: Request = Request()) -> list[list[dict]]:
        """Encode ``queries`` and return one hit list per query (see :meth:`search_vectors`)."""
        self.check(request)
        return self.search_vectors(self.encode(queries), request)

    def search_vectors(self, vectors: np.ndarray, request: Request) -> list[list[dict]]:
        """Hits ``{"rank", "id", "lang", "score", "title", "text", "fields"}`` for each query vector."""
        langs = request.langs or tuple(self.languages)
        if request.mode == "ranked":
            scores, pos = self._search(vectors, request.k, request.langs)
            lists = [[(float(s), int(p)) for s, p in zip(srow, prow) if p >= 0] for srow, prow in zip(scores, pos)]
        else:
            per = min(request.k, request.per_lang or request.k)
            by_lang = {lang: self._search(vectors, per, (lang,)) for lang in langs}
            lists = []
            for q in range(vectors.shape[0]):
                ranked = {lang: [(float(s), int(p)) for s, p in zip(sc[q], ps[q]) if p >= 0]
                          for lang, (sc, ps) in by_lang.items()}
                lists.append(_interleave(ranked, request.k) if request.mode == "interleave"
                             else sorted((h for hs in ranked.values() for h in hs), key=lambda h: -h[0])[:request.k])
        docs = fetch_documents(self.folder, sorted({p for hits in lists for _, p in hits}))
        return [[{"rank": r + 1, "score": round(s, 6), **docs[p]} for r, (s, p) in enumerate(hits)]
                for hits in lists]

    def _search(self, vectors: np.ndarray, k: int, langs: tuple[str, ...] | None):
        import faiss

        params = None
        if langs is not None and set(langs) != set(self.languages):
            key = tuple(sorted(langs))
            with self._lock:
                if key not in self._selectors:
                    ids = np.concatenate([self.positions[x] for x in key]).astype(np.int64)
                    self._selectors[key] = faiss.IDSelectorBatch(ids)
            params = self._params(self._selectors[key])
        elif self.manifest["index"]["kind"] != "exact":
            params = self._params(None)
        k = min(k, self.index.ntotal)
        if params is None:
            return self.index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        return self.index.search(np.ascontiguousarray(vectors, dtype=np.float32), k, params=params)

    def _params(self, selector):
        import faiss

        spec = self.manifest["index"]
        extra = {} if selector is None else {"sel": selector}
        if spec["kind"] == "ivf":
            return faiss.SearchParametersIVF(nprobe=spec["nprobe"], **extra)
        if spec["kind"] == "hnsw":
            return faiss.SearchParametersHNSW(efSearch=spec["ef_search"], **extra)
        return faiss.SearchParameters(**extra)


def language_mix(hits: list[dict]) -> dict[str, int]:
    """Number of hits per language, most frequent first."""
    counts: dict[str, int] = {}
    for h in hits:
        counts[h["lang"]] = counts.get(h["lang"], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _interleave(ranked: dict[str, list[tuple[float, int]]], k: int) -> list[tuple[float, int]]:
    order = sorted((lang for lang in ranked if ranked[lang]), key=lambda lang: -ranked[lang][0][0])
    out: list[tuple[float, int]] = []
    depth = 0
    while len(out) < k and any(depth < len(ranked[lang]) for lang in order):
        out += [ranked[lang][depth] for lang in order if depth < len(ranked[lang])][:k - len(out)]
        depth += 1
    return out
