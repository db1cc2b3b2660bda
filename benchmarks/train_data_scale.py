"""How the training data path grows with the number of items: `train --dry-run` on synthetic JSONL.

Writes N synthetic items (7 languages per parallel group, 12-word queries, 90-word passages) as JSONL, then runs
`hybridbatch train --dry-run` on it twice in fresh processes: the first run converts the JSONL into the Arrow item
cache (a fresh cache folder), the second opens the cache. For each it reports wall time and peak resident memory
(the child's ru_maxrss); with --steps it also trains that many real steps with a tiny model and reports their
time. `--src` runs another checkout's package (e.g. the code before the Arrow path) for comparison.

    python benchmarks/train_data_scale.py --items 100000 1000000 --work /tmp/scale --json scale.json
    python benchmarks/train_data_scale.py --items 100000 --src /tmp/old/src --work /tmp/scale-old
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh")


def write_items(path: Path, n_items: int, seed: int = 0) -> None:
    """N JSONL items: groups of len(LANGS) languages; queries 12 and passages 90 random words."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i:05d}" for i in range(50_000)])
    n_groups = -(-n_items // len(LANGS))
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        for start in range(0, n_groups, 10_000):
            count = min(10_000, n_groups - start)
            words = vocab[rng.integers(0, len(vocab), size=(count * len(LANGS), 102))]
            lines = []
            for k in range(count * len(LANGS)):
                if written + len(lines) == n_items:
                    break
                g, lang = start + k // len(LANGS), LANGS[k % len(LANGS)]
                lines.append(json.dumps({"group": f"g{g}", "lang": lang, "query": " ".join(words[k, :12]),
                                         "passage": f"{lang} " + " ".join(words[k, 12:])}) + "\n")
            out.writelines(lines)
            written += len(lines)


def write_config(path: Path, items: Path, steps: int) -> None:
    path.write_text(json.dumps({
        "datasets": [{"jsonl": str(items), "name": "synthetic"}], "seed": 1, "validation_fraction": 0.01,
        "output_dir": str(path.parent / "run"),
        "training": {"batch_size": 32, "max_steps": max(steps, 1), "loss": "mnrl", "max_seq_length": 64,
                     "eval_steps": 1000, "warmup_steps": 0, "logging_steps": 1, "early_stopping_patience": None}}))


_PEAK = ("import atexit, resource, runpy, sys; "
         "atexit.register(lambda: print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
         "file=sys.stderr)); sys.argv = ['hybridbatch'] + sys.argv[1:]; runpy.run_module('hybridbatch', "
         "run_name='__main__')")


def run(args: list[str], env: dict[str, str]) -> dict:
    """Wall time and peak resident memory (MB, the process's own ru_maxrss) of ``hybridbatch ARGS``."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _PEAK, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(args)}\n{proc.stderr[-3000:]}")
    peak = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("PEAK_KB ")]
    return {"wall_s": round(wall, 1), "peak_mb": round(int(peak[-1]) / 1024, 1),
            "stdout": proc.stdout.strip().splitlines()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[100_000])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--src", type=Path, help="package source folder to run instead of this checkout's")
    parser.add_argument("--steps", type=int, default=0, help="also train this many steps (tiny model)")
    parser.add_argument("--model", default=None, help="model folder for --steps (default: a tiny test model)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = f"{args.src.resolve()}{os.pathsep}{env.get('PYTHONPATH', '')}"
    rows = []
    for n in args.items:
        folder = args.work / f"n{n}"
        folder.mkdir(exist_ok=True)
        items = folder / "items.jsonl"
        if not items.is_file():
            t = time.perf_counter()
            write_items(items, n)
            print(f"{n:,} items written ({items.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
        config = folder / "train.json"
        write_config(config, items, args.steps)
        env["HYBRIDBATCH_CACHE"] = str(folder / f"cache-{time.time_ns()}")
        dry = ["train", "--config", str(config), "--dry-run", "--plan-batches", "1000"]
        first = run(dry, env)
        second = run(dry, env)
        row = {"items": n, "jsonl_mb": round(items.stat().st_size / 1e6), "first": first, "cached": second}
        if args.steps:
            model = args.model or str(tiny_model(args.work))
            t_cmd = ["train", "--config", str(config), "--model", model, "--out", str(folder / f"run-{time.time_ns()}")]
            row["train"] = run(t_cmd, env)
        rows.append(row)
        print(f"{n:,} items: first dry run {first['wall_s']} s, {first['peak_mb']} MB; cached {second['wall_s']} s, "
              f"{second['peak_mb']} MB" + (f"; {args.steps} steps {row['train']['wall_s']} s" if args.steps else ""))
    if args.json:
        args.json.write_text(json.dumps({"machine": platform.processor() or platform.machine(),
                                         "cpus": os.cpu_count(), "src": str(args.src or "checkout"),
                                         "rows": rows}, indent=1))


def tiny_model(work: Path) -> Path:
    """A tiny BERT sentence-transformers model built once (random weights; for step timing only)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.conftest import build_tiny_model

    folder = work / "tiny-model"
    if not (folder / "st").is_dir():
        build_tiny_model(folder)
    return folder / "st"


if __name__ == "__main__":
    main()
