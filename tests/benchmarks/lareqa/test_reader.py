"""read_lareqa on the tiny fixture: ids, order, text, qrels, language selection, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridbatch.benchmarks.lareqa.reader import read_lareqa
from hybridbatch.errors import HybridbatchError


def test_reads_tiny_fixture(lareqa_tiny: Path) -> None:
    b = read_lareqa(lareqa_tiny)
    assert b.name == "lareqa_tiny" and b.kind == "lareqa"
    assert b.languages == ["de", "en", "es"]
    assert [q.id for q in b.queries] == ["de:q1", "de:q2", "de:q3", "de:q4",
                                         "en:q1", "en:q2", "en:q3", "en:q4",
                                         "es:q1", "es:q2", "es:q4"]
    assert [(q.lang, q.group) for q in b.queries][4] == ("en", "q1")
    assert b.queries[4].text == "How long is the Rhine in Germany?"
    per_lang = {lang: [c.id for c in b.candidates if c.lang == lang] for lang in b.languages}
    assert per_lang["en"] == ["en:0:0:0", "en:0:0:1", "en:0:0:2", "en:0:1:0", "en:0:1:1",
                              "en:1:0:0", "en:1:0:1"]
    assert len(per_lang["de"]) == 7 and len(per_lang["es"]) == 6
    # candidates are grouped by language in sorted order
    assert [c.lang for c in b.candidates] == ["de"] * 7 + ["en"] * 7 + ["es"] * 6


def test_candidate_text_is_stripped_slice_with_paragraph_context(lareqa_tiny: Path) -> None:
    b = read_lareqa(lareqa_tiny, ["en", "es"])
    by_id = {c.id: c for c in b.candidates}
    raw = json.loads((lareqa_tiny / "en.json").read_text(encoding="utf-8"))
    para = raw["data"][0]["paragraphs"][1]
    start, end = para["sentence_breaks"][1]
    assert para["context"][start:end] == " It passes through ten countries."  # break includes the space
    assert by_id["en:0:1:1"].text == "It passes through ten countries."
    assert by_id["en:0:1:1"].context == para["context"]
    assert by_id["es:0:0:1"].text.startswith("Atraviesa")
    assert all("·" not in c.text for c in b.candidates)  # the " · " separators fall between breaks


def test_qrels_link_every_translation(lareqa_tiny: Path) -> None:
    b = read_lareqa(lareqa_tiny)
    assert b.qrels["en:q1"] == {"de:0:0:1": 1, "en:0:0:1": 1, "es:0:0:1": 1}
    assert b.qrels["es:q2"] == {"de:0:0:2": 1, "en:0:0:2": 1, "es:0:0:2": 1}
    assert b.qrels["de:q3"] == {"de:0:1:1": 1, "en:0:1:1": 1}  # no Spanish q3
    assert b.qrels["es:q4"] == {"de:1:0:1": 1, "en:1:0:1": 1, "es:1:0:1": 1}
    assert set(b.qrels) == {q.id for q in b.queries}


def test_relevant_sentence_holds_the_answer(lareqa_tiny: Path) -> None:
    b = read_lareqa(lareqa_tiny)
    by_id = {c.id: c for c in b.candidates}
    for lang in b.languages:
        raw = json.loads((lareqa_tiny / f"{lang}.json").read_text(encoding="utf-8"))
        for article in raw["data"]:
            for para in article["paragraphs"]:
                for qa in para["qas"]:
                    own = [c for c in b.qrels[f"{lang}:{qa['id']}"] if c.startswith(f"{lang}:")]
                    assert len(own) == 1
                    assert qa["answers"][0]["text"] in by_id[own[0]].text


def test_language_subset_restricts_qrels(lareqa_tiny: Path) -> None:
    b = read_lareqa(lareqa_tiny, ["es", "en"], name="tiny")
    assert b.name == "tiny"
    assert b.languages == ["en", "es"]
    assert len(b.queries) == 7 and len(b.candidates) == 13
    assert b.qrels["en:q3"] == {"en:0:1:1": 1}
    assert b.qrels["en:q1"] == {"en:0:0:1": 1, "es:0:0:1": 1}
    assert [len(r) for r in b.relevant_indices()] == [2, 2, 1, 2, 2, 2, 2]


def test_unknown_language_lists_available(lareqa_tiny: Path) -> None:
    with pytest.raises(HybridbatchError, match=r"unknown language\(s\) xx; available: de, en, es"):
        read_lareqa(lareqa_tiny, ["en", "xx"])


def test_missing_folder_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(HybridbatchError, match="nope: LAReQA folder not found"):
        read_lareqa(tmp_path / "nope")
    with pytest.raises(HybridbatchError, match="no languages found"):
        read_lareqa(tmp_path)


def _para(i: int, j: int):
    """Accessor for data[i].paragraphs[j] of a parsed file."""
    return lambda root: root["data"][i]["paragraphs"][j]


P00 = _para(0, 0)  # "The Rhine rises ..." 3 sentences, questions q1 (sentence 1) and q2 (sentence 2)
P11 = _para(1, 0)  # "Bread ..." 2 sentences, question q4


def _set(getter, key, value):
    return lambda root: getter(root).__setitem__(key, value)


BAD_EDITS = {
    "missing sentence_breaks": (lambda r: P00(r).pop("sentence_breaks"),
                                "en.json: article 0 paragraph 0: missing 'sentence_breaks'"),
    "missing answers": (lambda r: P00(r)["qas"][0].pop("answers"),
                        "en.json: article 0 paragraph 0 question q1: missing 'answers'"),
    "empty answers": (lambda r: P00(r)["qas"][1].__setitem__("answers", []),
                      "en.json: article 0 paragraph 0 question q2: no answers"),
    "answer outside context": (lambda r: P00(r)["qas"][0]["answers"][0].__setitem__("answer_start", 2000),
                               "en.json: article 0 paragraph 0 question q1: answer_start 2000 outside "
                               "the context (length 136)"),
    "negative answer start": (lambda r: P00(r)["qas"][0]["answers"][0].__setitem__("answer_start", -1),
                              "answer_start -1 outside the context"),
    "answer in no sentence": (lambda r: P00(r)["qas"][0]["answers"][0].__setitem__("answer_start", 34),
                              "en.json: article 0 paragraph 0 question q1: answer_start 34 is in no sentence"),
    "overlapping breaks": (_set(P00, "sentence_breaks", [[0, 34], [30, 91], [92, 136]]),
                           "en.json: article 0 paragraph 0 sentence 1: sentence break [30, 91) overlaps "
                           "the previous one [0, 34)"),
    "break past context": (_set(P00, "sentence_breaks", [[0, 34], [35, 91], [92, 140]]),
                           "en.json: article 0 paragraph 0 sentence 2: sentence break [92, 140) runs past "
                           "the context (length 136)"),
    "empty break": (_set(P00, "sentence_breaks", [[0, 34], [35, 35], [35, 136]]),
                    "en.json: article 0 paragraph 0 sentence 1: empty sentence break [35, 35)"),
    "malformed break": (_set(P00, "sentence_breaks", [[0, 34], [35], [92, 136]]),
                        "sentence 1: sentence break should be [start, end], got [35]"),
    "blank sentence": (lambda r: P11(r).update(context="Bread.   Yeast.", sentence_breaks=[[0, 6], [6, 9], [9, 15]],
                                               qas=[{"id": "q4", "question": "What?",
                                                     "answers": [{"answer_start": 9, "text": "Yeast"}]}]),
                       "en.json: article 1 paragraph 0 sentence 1: sentence [6, 9) is blank"),
    "empty question": (lambda r: P00(r)["qas"][1].__setitem__("question", "  "),
                       "en.json: article 0 paragraph 0 question q2: empty question text"),
    "duplicate question id": (lambda r: P11(r)["qas"][0].__setitem__("id", "q1"),
                              "en.json: article 1 paragraph 0 question q1: duplicate question id 'q1'"),
    "answer_start not int": (lambda r: P00(r)["qas"][0]["answers"][0].__setitem__("answer_start", "76"),
                             "question q1 answer 0: 'answer_start' should be int, got str"),
    "no data list": (lambda r: r.pop("data"), "en.json: no 'data' list at the top level"),
    "paragraph not an object": (lambda r: r["data"][1]["paragraphs"].append("oops"),
                                "en.json: article 1 paragraph 1: expected an object, got str"),
}


@pytest.mark.parametrize("case", sorted(BAD_EDITS))
def test_bad_input_names_file_and_record(case: str, lareqa_copy: Path, edit_json) -> None:
    change, message = BAD_EDITS[case]
    edit_json(lareqa_copy / "en.json", change)
    with pytest.raises(HybridbatchError) as info:
        read_lareqa(lareqa_copy)
    assert message in str(info.value)


def test_fixture_offsets_used_by_bad_edits_are_right(lareqa_tiny: Path) -> None:
    raw = json.loads((lareqa_tiny / "en.json").read_text(encoding="utf-8"))
    para = raw["data"][0]["paragraphs"][0]
    assert len(para["context"]) == 136
    assert para["sentence_breaks"] == [[0, 34], [35, 91], [92, 136]]


def test_malformed_json(lareqa_copy: Path) -> None:
    (lareqa_copy / "de.json").write_text('{"data": [\n  {"paragraphs": [}\n', encoding="utf-8")
    with pytest.raises(HybridbatchError, match=r"de\.json: malformed JSON at line 2 column 19"):
        read_lareqa(lareqa_copy)


def test_not_utf8(lareqa_copy: Path) -> None:
    (lareqa_copy / "es.json").write_bytes(b'{"data": ["\xff"]}')
    with pytest.raises(HybridbatchError, match=r"es\.json: not UTF-8"):
        read_lareqa(lareqa_copy)


def test_bad_file_outside_requested_languages_is_not_read(lareqa_copy: Path) -> None:
    (lareqa_copy / "de.json").write_text("not json", encoding="utf-8")
    b = read_lareqa(lareqa_copy, ["en", "es"])
    assert b.languages == ["en", "es"]
