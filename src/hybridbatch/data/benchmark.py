"""The one in-memory retrieval benchmark type every reader produces and every scorer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from hybridbatch.errors import HybridbatchError

CandidateText = Literal["sentence", "sentence+context"]
"""What is encoded for a candidate: its text alone, or its text followed by its context (paragraph)."""


def with_context(text: str, context: str | None) -> str:
    """The passage as encoded with its context: ``"{text} {context}"``, or ``text`` when there is none.

    The one place this join is written (evaluation candidates and training passages both use it).
    """
    return f"{text} {context}" if context else text


@dataclass(frozen=True)
class Query:
    """A question. ``group`` is the parallel-group id shared by all its translations."""

    id: str
    lang: str
    group: str
    text: str


@dataclass(frozen=True)
class Candidate:
    """A retrievable passage (a sentence for LAReQA). ``context`` is its paragraph, if any."""

    id: str
    lang: str
    text: str
    context: str | None = None


@dataclass
class Benchmark:
    """Queries, candidates and graded relevance.

    Invariants (checked by :meth:`validate`): query ids and candidate ids are unique; every
    qrels key is a query id and every judged id a candidate id; languages are listed.
    ``queries`` and ``candidates`` keep the order of the source files (per language, file
    order), which is the row order of saved embedding files.
    """

    name: str
    kind: str
    """The family's kind: names the scorer (:func:`hybridbatch.benchmarks.registry.get_scorer`)."""
    queries: list[Query]
    candidates: list[Candidate]
    qrels: dict[str, dict[str, int]]
    languages: list[str]
    source: str = ""
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def validate(self) -> None:
        seen: set[str] = set()
        for q in self.queries:
            if q.id in seen:
                raise HybridbatchError(f"duplicate query id {q.id!r}", path=self.source)
            seen.add(q.id)
        cids: set[str] = set()
        for c in self.candidates:
            if c.id in cids:
                raise HybridbatchError(f"duplicate candidate id {c.id!r}", path=self.source)
            cids.add(c.id)
        for qid, judged in self.qrels.items():
            if qid not in seen:
                raise HybridbatchError(f"qrels name unknown query {qid!r}", path=self.source)
            for cid in judged:
                if cid not in cids:
                    raise HybridbatchError(f"qrels of query {qid!r} name unknown document {cid!r}",
                                           path=self.source)

    def candidate_texts(self, mode: CandidateText = "sentence") -> list[str]:
        """The text encoded for each candidate, in candidate order: its text (``"sentence"``) or its
        text joined with its context by :func:`with_context` (``"sentence+context"``; candidates
        without context, e.g. BEIR documents, keep their text)."""
        if mode == "sentence":
            return [c.text for c in self.candidates]
        return [with_context(c.text, c.context) for c in self.candidates]

    # ---- array views used by the scorers (built once, cached) ----
    def query_langs(self) -> np.ndarray:
        """Language code of each query, in query order (object array)."""
        return self._memo("qlang", lambda: np.array([q.lang for q in self.queries], dtype=object))

    def candidate_langs(self) -> np.ndarray:
        """Language code of each candidate, in candidate order (object array)."""
        return self._memo("clang", lambda: np.array([c.lang for c in self.candidates], dtype=object))

    def relevant_indices(self) -> list[np.ndarray]:
        """For each query (in order), the candidate row indices with relevance > 0."""

        def build() -> list[np.ndarray]:
            pos = {c.id: i for i, c in enumerate(self.candidates)}
            out = []
            for q in self.queries:
                judged = self.qrels.get(q.id, {})
                out.append(np.array(sorted(pos[c] for c, r in judged.items() if r > 0), dtype=np.int64))
            return out

        return self._memo("rel", build)

    def subset(self, languages: list[str]) -> Benchmark:
        """A copy restricted to ``languages`` (queries, candidates and qrels)."""
        keep = set(languages)
        queries = [q for q in self.queries if q.lang in keep]
        candidates = [c for c in self.candidates if c.lang in keep]
        cids = {c.id for c in candidates}
        qrels = {q.id: {c: r for c, r in self.qrels.get(q.id, {}).items() if c in cids} for q in queries}
        return Benchmark(self.name, self.kind, queries, candidates, qrels,
                         [lang for lang in self.languages if lang in keep], self.source)

    def _memo(self, key: str, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]
