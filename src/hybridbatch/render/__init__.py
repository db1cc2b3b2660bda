"""Rendering primitives with no knowledge of benchmarks: Markdown/CSV tables and number formats
(:mod:`.tables`), matplotlib figures (:mod:`.plots`)."""
