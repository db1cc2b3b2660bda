"""download_lareqa and ``hybridbatch download`` against a local http.server (never the internet)."""

from __future__ import annotations

import argparse
import hashlib
import shutil
import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hybridbatch.benchmarks.lareqa.download import SOURCES, download_lareqa, parse_base_urls
from hybridbatch.cli import download as download_cli
from hybridbatch.errors import HybridbatchError


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep test output clean
        pass


class _Truncating(BaseHTTPRequestHandler):
    """Promises 1000 bytes, sends 10, closes."""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b'{"data": [')
        self.close_connection = True

    def log_message(self, format, *args):  # noqa: A002
        pass


def _serve(handler) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def mirror(tmp_path: Path, lareqa_tiny: Path) -> Iterator[tuple[Path, str]]:
    """A local mirror root serving xquad-r/{de,en,es}.json (the tiny fixture); yields (root, URL)."""
    root = tmp_path / "mirror"
    shutil.copytree(lareqa_tiny, root / "xquad-r")
    server, url = _serve(partial(_QuietFiles, directory=str(root)))
    yield root, url
    server.shutdown()
    server.server_close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.part")) if folder.exists() else []


def _get(dest: Path, url: str, langs: list[str], **kw):
    return download_lareqa(dest, ["xquad-r"], langs, {"xquad-r": f"{url}/xquad-r"},
                           verify_checksums=False, progress=False, **kw)


def test_downloads_then_skips_then_forces(tmp_path: Path, mirror) -> None:
    root, url = mirror
    dest = tmp_path / "data"
    results = _get(dest, url, ["de", "en"])
    assert [(r.lang, r.status) for r in results] == [("de", "downloaded"), ("en", "downloaded")]
    for lang in ("de", "en"):
        target = dest / "lareqa" / "xquad-r" / f"{lang}.json"
        assert target.read_bytes() == (root / "xquad-r" / f"{lang}.json").read_bytes()
        assert results[["de", "en"].index(lang)].size == target.stat().st_size
    assert not (dest / "lareqa" / "xquad-r" / "es.json").exists()
    assert [r.status for r in _get(dest, url, ["de", "en"])] == ["present", "present"]
    assert [r.status for r in _get(dest, url, ["de"], force=True)] == ["downloaded"]


def test_404_is_a_clear_error_and_leaves_nothing(tmp_path: Path, mirror) -> None:
    root, url = mirror
    (root / "xquad-r" / "el.json").unlink(missing_ok=True)
    dest = tmp_path / "data"
    with pytest.raises(HybridbatchError, match=r"/xquad-r/el\.json: HTTP 404"):
        _get(dest, url, ["de", "el"])
    folder = dest / "lareqa" / "xquad-r"
    assert sorted(p.name for p in folder.iterdir()) == ["de.json"]  # de finished before el failed


@pytest.mark.parametrize("body, message", [
    (b'{"data": [{"paragraphs": [', "not valid JSON"),
    (b'{"version": "1.1"}', "not LAReQA JSON: no top-level 'data' list"),
    (b"\xff\xfe{}", "not UTF-8 JSON"),
])
def test_corrupt_file_keeps_the_old_one(tmp_path: Path, mirror, body: bytes, message: str) -> None:
    root, url = mirror
    dest = tmp_path / "data"
    _get(dest, url, ["de"])
    good = (dest / "lareqa" / "xquad-r" / "de.json").read_bytes()
    (root / "xquad-r" / "de.json").write_bytes(body)
    with pytest.raises(HybridbatchError, match=message):
        _get(dest, url, ["de"], force=True)
    assert (dest / "lareqa" / "xquad-r" / "de.json").read_bytes() == good
    assert _leftovers(dest) == []


def test_checksum_mismatch(tmp_path: Path, mirror) -> None:
    _, url = mirror
    dest = tmp_path / "data"
    with pytest.raises(HybridbatchError, match="sha256 .* differs from the pinned file's"):
        download_lareqa(dest, ["xquad-r"], ["en"], {"xquad-r": f"{url}/xquad-r"}, progress=False)
    assert not (dest / "lareqa" / "xquad-r" / "en.json").exists() and _leftovers(dest) == []


def test_truncated_body(tmp_path: Path) -> None:
    server, url = _serve(_Truncating)
    try:
        with pytest.raises(HybridbatchError, match=r"de\.json: download (failed|truncated)"):
            _get(tmp_path, url, ["de"], timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert not (tmp_path / "lareqa" / "xquad-r" / "de.json").exists() and _leftovers(tmp_path) == []


def test_unreachable_server(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HybridbatchError, match="cannot download"):
        _get(tmp_path, f"http://127.0.0.1:{port}", ["de"], timeout=5)
    assert _leftovers(tmp_path) == []


def test_bad_selection(tmp_path: Path) -> None:
    with pytest.raises(HybridbatchError, match="unknown dataset"):
        download_lareqa(tmp_path, ["squad"], progress=False)
    with pytest.raises(HybridbatchError, match=r"language\(s\) el not in mlqa-r"):
        download_lareqa(tmp_path, ["mlqa-r"], ["el"], progress=False)


def test_parse_base_urls() -> None:
    assert parse_base_urls(["http://m/lareqa/"]) == {"xquad-r": "http://m/lareqa/xquad-r",
                                                     "mlqa-r": "http://m/lareqa/mlqa-r"}
    assert parse_base_urls(["mlqa-r=http://m/mlqa-dev-r/", "http://root"]) == {
        "mlqa-r": "http://m/mlqa-dev-r", "xquad-r": "http://root/xquad-r"}
    assert parse_base_urls([]) == {}


def test_default_sources_are_pinned_upstream() -> None:
    assert SOURCES["xquad-r"].base_url.startswith(
        "https://raw.githubusercontent.com/google-research-datasets/lareqa/5405d2a")
    assert SOURCES["mlqa-r"].base_url.endswith("/354d67d1cd066854cdfbf5ad0e6105528976141d/mlqa-r")
    assert len(SOURCES["xquad-r"].languages) == 11 and len(SOURCES["mlqa-r"].languages) == 7
    for source in SOURCES.values():
        assert sorted(source.sha256) == sorted(source.languages)


def test_pinned_checksums_match_shared_data(real_data: Path) -> None:
    for name, source in SOURCES.items():
        for lang, digest in source.sha256.items():
            data = (real_data / "lareqa" / name / f"{lang}.json").read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, f"{name}/{lang}.json"


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    download_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli(tmp_path: Path, mirror, capsys, monkeypatch) -> None:
    _, url = mirror
    dest = tmp_path / "data"
    argv = ["download", "--dest", str(dest), "--dataset", "xquad-r", "--languages", "de,es",
            "--base-url", url, "--no-checksum", "--quiet"]
    assert _cli(argv) == 0
    out = capsys.readouterr().out
    assert "downloaded xquad-r/de.json" in out and "2 downloaded, 0 already present" in out
    assert (dest / "lareqa" / "xquad-r" / "es.json").is_file()
    monkeypatch.setenv("HYBRIDBATCH_DATA", str(dest))
    assert _cli(["download"] + argv[3:]) == 0  # destination from the environment
    assert "0 downloaded, 2 already present" in capsys.readouterr().out
    monkeypatch.delenv("HYBRIDBATCH_DATA")
    with pytest.raises(HybridbatchError, match="no destination"):
        _cli(["download", "--quiet"])


def test_cli_error_goes_through_main(tmp_path: Path, mirror, capsys) -> None:
    from hybridbatch.cli import main

    _, url = mirror
    code = main(["download", "--dest", str(tmp_path), "--dataset", "xquad-r", "--languages", "th",
                 "--base-url", url, "--no-checksum", "--quiet"])
    assert code == 2
    assert "HTTP 404" in capsys.readouterr().err
