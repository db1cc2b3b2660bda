"""Property-based: the LAReQA, BEIR and training-data readers, given random bytes, random JSON or a valid
file with one random part replaced, either read it or raise HybridbatchError naming the file, never
another exception."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridbatch.benchmarks.beir.reader import read_beir
from hybridbatch.benchmarks.lareqa.reader import read_lareqa
from hybridbatch.data.pairs_files import read_pairs_jsonl
from hybridbatch.errors import HybridbatchError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


def _paths(node, prefix=()):
    """Every path into a parsed JSON document (the root included)."""
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        yield from _paths(child, prefix + (key,))


@st.composite
def mutated(draw, document):
    """``document`` with one node (chosen at random) replaced by a random JSON value."""
    paths = list(_paths(document))
    path = paths[draw(st.integers(0, len(paths) - 1))]
    value = draw(json_values | st.sampled_from(["", " ", -1, 10**9, [], {}]))
    if not path:
        return value
    doc = json.loads(json.dumps(document))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def _expect_clean(read, path: Path, *also: str) -> None:
    """``read()`` succeeds or raises a one-line HybridbatchError naming ``path`` (or one of ``also``: files
    whose records refer to what was damaged)."""
    try:
        read()
    except HybridbatchError as exc:
        assert any(str(name) in str(exc) for name in (path, *also)), str(exc)
        assert "\n" not in str(exc).strip(), str(exc)


# ---- LAReQA ----

LAREQA_EN = json.loads((FIXTURES / "lareqa_tiny" / "en.json").read_text(encoding="utf-8"))


def _fresh(tmp_path: Path, fixture: str) -> Path:
    """A clean copy of a fixture folder (each example starts from the valid files)."""
    folder = tmp_path / fixture
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(FIXTURES / fixture, folder)
    return folder


@SETTINGS
@given(document=mutated(LAREQA_EN))
def test_lareqa_with_one_part_replaced(tmp_path, document):
    lareqa_folder = _fresh(tmp_path, "lareqa_tiny")
    path = lareqa_folder / "en.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    _expect_clean(lambda: read_lareqa(lareqa_folder), path)


@SETTINGS
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_lareqa_with_random_bytes(tmp_path, data):
    lareqa_folder = _fresh(tmp_path, "lareqa_tiny")
    path = lareqa_folder / "de.json"
    path.write_bytes(data)
    _expect_clean(lambda: read_lareqa(lareqa_folder), path)


# ---- BEIR ----

BEIR_FILES = {"corpus.jsonl": "corpus.jsonl", "queries.jsonl": "queries.jsonl", "qrels": "qrels/test.tsv"}


@SETTINGS
@given(which=st.sampled_from(["corpus.jsonl", "queries.jsonl"]), line=st.integers(0, 20), data=st.data())
def test_beir_jsonl_with_one_record_replaced(tmp_path, which, line, data):
    beir_folder = _fresh(tmp_path, "beir_tiny")
    path = beir_folder / which
    lines = path.read_text(encoding="utf-8").splitlines()
    i = line % len(lines)
    record = data.draw(mutated(json.loads(lines[i])))
    lines[i] = data.draw(st.sampled_from([json.dumps(record), json.dumps(record)[:-1], ""]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _expect_clean(lambda: read_beir(beir_folder, "test"), path, beir_folder / "qrels" / "test.tsv")


@SETTINGS
@given(which=st.sampled_from(sorted(BEIR_FILES.values())), data=st.binary(max_size=200))
def test_beir_with_random_bytes(tmp_path, which, data):
    beir_folder = _fresh(tmp_path, "beir_tiny")
    path = beir_folder / which
    path.write_bytes(data)
    _expect_clean(lambda: read_beir(beir_folder, "test"), path, beir_folder / "qrels" / "test.tsv")


@SETTINGS
@given(rows=st.lists(st.lists(st.text(alphabet="qd1234 \t-x.", max_size=4), min_size=0, max_size=4)
                     .map("\t".join), max_size=5))
def test_beir_qrels_with_random_rows(tmp_path, rows):
    beir_folder = _fresh(tmp_path, "beir_tiny")
    path = beir_folder / "qrels" / "test.tsv"
    path.write_text("query-id\tcorpus-id\tscore\n" + "\n".join(rows) + "\n", encoding="utf-8")
    _expect_clean(lambda: read_beir(beir_folder, "test"), path)


# ---- training data (jsonl items) ----

ITEM = {"group": "g1", "lang": "en", "query": "what is it", "passage": "it is this", "negative": "not this"}


@SETTINGS
@given(data=st.data(), n=st.integers(1, 4))
def test_training_jsonl_with_random_records(tmp_path, data, n):
    path = tmp_path / "items.jsonl"
    lines = [json.dumps(data.draw(mutated(ITEM | {"group": f"g{i}"}))) for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _expect_clean(lambda: read_pairs_jsonl(path), path)


@SETTINGS
@given(data=st.binary(max_size=200))
def test_training_jsonl_with_random_bytes(tmp_path, data):
    path = tmp_path / "items.jsonl"
    path.write_bytes(data)
    _expect_clean(lambda: read_pairs_jsonl(path), path)
