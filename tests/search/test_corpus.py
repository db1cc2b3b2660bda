"""Corpus readers: JSONL, BEIR and the candidates of any registered benchmark; every bad record is named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hybridbatch.benchmarks import registry
from hybridbatch.benchmarks.family import BenchmarkFamily
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
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


def test_tatoeba_is_read_through_the_registry(tmp_path):
    shutil.copytree(FIXTURES / "tatoeba_tiny", tmp_path / "tatoeba")
    docs = read_corpus("tatoeba", data_dir=tmp_path, languages=["all"])
    bench = registry.load_benchmark("tatoeba", tmp_path, ["all"])
    assert [(d.id, d.lang, d.text) for d in docs] == [(c.id, c.lang, c.text) for c in bench.candidates]
    assert {d.lang for d in docs} == {"afr", "deu", "xho", "eng"} and len(docs) == 18
    assert {d.lang for d in read_corpus("tatoeba", data_dir=tmp_path, languages=["deu"])} == {"deu", "eng"}
    with pytest.raises(HybridbatchError, match="XTREME language"):  # the default set needs all 36 pairs
        read_corpus("tatoeba", data_dir=tmp_path)


@pytest.fixture
def toy_family():
    """A family registered at run time: two candidates (one with a context) and whatever languages it is asked."""
    asked = []

    def load(spec: str, data_dir: Path | None, languages: list[str] | None) -> Benchmark:
        asked.append(languages)
        candidates = [Candidate("c1", "en", "The Rhine rises in the Alps.", "Rivers of Europe."),
                      Candidate("c2", "de", "Der Rhein entspringt in den Alpen.")]
        return Benchmark("toy", "toy-kind", [Query("q1", "en", "g1", "Where does the Rhine rise?")], candidates,
                         {"q1": {"c1": 1}}, ["de", "en"])

    registry.register(BenchmarkFamily(name="toy", kind="toy-kind", spec_help="toy", matches=lambda s: s == "toy",
                                      load=load, scorer="unused:Unused"))
    yield asked
    registry.unregister("toy")


def test_a_family_registered_at_run_time_can_be_indexed(toy_family):
    docs = read_corpus("toy", languages=["en", "de"])
    assert [(d.id, d.lang, d.text) for d in docs] == [("c1", "en", "The Rhine rises in the Alps."),
                                                       ("c2", "de", "Der Rhein entspringt in den Alpen.")]
    assert docs[0].fields == {"context": "Rivers of Europe."} and docs[1].fields == {}
    assert toy_family == [["en", "de"]]
    registry.unregister("toy")
    with pytest.raises(HybridbatchError, match="unknown corpus 'toy'"):
        read_corpus("toy")


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
