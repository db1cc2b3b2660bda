"""Benchmark families, one folder each (reader, per-query scoring and aggregation, rendering, training
pairs where the family has them), and the registry that maps a spec to a benchmark and a results kind to
its scorer (:mod:`.registry`)."""
