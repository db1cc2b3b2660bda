"""Zero-shot check: does any evaluation text occur in the training data?

Texts are compared after :func:`normalize_text` (NFKC, casefold, whitespace runs collapsed to one
space, stripped). Training texts: every item's query, passage sentence, paragraph (context) and
hard negative, validation split included. Evaluation texts: every question, every candidate
sentence and every candidate paragraph of the benchmark. An evaluation text *leaks* when its
normalised form equals a normalised training text (exact match; texts shorter than ``min_chars``
after normalisation are ignored).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from hybridbatch.data.benchmark import Benchmark
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


def training_texts(datasets: Iterable[PairSet]) -> dict[str, tuple[str, str]]:
    """normalised text -> (dataset name, field) for every training text (first occurrence)."""
    out: dict[str, tuple[str, str]] = {}
    for ds in datasets:
        for it in ds.items:
            for fname, text in (("query", it.query), ("passage", it.passage), ("context", it.context),
                                ("negative", it.negative)):
                if text:
                    out.setdefault(normalize_text(text), (ds.name, fname))
    return out


def check_leakage(datasets: Iterable[PairSet], bench: Benchmark, *, min_chars: int = 0,
                  max_examples: int = 10) -> LeakageReport:
    """Compare the evaluation texts of ``bench`` with the training texts of ``datasets``."""
    datasets = list(datasets)
    known = training_texts(datasets)
    report = LeakageReport(bench.name, [d.name for d in datasets], len(known))
    sources = {
        "question": [(q.id, q.lang, q.text) for q in bench.queries],
        "candidate": [(c.id, c.lang, c.text) for c in bench.candidates],
        "paragraph": [(c.id, c.lang, c.context) for c in bench.candidates if c.context],
    }
    for kind, entries in sources.items():
        seen: set[str] = set()
        hits = 0
        for ident, lang, text in entries:
            norm = normalize_text(text)
            if norm in seen or len(norm) < min_chars:
                continue
            seen.add(norm)
            if norm in known:
                hits += 1
                if len(report.examples) < max_examples:
                    ds_name, fname = known[norm]
                    report.examples.append({"kind": kind, "id": ident, "lang": lang, "text": text[:200],
                                            "training_dataset": ds_name, "training_field": fname})
        report.checked[kind] = len(seen)
        report.leaked[kind] = hits
    return report
