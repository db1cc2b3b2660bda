"""AfriQA reader: pooled passages, native and translated queries, splits, skipped rows, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridbatch.benchmarks.afriqa.reader import afriqa_files, read_afriqa
from hybridbatch.errors import HybridbatchError

HAU_TEST = "hau/gold_span_passages.afriqa.hau.en.test.json"


@pytest.fixture
def folder(tiny_data: Path) -> Path:
    return tiny_data / "afriqa"


def test_test_split_layout(folder: Path) -> None:
    b = read_afriqa(folder)
    assert b.kind == "translated_qa" and b.name == "afriqa-test"
    assert b.languages == ["en", "fon", "fr", "hau"]
    assert [(q.id, q.lang, q.group) for q in b.queries if q.group.startswith("hau")] == [
        ("hau:0", "hau", "hau:0"), ("hau:1", "hau", "hau:1"), ("hau:2", "hau", "hau:2"),
        ("hau:0:en", "en", "hau:0"), ("hau:1:en", "en", "hau:1"), ("hau:2:en", "en", "hau:2")]
    # hau:3 has no gold passage (null context): left out
    texts = {c.id: c.text for c in b.candidates}
    assert len(b.candidates) == 4  # hau rows 0 and 2 share one passage
    assert b.qrels["hau:0"] == b.qrels["hau:2"] == b.qrels["hau:0:en"]
    assert texts[next(iter(b.qrels["hau:0"]))] == "Abuja. Abuja is the capital city of Nigeria."
    assert texts[next(iter(b.qrels["fon:1"]))] == "Le Bénin est indépendant depuis le 1er août 1960."  # no title
    assert {c.lang for c in b.candidates} == {"en", "fr"}
    assert next(q for q in b.queries if q.id == "fon:0:fr").text == "Où se trouve la capitale du Bénin ?"


def test_the_pool_does_not_depend_on_the_languages_chosen(folder: Path) -> None:
    everything, hau = read_afriqa(folder), read_afriqa(folder, "test", ["hau"])
    assert [c.id for c in hau.candidates] == [c.id for c in everything.candidates]
    assert {q.group.split(":")[0] for q in hau.queries} == {"hau"}
    assert hau.languages == ["en", "fr", "hau"]
    assert read_afriqa(folder, "test", ["all"]).languages == everything.languages


def test_splits(folder: Path) -> None:
    assert sorted(afriqa_files(folder, "dev")) == ["hau"]
    dev = read_afriqa(folder, "dev")
    assert dev.name == "afriqa-dev" and [q.id for q in dev.queries] == ["hau:0", "hau:0:en"]
    with pytest.raises(HybridbatchError, match=r"afriqa: unknown language\(s\) fon; available: hau"):
        read_afriqa(folder, "dev", ["fon"])
    with pytest.raises(HybridbatchError, match="no language has a 'train' split"):
        read_afriqa(folder, "train")
    with pytest.raises(HybridbatchError, match="unknown AfriQA split 'valid'; expected one of test, dev, train"):
        read_afriqa(folder, "valid")


def _rows(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / HAU_TEST).read_text(encoding="utf-8").splitlines()]


def _write(folder: Path, rows: list, raw_line: str | None = None) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    if raw_line is not None:
        lines.insert(1, raw_line)
    (folder / HAU_TEST).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_rows_without_a_passage_or_a_question_are_left_out(folder: Path) -> None:
    rows = _rows(folder)
    rows[1]["question_lang"] = float("nan")  # written as NaN, as in the real twi dev file
    rows[2]["context"] = "  "
    _write(folder, rows)
    b = read_afriqa(folder, "test", ["hau"])
    assert [q.id for q in b.queries] == ["hau:0", "hau:0:en"]


@pytest.mark.parametrize("change, message", [
    (lambda rows: "{not json", r"line 2: malformed JSON"),
    (lambda rows: "[1, 2]", r"line 2: expected a JSON object"),
    (lambda rows: rows[1].update(id=rows[0]["id"]), r"line 2: duplicate id '0' \(first on line 1\)"),
    (lambda rows: rows[1].pop("id") and None, r"line 2: missing or empty 'id'"),
    (lambda rows: rows[1].update(question_translated=["x"]),
     r"line 2 id '1': 'question_translated' should be a string, got list"),
    (lambda rows: rows.clear() or rows.append({"id": "0", "context": None, "question_lang": "q",
                                               "question_translated": "q"}),
     r"no usable rows \(each needs a context and both questions\)"),
])
def test_bad_rows_name_file_and_line(folder: Path, change, message) -> None:
    """``change`` edits the rows in place, or returns a raw line to insert as line 2."""
    rows = _rows(folder)
    _write(folder, rows, change(rows))
    with pytest.raises(HybridbatchError, match=r"gold_span_passages\.afriqa\.hau\.en\.test\.json: " + message) as err:
        read_afriqa(folder)
    assert "\n" not in str(err.value)


def test_missing_folder_and_two_files_for_a_split(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(HybridbatchError, match="AfriQA folder not found"):
        read_afriqa(tmp_path / "nope")
    (folder / "hau" / "gold_span_passages.afriqa.hau.fr.test.json").write_text("{}\n", encoding="utf-8")
    with pytest.raises(HybridbatchError, match="hau: 2 files for split 'test'; expected one"):
        read_afriqa(folder)


@pytest.mark.slow
def test_real_afriqa(real_data: Path) -> None:
    b = read_afriqa(real_data / "afriqa")
    assert b.languages == ["bem", "en", "fon", "fr", "hau", "ibo", "kin", "swa", "twi", "yor", "zul"]
    assert len(b.queries) == 2 * 3107 and len(b.candidates) == 2917
    assert sum(q.lang == "fr" for q in b.queries) == 386  # fon's translations are French
    assert sorted(afriqa_files(real_data / "afriqa", "dev")) == ["bem", "fon", "hau", "ibo", "kin", "twi", "zul"]
