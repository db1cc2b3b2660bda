"""The Arrow item cache: JSONL, Parquet and datasets folders read to the same table, once; one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hybridbatch.data.clusters import components, normalize_text, text_keys
from hybridbatch.data.item_table import open_items
from hybridbatch.data.pairs_files import read_pairs_file
from hybridbatch.data.training_pairs import PairSet
from hybridbatch.errors import HybridbatchError
from tests.training.helpers import toy_items, write_jsonl


def _records(items):
    return [{k: v for k, v in vars(it).items() if v is not None} for it in items]


def test_jsonl_parquet_and_datasets_folder_give_the_same_pairs(tmp_path):
    from datasets import Dataset

    items = toy_items(12, ["en", "de", "es"], missing={"es": 5})
    jsonl = write_jsonl(tmp_path / "items.jsonl", items)
    pq.write_table(pa.Table.from_pylist(_records(items)), tmp_path / "items.parquet")
    Dataset.from_list(_records(items)).save_to_disk(str(tmp_path / "items_ds"))
    ref = PairSet("ref", items)
    for source in (jsonl, tmp_path / "items.parquet", tmp_path / "items_ds"):
        ps = read_pairs_file(source, name="ref")
        assert list(ps.groups) == list(ref.groups) and ps.languages == ref.languages
        assert (ps.cluster_of == ref.cluster_of).all() and (ps.lang_item == ref.lang_item).all()
        assert list(ps.items) == list(ref.items)


def test_the_cache_is_reused_and_keyed_by_content(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "items.jsonl", toy_items(4, ["en", "de"]))
    open_items(path)
    cached = list((tmp_path / "cache" / "items").glob("*.arrow"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    assert open_items(path).num_rows == 8 and cached[0].stat().st_mtime_ns == mtime
    write_jsonl(path, toy_items(5, ["en", "de"]))
    assert open_items(path).num_rows == 10
    assert len(list((tmp_path / "cache" / "items").glob("*.arrow"))) == 2


@pytest.mark.parametrize("line, message", [
    ('{"group": "g", "lang": "en", "query": "q"}', "line 2: 'passage' should be a non-empty string"),
    ('{"group": "g", "lang": "en", "query": "q", "passage": "p", "extra": 1}', "line 2: unknown field"),
    ('not json', "line 2: malformed JSON"),
])
def test_malformed_jsonl_names_file_and_line_and_leaves_no_cache(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"group": "g", "lang": "de", "query": "q", "passage": "p"}\n' + line + "\n")
    with pytest.raises(HybridbatchError, match=message) as err:
        open_items(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert not any((tmp_path / "cache" / "items").glob("*"))


def test_parquet_with_a_wrong_column_or_empty_text_is_an_error(tmp_path):
    pq.write_table(pa.table({"group": ["g"], "lang": ["en"], "query": ["q"]}), tmp_path / "a.parquet")
    with pytest.raises(HybridbatchError, match="missing column"):
        open_items(tmp_path / "a.parquet")
    pq.write_table(pa.table({"group": ["g", "h"], "lang": ["en", "en"], "query": ["q", " "],
                             "passage": ["p", "p2"]}), tmp_path / "b.parquet")
    with pytest.raises(HybridbatchError, match="row 2: 'query' should be a non-empty string"):
        open_items(tmp_path / "b.parquet")


def test_components_match_a_union_find_on_random_keys():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n_groups, n_items = int(rng.integers(1, 40)), int(rng.integers(1, 120))
        node = rng.integers(0, n_groups, n_items)
        a, b = rng.integers(0, 30, n_items).astype(np.uint64), rng.integers(0, 60, n_items).astype(np.uint64)
        parent = list(range(n_groups))

        def find(x, parent=parent):
            while parent[x] != x:
                x = parent[x]
            return x
        first = {}
        for i in range(n_items):
            for key in (("a", a[i]), ("b", b[i])):
                ra, rb = find(int(node[i])), find(first.setdefault(key, int(node[i])))
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        _, expected = np.unique([find(g) for g in range(n_groups)], return_inverse=True)
        assert (components(n_groups, node, a, b) == expected).all()


def test_text_keys_follow_normalisation():
    keys = text_keys(["Straße  fine", "strasse fine", "other", None])
    assert keys[0] == keys[1] != keys[2] and keys[3] == 0
    assert normalize_text(" A\tB ") == "a b"


def test_rows_are_numbered_without_storing_them():
    ps = PairSet("t", toy_items(9, ["en", "de", "es"], missing={"es": 4}))
    g, x, y = ps.decode_rows(np.arange(ps.n_rows))
    assert (ps.row_index(g, x, y) == np.arange(ps.n_rows)).all()
    assert json.dumps(int(ps.n_rows)) == str(4 * 9 + 5 * 4)
