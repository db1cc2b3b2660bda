"""Shared fixtures: a small multilingual JSONL corpus and an exact index of it built with the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DOCS = [
    ("en-1", "en", "The Rhine rises in the Swiss Alps."),
    ("en-2", "en", "Bread is made from flour and water."),
    ("en-3", "en", "The Danube flows into the Black Sea."),
    ("de-1", "de", "Der Rhein entspringt in den Schweizer Alpen."),
    ("de-2", "de", "Brot wird aus Mehl und Wasser gemacht."),
    ("de-3", "de", "Die Donau fließt ins Schwarze Meer."),
    ("es-1", "es", "El Rin nace en los Alpes suizos."),
    ("es-2", "es", "El pan se hace con harina y agua."),
    ("es-3", "es", "El Danubio desemboca en el mar Negro."),
    ("zh-1", "zh", "莱茵河发源于瑞士阿尔卑斯山。"),
]


def write_corpus(path: Path, docs=DOCS, **extra) -> Path:
    path.write_text("".join(json.dumps({"id": i, "lang": lang, "text": text, **extra}, ensure_ascii=False) + "\n"
                            for i, lang, text in docs), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "docs.jsonl")


@pytest.fixture(scope="session")
def exact_index(tmp_path_factory, tiny_model_dir, corpus_file) -> Path:
    from hybridbatch.search.builder import build_index

    out = tmp_path_factory.mktemp("indexes") / "tiny-exact"
    build_index(str(corpus_file), out, model=str(tiny_model_dir), cache=False)
    return out


@pytest.fixture(scope="session")
def searcher(exact_index):
    from hybridbatch.search.searcher import Searcher

    return Searcher(exact_index)
