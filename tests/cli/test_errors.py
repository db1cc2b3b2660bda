"""Bad input and options across commands: one line, exit 2, nothing written, nothing moved away."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hybridbatch.cli import main
from tests.training.helpers import toy_items, write_config, write_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _one_line_error(capsys, fragment: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("hybridbatch: error:") and "\n" not in err and "Traceback" not in err, err
    assert fragment in err, err
    return err


def test_an_existing_out_file_is_an_error_and_is_left_alone(tmp_path, capsys):
    out = tmp_path / "report"
    out.write_text("my notes")
    emb = tmp_path / "e.npz"
    assert main(["evaluate", "--embeddings", str(emb), "--benchmark", f"lareqa:{FIXTURES / 'lareqa_tiny'}",
                 "--out", str(out)]) == 2
    _one_line_error(capsys, "exists and is not a folder")
    assert out.read_text() == "my notes" and not list(tmp_path.glob(".report*"))


def test_out_inside_a_file_and_unwritable_save_embeddings(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    args = ["evaluate", "--embeddings", "e.npz", "--benchmark", f"lareqa:{FIXTURES / 'lareqa_tiny'}"]
    assert main(args + ["--out", str(blocker / "sub")]) == 2
    _one_line_error(capsys, "is a file, not a folder")
    assert main(args + ["--out", str(tmp_path / "ok"), "--save-embeddings", str(tmp_path)]) == 2
    _one_line_error(capsys, "is a folder, not a file")
    assert not (tmp_path / "ok").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_out_folder(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert main(["report", str(tmp_path), "--out", str(locked / "r")]) == 2
    _one_line_error(capsys, "not writable")


@pytest.mark.parametrize("resamples, code", [("-5", 2), ("0", 2)])
def test_report_refuses_nonsense_resamples(tmp_path, capsys, resamples, code):
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r"), "--resamples", resamples]) == code
    _one_line_error(capsys, "--resamples")


def _train_config(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de"]))
    return write_config(tmp_path / "t.yaml", {"datasets": [{"jsonl": "items.jsonl"}], "output_dir": str(tmp_path / "r"),
                                              "training": {"batch_size": 8}})


@pytest.mark.parametrize("extra, fragment", [
    (["--max-steps", "1000000000000"], "pass --plan-batches"),
    (["--plan-batches", "-1"], "--plan-batches -1 must be in 1.."),
    (["--plan-batches", "0"], "--plan-batches 0 must be in 1.."),
    (["--max-seq-length", "100000000000000000000"], "'training.max_seq_length'"),
])
def test_dry_run_bounds(tmp_path, capsys, extra, fragment):
    assert main(["train", "--config", str(_train_config(tmp_path)), "--dry-run", *extra]) == 2
    _one_line_error(capsys, fragment)


def test_plan_out_into_a_folder_is_an_error_before_planning(tmp_path, capsys):
    assert main(["train", "--config", str(_train_config(tmp_path)), "--dry-run", "--plan-out", str(tmp_path)]) == 2
    _one_line_error(capsys, "--plan-out is a folder")


@pytest.mark.parametrize("make", ["folder", "dangling"])
def test_a_language_file_that_is_not_a_file_is_named(tmp_path, capsys, make):
    bench = tmp_path / "bench"
    shutil.copytree(FIXTURES / "lareqa_tiny", bench)
    (bench / "de.json").unlink()
    if make == "folder":
        (bench / "de.json").mkdir()
    else:
        (bench / "de.json").symlink_to(tmp_path / "nowhere.json")
    assert main(["evaluate", "--embeddings", "e.npz", "--benchmark", f"lareqa:{bench}",
                 "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "de.json: language file is")
    assert not (tmp_path / "o").exists()


def test_non_utf8_yaml_and_unexpected_errors(tmp_path, capsys, monkeypatch):
    cfg = tmp_path / "t.yaml"
    cfg.write_bytes(b"datasets: [\xff\xfe]\n")
    assert main(["train", "--config", str(cfg), "--dry-run"]) == 2
    _one_line_error(capsys, "not UTF-8")
    import hybridbatch.cli.report as report

    def boom(args):
        raise RuntimeError("surprise\nsecond line")

    monkeypatch.setattr(report, "run", boom)
    from hybridbatch.cli import build_parser  # noqa: F401  (parser built again inside main)

    monkeypatch.setattr("hybridbatch.cli.report.run", boom)
    code = main(["report", str(tmp_path), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith("hybridbatch: internal error: RuntimeError: surprise (rerun with --debug")
    with pytest.raises(RuntimeError):
        main(["--debug", "report", str(tmp_path), "--out", str(tmp_path / "r")])


@pytest.mark.parametrize("argv, fragment", [
    (["evaluate", "--batch-size", "abc"], "hybridbatch: error: evaluate: argument --batch-size: invalid int value"),
    (["nosuch"], "invalid choice: 'nosuch'"),
    (["search"], "hybridbatch: error: search: the following arguments are required: index, query"),
    (["report", "x", "--out", "y", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
])
def test_usage_errors_are_one_line_too(argv, fragment, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    _one_line_error(capsys, fragment)


@pytest.mark.parametrize("argv, expected", [
    (["--bogus"], "hybridbatch: error: unrecognized arguments: --bogus (see 'hybridbatch --help')"),
    (["report", "x", "--out", "y", "--bogus"],
     "hybridbatch: error: unrecognized arguments: --bogus (see 'hybridbatch --help')"),
    (["evaluate", "--batch-size", "x"], "hybridbatch: error: evaluate: argument --batch-size: invalid int value: "
     "'x' (see 'hybridbatch evaluate --help')"),
])
def test_usage_errors_name_the_program_once(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == expected
