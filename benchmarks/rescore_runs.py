"""Behaviour check of the scorers: re-aggregate every stored evaluation and compare with what it recorded.

    HYBRIDBATCH_DATA=../shared/data python benchmarks/rescore_runs.py [ROOT ...]   # default ROOT: docs/runs

For every evaluation folder under ROOT (one holding results.json and per_query.npz): load its benchmark
(the spec and language subset in config.json, else results["benchmark"] and results["languages"]) from
the data folder, re-aggregate per_query.npz through the scorer of results["kind"] and compare every number of
results.json (except "timing"); when the folder holds results.md / results.csv, also re-render them from
the re-aggregated results and compare the text. Prints one line per folder with the largest absolute
difference; exits 1 if any number, key or rendered file differs, 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.benchmarks.registry import load_benchmark, scorer_for
from hybridbatch.errors import HybridbatchError


def compare(a: Any, b: Any, where: str = "") -> tuple[float, list[str]]:
    """Largest |a - b| over the numbers of two JSON trees, and the places where they differ otherwise."""
    if isinstance(a, dict) and isinstance(b, dict):
        worst, problems = 0.0, []
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                problems.append(f"{where}/{key}: only in {'stored' if key in a else 'rescored'}")
                continue
            w, p = compare(a[key], b[key], f"{where}/{key}")
            worst, problems = max(worst, w), problems + p
        return worst, problems
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return 0.0, [f"{where}: lengths {len(a)} != {len(b)}"]
        worst, problems = 0.0, []
        for i, (x, y) in enumerate(zip(a, b)):
            w, p = compare(x, y, f"{where}[{i}]")
            worst, problems = max(worst, w), problems + p
        return worst, problems
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        diff = abs(float(a) - float(b))
        if math.isnan(diff):
            return 0.0, [] if math.isnan(float(a)) and math.isnan(float(b)) else [f"{where}: {a} != {b}"]
        return diff, [f"{where}: {a!r} != {b!r}"] if diff else []
    return 0.0, [] if a == b else [f"{where}: {a!r} != {b!r}"]


def rescore(folder: Path, data_dir: str | None) -> tuple[float, list[str]]:
    """(largest numeric difference, differences) for one evaluation folder."""
    stored = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    config_file = folder / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8")).get("config", {}) if config_file.is_file() else {}
    spec = config.get("benchmark") or stored["benchmark"]
    # The evaluation's own language subset; results["languages"] may name only the query languages
    # (Tatoeba's and AfriQA's pivots are not listed), so it is compared below, not used to load.
    languages = config["languages"] if "languages" in config else stored.get("languages")
    bench = load_benchmark(spec, Path(data_dir) if data_dir else None, languages)
    scorer = scorer_for(stored)
    with np.load(folder / "per_query.npz") as data:
        per_query = {k: data[k] for k in data.files}
    rescored = scorer.aggregate(bench, per_query)
    worst, problems = compare({k: v for k, v in stored.items() if k != "timing"}, rescored)
    for name, render in (("results.md", scorer.markdown), ("results.csv", scorer.csv)):
        if (folder / name).is_file() and (folder / name).read_text(encoding="utf-8") != render(rescored):
            problems.append(f"{name}: re-rendered text differs")
    return worst, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", default=["docs/runs"], metavar="ROOT")
    parser.add_argument("--data-dir", help="shared data folder (default: $HYBRIDBATCH_DATA)")
    args = parser.parse_args()
    folders = sorted({p.parent for root in args.roots for p in Path(root).rglob("results.json")
                      if (p.parent / "per_query.npz").is_file()})
    if not folders:
        print(f"no evaluation folders under {', '.join(args.roots)}", file=sys.stderr)
        return 2
    failed = 0
    for folder in folders:
        try:
            worst, problems = rescore(folder, args.data_dir)
        except HybridbatchError as exc:
            print(f"{folder}: error: {exc}", file=sys.stderr)
            return 2
        failed += bool(problems)
        print(f"{'DIFF' if problems else 'same'}  max |diff| {worst:.3g}  {folder}")
        for line in problems[:10]:
            print(f"      {line}")
    print(f"{len(folders)} evaluation folders, {failed} differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
