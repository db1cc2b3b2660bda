"""read_beir on the tiny multilingual fixture: text, order, splits, languages, bad input."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from hybridbatch.benchmarks.beir.reader import read_beir
from hybridbatch.errors import HybridbatchError


def test_reads_test_split(beir_tiny: Path) -> None:
    b = read_beir(beir_tiny)
    assert b.name == "beir_tiny-test" and b.kind == "beir"
    assert b.languages == ["de", "en", "sw", "und"]
    # q5 is only judged in dev; order: language, then file order
    assert [q.id for q in b.queries] == ["q1", "q2", "q4", "q3"]
    assert [q.lang for q in b.queries] == ["de", "en", "en", "sw"]
    assert all(q.group == q.id for q in b.queries)
    assert [c.id for c in b.candidates] == ["d1", "d4", "d2", "d5", "d3", "d7", "d6"]
    assert b.candidates[-1].lang == "und"
    assert b.qrels == {"q1": {"d1": 1, "d4": 0}, "q2": {"d2": 1}, "q3": {"d3": 2}, "q4": {"d5": 1}}
    assert [r.tolist() for r in b.relevant_indices()] == [[0], [2], [3], [4]]


def test_candidate_text_joins_title(beir_tiny: Path) -> None:
    by_id = {c.id: c for c in read_beir(beir_tiny).candidates}
    assert by_id["d1"].text == "Berlin. Berlin ist die Hauptstadt Deutschlands."
    assert by_id["d2"].text == "Paris is the capital of France."  # empty title
    assert by_id["d1"].context is None


def test_dev_split_and_undetermined_language(beir_tiny: Path) -> None:
    b = read_beir(beir_tiny, split="dev")
    assert b.name == "beir_tiny-dev"
    assert [(q.id, q.lang) for q in b.queries] == [("q5", "und")]
    assert b.qrels == {"q5": {"d6": 1}}


def test_language_subset(beir_tiny: Path) -> None:
    b = read_beir(beir_tiny, languages=["sw", "de"])
    assert b.languages == ["de", "sw"]
    assert [q.id for q in b.queries] == ["q1", "q3"]
    assert [c.id for c in b.candidates] == ["d1", "d4", "d3", "d7"]
    assert b.qrels == {"q1": {"d1": 1, "d4": 0}, "q3": {"d3": 2}}
    with pytest.raises(HybridbatchError, match="unknown language.* fr; available: de, en, sw, und"):
        read_beir(beir_tiny, languages=["fr"])


def test_gzipped_corpus_and_trec_qrels(beir_copy: Path) -> None:
    plain = beir_copy / "corpus.jsonl"
    with open(plain, "rb") as src, gzip.open(beir_copy / "corpus.jsonl.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain.unlink()
    (beir_copy / "qrels" / "test.tsv").write_text("q1 Q0 d1 1\nq2 0 d2 1\n", encoding="utf-8")
    b = read_beir(beir_copy)
    assert len(b.candidates) == 7
    assert b.qrels == {"q1": {"d1": 1}, "q2": {"d2": 1}}


def _replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


BAD = {
    "malformed corpus line": ("corpus.jsonl", 3, '{"_id": "d3", "text": }',
                              "corpus.jsonl: line 3: malformed JSON"),
    "malformed queries line": ("queries.jsonl", 2, '{"_id": "q2"', "queries.jsonl: line 2: malformed JSON"),
    "corpus line not an object": ("corpus.jsonl", 2, '["d2"]', "corpus.jsonl: line 2: expected a JSON object"),
    "duplicate document": ("corpus.jsonl", 4, '{"_id": "d1", "text": "again"}',
                           "corpus.jsonl: line 4 document 'd1': duplicate document id (first on line 1)"),
    "duplicate query": ("queries.jsonl", 4, '{"_id": "q2", "text": "again"}',
                        "queries.jsonl: line 4 query 'q2': duplicate query id (first on line 2)"),
    "missing document id": ("corpus.jsonl", 5, '{"text": "no id"}', "corpus.jsonl: line 5: missing '_id'"),
    "missing document text": ("corpus.jsonl", 5, '{"_id": "d5", "title": "Madrid"}',
                              "corpus.jsonl: line 5 document 'd5': missing 'text'"),
    "empty document": ("corpus.jsonl", 5, '{"_id": "d5", "title": " ", "text": ""}',
                       "corpus.jsonl: line 5 document 'd5': empty document text"),
    "empty query": ("queries.jsonl", 1, '{"_id": "q1", "text": "  "}',
                    "queries.jsonl: line 1 query 'q1': empty query text"),
    "text not a string": ("queries.jsonl", 1, '{"_id": "q1", "text": 3}',
                          "queries.jsonl: line 1 query 'q1': 'text' should be a string, got int"),
    "qrels unknown document": ("qrels/test.tsv", 3, "q1\td99\t1",
                               "test.tsv: line 3: unknown document 'd99' (not in the corpus)"),
    "qrels unknown query": ("qrels/test.tsv", 4, "q9\td2\t1",
                            "test.tsv: line 4: unknown query 'q9' (not in queries.jsonl)"),
    "qrels bad score": ("qrels/test.tsv", 2, "q1\td1\thigh", "test.tsv: line 2: score 'high' is not an integer"),
    "qrels fractional score": ("qrels/test.tsv", 2, "q1\td1\t0.5", "score '0.5' is not an integer"),
    "qrels infinite score": ("qrels/test.tsv", 2, "q1\td1\tinf", "score 'inf' is not an integer"),
    "qrels wrong field count": ("qrels/test.tsv", 2, "q1\td1", "test.tsv: line 2: expected 3 tab-separated fields"),
    "qrels conflicting scores": ("qrels/test.tsv", 3, "q1\td1\t2",
                                 "test.tsv: line 3: conflicting scores for query 'q1' document 'd1'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_file_and_record(case: str, beir_copy: Path) -> None:
    name, line, text, message = BAD[case]
    _replace_line(beir_copy / name, line, text)
    with pytest.raises(HybridbatchError) as info:
        read_beir(beir_copy)
    assert message in str(info.value)


@pytest.mark.parametrize("missing", ["corpus.jsonl", "queries.jsonl"])
def test_missing_file(missing: str, beir_copy: Path) -> None:
    (beir_copy / missing).unlink()
    with pytest.raises(HybridbatchError, match=f"{missing}: file not found"):
        read_beir(beir_copy)


def test_missing_split_lists_available(beir_tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(HybridbatchError, match=r"train\.tsv: file not found \(available splits: dev, test\)"):
        read_beir(beir_tiny, split="train")
    with pytest.raises(HybridbatchError, match="BEIR folder not found"):
        read_beir(tmp_path / "absent")


def test_truncated_gzip(beir_copy: Path) -> None:
    data = gzip.compress((beir_copy / "corpus.jsonl").read_bytes())
    (beir_copy / "corpus.jsonl").unlink()
    (beir_copy / "corpus.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(HybridbatchError, match=r"corpus\.jsonl\.gz: cannot read"):
        read_beir(beir_copy)
