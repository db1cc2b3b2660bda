"""Micro-batching: concurrent queries wait a few milliseconds and share one encoder call.

One worker thread per searcher takes the first waiting query, collects more for up to ``max_wait_ms`` (or
until ``max_batch``), encodes them together, searches each, and completes each caller's future. On a CPU
one forward pass over 16 short queries costs little more than over one, so throughput grows with load
while a lone query waits at most ``max_wait_ms`` longer.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from hybridbatch.search.searcher import Request, Searcher


@dataclass
class BatchStats:
    """Counters for ``/stats``."""

    queries: int = 0
    batches: int = 0
    largest_batch: int = 0
    encode_seconds: float = 0.0
    errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, size: int, seconds: float) -> None:
        with self._lock:
            self.queries += size
            self.batches += 1
            self.largest_batch = max(self.largest_batch, size)
            self.encode_seconds += seconds

    def as_dict(self) -> dict:
        return {"queries": self.queries, "batches": self.batches, "largest_batch": self.largest_batch,
                "mean_batch": round(self.queries / self.batches, 2) if self.batches else 0.0,
                "encode_seconds": round(self.encode_seconds, 3), "errors": self.errors}


class MicroBatcher:
    """``submit(query, request)`` returns a Future of the hit list; see the module docstring."""

    def __init__(self, searcher: Searcher, *, max_batch: int = 32, max_wait_ms: float = 5.0):
        self.searcher = searcher
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.stats = BatchStats()
        self._queue: queue.Queue = queue.Queue()
        self._closed = False
        self._worker = threading.Thread(target=self._run, name=f"batcher-{searcher.name}", daemon=True)
        self._worker.start()

    def submit(self, query: str, request: Request) -> Future:
        future: Future = Future()
        if self._closed:
            future.set_exception(RuntimeError("the batcher is closed"))
        else:
            self._queue.put((query, request, future))
        return future

    def close(self) -> None:
        self._closed = True
        self._queue.put(None)
        self._worker.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.perf_counter() + self.max_wait
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.perf_counter()))
                except queue.Empty:
                    break
                if item is None:
                    self._closed = True
                    break
                batch.append(item)
            self._serve(batch)
            if self._closed and self._queue.empty():
                return

    def _serve(self, batch: list) -> None:
        started = time.perf_counter()
        try:
            vectors = self.searcher.encode([q for q, _, _ in batch])
        except Exception as exc:  # one bad query must not fail the others: retry one by one
            if len(batch) > 1:
                for item in batch:
                    self._serve([item])
                return
            self.stats.errors += 1
            batch[0][2].set_exception(exc)
            return
        self.stats.record(len(batch), time.perf_counter() - started)
        groups: dict[Request, list[int]] = {}
        for i, (_, request, _) in enumerate(batch):
            groups.setdefault(request, []).append(i)
        for request, rows in groups.items():
            try:
                hits = self.searcher.search_vectors(vectors[rows], request)
            except Exception as exc:
                for i in rows:
                    batch[i][2].set_exception(exc)
                continue
            for i, result in zip(rows, hits):
                batch[i][2].set_result(result)
