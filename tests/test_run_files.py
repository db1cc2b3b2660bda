"""Run-output names are spelled once, in hybridbatch.run_files: no other module writes them as literals."""

from __future__ import annotations

import ast
from pathlib import Path

from hybridbatch import run_files

SRC = Path(run_files.__file__).resolve().parent
NAMES = {value for key, value in vars(run_files).items() if key.isupper() and isinstance(value, str)}
FILE_NAMES = {n for n in NAMES if "." in n.strip(".")}  # distinctive wherever they appear
FOLDER_NAMES = NAMES - FILE_NAMES  # plain words ("model", "train"): only as a path part
PREFIXES = (run_files.CHECKPOINT_PREFIX, run_files.STAGING_PREFIX, run_files.eval_name(""),
            run_files.base_validation_name(""))
PATH_METHODS = {"glob", "rglob", "joinpath", "remove_stale", "join"}


def spelled_names(source: str) -> list[tuple[int, str]]:
    """(line, name) of every run-output name ``source`` writes as a literal: a file name anywhere, a folder
    name as a path part (``/ "model"``, ``glob("model")``, ``"model" in p.parts``), an f-string that starts
    with a name prefix (``f"checkpoint-{n}"``)."""
    found = []

    def is_name(node: ast.AST, names: set[str]) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names

    for node in ast.walk(ast.parse(source)):
        if is_name(node, FILE_NAMES):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            found += [(side.lineno, side.value) for side in (node.left, node.right) if is_name(side, FOLDER_NAMES)]
        elif isinstance(node, ast.Compare):
            found += [(side.lineno, side.value) for side in [node.left, *node.comparators]
                      if is_name(side, FOLDER_NAMES)]
        elif isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func in PATH_METHODS:
                found += [(arg.lineno, arg.value) for arg in node.args if is_name(arg, FOLDER_NAMES)]
        elif isinstance(node, ast.JoinedStr) and node.values:
            head = node.values[0]
            if isinstance(head, ast.Constant) and isinstance(head.value, str) and head.value.startswith(PREFIXES):
                found.append((node.lineno, head.value))
    return found


def test_no_module_spells_a_run_output_name():
    spelled = [f"{path.relative_to(SRC)}:{line}: {name!r}"
               for path in sorted(SRC.rglob("*.py")) if path.name != "run_files.py"
               for line, name in spelled_names(path.read_text(encoding="utf-8"))]
    assert not spelled, "\n".join(spelled)


def test_the_scan_finds_spelled_names():
    source = '''
out / "results.json"
out / "model"
path.glob("checkpoints")
"summary" not in p.parts
f"checkpoint-{step}"
{"model": 1, "train": None}
"a model"
'''
    assert sorted(spelled_names(source)) == [(2, "results.json"), (3, "model"), (4, "checkpoints"), (5, "summary"),
                                     (6, "checkpoint-")]


def test_checkpoint_names_round_trip():
    assert run_files.checkpoint_name(40) == "checkpoint-40"
    assert run_files.checkpoint_step("checkpoint-40") == 40
    assert run_files.checkpoint_step(".tmp-checkpoint-40") is None
    assert run_files.checkpoint_step("checkpoint-x") is None
    assert run_files.checkpoint_step("checkpoint-") is None
