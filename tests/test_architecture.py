"""Imports point one way, folder by folder, and no module imports itself back through others.

Layers (a folder or top-level module may import only those of lower layers and its own folder):
errors → foundations (outputs, run_files, settings, config, languages, hardware) → render (tables, plots) → data → models
→ encoding / scoring → benchmarks (one folder per family) → evaluation / search → reporting → training
→ merging → experiment → cli. An import inside a function is allowed only where it defers a heavy
dependency, said in a trailing ``# deferred: <reason>`` comment.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "hybridbatch"
LAYERS = {  # folder or top-level module below hybridbatch -> layer
    "errors": 0, "__init__": 0,
    "outputs": 1, "run_files": 1, "settings": 1, "config": 1, "languages": 1, "hardware": 1,
    "render": 2,
    "data": 3,
    "models": 4,
    "encoding": 5, "scoring": 5,
    "benchmarks": 6,
    "evaluation": 7, "search": 7,
    "reporting": 8,
    "training": 9,
    "merging": 10, "mining": 10,
    "experiment": 11,
    "cli": 12, "__main__": 13,
}
MAX_LINES = 420
SHARED_SCORING = {"tico19": {"lareqa"}}
"""Families scored with another family's scoring (TICO-19 is scored as LAReQA); the others take shared
scoring helpers from scoring/."""
LIGHT_USERS = {"mining", "merging"}
"""Folders that must not load the trainer (resolve settings with :mod:`hybridbatch.training.runtime`)."""


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(node: ast.ImportFrom | ast.Import) -> list[str]:
    """The project modules an import statement loads (``from pkg import sub`` counts as ``pkg.sub``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "hybridbatch"]
    if not node.module or node.module.split(".")[0] != "hybridbatch":
        return []
    out = []
    for alias in node.names:
        sub = f"{node.module}.{alias.name}"
        out.append(sub if sub in MODULES else node.module)
    return out


def _imports(path: Path) -> list[tuple[str, ast.stmt, bool]]:
    """(imported module, statement, inside a function) for every project import of ``path``."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.extend((m, child, in_function) for m in _resolve(child))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for target, _, _ in _imports(path):
            if target != name and target in MODULES:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(set(graph) | {t for ts in graph.values() for t in ts}):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_every_folder_and_top_level_module_has_a_layer():
    tops = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    tops |= {p.stem for p in SRC.glob("*.py")}
    assert tops <= set(LAYERS), sorted(tops - set(LAYERS))
    stray = [str(p.relative_to(SRC)) for p in SRC.rglob("*") if p.is_dir() and p.name != "__pycache__"
             and not (p / "__init__.py").exists() and any(p.glob("*.py"))]
    assert not stray, f"folders of modules without __init__.py: {stray}"


def test_folders_import_only_lower_layers():
    wrong = []
    for name, path in MODULES.items():
        source = _top(name)
        for target, node, _ in _imports(path):
            other = _top(target)
            if other != source and LAYERS[other] >= LAYERS[source]:
                wrong.append(f"{path.relative_to(SRC)}:{node.lineno} ({source}, layer {LAYERS[source]}) imports "
                             f"{target} ({other}, layer {LAYERS[other]})")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_itself_back():
    assert not _cycles(_graph())


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_imports_inside_functions_say_what_they_defer():
    lines_of = {name: path.read_text(encoding="utf-8").splitlines() for name, path in MODULES.items()}
    unexplained = []
    for name, path in MODULES.items():
        for _, node, in_function in _imports(path):
            if not in_function:
                continue
            statement = lines_of[name][node.lineno - 1:node.end_lineno]
            if not any("# deferred:" in line for line in statement):
                unexplained.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not sorted(set(unexplained)), sorted(set(unexplained))


def test_no_module_is_over_the_size_limit():
    big = [f"{p.relative_to(SRC)}: {n}" for p in MODULES.values()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not big, big


def test_families_take_shared_scoring_helpers_from_scoring():
    wrong = []
    for name, path in MODULES.items():
        parts = name.split(".")
        if parts[1:2] != ["benchmarks"] or len(parts) < 4:
            continue
        for target, node, _ in _imports(path):
            other = target.split(".")
            if (other[1:2] == ["benchmarks"] and len(other) > 3 and other[3] == "scoring"
                    and other[2] != parts[2] and other[2] not in SHARED_SCORING.get(parts[2], set())):
                wrong.append(f"{path.relative_to(SRC)}:{node.lineno} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_mining_and_merging_do_not_load_the_trainer():
    wrong = [f"{path.relative_to(SRC)}:{node.lineno}" for name, path in MODULES.items() if _top(name) in LIGHT_USERS
             for target, node, _ in _imports(path) if target == "hybridbatch.training.trainer"]
    assert not wrong, wrong
