"""Benchmark-independent data: the in-memory benchmark type (:mod:`.benchmark`), training pairs and their JSONL
format (:mod:`.training_pairs`), the leakage check, query perturbations and language metadata. The readers of
each benchmark family live in :mod:`hybridbatch.benchmarks`."""
