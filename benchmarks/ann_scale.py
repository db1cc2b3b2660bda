"""Approximate search at scale: recall@10 against exact search, latency per query and memory of the IVF and
HNSW indexes that ``hybridbatch index --kind`` builds, on a synthetic corpus of 1,000,000 vectors of dimension
384 (multilingual-e5-small's), with the same FAISS settings code (hybridbatch.search.index.build_faiss).

The synthetic vectors imitate sentence embeddings rather than uniform noise (on which no index can work):
unit vectors around ``--clusters`` topic centres that share a common direction (multilingual-e5-small's
XQuAD-R candidate vectors: random pairs 0.743 ± 0.033, nearest neighbour 0.899, 10th 0.866), with a
per-cluster spread. Queries are drawn the same way and are not in the corpus.
Exact neighbours come from IndexFlatIP. Latency is measured one query at a time (a user's request), after a
warm-up, with FAISS's default threads; memory is the serialised index size (what it holds in RAM).

    python benchmarks/ann_scale.py --out docs/runs/ann-scale [--n 1000000] [--index-dir /tmp/ann]
    python benchmarks/ann_scale.py --out docs/runs/ann-real --real runs/index-xquad-r --nlist 0   # real vectors

With ``--index-dir``, built indexes are saved there and reused by the next run (same data, same settings), so
latency can be re-measured on an idle machine without rebuilding; their build times are kept in build.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

COMMON = 2.15  # weight of the shared direction: with noise ~0.8, pair cosine ≈ 0.74, within a topic ≈ 0.9


def synthetic(n: int, dim: int, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, cluster of each) — unit vectors: shared direction + topic centre + per-item noise, scaled so
    that random pairs have cosine ≈ 0.74 and same-topic pairs ≈ 0.9, as XQuAD-R's e5 vectors (pairs 0.743,
    nearest neighbour 0.899)."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(dim).astype(np.float32)
    common /= np.linalg.norm(common)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    spread = rng.uniform(0.65, 0.95, clusters).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        part = labels[start:start + 100_000]
        noise = rng.standard_normal((len(part), dim)).astype(np.float32) / np.sqrt(dim)
        block = COMMON * common + centres[part] + spread[part, None] * noise
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


def real_vectors(index_dir: str, n_queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(the index's document vectors, ``n_queries`` of its benchmark's questions encoded by its model)."""
    from hybridbatch.benchmarks.registry import load_benchmark
    from hybridbatch.encoding import encode_texts
    from hybridbatch.search.index import load_faiss, read_manifest
    from hybridbatch.search.searcher import Searcher

    manifest = read_manifest(index_dir)
    corpus = load_faiss(Path(index_dir), manifest).reconstruct_n(0, manifest["documents"])
    questions = [q.text for q in load_benchmark(manifest["corpora"][0]["spec"]).queries]
    picked = [questions[i] for i in np.random.default_rng(seed).choice(len(questions), n_queries, replace=False)]
    return corpus, encode_texts(Searcher(index_dir).encoder, picked, "query")[0]


def built(kind: str, args, build) -> tuple[object, float]:
    """(index, build seconds): read from ``--index-dir`` when saved there with the same settings, else built."""
    import faiss

    key = f"{kind}-n{args.n}-d{args.dim}-c{args.clusters}-s{args.seed}-l{args.nlist}-m{args.hnsw_m}-e{args.ef_construction}"
    folder = Path(args.index_dir) if args.index_dir else None
    record = folder / "build.json" if folder else None
    times = json.loads(record.read_text()) if record and record.is_file() else {}
    if folder and key in times and (folder / f"{key}.faiss").is_file():
        return faiss.read_index(str(folder / f"{key}.faiss")), times[key]
    t0 = time.perf_counter()
    index = build()
    seconds = round(time.perf_counter() - t0, 1)
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(index, str(folder / f"{key}.faiss"))
        record.write_text(json.dumps(times | {key: seconds}, indent=1))
    return index, seconds


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
    parser.add_argument("--index-dir", help="save built indexes here and reuse them when present")
    parser.add_argument("--real", metavar="INDEX_DIR",
                        help="instead of synthetic data: the vectors of a LAReQA index built by 'hybridbatch index' "
                        "and its benchmark's questions as queries (encoded with the index's model, cached)")
    args = parser.parse_args()

    import faiss

    from hybridbatch.search.index import IndexSettings, build_faiss

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.real:
        corpus, queries = real_vectors(args.real, args.queries, args.seed)
        args.n, args.dim = corpus.shape
    else:
        data, _ = synthetic(args.n + args.queries, args.dim, args.clusters, args.seed)
        corpus, queries = data[:args.n], data[args.n:]
    result: dict = {"n": args.n, "dim": args.dim, "clusters": args.clusters, "queries": args.queries, "k": args.k,
                    "faiss": faiss.__version__, "threads": faiss.omp_get_max_threads(), "cpu_count": os.cpu_count(),
                    "generate_seconds": round(time.perf_counter() - t0, 1), "indexes": []}

    exact = build_faiss(corpus, IndexSettings(kind="exact"))
    ms, p99, truth = per_query_ms(exact, queries, args.k)
    top, _ = exact.search(queries, args.k)
    rng = np.random.default_rng(1)
    pairs = (corpus[rng.integers(0, args.n, 5000)] * corpus[rng.integers(0, args.n, 5000)]).sum(1)
    result["similarity"] = {"random_pair_cos": round(float(pairs.mean()), 3), "top1_cos": round(float(top[:, 0].mean()), 3),
                            f"top{args.k}_cos": round(float(top[:, -1].mean()), 3)}
    result["indexes"].append({"kind": "exact", "build_seconds": 0.0, "bytes": int(faiss.serialize_index(exact).size),
                              "runs": [{"param": "-", "recall@10": 1.0, "median_ms": round(ms, 2), "p99_ms": round(p99, 2)}]})
    print("exact", result["indexes"][-1], flush=True)
    del exact

    for kind in ("ivf", "hnsw"):
        settings = IndexSettings(kind=kind, nlist=args.nlist, hnsw_m=args.hnsw_m, ef_construction=args.ef_construction)
        index, build_seconds = built(kind, args, lambda s=settings: build_faiss(corpus, s))
        entry = {"kind": kind, "build_seconds": build_seconds,
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
