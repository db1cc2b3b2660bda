"""Load test of ``hybridbatch serve`` on this machine only: sustained queries/s and p50/p95/p99 latency at
several numbers of concurrent clients, with micro-batching and the plain way (one encoder call per request)
side by side, then a soak at one concurrency that samples the server's memory.

Each client sends one request, waits for the answer, sends the next (closed loop), for ``--seconds`` per level
(bounded also by ``--max-requests``). Queries are XQuAD-R's questions in all languages, in a fixed shuffled
order. The server is started as a subprocess (``python -m hybridbatch serve``) and stopped at the end.

    python benchmarks/search_load.py --index runs/index-xquad-r --out docs/runs/search-load
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start_server(indexes: list[str], batching: bool, port: int) -> subprocess.Popen:
    """``hybridbatch serve`` in a subprocess, returned once /health answers."""
    cmd = [sys.executable, "-m", "hybridbatch", "serve", *indexes, "--port", str(port)]
    if not batching:
        cmd.append("--no-batching")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start in 180 s")


async def run_level(url: str, queries: list[str], clients: int, seconds: float, max_requests: int, k: int,
                    on_tick=None) -> dict:
    import httpx

    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + seconds

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop_at and len(latencies) + errors < max_requests:
            q = queries[next(counter) % len(queries)]
            t0 = time.perf_counter()
            try:
                r = await http.get(url, params={"q": q, "k": k}, timeout=30)
                ok = r.status_code == 200 and r.json()["results"][0]["hits"]
            except (httpx.HTTPError, ValueError, KeyError, IndexError):
                ok = False
            if ok:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1

    async def ticker() -> None:
        while time.perf_counter() < stop_at:
            on_tick()
            await asyncio.sleep(5)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits) as http:
        started = time.perf_counter()
        tasks = [client(http) for _ in range(clients)] + ([ticker()] if on_tick else [])
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - started
    arr = np.asarray(latencies) * 1000
    pct = {f"p{p}_ms": round(float(np.percentile(arr, p)), 1) if len(arr) else None for p in (50, 95, 99)}
    return {"clients": clients, "requests": len(latencies), "errors": errors, "seconds": round(wall, 1),
            "qps": round(len(latencies) / wall, 1), **pct}


def xquad_questions(seed: int) -> list[str]:
    from hybridbatch.benchmarks.registry import load_benchmark

    queries = [q.text for q in load_benchmark("xquad-r").queries]
    random.Random(seed).shuffle(queries)
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--out", required=True, help="folder for load.json and load.md")
    parser.add_argument("--concurrency", default="1,4,16,64")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--soak-seconds", type=float, default=300)
    parser.add_argument("--soak-clients", type=int, default=16)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    queries = xquad_questions(args.seed)
    levels = [int(x) for x in args.concurrency.split(",")]
    result: dict = {"index": args.index, "k": args.k, "seconds_per_level": args.seconds, "queries": len(queries),
                    "cpu_count": os.cpu_count(), "modes": {}}
    for batching in (True, False):
        mode = "micro-batched" if batching else "plain (one encode per request)"
        port = free_port()
        server = start_server([args.index], batching, port)
        url = f"http://127.0.0.1:{port}/search"
        try:
            asyncio.run(run_level(url, queries, 4, 5, 200, args.k))  # warm-up, not recorded
            rows = []
            for clients in levels:
                row = asyncio.run(run_level(url, queries, clients, args.seconds, args.max_requests, args.k))
                row["server_rss_mb"] = round(rss_mb(server.pid), 1)
                rows.append(row)
                print(mode, row, flush=True)
            result["modes"][mode] = rows
            if batching and args.soak_seconds > 0:
                samples: list[tuple[float, float]] = []
                soak_start = time.perf_counter()

                def tick(samples=samples, t0=soak_start, pid=server.pid) -> None:
                    samples.append((round(time.perf_counter() - t0, 1), round(rss_mb(pid), 1)))

                soak = asyncio.run(run_level(url, queries, args.soak_clients, args.soak_seconds, 10**9, args.k,
                                             on_tick=tick))
                soak["rss_mb_samples"] = samples
                soak["rss_mb_first_last"] = [samples[0][1], samples[-1][1]] if samples else []
                result["soak"] = soak
                print("soak", {k: v for k, v in soak.items() if k != "rss_mb_samples"}, flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = ["| mode | clients | queries/s | p50 ms | p95 ms | p99 ms | errors | requests |", "|---|---|---|---|---|---|---|---|"]
    for mode, rows in result["modes"].items():
        lines += [f"| {mode} | {r['clients']} | {r['qps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
                  f"{r['errors']} | {r['requests']} |" for r in rows]
    (out / "load.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
