"""Counts on the real XQuAD-R and MLQA-R files (skipped unless HYBRIDBATCH_DATA is set).

Each benchmark is read once per module (about 0.15 s each).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hybridbatch.benchmarks.lareqa.reader import read_lareqa
from hybridbatch.data.benchmark import Benchmark

# candidates per language, as in the LAReQA README
XQUAD_CANDIDATES = {"ar": 1222, "de": 1276, "el": 1234, "en": 1180, "es": 1215, "hi": 1244, "ru": 1219,
                    "th": 852, "tr": 1167, "vi": 1209, "zh": 1196}
MLQA_QUERIES = {"ar": 517, "de": 512, "en": 1148, "es": 500, "hi": 507, "vi": 511, "zh": 504}
MLQA_CANDIDATES = {"ar": 2545, "de": 2362, "en": 6264, "es": 1787, "hi": 2426, "vi": 2828, "zh": 2322}


@pytest.fixture(scope="module")
def xquad(real_data: Path) -> Benchmark:
    return read_lareqa(real_data / "lareqa" / "xquad-r")


@pytest.fixture(scope="module")
def mlqa(real_data: Path) -> Benchmark:
    return read_lareqa(real_data / "lareqa" / "mlqa-r")


def test_xquad_counts(xquad: Benchmark) -> None:
    assert xquad.name == "xquad-r"
    assert xquad.languages == sorted(XQUAD_CANDIDATES)
    assert Counter(q.lang for q in xquad.queries) == dict.fromkeys(XQUAD_CANDIDATES, 1190)
    assert Counter(c.lang for c in xquad.candidates) == XQUAD_CANDIDATES
    assert len(xquad.candidates) == 13014
    assert len({q.group for q in xquad.queries}) == 1190


def test_xquad_every_query_has_one_relevant_per_language(xquad: Benchmark) -> None:
    langs = xquad.candidate_langs()
    for rel in xquad.relevant_indices():
        assert sorted(langs[rel]) == xquad.languages


def test_mlqa_counts(mlqa: Benchmark) -> None:
    assert mlqa.languages == sorted(MLQA_QUERIES)
    assert Counter(q.lang for q in mlqa.queries) == MLQA_QUERIES
    assert Counter(c.lang for c in mlqa.candidates) == MLQA_CANDIDATES
    assert len(mlqa.candidates) == 20534


def test_mlqa_relevant_per_query(mlqa: Benchmark) -> None:
    sizes = Counter(len(r) for r in mlqa.qrels.values())
    assert sizes == {2: 130, 3: 789, 4: 3280}
    # every question has an English version, so its English sentence is always relevant
    langs = mlqa.candidate_langs()
    assert all("en" in set(langs[rel]) for rel in mlqa.relevant_indices())


def test_slices_match_sentences_field(real_data: Path, xquad: Benchmark, mlqa: Benchmark) -> None:
    """The candidate text equals the stripped ``sentences`` entry except two known Turkish sentences."""
    differ = []
    for bench, folder in ((xquad, "xquad-r"), (mlqa, "mlqa-r")):
        text = {c.id: c.text for c in bench.candidates}
        for lang in bench.languages:
            raw = json.loads((real_data / "lareqa" / folder / f"{lang}.json").read_text(encoding="utf-8"))
            for a, article in enumerate(raw["data"]):
                for p, para in enumerate(article["paragraphs"]):
                    for s, sentence in enumerate(para["sentences"]):
                        if text[f"{lang}:{a}:{p}:{s}"] != sentence.strip():
                            differ.append(f"{folder}/{lang}:{a}:{p}:{s}")
    assert differ == ["xquad-r/tr:9:3:2", "xquad-r/tr:9:3:3"]
