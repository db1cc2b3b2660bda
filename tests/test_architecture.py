"""Imports point one way: foundations → data/models → encoding → evaluation/reporting → training →
experiment → cli. Nothing outside the CLI imports it; no module grows past ~400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "hybridbatch"
LAYERS = {  # first dotted part below hybridbatch -> layer
    "errors": 0, "outputs": 0, "settings": 0, "config": 0, "languages": 0, "hardware": 0,
    "data": 1, "models": 1,
    "encoding": 2,
    "evaluation": 3, "reporting": 3, "search": 3,
    "training": 4,
    "experiment": 5,
    "cli": 6, "__main__": 6, "__init__": 0,
}
MAX_LINES = 420


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        yield path, rel.parts[0]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hybridbatch"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from hybridbatch import x
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("hybridbatch."))
    return found


def test_every_top_level_module_has_a_layer():
    assert {top for _, top in _modules()} <= set(LAYERS)


def test_imports_point_one_way_and_nothing_imports_the_cli():
    wrong = []
    for path, top in _modules():
        for target in _imports(path):
            if target == "__version__":
                continue
            if LAYERS[target] > LAYERS[top] or (target == "cli" and top not in ("cli", "__main__")):
                wrong.append(f"{path.relative_to(SRC)} imports hybridbatch.{target}")
    assert not wrong, wrong


def test_no_module_is_over_the_size_limit():
    big = [f"{p.relative_to(SRC)}: {n}" for p, _ in _modules()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not big, big
