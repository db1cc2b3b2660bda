"""``index``, ``search`` and ``serve`` on the command line: the happy path and one-line errors for bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hybridbatch.cli import main
from tests.search.conftest import write_corpus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _one_line_error(capsys, fragment: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()[-1:]
    assert err and err[0].startswith("hybridbatch: error:") and "Traceback" not in err[0], err
    assert fragment in err[0], err


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory, tiny_model_dir) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    corpus = write_corpus(folder / "docs.jsonl")
    assert main(["index", "--corpus", str(corpus), "--model", str(tiny_model_dir), "--out", str(folder / "idx"),
                 "--no-cache"]) == 0
    return folder / "idx"


def test_index_then_search_prints_hits_and_the_language_mix(cli_index, capsys):
    capsys.readouterr()
    assert main(["search", str(cli_index), "Where does the Rhine rise?", "--k", "3", "--lang", "de,es"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].lstrip().startswith("1  ") and lines[-1].startswith("languages: ")
    assert all(line.split()[1] in ("de", "es") for line in lines[:3])
    assert main(["search", str(cli_index), "bread", "--k", "4", "--mode", "interleave", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert len(body["hits"]) == 4 and len(body["lang_mix"]) == 4


def test_index_add_and_lareqa_corpus(tmp_path, cli_index, tiny_model_dir, capsys):
    index = tmp_path / "idx"
    shutil.copytree(cli_index, index)
    assert main(["index", "--add", "--corpus", f"lareqa:{FIXTURES / 'lareqa_tiny'}", "--out", str(index),
                 "--no-cache"]) == 0
    assert "added 20 documents" in capsys.readouterr().out
    assert json.loads((index / "manifest.json").read_text())["documents"] == 30


def test_index_of_a_registered_benchmark_with_a_language_subset(tmp_path, tiny_model_dir, capsys):
    shutil.copytree(FIXTURES / "tatoeba_tiny", tmp_path / "data" / "tatoeba")
    assert main(["index", "--corpus", "tatoeba", "--data-dir", str(tmp_path / "data"), "--languages", "afr,xho",
                 "--model", str(tiny_model_dir), "--out", str(tmp_path / "idx"), "--no-cache"]) == 0
    assert "indexed 12 documents" in capsys.readouterr().out  # 4 + 2 pairs, both sides
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["counts"] == {"afr": 4, "eng": 6, "xho": 2}
    assert manifest["corpora"][-1]["languages"] == ["afr", "xho"]


def test_hnsw_and_ivf_indexes_from_the_cli(tmp_path, tiny_model_dir, capsys):
    corpus = write_corpus(tmp_path / "docs.jsonl")
    for kind in ("hnsw", "ivf"):
        assert main(["index", "--corpus", str(corpus), "--model", str(tiny_model_dir), "--out",
                     str(tmp_path / kind), "--kind", kind, "--nlist", "2", "--no-cache"]) == 0
        assert f"{kind} index" in capsys.readouterr().out
        assert main(["search", str(tmp_path / kind), "Rhine", "--k", "2", "--json"]) == 0
        assert len(json.loads(capsys.readouterr().out)["hits"]) == 2


def _corrupt(index: Path, tmp_path: Path) -> str:
    bad = tmp_path / "bad"
    shutil.copytree(index, bad)
    (bad / "manifest.json").write_text("{")
    return str(bad)


def _other_model_index(index: Path, tmp_path: Path) -> str:
    from tests.conftest import build_tiny_model

    return str(build_tiny_model(tmp_path / "other", seed=3))


CASES = [  # (argv builder, message fragment, path that must not exist afterwards)
    (lambda i, t: ["index", "--corpus", str(t / "none.jsonl"), "--out", str(t / "o")], "file not found", "o"),
    (lambda i, t: ["index", "--corpus", "x.txt", "--out", str(t / "o")], "unknown corpus", "o"),
    (lambda i, t: ["index", "--corpus", str(write_corpus(t / "c.jsonl")), "--out", str(i)], "already exists", None),
    (lambda i, t: ["index", "--corpus", str(write_corpus(t / "c.jsonl")), "--out", str(t / "o"), "--kind", "ivf",
                   "--nprobe", "0"], "'nprobe' is 0; must be >= 1", "o"),
    (lambda i, t: ["index", "--corpus", str(write_corpus(t / "c.jsonl")), "--out", str(t / "o"),
                   "--batch-size", "0"], "command line: config key 'batch_size' is 0; must be >= 1", "o"),
    (lambda i, t: ["index", "--corpus", str(write_corpus(t / "c.jsonl", [("a", "xx!", "t")])), "--out",
                   str(t / "o")], "line 1: not a language code", "o"),
    (lambda i, t: ["search", str(t / "missing"), "q"], "index folder not found", None),
    (lambda i, t: ["search", _corrupt(i, t), "q"], "corrupt manifest", None),
    (lambda i, t: ["search", str(i), "   "], "missing or empty", None),
    (lambda i, t: ["search", str(i), "q", "--k", "0"], "k must be between 1", None),
    (lambda i, t: ["search", str(i), "q", "--k", "-3"], "k must be between 1", None),
    (lambda i, t: ["search", str(i), "q", "--lang", "fr"], "unknown language(s) fr", None),
    (lambda i, t: ["search", str(i), "q", "--mode", "quota"], "needs per_lang", None),
    (lambda i, t: ["search", str(i), "q", "--model", _other_model_index(i, t)], "model mismatch", None),
    (lambda i, t: ["serve", str(t / "missing")], "index folder not found", None),
    (lambda i, t: ["serve", _corrupt(i, t)], "corrupt manifest", None),
    (lambda i, t: ["serve", str(i), str(i), str(i)], "one or two indexes", None),
    (lambda i, t: ["serve", str(i), "--port", "70000"], "--port out of range", None),
    (lambda i, t: ["serve", str(i), "--max-k", "0"], "--max-k out of range", None),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, cli_index, tmp_path, capsys):
    build, fragment, absent = CASES[case]
    argv = build(cli_index, tmp_path)
    capsys.readouterr()
    assert main(argv) == 2
    _one_line_error(capsys, fragment)
    if absent:
        assert not (tmp_path / absent).exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
