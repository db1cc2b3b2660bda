"""Every registered benchmark family gives a report for one language and for two, through
``hybridbatch evaluate --embeddings``: a measure that needs more languages than were chosen is null in
results.json and reads "n/a (one language)" in results.md and in the printed line; every other measure
has a number.

Families come from the registry, so a new one is covered as soon as it is registered. Its fixture is found
by convention: ``tests/fixtures/<family>_tiny`` holds the family's data folder layout, copied to
``<data_dir>/<family>/`` and read with the spec ``<family>``; :data:`SPECS` and :data:`PREPARE` cover the
families that read a folder named in the spec or whose files the fixture keeps in another form.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import FAMILIES, family_for_spec, load_benchmark
from hybridbatch.cli import main
from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.embeddings_file import save_embeddings
from hybridbatch.render.tables import too_few_languages
from tests.data.tiny_data import FIXTURES, zip_tmx

SPECS: dict[str, Callable[[Path], str]] = {
    "lareqa": lambda fixture: f"lareqa:{fixture}",
    "beir": lambda fixture: f"beir:{fixture}",
}
"""Families whose spec names the fixture folder itself (default spec: the family's name)."""
PREPARE: dict[str, Callable[[Path, Path], None]] = {"tico19": zip_tmx}
"""Families whose fixture is not a plain copy of their data folder: ``prepare(fixture, data_dir/<family>)``."""
REPORT = {"config.json", "per_query.npz", "results.csv", "results.json", "results.md"}


def _fixture(name: str) -> Path:
    fixture = FIXTURES / f"{name}_tiny"
    if not fixture.is_dir():
        pytest.fail(f"benchmark family {name!r} is registered but has no test fixture: expected the folder "
                    f"tests/fixtures/{name}_tiny (its data folder layout, read as <data_dir>/{name}/ with the spec "
                    f"{name!r}); a family read another way gets a line in SPECS or PREPARE of {Path(__file__).name}")
    return fixture


def _data(name: str, tmp_path: Path) -> tuple[str, Path]:
    """(spec, data folder) of family ``name``'s fixture."""
    fixture, data = _fixture(name), tmp_path / "data"
    data.mkdir()
    PREPARE.get(name, lambda src, dst: shutil.copytree(src, dst))(fixture, data / name)
    spec = SPECS[name](fixture) if name in SPECS else name
    if family_for_spec(spec).name != name:
        pytest.fail(f"spec {spec!r} is not read by family {name!r}; add its spec to SPECS in {Path(__file__).name}")
    return spec, data


def _selections(spec: str, data: Path) -> tuple[list[str], list[str]]:
    """A one-language and a two-language selection the family accepts, from the languages of its fixture."""
    try:
        everything = load_benchmark(spec, data, None)
    except HybridbatchError:
        everything = load_benchmark(spec, data, ["all"])
    accepted = []
    for lang in everything.languages:  # pivot languages (e.g. Tatoeba's eng) are no selection of their own
        try:
            load_benchmark(spec, data, [lang])
        except HybridbatchError:
            continue
        accepted.append(lang)
    assert len(accepted) >= 2, f"fixture of {spec!r} needs two selectable languages, has {accepted}"
    return accepted[:1], accepted[:2]


def _embeddings(bench: Benchmark, path: Path) -> Path:
    rng = np.random.default_rng(0)
    save_embeddings(path, bench, rng.standard_normal((len(bench.queries), 8)).astype(np.float32),
                    rng.standard_normal((len(bench.candidates), 8)).astype(np.float32))
    return path


@pytest.mark.parametrize("name", [f.name for f in FAMILIES])
def test_one_and_two_languages_give_a_report(name: str, tmp_path: Path, capsys) -> None:
    spec, data = _data(name, tmp_path)
    for languages in _selections(spec, data):
        bench = load_benchmark(spec, data, languages)
        emb = _embeddings(bench, tmp_path / f"{len(languages)}.npz")
        out = tmp_path / f"out{len(languages)}"
        capsys.readouterr()
        code = main(["evaluate", "--embeddings", str(emb), "--benchmark", spec, "--languages", ",".join(languages),
                     "--data-dir", str(data), "--out", str(out)])
        printed, err = capsys.readouterr()
        assert code == 0, err
        assert REPORT <= {p.name for p in out.iterdir()}
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        markdown = (out / "results.md").read_text(encoding="utf-8")
        line = printed.splitlines()[0]
        n = len(results["languages"])
        assert n == len(languages)
        scorer = family_for_spec(spec).get_scorer()
        short = [m for m in scorer.measures if m.min_languages > n]
        for m in scorer.measures:
            if m in short:
                assert m.value(results) is None, f"{name}: {m.name} with {n} language(s)"
            else:
                assert m.value(results) is not None, (
                    f"{name}: measure {m.name!r} is undefined with {n} language(s); if it compares languages, "
                    f"declare Measure(..., min_languages={n + 1}) and show too_few_languages() in its text")
        why = too_few_languages(n)
        assert (why in markdown) == bool(short), (name, n)
        assert (why in line) == bool(short), line
        for text in (markdown, line):
            assert "None" not in text and "nan" not in text.lower()


def test_the_words_for_too_few_languages() -> None:
    assert too_few_languages(1) == "n/a (one language)"
    assert too_few_languages(2) == "n/a (two languages)"
