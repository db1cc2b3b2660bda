"""The HTTP service (``hybridbatch serve``): a JSON API and a browser page over one or two indexes.

* ``GET /search?q=…&k=10&lang=de,en&mode=ranked|quota|interleave&per_lang=3`` (or ``POST /search`` with the
  same fields as JSON): one result list per index, each with its hits and the language mix of its top k;
* ``GET /health``: ``{"status": "ok", "indexes": [...]}``;
* ``GET /stats``: documents per language, model and index kind per index; queries, batches, latency
  percentiles and the process's memory;
* ``GET /``: the page (search box, results with language tags and scores, a language-mix bar, two indexes
  side by side).

Bad requests get ``{"error": "<one line>"}`` with a 4xx status; nothing else about the server leaks.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from contextlib import asynccontextmanager
from importlib import resources

from starlette.requests import Request as HttpRequest

from hybridbatch.errors import HybridbatchError
from hybridbatch.search.batcher import MicroBatcher
from hybridbatch.search.query import Limits, parse_request
from hybridbatch.search.searcher import Searcher, language_mix


def create_app(searchers: list[Searcher], *, batching: bool = True, max_batch: int = 32, max_wait_ms: float = 5.0,
               limits: Limits | None = None):
    """A FastAPI app over ``searchers`` (see the module docstring). ``batching=False`` is the plain way:
    each request encodes its own query in the server's thread pool (kept for the load test's comparison)."""
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException


    limits = limits or Limits()
    batchers = [MicroBatcher(s, max_batch=max_batch, max_wait_ms=max_wait_ms) for s in searchers] if batching else []
    latencies: deque[float] = deque(maxlen=10_000)
    counters = {"requests": 0, "client_errors": 0, "server_errors": 0}
    started = time.time()

    @asynccontextmanager
    async def lifespan(_app):
        yield
        for b in batchers:
            b.close()

    app = FastAPI(title="hybridbatch search", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    def error(status: int, message: str) -> JSONResponse:
        counters["client_errors" if status < 500 else "server_errors"] += 1
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(HybridbatchError)
    async def _bad_input(_request, exc: HybridbatchError):
        return error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        return error(422, f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request")

    @app.exception_handler(HTTPException)
    async def _http(_request, exc: HTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _internal(_request, _exc: Exception):
        return error(500, "internal error")

    @app.middleware("http")
    async def _limit_body(request: HttpRequest, call_next):
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > limits.max_body_bytes:
            return error(413, f"request body over {limits.max_body_bytes} bytes")
        return await call_next(request)

    async def run_search(q, k, lang, mode, per_lang) -> dict:
        query, req = parse_request(q, k, lang, mode, per_lang, limits)
        for s in searchers:
            s.check(req)
        t0 = time.perf_counter()
        if batching:
            lists = await asyncio.gather(*(asyncio.wrap_future(b.submit(query, req)) for b in batchers))
        else:
            lists = [(await run_in_threadpool(s.search, [query], req))[0] for s in searchers]
        took = time.perf_counter() - t0
        latencies.append(took)
        counters["requests"] += 1
        return {"query": query, "k": req.k, "mode": req.mode, "langs": list(req.langs) if req.langs else None,
                "took_ms": round(took * 1000, 2),
                "results": [{"index": s.name, "model": s.manifest["model"]["spec"], "hits": hits,
                             "lang_mix": language_mix(hits)} for s, hits in zip(searchers, lists)]}

    @app.get("/search")
    async def search_get(q: str | None = None, k: str | None = None, lang: str | None = None,
                         mode: str | None = None, per_lang: str | None = None):
        return await run_search(q, k, lang, mode, per_lang)

    @app.post("/search")
    async def search_post(request: HttpRequest):
        raw = await request.body()  # the header check misses chunked bodies
        if len(raw) > limits.max_body_bytes:
            return error(413, f"request body over {limits.max_body_bytes} bytes")
        try:
            body = json.loads(raw)
        except ValueError:
            raise HybridbatchError("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise HybridbatchError("the body must be a JSON object")
        return await run_search(body.get("q"), body.get("k"), body.get("lang"), body.get("mode"),
                                body.get("per_lang"))

    @app.get("/health")
    async def health():
        return {"status": "ok", "indexes": [s.name for s in searchers]}

    @app.get("/stats")
    async def stats():
        return {"uptime_s": round(time.time() - started, 1), "batching": batching, **counters,
                "latency_ms": _percentiles(latencies), "rss_mb": rss_mb(),
                "indexes": [{"name": s.name, "model": s.manifest["model"]["spec"], "kind": s.manifest["index"]["kind"],
                             "documents": s.manifest["documents"], "counts": s.manifest["counts"],
                             **({"batcher": b.stats.as_dict()} if batching else {})}
                            for s, b in zip(searchers, batchers or [None] * len(searchers))]}

    @app.get("/", response_class=HTMLResponse)
    async def page():
        return resources.files("hybridbatch.search").joinpath("page.html").read_text(encoding="utf-8")

    return app


def _percentiles(values) -> dict[str, float]:
    import numpy as np

    if not values:
        return {}
    arr = np.asarray(values) * 1000
    return {f"p{p}": round(float(np.percentile(arr, p)), 2) for p in (50, 95, 99)}


def rss_mb() -> float:
    """Resident memory of this process in MiB (Linux /proc; 0 where unavailable)."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0
