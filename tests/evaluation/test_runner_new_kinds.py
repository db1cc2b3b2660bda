"""``evaluate`` on tatoeba / tico19 / afriqa: the report folder, encode-once through the cache, and bad data →
exit 2 with one line and no report folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import get_scorer, load_benchmark
from hybridbatch.cli import main
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.embeddings_file import save_embeddings
from hybridbatch.evaluation.runner import run_evaluation
from tests.data.tiny_data import build_data_dir

CASES = [("tatoeba", ["all"], ["accuracy.png"]), ("tico19", None, ["heatmap_map.png", "rank_distance.png"]),
         ("afriqa", None, ["gap.png"])]
REPORT = ["config.json", "per_query.npz", "results.csv", "results.json", "results.md"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return build_data_dir(tmp_path / "data")


@pytest.mark.parametrize("spec, languages, plots", CASES)
def test_report_folder(spec, languages, plots, data: Path, tmp_path: Path, mock_encoder) -> None:
    cfg = EvaluationConfig(benchmark=spec, model="mock", languages=languages, data_dir=str(data))
    results = run_evaluation(cfg, tmp_path / "out", encoder=mock_encoder)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT + plots)
    bench = load_benchmark(spec, data, languages)
    stored = json.loads((out / "results.json").read_text())
    with np.load(out / "per_query.npz") as npz:
        per_query = {k: npz[k] for k in npz.files}
    scorer = get_scorer(bench.kind)
    assert scorer.aggregate(bench, per_query) == {k: v for k, v in stored.items() if k != "timing"}
    # every distinct text once per side, however often it occurs
    assert results["timing"]["texts_encoded"] == len(mock_encoder.encoded) == (
        len({q.text for q in bench.queries}) + len({c.text for c in bench.candidates}))


def test_each_text_is_encoded_once_per_side_across_runs(data: Path, tmp_path: Path, mock_encoder) -> None:
    bench = load_benchmark("tatoeba", data, ["all"])
    run_evaluation(EvaluationConfig(benchmark="tatoeba", model="mock", languages=["afr"], data_dir=str(data)),
                   tmp_path / "afr", encoder=mock_encoder)
    first = len(mock_encoder.encoded)
    assert first == 2 * 8  # afr-eng: 8 distinct sentences, each once as query and once as passage
    results = run_evaluation(EvaluationConfig(benchmark="tatoeba", model="mock", languages=["all"],
                                              data_dir=str(data)), tmp_path / "all", encoder=mock_encoder)
    distinct = len({c.text for c in bench.candidates})
    assert len(mock_encoder.encoded) == 2 * distinct  # "I am tired." (3 pairs) encoded once per side, ever
    assert results["timing"]["texts_encoded"] == 2 * distinct - first
    assert results["timing"]["texts_from_cache"] == 2 * len(bench.queries) - (2 * distinct - first)


def test_cli_with_an_embeddings_file(data: Path, tmp_path: Path, capsys) -> None:
    bench = load_benchmark("tatoeba", data, ["all"])
    rng = np.random.default_rng(0)
    emb = tmp_path / "e.npz"
    save_embeddings(emb, bench, rng.standard_normal((len(bench.queries), 8)).astype(np.float32),
                    rng.standard_normal((len(bench.candidates), 8)).astype(np.float32))
    out = tmp_path / "out"
    assert main(["evaluate", "--embeddings", str(emb), "--benchmark", "tatoeba", "--languages", "all",
                 "--data-dir", str(data), "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("tatoeba (3 languages): acc. xx→eng")
    assert (out / "results.md").is_file()


def _break(data: Path, case: str) -> tuple[list[str], str]:
    if case == "unequal":
        (data / "tatoeba" / "tatoeba.deu-eng.eng").write_text("I am tired.\n", encoding="utf-8")
        return ["--benchmark", "tatoeba", "--languages", "deu"], "tatoeba.deu-eng.deu: line 2: 3 lines but"
    if case == "unknown_language":
        return ["--benchmark", "tico19", "--languages", "en,xx"], "unknown language(s) xx"
    if case == "tmx":
        import zipfile

        path = data / "tico19" / "all.en-fr.tmx.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("all.en-fr.tmx", "<tmx><body>\n<tu tuid='CMU_1:1'><tuv></tu></body></tmx>")
        return ["--benchmark", "tico19"], "all.en-fr.tmx: line 2: <tuv> without xml:lang"
    if case == "afriqa_json":
        path = data / "afriqa" / "fon" / "gold_span_passages.afriqa.fon.fr.test.json"
        path.write_text(path.read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
        return ["--benchmark", "afriqa", "--languages", "hau"], "fon.fr.test.json: line 3: malformed JSON"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["unequal", "unknown_language", "tmx", "afriqa_json"])
def test_bad_data_exit_2_one_line_no_report(case: str, data: Path, tmp_path: Path, capsys) -> None:
    args, expected = _break(data, case)
    out = tmp_path / "out"
    code = main(["evaluate", "--embeddings", str(tmp_path / "unused.npz"), "--data-dir", str(data),
                 "--out", str(out), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("hybridbatch: error:") and expected in err[0], err
    assert not out.exists()


@pytest.mark.parametrize("spec, languages, plots", CASES)
def test_report_compares_two_models(spec, languages, plots, data: Path, tmp_path: Path) -> None:
    from hybridbatch.reporting.compare import load_record, write_comparison
    from tests.conftest import MockEncoder

    folders = []
    for name in ("base", "tuned"):
        cfg = EvaluationConfig(benchmark=spec, model=name, languages=languages, data_dir=str(data),
                               extra={"label": name})
        run_evaluation(cfg, tmp_path / name, encoder=MockEncoder(name=name))
        folders.append(tmp_path / name)
    write_comparison([load_record(f) for f in folders], tmp_path / "compare", n_resamples=200)
    summary = (tmp_path / "compare" / "summary.md").read_text(encoding="utf-8")
    assert "base" in summary and "tuned" in summary
