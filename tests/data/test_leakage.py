from __future__ import annotations

import json

from hybridbatch.cli import main
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.data.benchmark_pairs import pairs_from_benchmark
from hybridbatch.data.leakage import check_leakage
from hybridbatch.data.training_pairs import Item, PairSet
from tests.training.helpers import toy_items, write_jsonl


def _eval_bench(question: str = "Who wrote it?", sentence: str = "It was written by Ann.",
                paragraph: str = "Intro. It was written by Ann.") -> Benchmark:
    queries = [Query("en:q1", "en", "q1", question), Query("en:q2", "en", "q2", "Unrelated question here")]
    candidates = [Candidate("en:0", "en", sentence, paragraph), Candidate("en:1", "en", "Intro.", paragraph)]
    qrels = {"en:q1": {"en:0": 1}, "en:q2": {"en:1": 1}}
    return Benchmark("evalset", "lareqa", queries, candidates, qrels, ["en"], "evalset")


def _train(query="what is it", passage="a passage", context=None) -> PairSet:
    return PairSet("train", [Item("g", "en", query, passage, context), Item("g", "de", "was ist das", "ein satz")])


def test_disjoint_texts_report_no_overlap():
    report = check_leakage([_train()], _eval_bench())
    assert not report.overlap
    assert report.checked == {"question": 2, "candidate": 2, "paragraph": 1}
    assert report.leaked == {"question": 0, "candidate": 0, "paragraph": 0}
    assert "0/2 questions" in report.summary()


def test_overlap_is_found_after_normalisation_in_every_kind():
    train = _train(query="WHO  wrote\u00a0it?", passage="it was written by ann.",
                   context="Intro.\nIt was written by Ann.")
    report = check_leakage([train], _eval_bench(question="Who wrote it?"))
    assert report.overlap
    assert report.leaked == {"question": 1, "candidate": 1, "paragraph": 1}
    kinds = {(e["kind"], e["training_field"]) for e in report.examples}
    assert kinds == {("question", "query"), ("candidate", "passage"), ("paragraph", "context")}
    assert json.dumps(report.to_dict())


def test_min_chars_ignores_short_texts():
    train = _train(passage="Intro.")
    assert check_leakage([train], _eval_bench()).leaked["candidate"] == 1
    assert check_leakage([train], _eval_bench(), min_chars=10).leaked["candidate"] == 0


def test_training_on_the_evaluation_benchmark_leaks_everything():
    from tests.helpers import parallel_benchmark

    bench = parallel_benchmark(["de", "en"], n_groups=3)
    report = check_leakage([pairs_from_benchmark(bench)], bench)
    assert report.leaked["question"] == report.checked["question"] == 6


def test_check_leakage_command_exit_codes(tmp_path, monkeypatch, capsys):
    import hybridbatch.cli.leakage as command

    monkeypatch.setattr(command, "load_benchmark", lambda spec, data_dir=None, languages=None: _eval_bench())
    clean = write_jsonl(tmp_path / "clean.jsonl", toy_items(3, ["en", "de"]))
    leaky = write_jsonl(tmp_path / "leaky.jsonl", [Item("g", "en", "who wrote it?", "x y z")])
    assert main(["check-leakage", "--train", str(clean), "--eval", "toy"]) == 0
    assert "no leakage" in capsys.readouterr().out
    out = tmp_path / "report.json"
    assert main(["check-leakage", "--train", str(leaky), "--eval", "toy", "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "LEAKAGE" in printed and "en:q1" in printed
    assert json.loads(out.read_text())[0]["leaked"]["question"] == 1
    assert main(["check-leakage", "--train", str(tmp_path / "none.jsonl"), "--eval", "toy"]) == 2


def test_mlqa_r_and_xquad_r_share_no_text(shared_data, capsys):
    """Real data: the zero-shot protocol holds in both directions; training on the evaluation set does not."""
    code = main(["check-leakage", "--train", "mlqa-r", "--eval", "xquad-r", "--data-dir", str(shared_data)])
    assert code == 0, capsys.readouterr().out
    assert main(["check-leakage", "--train", "xquad-r", "--eval", "mlqa-r", "--data-dir", str(shared_data)]) == 0
    assert main(["check-leakage", "--train", "mlqa-r", "--eval", "mlqa-r", "--data-dir", str(shared_data)]) == 1

