"""TyDi QA reader: per-language passages deduplicated, splits, the data-folder lookup, training pairs and
the leakage check, one-line errors naming the file and the record."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from hybridbatch.benchmarks.registry import family_for_spec, load_benchmark
from hybridbatch.benchmarks.tydiqa.reader import read_tydiqa, tydiqa_files
from hybridbatch.cli import main
from hybridbatch.errors import HybridbatchError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "tydiqa_tiny"
EN = "tydiqa.goldp.en.dev.json"
PARIS = "Paris is the capital and most populous city of France."


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the fixture as ``<data>/tydiqa-goldp``."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "data" / "tydiqa-goldp"))


def test_layout_and_deduplicated_passages() -> None:
    b = read_tydiqa(FIXTURE)
    assert (b.name, b.kind, b.languages) == ("tydiqa-dev", "tydiqa", ["en", "sw", "te"])
    assert [q.id for q in b.queries if q.lang == "en"] == ["english-1-0", "english-2-0", "english-3-0",
                                                             "english-4-0"]
    assert all(q.group == q.id for q in b.queries) and len(b.queries) == 9
    # en: Paris is shared by two questions, the cat paragraph has none (a distractor); sw: one shared passage
    assert [sum(c.lang == x for c in b.candidates) for x in b.languages] == [4, 2, 2]
    assert b.qrels["english-1-0"] == b.qrels["english-3-0"] and len(b.qrels["english-1-0"]) == 1
    assert b.qrels["swahili-2-0"] == b.qrels["swahili-3-0"]
    texts = {c.id: c.text for c in b.candidates}
    assert texts[next(iter(b.qrels["english-1-0"]))] == PARIS
    assert texts[next(iter(b.qrels["swahili-1-0"]))].startswith("Dar es Salaam. Dar es Salaam ni jiji")  # title
    assert "The cat sat on the mat all afternoon." in texts.values()
    assert all(c.id.startswith(f"{c.lang}:") and len(c.id) == len(c.lang) + 13 for c in b.candidates)
    assert [c.lang for c in b.candidates] == sorted(c.lang for c in b.candidates)


def test_languages_and_splits() -> None:
    sw = read_tydiqa(FIXTURE, "dev", ["sw"])
    assert sw.languages == ["sw"] and {c.lang for c in sw.candidates} == {"sw"} and len(sw.queries) == 3
    assert read_tydiqa(FIXTURE, "dev", ["all"]).languages == ["en", "sw", "te"]
    assert sorted(tydiqa_files(FIXTURE, "train")) == ["en"]
    train = read_tydiqa(FIXTURE, "train")
    assert train.name == "tydiqa-train" and [q.id for q in train.queries] == ["english-9-0", "english-10-0"]
    with pytest.raises(HybridbatchError, match=r"tydiqa_tiny: unknown language\(s\) fi; available: en, sw, te"):
        read_tydiqa(FIXTURE, "dev", ["fi"])
    with pytest.raises(HybridbatchError, match="unknown TyDi QA split 'test'; expected one of dev, train"):
        read_tydiqa(FIXTURE, "test")


def test_spec_reads_under_the_data_folder(folder: Path, tmp_path: Path) -> None:
    data = folder.parent
    b = load_benchmark("tydiqa", data, None)
    assert (b.name, len(b.queries), len(b.candidates)) == ("tydiqa-dev", 9, 8)
    assert load_benchmark("tydiqa:train", data, None).name == "tydiqa-train"
    assert load_benchmark("TyDiQA:dev", data, ["te"]).languages == ["te"]
    other = tmp_path / "other"
    shutil.copytree(FIXTURE, other / "tydiqa")  # the family's own name is looked up too
    assert len(load_benchmark("tydiqa", other, ["en", "sw"]).queries) == 7
    with pytest.raises(HybridbatchError, match=r"empty/tydiqa-goldp: TyDi QA folder not found"):
        (tmp_path / "empty").mkdir()
        load_benchmark("tydiqa", tmp_path / "empty", None)
    with pytest.raises(HybridbatchError, match=r"no tydiqa.goldp.<lang>.dev.json file"):
        read_tydiqa(tmp_path / "empty")


def test_training_pairs_come_from_the_train_split_only(folder: Path) -> None:
    family = family_for_spec("tydiqa:train")
    kwargs = {"languages": None, "name": "tydiqa", "with_context": False, "hard_negatives": False, "seed": 0}
    pairs = family.read_training_pairs("tydiqa:train", folder.parent, **kwargs)
    assert [(it.group, it.lang, it.passage) for it in pairs.items] == [
        ("english-9-0", "en", "Berlin is the capital of Germany."), ("english-10-0", "en", PARIS)]
    assert family.leakage_specs == ("tydiqa:dev",)
    for spec in ("tydiqa", "tydiqa:dev"):
        with pytest.raises(HybridbatchError, match="the dev split is the evaluation split"):
            family.read_training_pairs(spec, folder.parent, **kwargs)
    with pytest.raises(HybridbatchError, match="passages are whole paragraphs"):
        family.read_training_pairs("tydiqa:train", folder.parent, **(kwargs | {"hard_negatives": True}))


def test_check_leakage_finds_a_shared_passage(folder: Path, capsys) -> None:
    code = main(["check-leakage", "--train", "tydiqa:train", "--eval", "tydiqa", "--data-dir", str(folder.parent)])
    out = capsys.readouterr().out
    assert code == 1 and "LEAKAGE: tydiqa-dev vs training (tydiqa-train): 0/9 questions, 1/8 candidates" in out
    assert main(["check-leakage", "--train", "tydiqa:train", "--eval", "tydiqa:dev", "--data-dir",
                 str(folder.parent)]) == 1


def _set(path: list, value) -> Callable[[dict], None]:
    def change(root: dict) -> None:
        node = root
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _drop(path: list) -> Callable[[dict], None]:
    def change(root: dict) -> None:
        node = root
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


QA = ["data", 1, "paragraphs", 0, "qas", 0]


@pytest.mark.parametrize("change, message", [
    (_set(["data"], {}), f"{EN}: no 'data' list at the top level"),
    (_set(["data", 2], "text"), f"{EN}: article 2: expected an object, got str"),
    (_drop(["data", 0, "paragraphs"]), f"{EN}: article 0: missing 'paragraphs'"),
    (_set(["data", 0, "title"], 5), f"{EN}: article 0: 'title' should be str, got int"),
    (_set(["data", 1, "paragraphs", 0, "context"], None), f"{EN}: article 1 paragraph 0: 'context' should be str"),
    (_set(["data", 1, "paragraphs", 0, "context"], "  "), f"{EN}: article 1 paragraph 0: empty context"),
    (_drop(["data", 1, "paragraphs", 0, "qas"]), f"{EN}: article 1 paragraph 0: missing 'qas'"),
    (_drop(QA + ["id"]), f"{EN}: article 1 paragraph 0 question 0: missing 'id'"),
    (_set(QA + ["id"], " "), f"{EN}: article 1 paragraph 0 question 0: empty question id"),
    (_set(QA + ["question"], ""), f"{EN}: article 1 paragraph 0 question 'english-2-0': empty question text"),
    (_set(QA + ["id"], "english-1-0"), f"{EN}: article 1 paragraph 0: duplicate question id 'english-1-0' "
                                       f"\\(first in {EN} article 0 paragraph 0\\)"),
])
def test_malformed_files_give_one_line_naming_file_and_record(folder: Path, change, message) -> None:
    path = folder / EN
    root = json.loads(path.read_text(encoding="utf-8"))
    change(root)
    path.write_text(json.dumps(root), encoding="utf-8")
    with pytest.raises(HybridbatchError, match=message) as err:
        read_tydiqa(folder)
    assert "\n" not in str(err.value)


def test_a_question_id_in_two_files(folder: Path) -> None:
    path = folder / "tydiqa.goldp.sw.dev.json"
    root = json.loads(path.read_text(encoding="utf-8"))
    root["data"][0]["paragraphs"][0]["qas"][0]["id"] = "english-2-0"
    path.write_text(json.dumps(root), encoding="utf-8")
    with pytest.raises(HybridbatchError, match=r"tydiqa.goldp.sw.dev.json: article 0 paragraph 0: duplicate "
                                               rf"question id 'english-2-0' \(first in {EN} article 1 paragraph 0\)"):
        read_tydiqa(folder)
    assert len(read_tydiqa(folder, "dev", ["sw"]).queries) == 3  # not read together: no clash


@pytest.mark.parametrize("content, message", [
    (b'{"data": [\n  {"paragraphs": []},\n  oops\n]}', f"{EN}: malformed JSON at line 3 column 3"),
    (b'\xff\xfe{"data": []}', f"{EN}: not UTF-8 text"),
    (b'{"data": [{"paragraphs": [{"context": "x", "qas": []}]}]}', f"{EN}: no questions"),
])
def test_unreadable_files(folder: Path, content: bytes, message: str) -> None:
    (folder / EN).write_bytes(content)
    with pytest.raises(HybridbatchError, match=message):
        read_tydiqa(folder, "dev", ["en"])


def test_a_bad_file_is_exit_2_with_one_line(folder: Path, capsys) -> None:
    (folder / EN).write_text('{"data": [\n oops]}', encoding="utf-8")
    code = main(["check-leakage", "--train", "tydiqa:train", "--eval", "tydiqa", "--data-dir", str(folder.parent)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and f"{EN}: malformed JSON at line 2" in err
