from __future__ import annotations

import json

import numpy as np
import pytest

from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.data.benchmark_pairs import pairs_from_benchmark
from hybridbatch.data.pairs_files import read_pairs_jsonl
from hybridbatch.data.training_pairs import Item, PairSet, TrainingPairs, normalize_text
from hybridbatch.errors import HybridbatchError
from tests.helpers import parallel_benchmark
from tests.training.helpers import toy_items, toy_pairs, write_jsonl


def test_rows_from_benchmark_pair_question_in_x_with_answer_in_y():
    bench = parallel_benchmark(["de", "en", "es"], n_groups=4)
    ps = pairs_from_benchmark(bench)
    assert ps.languages == ["de", "en", "es"]
    assert len(ps.items) == 12 and len(ps.groups) == 4
    rows = list(ps.rows())
    assert len(rows) == 4 * 3 * 3  # every ordered (X, Y), X = Y included
    for row in rows:
        g = row.group[1:]
        assert row.query == f"question {g} in {row.query_lang}"
        assert row.passage == f"answer {g} in {row.passage_lang}"
    assert {(r.query_lang, r.passage_lang) for r in rows if r.group == "q0"} == {
        (x, y) for x in ps.languages for y in ps.languages}


def test_context_is_joined_like_the_evaluation_and_languages_can_be_chosen():
    bench = parallel_benchmark(["de", "en", "es"], n_groups=2)
    ps = pairs_from_benchmark(bench, languages=["en", "de"], with_context=True)
    assert ps.languages == ["de", "en"]
    row = ps.row(0)
    assert row.passage == f"answer 0 in {row.passage_lang} paragraph 0 {row.passage_lang}"


def test_language_without_data_is_an_error():
    bench = parallel_benchmark(["de", "en"], n_groups=2)
    with pytest.raises(HybridbatchError, match="xx"):
        pairs_from_benchmark(bench, languages=["en", "xx"])


def _paragraph_benchmark() -> Benchmark:
    """Two questions on one paragraph of three sentences, in en and de."""
    queries, candidates, qrels = [], [], {}
    for lang in ("en", "de"):
        ctx = f"one {lang}. two {lang}. three {lang}."
        for s, text in enumerate([f"one {lang}.", f"two {lang}.", f"three {lang}."]):
            candidates.append(Candidate(f"{lang}:0:0:{s}", lang, text, ctx))
        candidates.append(Candidate(f"{lang}:1:0:0", lang, f"far away {lang}.", f"far away {lang}."))
        for g in ("a", "b"):
            queries.append(Query(f"{lang}:{g}", lang, g, f"question {g} {lang}"))
    for q in queries:
        s = 0 if q.group == "a" else 1
        qrels[q.id] = {f"en:0:0:{s}": 1, f"de:0:0:{s}": 1}
    return Benchmark("para", "lareqa", queries, candidates, qrels, ["de", "en"], "para")


def test_hard_negative_is_another_sentence_of_the_answer_paragraph():
    ps = pairs_from_benchmark(_paragraph_benchmark(), hard_negatives=True, seed=3)
    assert ps.has_negatives
    for it in ps.items:
        assert it.negative != it.passage
        assert it.negative in it.context  # same paragraph
        if it.group == "a":
            assert it.negative in (f"two {it.lang}.", f"three {it.lang}.")


def test_jsonl_round_trip_and_conflict_clusters(tmp_path):
    items = toy_items(5, ["en", "de"])
    items.append(Item("gshared", "en", "another question", items[0].passage))  # same passage as group 0
    items.append(Item("gsame", "de", "WHAT  is bb in de", "unrelated passage"))  # same query as group 0 (de)
    ps = read_pairs_jsonl(write_jsonl(tmp_path / "items.jsonl", items))
    assert len(ps.items) == 12 and ps.name == "items"
    c = dict(zip(ps.groups, ps.cluster_of))
    assert c["gshared"] == c["gbb"] == c["gsame"]
    assert len(set(ps.cluster_of)) == 5


@pytest.mark.parametrize("line, message", [
    ("{not json", "line 2: malformed JSON"),
    ('{"group": "g", "lang": "en", "query": "q"}', "line 2: 'passage'"),
    ('{"group": "g", "lang": "en", "query": "q", "passage": "p", "extra": 1}', "line 2: unknown field"),
    ('{"group": "g", "lang": "en", "query": " ", "passage": "p"}', "line 2: 'query'"),
])
def test_jsonl_errors_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"group": "g0", "lang": "en", "query": "q", "passage": "p"}\n' + line + "\n")
    with pytest.raises(HybridbatchError, match=message) as err:
        read_pairs_jsonl(path)
    assert "bad.jsonl" in str(err.value)


def test_jsonl_duplicate_item_and_partial_negatives_and_missing_file(tmp_path):
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"group": "g", "lang": "en", "query": "q", "passage": "p"}\n' * 2)
    with pytest.raises(HybridbatchError, match="two items for group 'g'"):
        read_pairs_jsonl(dup)
    partial = tmp_path / "partial.jsonl"
    partial.write_text('{"group": "g", "lang": "en", "query": "q", "passage": "p", "negative": "n"}\n'
                       '{"group": "g", "lang": "de", "query": "q2", "passage": "p2"}\n')
    with pytest.raises(HybridbatchError, match="all or none"):
        read_pairs_jsonl(partial)
    with pytest.raises(HybridbatchError, match="cannot read"):
        read_pairs_jsonl(tmp_path / "missing.jsonl")


def test_validation_split_keeps_groups_whole_and_is_seeded():
    ps = toy_pairs(50, missing={"es": 20})
    train, val = ps.split(0.2, seed=5)
    assert set(train.groups).isdisjoint(val.groups)
    assert set(train.groups) | set(val.groups) == set(ps.groups)
    assert abs(len(val.items) - 0.2 * len(ps.items)) <= 3  # whole groups of <= 3 items
    for g in val.groups:  # every item of a validation group went along
        assert sum(it.group == g for it in val.items) == sum(it.group == g for it in ps.items)
    again, _ = ps.split(0.2, seed=5)
    other, _ = ps.split(0.2, seed=6)
    assert again.groups == train.groups and other.groups != train.groups
    assert ps.split(0.0, seed=5) == (ps, None)


def test_split_never_cuts_a_conflict_cluster():
    items = toy_items(20, ["en", "de"])
    items += [Item(f"twin{i}", "en", f"twin question {i}", items[2 * i].passage) for i in range(10)]
    ps = PairSet("t", items)
    for seed in range(5):
        train, val = ps.split(0.3, seed)
        for i in range(10):
            assert (f"twin{i}" in val.groups) == (ps.groups[i] in val.groups)


def test_entries_dataset_resolves_texts_without_language_or_group_columns():
    from hybridbatch.training.dataset import entries_dataset
    from hybridbatch.training.planner import PlannedBatch

    pairs = TrainingPairs([toy_pairs(3, name="a"), toy_pairs(2, ("en", "fr"), name="b", start=10)])
    assert pairs.n_rows == 3 * 9 + 2 * 4
    rows = np.array([0, 5, 27, 30])
    ds = entries_dataset(pairs, [PlannedBatch(0, 0, "a", "x-y", None, rows)])
    for i, r in enumerate(rows):
        row = ds[i]
        assert set(row) == {"query", "positive"}
        d, local = pairs.locate(int(r))
        expected = d.row(local)
        assert (row["query"], row["positive"]) == (expected.query, expected.passage)
        assert pairs.describe(int(r)) == {"query_lang": expected.query_lang, "passage_lang": expected.passage_lang,
                                          "group": expected.group}
    batch = ds[[1, 3]]
    assert batch["query"] == [ds[1]["query"], ds[3]["query"]]


def test_negatives_column_and_consistency_across_datasets():
    from hybridbatch.training.dataset import entries_dataset
    from hybridbatch.training.planner import PlannedBatch

    with_neg = toy_pairs(3, negatives=True, name="n")
    ds = entries_dataset(TrainingPairs([with_neg]), [PlannedBatch(0, 0, "n", "x-y", None, np.array([4]))])
    assert list(ds[0]) == ["query", "positive", "negative"]
    assert ds[0]["negative"] == "not " + ds[0]["positive"]
    with pytest.raises(HybridbatchError, match="every training dataset or for none"):
        TrainingPairs([with_neg, toy_pairs(3, name="plain")])
    with pytest.raises(HybridbatchError, match="repeat"):
        TrainingPairs([toy_pairs(3), toy_pairs(3)])


def test_normalize_text():
    assert normalize_text("  Straße\u00a0\tＡＢＣ\nﬁne ") == "strasse abc fine"


def test_language_sizes_and_row_index():
    ps = toy_pairs(10, missing={"es": 4})
    assert ps.language_sizes() == {"de": 10, "en": 10, "es": 4}
    g, x, y = ps.row_group[7], ps.row_qlang[7], ps.row_plang[7]
    assert ps.row_of[g, x, y] == 7
    assert (ps.row_of[4:, :, ps.languages.index("es")] == -1).all()
    assert np.all(ps.lang_item[ps.row_group, ps.row_qlang] == ps.row_query_item)
    assert json.dumps(ps.language_sizes())
