"""Zero-shot check: does any evaluation text occur in the training data?

Texts are compared after :func:`normalize_text` (NFKC, casefold, whitespace runs collapsed to one
space, stripped). Training texts: every item's query, passage sentence, paragraph (context) and
hard negative, validation split included. Evaluation texts: every question, every candidate
sentence and every candidate paragraph of the benchmark. An evaluation text *leaks* when its
normalised form equals a normalised training text (texts shorter than ``min_chars`` after
normalisation are ignored). Texts are compared by 64-bit keys of their normalised form
(:func:`hybridbatch.data.clusters.text_keys`): two different texts sharing a key, about n^2 / 2^65 for n texts,
would be reported as a leak, never hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.data.clusters import text_keys
from hybridbatch.data.training_pairs import PairSet, normalize_text

__all__ = ["LeakageReport", "check_leakage", "normalize_text", "training_texts"]

KINDS = ("question", "candidate", "paragraph")


@dataclass
class LeakageReport:
    """Counts of evaluation texts found in the training data, per kind, with examples."""

    benchmark: str
    training_datasets: list[str]
    training_texts: int
    checked: dict[str, int] = field(default_factory=dict)  # kind -> distinct evaluation texts checked
    leaked: dict[str, int] = field(default_factory=dict)  # kind -> of those, found in training
    examples: list[dict] = field(default_factory=list)

    @property
    def overlap(self) -> bool:
        return any(self.leaked.values())

    def summary(self) -> str:
        parts = [f"{self.leaked.get(k, 0)}/{self.checked.get(k, 0)} {k}s" for k in KINDS]
        return (f"{self.benchmark} vs training ({', '.join(self.training_datasets)}): "
                f"{', '.join(parts)} also occur in the training data")

    def to_dict(self) -> dict:
        return asdict(self) | {"overlap": self.overlap}


FIELDS = ("query", "passage", "context", "negative")


def field_keys(ps: PairSet, field: str) -> np.ndarray:
    """Text keys (:func:`hybridbatch.data.clusters.text_keys`) of one field of every item, 0 where absent: the
    stored keys for queries and passages, computed in chunks for contexts and negatives."""
    if field in ("query", "passage"):
        return ps.keys(f"{field}_key")
    if field == "negative" and not ps.has_negatives:
        return np.zeros(ps.n_items, dtype=np.uint64)
    column = ps.raw_column(field)
    if column.null_count == len(column):
        return np.zeros(ps.n_items, dtype=np.uint64)
    return np.concatenate([text_keys(chunk.to_pylist()) for chunk in column.chunks] or
                          [np.zeros(0, dtype=np.uint64)])


def training_texts(datasets: Iterable[PairSet]) -> np.ndarray:
    """The distinct keys of every training text (query, passage sentence, context, negative)."""
    return _distinct([field_keys(ds, f) for ds in datasets for f in FIELDS])


def _distinct(keys: list[np.ndarray]) -> np.ndarray:
    out = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.uint64)
    return out[out != 0]


def _first_occurrence(names: list[str], keys: list[list[np.ndarray]], key: int) -> tuple[str, str]:
    """(dataset name, field) of the first item holding a text with ``key`` (items in order, fields as FIELDS);
    ``keys[d][f]``: the field keys of dataset d."""
    for name, fields in zip(names, keys):
        best = None
        for rank, (f, values) in enumerate(zip(FIELDS, fields)):
            hits = np.flatnonzero(values == key)
            if len(hits) and (best is None or (hits[0], rank) < best[:2]):
                best = (hits[0], rank, f)
        if best is not None:
            return name, best[2]
    raise AssertionError("a leaked key occurs in no training dataset")


def check_leakage(datasets: Iterable[PairSet], bench: Benchmark, *, min_chars: int = 0,
                  max_examples: int = 10) -> LeakageReport:
    """Compare the evaluation texts of ``bench`` with the training texts of ``datasets`` (by 64-bit keys of the
    normalised texts, so millions of training items are compared without holding their strings)."""
    datasets = list(datasets)
    keys = [[field_keys(ds, f) for f in FIELDS] for ds in datasets]  # computed once: contexts may be many
    known = _distinct([k for fields in keys for k in fields])
    report = LeakageReport(bench.name, [d.name for d in datasets], len(known))
    sources = {
        "question": [(q.id, q.lang, q.text) for q in bench.queries],
        "candidate": [(c.id, c.lang, c.text) for c in bench.candidates],
        "paragraph": [(c.id, c.lang, c.context) for c in bench.candidates if c.context],
    }
    for kind, entries in sources.items():
        seen: set[str] = set()
        kept = []
        for entry in entries:
            norm = normalize_text(entry[2])
            if norm in seen or len(norm) < min_chars:
                continue
            seen.add(norm)
            kept.append(entry)
        eval_keys = text_keys(text for _, _, text in kept)
        hit = np.isin(eval_keys, known)
        for (ident, lang, text), key in zip([e for e, h in zip(kept, hit) if h], eval_keys[hit]):
            if len(report.examples) < max_examples:
                ds_name, fname = _first_occurrence([d.name for d in datasets], keys, int(key))
                report.examples.append({"kind": kind, "id": ident, "lang": lang, "text": text[:200],
                                        "training_dataset": ds_name, "training_field": fname})
        report.checked[kind] = len(seen)
        report.leaked[kind] = int(hit.sum())
    return report
