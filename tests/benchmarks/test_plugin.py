"""A benchmark family defined here, registered once, is read, evaluated, reported and perturbed by the
real commands: adding a family needs its folder's pieces and one registration, nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hybridbatch.benchmarks import registry
from hybridbatch.benchmarks.family import BenchmarkFamily
from hybridbatch.cli import main
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.render.tables import RESULTS_CSV_HEADER, csv_text, fmt, markdown_table
from hybridbatch.scoring.metrics import nanmean, recall_at_k
from hybridbatch.scoring.ranking import check_embeddings, language_indices, relevant_ranks
from hybridbatch.scoring.scorer import BaseScorer, LanguageValues, Measure

TEXTS = {  # group -> (English question, German question, English answer, German answer)
    "capital": ("what is the capital of france", "wie heißt die hauptstadt", "paris is the capital of france",
                "berlin ist die hauptstadt von deutschland"),
    "animal": ("the cat sat on the mat", "der hund schläft", "el perro duerme", "der hund schläft"),
    "spain": ("¿cuál es la capital de españa?", "madrid es la capital", "madrid es la capital",
              "query passage question answer"),
}


def read_toy(spec: str, data_dir: Path | None, languages: list[str] | None) -> Benchmark:
    """Queries in en and de; each retrieves the answers of its group in both languages."""
    langs = languages or ["en", "de"]
    queries, candidates, qrels = [], [], {}
    for group, (q_en, q_de, a_en, a_de) in TEXTS.items():
        for lang, q, a in (("en", q_en, a_en), ("de", q_de, a_de)):
            if lang in langs:
                queries.append(Query(f"{group}-{lang}", lang, group, q))
                candidates.append(Candidate(f"a-{group}-{lang}", lang, a))
    for q in queries:
        qrels[q.id] = {c.id: 1 for c in candidates if c.id.startswith(f"a-{q.group}-")}
    return Benchmark(spec, "toy", queries, candidates, qrels, langs, source=spec)


class ToyScorer(BaseScorer):
    """Recall@1 over the pooled candidates, per query language and macro."""

    kind = "toy"
    measures = (Measure("r1", "r1", "R@1", per_query="r1"),)

    def per_query(self, bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
        Q, C = check_embeddings(bench, Q, C)
        q_lang, c_lang = language_indices(bench)
        ranks = relevant_ranks(Q, C, bench.relevant_indices(), q_lang, c_lang, len(bench.languages))
        return {"r1": recall_at_k(ranks.pooled, (ranks.cand >= 0).sum(1), 1)}

    def aggregate(self, bench: Benchmark, per_query: dict[str, np.ndarray]) -> dict[str, Any]:
        langs = np.array([q.lang for q in bench.queries])
        per_lang = {x: nanmean(per_query["r1"][langs == x]) for x in bench.languages}
        return {"benchmark": bench.name, "kind": self.kind, "languages": list(bench.languages),
                "summary": {"r1": nanmean(np.array(list(per_lang.values()), dtype=float))},
                "per_language": per_lang}

    def markdown(self, results: dict[str, Any]) -> str:
        rows = [[x, fmt(v)] for x, v in results["per_language"].items()]
        return "\n".join([f"# {results['benchmark']}", ""] + markdown_table(["lang", "R@1"], rows)) + "\n"

    def csv(self, results: dict[str, Any]) -> str:
        return csv_text(RESULTS_CSV_HEADER, [["toy", x, "all", "r1", v] for x, v in results["per_language"].items()])

    def per_language(self, results: dict[str, Any]) -> list[LanguageValues]:
        return [LanguageValues("R@1", dict(results["per_language"]), measure="r1")]


TOY = BenchmarkFamily(name="toy", kind="toy", spec_help="toy", matches=lambda spec: spec == "toy", load=read_toy,
                      scorer=f"{__name__}:ToyScorer", robustness_measures=(("r1", "R@1"),))


@pytest.fixture
def toy_family():
    registry.register(TOY)  # the one registration
    yield TOY
    registry.unregister("toy")


def test_the_toy_family_is_found_by_spec_and_kind(toy_family):
    assert registry.family_for_spec("toy") is toy_family
    assert isinstance(registry.get_scorer("toy"), ToyScorer)
    assert "toy" in registry.spec_help() and "toy" in registry.kinds()
    assert len(registry.load_benchmark("toy", None, ["de"]).queries) == 3


def test_the_toy_family_is_evaluated_perturbed_and_reported(toy_family, tiny_model_dir, tmp_path, capsys):
    runs = []
    for name, max_len in (("short", 8), ("long", 32)):
        out = tmp_path / name
        assert main(["evaluate", "--model", str(tiny_model_dir), "--benchmark", "toy", "--max-seq-length",
                     str(max_len), "--perturb", "char-noise:0.5", "--out", str(out)]) == 0
        runs.append(out)
        results = json.loads((out / "results.json").read_text())
        assert results["kind"] == "toy" and 0.0 <= results["summary"]["r1"] <= 1.0
        assert (out / "results.md").read_text().startswith("# toy")
        robustness = json.loads((out / "robustness.json").read_text())
        row = robustness["rows"][0]
        assert row["perturbation"] == "char-noise:0.5" and row["changed"] > 0
        assert row["r1"]["drop"] == pytest.approx(row["r1"]["clean"] - row["r1"]["perturbed"])
        assert (out / "perturb-char-noise-0.5" / "perturbed_per_query.npz").is_file()
    assert "R@1" in capsys.readouterr().out
    assert main(["report", *map(str, runs), "--out", str(tmp_path / "cmp"), "--resamples", "1000"]) == 0
    summary = (tmp_path / "cmp" / "summary.md").read_text()
    assert "| short |" in summary and "| long |" in summary and "R@1" in summary
    assert "toy" in (tmp_path / "cmp" / "robustness.md").read_text()


def test_a_family_without_perturbations_is_refused_by_perturb(tmp_path, tiny_model_dir, capsys):
    plain = BenchmarkFamily(name="toy", kind="toy", spec_help="toy", matches=lambda spec: spec == "toy",
                            load=read_toy, scorer=f"{__name__}:ToyScorer")
    registry.register(plain)
    try:
        assert main(["evaluate", "--model", str(tiny_model_dir), "--benchmark", "toy", "--perturb",
                     "char-noise:0.5", "--out", str(tmp_path / "x")]) == 2
    finally:
        registry.unregister("toy")
    err = capsys.readouterr().err
    supported = " and ".join(f.name for f in registry.FAMILIES if f.supports_perturbation)
    assert f"--perturb supports benchmarks of the families {supported}; 'toy' is of family 'toy'" in err
    assert not (tmp_path / "x").exists()
