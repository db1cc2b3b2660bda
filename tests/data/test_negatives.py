"""The mined-negatives file: written atomically, read back, and every kind of bad line refused with one line
that names the file and the line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.data.negatives import (
    FORMAT,
    ItemTable,
    global_clusters,
    negative_record,
    query_record,
    read_negatives,
    write_negatives,
)
from hybridbatch.data.training_pairs import Item, PairSet, TrainingPairs
from hybridbatch.errors import HybridbatchError
from tests.training.helpers import toy_items, toy_pairs

HEADER = {"policy": "same-language", "per_query": 2}


def _pairs() -> TrainingPairs:
    items = toy_items(6, ["en", "de"])
    # group 1 answers with group 0's English sentence: groups 0 and 1 are one conflict cluster
    items = [Item(it.group, it.lang, it.query, items[0].passage) if (it.group, it.lang) == (items[2].group, "en")
             else it for it in items]
    return TrainingPairs([PairSet("toy", items), toy_pairs(3, ("en", "fr"), name="other", start=100)])


def _line(query: str, *negatives: tuple[str, str], dataset: str = "toy", **extra) -> str:
    lang = query.rsplit("/", 1)[1]
    negs = [{"id": nid, "lang": nid.rsplit("/", 1)[1], "rank": r, "score": 0.5} | ({"dataset": d} if d else {})
            for r, (nid, d) in enumerate(((n if isinstance(n, tuple) else (n, None)) for n in negatives), start=1)]
    return json.dumps({"dataset": dataset, "query_id": query, "lang": lang, "negatives": negs} | extra)


def _file(tmp_path: Path, *lines: str, header: dict | None = None) -> Path:
    head = json.dumps({"format": FORMAT, "version": 1} | (HEADER if header is None else header))
    path = tmp_path / "negatives.jsonl"
    path.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
    return path


def test_written_file_reads_back_as_item_indices(tmp_path):
    pairs = _pairs()
    table = ItemTable(pairs)
    g = {table.name_of(i): i for i in range(len(table))}
    q, n1, n2 = g["toy", "gbb/en"], g["toy", "gbf/en"], g["other", "gez/en"]
    records = [query_record(table, q, [negative_record(table, q, n1, 4, 0.81234567),
                                       negative_record(table, q, n2, 9, 0.5)])]
    path = write_negatives(tmp_path / "sub" / "neg.jsonl", HEADER | {"format": "x"}, records)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["format"] == FORMAT and list(json.loads(lines[0]))[:2] == ["format", "version"]
    assert json.loads(lines[1])["negatives"] == [
        {"id": "gbf/en", "lang": "en", "rank": 4, "score": 0.812346},
        {"id": "gez/en", "lang": "en", "dataset": "other", "rank": 9, "score": 0.5}]
    mined = read_negatives(path, pairs)
    assert mined.policy == "same-language" and mined.n_negatives == 2 and mined.n_with_negatives == 1
    assert mined.per_item[q].tolist() == [n1, n2] and all(len(x) == 0 for i, x in enumerate(mined.per_item) if i != q)
    (toy, other), dropped = mined.local_slots(pairs)
    assert dropped == 1 and toy.shape == (12, 2) and toy[q].tolist() == [n1, -1] and (other == -1).all()
    assert list(tmp_path.joinpath("sub").iterdir()) == [path]  # no temporary file left


def test_clusters_join_across_datasets_by_shared_text():
    a = toy_pairs(3, ("en",), name="a")
    b = PairSet("b", [Item("x", "en", "another question", a.items[2].passage),
                      Item("y", "en", "a third question", "its own answer")])
    cluster = global_clusters(TrainingPairs([a, b]))
    assert cluster[2] == cluster[3] and len(set(cluster.tolist())) == 4


def test_the_policy_given_overrides_the_header(tmp_path):
    path = _file(tmp_path, _line("gbb/en", "gbf/de"), header={"policy": "any"})
    assert read_negatives(path, _pairs()).per_item[0].tolist() == [9]
    with pytest.raises(HybridbatchError, match="policy same-language asks for the query's language"):
        read_negatives(path, _pairs(), "same-language")


BAD = {
    "malformed": ('{"dataset": "toy", ', "line 2: malformed JSON"),
    "not object": ("[1, 2]", "line 2: expected a JSON object"),
    "missing field": ('{"dataset": "toy", "query_id": "gbb/en", "lang": "en"}', "line 2: missing field 'negatives'"),
    "unknown field": (_line("gbb/en", extra_field=1), "line 2: unknown field(s) extra_field"),
    "unknown dataset": (_line("gbb/en", dataset="nope"), "line 2: unknown dataset 'nope' (training datasets: toy, other)"),
    "unknown query": (_line("gzz/en"), "line 2: query id 'gzz/en' is not a training item of dataset 'toy'"),
    "unknown negative": (_line("gbb/en", "gzz/en"), "line 2: negative 1: passage id 'gzz/en' is not a training item"),
    "lang mismatch": ('{"dataset": "toy", "query_id": "gbb/en", "lang": "de", "negatives": []}',
                      "line 2: query id 'gbb/en' has language 'en', but 'lang' says 'de'"),
    "own group": (_line("gbb/en", "gbf/en", "gbb/de"), "line 2: negative 2: 'gbb/de' is in the query's own parallel "
                  "group"),
    "own cluster": (_line("gbb/de", "gbc/de"), "line 2: negative 1: 'gbc/de' is in the query's conflict cluster"),
    "other language": (_line("gbb/en", "gbf/de"), "line 2: negative 1: 'gbf/de' is in 'de', but policy same-language"),
    "twice": (_line("gbb/en", "gbf/en", "gbf/en"), "line 2: negative 2: 'gbf/en' is listed twice"),
    "rank type": (_line("gbb/en", "gbf/en").replace('"rank": 1', '"rank": "1"'), "line 2: negative 1: 'rank' should "
                  "be a int"),
    "rank zero": (_line("gbb/en", "gbf/en").replace('"rank": 1', '"rank": 0'), "'rank' 0 should be >= 1"),
    "score": (_line("gbb/en", "gbf/en").replace('"score": 0.5', '"score": NaN'), "'score' should be a finite"),
    "negative not object": (_line("gbb/en").replace('[]', '["gbf/en"]'), "negative 1: expected a JSON object"),
    "other dataset id": (_line("gbb/en", ("gez/fr", "toy")), "negative 1: passage id 'gez/fr' is not a training "
                         "item of dataset 'toy'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_lines_name_file_and_line(tmp_path, case):
    line, message = BAD[case]
    path = _file(tmp_path, line)
    with pytest.raises(HybridbatchError) as info:
        read_negatives(path, _pairs())
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"{path}: line ") and message in text, text


def test_errors_name_later_lines_and_repeated_queries(tmp_path):
    path = _file(tmp_path, _line("gbb/en", "gbf/en"), "", _line("gbd/en"), _line("gbb/en"))
    with pytest.raises(HybridbatchError, match=r"negatives.jsonl: line 5: query 'gbb/en' of dataset 'toy' is "
                                               "listed twice"):
        read_negatives(path, _pairs())


@pytest.mark.parametrize("header, message", [
    ({"policy": "any", "format": "other"}, "line 1: not a negatives file"),
    ({"policy": "any", "version": 7}, "line 1: negatives file version 7"),
    ({"policy": "weird"}, "line 1: header 'policy' is 'weird'"),
])
def test_bad_headers(tmp_path, header, message):
    path = tmp_path / "n.jsonl"
    path.write_text(json.dumps({"format": FORMAT, "version": 1} | header) + "\n")
    with pytest.raises(HybridbatchError, match=message):
        read_negatives(path, _pairs())


def test_unreadable_empty_and_binary_files(tmp_path):
    with pytest.raises(HybridbatchError, match="cannot read negatives file"):
        read_negatives(tmp_path / "missing.jsonl", _pairs())
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(HybridbatchError, match="empty negatives file"):
        read_negatives(tmp_path / "empty.jsonl", _pairs())
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe{}")
    with pytest.raises(HybridbatchError, match="not UTF-8"):
        read_negatives(tmp_path / "bin.jsonl", _pairs())
    with pytest.raises(HybridbatchError, match="unknown negatives policy"):
        read_negatives(_file(tmp_path), _pairs(), "mixed")


def test_indices_follow_the_global_item_order():
    pairs = _pairs()
    table = ItemTable(pairs)
    assert len(table) == 18 and table.name_of(12) == ("other", "gex/en")
    assert np.array_equal(table.cluster[:4], [0, 0, 0, 0]) and table.group[12] == 6
