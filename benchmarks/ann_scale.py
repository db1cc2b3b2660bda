"""Approximate search at scale: recall@10 against exact search, latency per query and memory of the IVF and
HNSW indexes that ``hybridbatch index --kind`` builds, on a synthetic corpus of 1,000,000 vectors of dimension
384 (multilingual-e5-small's), with the same FAISS settings code (hybridbatch.search.index.build_faiss).

The synthetic vectors imitate sentence embeddings rather than uniform noise (on which no index can work):
unit vectors around ``--clusters`` topic centres that share a common direction (e5's vectors have a mean
cosine of about 0.7), with a per-cluster spread. Queries are drawn the same way and are not in the corpus.
Exact neighbours come from IndexFlatIP. Latency is measured one query at a time (a user's request), after a
warm-up, with FAISS's default threads; memory is the serialised index size (what it holds in RAM).

    python benchmarks/ann_scale.py --out docs/runs/ann-scale [--n 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np


def synthetic(n: int, dim: int, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, cluster of each) — unit vectors: shared direction + topic centre + per-item noise."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(dim).astype(np.float32)
    common /= np.linalg.norm(common)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    spread = rng.uniform(0.6, 1.2, clusters).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        part = labels[start:start + 100_000]
        noise = rng.standard_normal((len(part), dim)).astype(np.float32) / np.sqrt(dim)
        block = 1.2 * common + centres[part] + spread[part, None] * noise
        out[start:start + len(part)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out, labels


def recall_at(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth)]))


def per_query_ms(index, queries: np.ndarray, k: int, params=None) -> tuple[float, float, np.ndarray]:
    """(median ms, p99 ms, ids) searching one query at a time."""
    times, ids = [], []
    for q in queries[:20]:  # warm-up
        index.search(q[None], k, params=params) if params else index.search(q[None], k)
    for q in queries:
        t0 = time.perf_counter()
        _, found = index.search(q[None], k, params=params) if params else index.search(q[None], k)
        times.append((time.perf_counter() - t0) * 1000)
        ids.append(found[0])
    return float(np.median(times)), float(np.percentile(times, 99)), np.stack(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--clusters", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--nlist", type=int, default=4096)
    parser.add_argument("--nprobe", default="8,16,32,64,128")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--ef-search", default="16,32,64,128,256")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import faiss

    from hybridbatch.search.index import IndexSettings, build_faiss

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    data, _ = synthetic(args.n + args.queries, args.dim, args.clusters, args.seed)
    corpus, queries = data[:args.n], data[args.n:]
    result: dict = {"n": args.n, "dim": args.dim, "clusters": args.clusters, "queries": args.queries, "k": args.k,
                    "faiss": faiss.__version__, "threads": faiss.omp_get_max_threads(), "cpu_count": os.cpu_count(),
                    "generate_seconds": round(time.perf_counter() - t0, 1), "indexes": []}

    exact = build_faiss(corpus, IndexSettings(kind="exact"))
    ms, p99, truth = per_query_ms(exact, queries, args.k)
    result["indexes"].append({"kind": "exact", "build_seconds": 0.0, "bytes": int(faiss.serialize_index(exact).size),
                              "runs": [{"param": "-", "recall@10": 1.0, "median_ms": round(ms, 2), "p99_ms": round(p99, 2)}]})
    print("exact", result["indexes"][-1], flush=True)
    del exact

    for kind in ("ivf", "hnsw"):
        settings = IndexSettings(kind=kind, nlist=args.nlist, hnsw_m=args.hnsw_m, ef_construction=args.ef_construction)
        t0 = time.perf_counter()
        index = build_faiss(corpus, settings)
        entry = {"kind": kind, "build_seconds": round(time.perf_counter() - t0, 1),
                 "bytes": int(faiss.serialize_index(index).size), "settings": settings.__dict__, "runs": []}
        sweep = args.nprobe if kind == "ivf" else args.ef_search
        for value in (int(x) for x in sweep.split(",")):
            params = (faiss.SearchParametersIVF(nprobe=value) if kind == "ivf"
                      else faiss.SearchParametersHNSW(efSearch=value))
            ms, p99, found = per_query_ms(index, queries, args.k, params)
            entry["runs"].append({"param": f"{'nprobe' if kind == 'ivf' else 'efSearch'}={value}",
                                  "recall@10": round(recall_at(found, truth, args.k), 4),
                                  "median_ms": round(ms, 2), "p99_ms": round(p99, 2)})
            print(kind, entry["runs"][-1], flush=True)
        result["indexes"].append(entry)
        del index
        (out / "ann.json").write_text(json.dumps(result, indent=1) + "\n")  # partial results survive a stop

    lines = ["| index | build s | size MB | setting | recall@10 | median ms/query | p99 ms |", "|---|---|---|---|---|---|---|"]
    for entry in result["indexes"]:
        for run in entry["runs"]:
            lines.append(f"| {entry['kind']} | {entry['build_seconds']} | {entry['bytes'] / 2**20:.0f} | {run['param']} | "
                         f"{run['recall@10']} | {run['median_ms']} | {run['p99_ms']} |")
    (out / "ann.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / "ann.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
