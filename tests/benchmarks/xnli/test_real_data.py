"""The three pair-classification sets as shipped in the shared data folder (skipped without it)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.data.language_metadata import known
from hybridbatch.scoring.pair_scoring import pair_layout


def test_xnli(shared_data: Path) -> None:
    b = load_benchmark("xnli", shared_data)
    assert len(b.languages) == 15 and all(known(x) for x in b.languages)
    assert Counter(q.lang for q in b.queries) == {x: 1660 for x in b.languages}  # 2,490 minus 830 neutral
    assert len(load_benchmark("xnli+neutral", shared_data, ["en"]).queries) == 2490
    layout = pair_layout(b)
    assert len(layout.pairs("en", "de")[0]) == 1660  # parallel: every item in both, same label


def test_pawsx(shared_data: Path) -> None:
    b = load_benchmark("pawsx", shared_data)
    assert b.languages == ["de", "en", "es", "fr", "ja", "ko", "zh"]
    counts = Counter(q.lang for q in b.queries)
    assert counts["en"] == 2000 and counts["de"] == 2000 - 68  # German 'NS' (untranslated) pairs left out
    layout = pair_layout(b)
    assert len(layout.pairs("en", "de")[0]) == counts["de"]  # the labels of shared items agree
    assert load_benchmark("pawsx:test", shared_data).languages == ["de", "zh"]


def test_americasnli(shared_data: Path) -> None:
    for split in ("test", "dev"):
        b = load_benchmark(f"americasnli:{split}", shared_data)
        assert b.languages == ["aym", "bzd", "cni", "gn", "hch", "nah", "oto", "quy", "shp", "tar"]
        assert all(known(x) for x in b.languages)
    assert Counter(q.lang for q in b.queries)["aym"] == 496  # dev: 248 entailment + 248 contradiction
