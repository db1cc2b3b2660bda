"""Corpus readers: JSONL, BEIR and LAReQA candidates; every bad record is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.search.corpus import read_corpus
from tests.search.conftest import DOCS, write_corpus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_jsonl_keeps_order_languages_titles_and_extra_fields(tmp_path):
    path = write_corpus(tmp_path / "c.jsonl", source="wiki")
    docs = read_corpus(str(path))
    assert [(d.id, d.lang, d.text) for d in docs] == DOCS
    assert docs[0].fields == {"source": "wiki"} and docs[0].title == ""


def test_beir_corpus_records_keep_their_lang_and_the_option_fills_the_gaps():
    docs = {d.id: d for d in read_corpus(f"beir:{FIXTURES / 'beir_tiny'}", lang="en")}
    assert docs["d1"].lang == "de" and docs["d1"].title == "Berlin"
    assert docs["d6"].lang == "en"  # the record without a language field
    with pytest.raises(HybridbatchError, match="missing 'lang'"):
        read_corpus(f"beir:{FIXTURES / 'beir_tiny'}")


def test_lareqa_candidates_keep_their_paragraph():
    docs = read_corpus(f"lareqa:{FIXTURES / 'lareqa_tiny'}")
    assert {d.lang for d in docs} == {"de", "en", "es"}
    assert all(d.text in d.fields["context"] for d in docs)


@pytest.mark.parametrize("line, fragment", [
    ('{"id": "a", "lang": "en"}', "line 1: missing or empty 'text'"),
    ('{"id": "a", "text": "  ", "lang": "en"}', "line 1: missing or empty 'text'"),
    ('{"text": "x", "lang": "en"}', "line 1: missing or non-string 'id'"),
    ('{"id": "a", "text": "x"}', "line 1: missing 'lang'"),
    ('{"id": "a", "text": "x", "lang": "English!"}', "line 1: not a language code"),
    ('{"id": "a", "text": "x", "lang": "en", "title": 3}', "line 1: 'title' should be a string"),
    ('{"id": "a", "text": "x", "lang": "en"}\n{"id": "a", "text": "y", "lang": "de"}', "line 2: duplicate id 'a'"),
    ('{"id": "a", "text": "x", "lang": "en"', "line 1: malformed JSON"),
    ('["a"]', "line 1: expected a JSON object"),
])
def test_bad_records_are_named(tmp_path, line, fragment):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(HybridbatchError) as err:
        read_corpus(str(path))
    assert str(path) in str(err.value) and fragment in str(err.value)


def test_missing_empty_and_unknown_corpora(tmp_path):
    with pytest.raises(HybridbatchError, match="file not found"):
        read_corpus(str(tmp_path / "none.jsonl"))
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(HybridbatchError, match="no documents"):
        read_corpus(str(tmp_path / "empty.jsonl"))
    with pytest.raises(HybridbatchError, match="unknown corpus"):
        read_corpus("somewhere.txt")
    (tmp_path / "latin1.jsonl").write_bytes(json.dumps({"id": "a", "text": "x", "lang": "de"}).encode()[:-2] + b"\xe9\"}")
    with pytest.raises(HybridbatchError, match="not UTF-8"):
        read_corpus(str(tmp_path / "latin1.jsonl"))
