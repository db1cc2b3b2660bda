"""Small benchmark builders shared by tests (no files, no models)."""

from __future__ import annotations

from hybridbatch.data.benchmark import Benchmark, Candidate, Query


def parallel_benchmark(languages: list[str], n_groups: int, distractors: int = 1) -> Benchmark:
    """LAReQA-shaped benchmark: each group has one question and one answer sentence per language,
    plus ``distractors`` unrelated sentences per language and group."""
    queries, candidates, qrels = [], [], {}
    for lang in languages:
        for g in range(n_groups):
            queries.append(Query(f"{lang}:q{g}", lang, f"q{g}", f"question {g} in {lang}"))
    for lang in languages:
        for g in range(n_groups):
            candidates.append(Candidate(f"{lang}:a{g}", lang, f"answer {g} in {lang}", f"paragraph {g} {lang}"))
            for d in range(distractors):
                candidates.append(Candidate(f"{lang}:d{g}.{d}", lang, f"other {g}.{d} in {lang}"))
    for q in queries:
        qrels[q.id] = {f"{lang}:a{q.group[1:]}": 1 for lang in languages}
    return Benchmark("toy", "lareqa", queries, candidates, qrels, list(languages), source="toy")
