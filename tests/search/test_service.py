"""The HTTP API: search (GET and POST), health, stats, the page, two indexes, and 4xx JSON errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hybridbatch.search.query import Limits
from hybridbatch.search.searcher import Request
from hybridbatch.search.service import create_app

QUERY = "Where does the Rhine rise?"


@pytest.fixture(scope="module", params=[True, False], ids=["batched", "plain"])
def client(request, searcher):
    app = create_app([searcher, searcher], batching=request.param, limits=Limits(max_k=20, max_query_chars=50,
                                                                              max_body_bytes=500))
    with TestClient(app) as c:
        yield c


def test_search_returns_each_index_with_hits_and_language_mix(client, searcher):
    r = client.get("/search", params={"q": QUERY, "k": 5, "lang": "de,en"})
    assert r.status_code == 200
    body = r.json()
    expected = searcher.search([QUERY], Request(k=5, langs=("de", "en")))[0]
    assert len(body["results"]) == 2 and body["results"][0]["hits"] == expected
    assert sum(body["results"][0]["lang_mix"].values()) == 5 and set(body["results"][0]["lang_mix"]) <= {"de", "en"}
    post = client.post("/search", json={"q": QUERY, "k": 5, "lang": ["en", "de"]})
    assert post.status_code == 200, post.text
    assert post.json()["results"][0]["hits"] == expected


def test_modes_over_http(client):
    body = client.get("/search", params={"q": QUERY, "k": 4, "mode": "quota", "per_lang": 1}).json()
    assert max(body["results"][0]["lang_mix"].values()) == 1
    body = client.get("/search", params={"q": QUERY, "k": 8, "mode": "interleave"}).json()
    assert body["results"][0]["lang_mix"]["zh"] == 1


def test_health_stats_and_page(client):
    client.get("/search", params={"q": QUERY})
    assert client.get("/health").json() == {"status": "ok", "indexes": ["tiny-exact", "tiny-exact"]}
    stats = client.get("/stats").json()
    assert stats["requests"] >= 1 and stats["indexes"][0]["counts"] == {"de": 3, "en": 3, "es": 3, "zh": 1}
    assert stats["latency_ms"]["p50"] > 0 and stats["rss_mb"] > 0
    page = client.get("/")
    assert page.status_code == 200 and "hybridbatch search" in page.text and 'id="q"' in page.text


@pytest.mark.parametrize("params, status, fragment", [
    ({}, 400, "missing or empty"),
    ({"q": "   "}, 400, "missing or empty"),
    ({"q": "x" * 51}, 400, "the limit is 50"),
    ({"q": QUERY, "k": 0}, 400, "k must be between 1 and 20"),
    ({"q": QUERY, "k": 21}, 400, "k must be between 1 and 20"),
    ({"q": QUERY, "k": "ten"}, 400, "'k' must be an integer"),
    ({"q": QUERY, "lang": "fr"}, 400, "unknown language(s) fr"),
    ({"q": QUERY, "mode": "best"}, 400, "unknown mode"),
    ({"q": QUERY, "mode": "quota"}, 400, "needs per_lang"),
])
def test_bad_requests_get_a_json_error_and_a_4xx(client, params, status, fragment):
    r = client.get("/search", params=params)
    assert r.status_code == status and fragment in r.json()["error"]
    assert "Traceback" not in r.text


def test_bad_bodies_unknown_routes_and_oversized_requests(client):
    assert client.post("/search", content=b"{oops", headers={"content-type": "application/json"}).status_code == 400
    assert "JSON object" in client.post("/search", json=[1, 2]).json()["error"]
    r = client.post("/search", json={"q": "x", "pad": "y" * 600})
    assert r.status_code == 413 and "over 500 bytes" in r.json()["error"]
    chunked = client.post("/search", content=iter([b'{"q": "', b"y" * 600, b'"}']),
                          headers={"content-type": "application/json"})
    assert chunked.status_code == 413
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.json() == {"error": "Not Found"}
    assert client.get("/stats").json()["client_errors"] >= 3
