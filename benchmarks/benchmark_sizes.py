"""Size of every benchmark at full size, texts to encode, and the metric-stage time on random unit vectors.

    python benchmarks/benchmark_sizes.py [--data-dir DIR] [--only tatoeba,tico19] [--dim 384] [--json out.json]
    python benchmarks/benchmark_sizes.py --measured runs/tatoeba/base runs/tico19/base ...

Reads each benchmark through ``load_benchmark`` (no model is loaded and nothing is encoded), counts queries,
candidates and the distinct texts a model would encode (per side; the embedding cache keys on side and
text, so a sentence shared by two benchmarks is encoded once: the last row counts the union), then times
the scorer on random L2-normalised vectors of width ``--dim`` (the metric stage alone; real embeddings take
the same time). The encode-time columns are estimates from the measured rates of docs/RESULTS.md §13
(multilingual-e5-small on this machine's 2 cores: fp32 75 texts/s, bf16 201 texts/s; short sentences
go faster), not measurements. ``--measured`` instead tabulates what real full-size evaluations recorded
(``results.json`` → ``timing``: texts encoded, encode seconds, texts/s, metric-stage seconds, from cache).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from hybridbatch.benchmarks.registry import get_scorer, load_benchmark

SPECS = [("xquad-r", None), ("tatoeba", None), ("tatoeba", ["all"]), ("tico19", None), ("afriqa", None)]
RATES = {"fp32": 75.2, "bf16": 200.8}


def random_unit(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal((n, dim), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def measure(spec: str, languages: list[str] | None, data_dir: str | None, dim: int, metric: bool) -> dict:
    start = time.perf_counter()
    bench = load_benchmark(spec, data_dir, languages)
    row = {"benchmark": spec + (" --languages " + ",".join(languages) if languages else ""), "kind": bench.kind,
           "languages": len(bench.languages), "queries": len(bench.queries), "candidates": len(bench.candidates),
           "read_s": round(time.perf_counter() - start, 2)}
    q_texts = {q.text for q in bench.queries}
    c_texts = set(bench.candidate_texts())
    row["texts"] = len(q_texts) + len(c_texts)
    for name, rate in RATES.items():
        row[f"encode_min_{name}_est"] = round(row["texts"] / rate / 60, 1)
    if metric:
        rng = np.random.default_rng(0)
        Q, C = random_unit(len(bench.queries), dim, rng), random_unit(len(bench.candidates), dim, rng)
        scorer = get_scorer(bench.kind)
        start = time.perf_counter()
        scorer.score(bench, Q, C)
        row["metric_s"] = round(time.perf_counter() - start, 2)
    return {**row, "_texts": (q_texts, c_texts)}


def measured_row(folder: str) -> dict:
    """What one finished evaluation folder recorded about its own speed."""
    results = json.loads(open(os.path.join(folder, "results.json"), encoding="utf-8").read())
    config = json.loads(open(os.path.join(folder, "config.json"), encoding="utf-8").read())["config"]
    timing = results.get("timing") or {}
    return {"folder": folder, "benchmark": config["benchmark"], "languages": len(results.get("languages", [])),
            "precision": config.get("precision"), "texts_encoded": timing.get("texts_encoded"),
            "from_cache": timing.get("texts_from_cache"), "encode_s": timing.get("encode_seconds"),
            "texts_per_s": timing.get("texts_per_second"), "metric_s": timing.get("metric_seconds")}


def print_table(rows: list[dict], keys: list[str]) -> None:
    print("\n| " + " | ".join(keys) + " |\n" + "|---" * len(keys) + "|")
    for row in rows:
        print("| " + " | ".join(str(row.get(k, "")) for k in keys) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("HYBRIDBATCH_DATA"))
    parser.add_argument("--only", help="comma-separated benchmark names (default: all of " +
                        ", ".join(dict.fromkeys(s for s, _ in SPECS)) + ")")
    parser.add_argument("--dim", type=int, default=384, help="embedding width (multilingual-e5-small: 384)")
    parser.add_argument("--no-metric", action="store_true", help="sizes only")
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--measured", nargs="+", metavar="EVAL_DIR", help="tabulate the speed recorded by these "
                        "finished evaluation folders instead")
    args = parser.parse_args()
    if args.measured:
        rows = [measured_row(folder) for folder in args.measured]
        print_table(rows, list(rows[0]))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(rows, fh, indent=1)
        return
    wanted = set(args.only.split(",")) if args.only else None
    rows, queries, passages = [], set(), set()
    for spec, languages in SPECS:
        if wanted and spec not in wanted:
            continue
        row = measure(spec, languages, args.data_dir, args.dim, not args.no_metric)
        q_texts, c_texts = row.pop("_texts")
        if languages != ["all"]:  # the default sets: what an evaluation of all benchmarks encodes
            queries |= q_texts
            passages |= c_texts
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    union = {"benchmark": "union of the default sets (encode-once)", "texts": len(queries) + len(passages)}
    union.update({f"encode_min_{name}_est": round(union["texts"] / rate / 60, 1) for name, rate in RATES.items()})
    rows.append(union)
    keys = ["benchmark", "kind", "languages", "queries", "candidates", "texts", "encode_min_fp32_est",
            "encode_min_bf16_est", "read_s", "metric_s"]
    print_table(rows, keys)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
