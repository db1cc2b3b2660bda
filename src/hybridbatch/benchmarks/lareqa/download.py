"""Fetch the LAReQA files (XQuAD-R, MLQA-R) from github.com/google-research-datasets/lareqa.

Files land in ``<dest>/lareqa/<dataset>/<lang>.json`` (the layout :func:`load_benchmark` reads).
Sources are pinned to commits: XQuAD-R from the tree under ``xquad-r/``; MLQA-R from commit 354d67d
under ``mlqa-r/`` (later moved to ``mlqa-dev-r/``). Each file is streamed to a temp file next to the
target, checked (parses as JSON with a ``data`` list; sha256 equal to the pinned file unless
disabled) and renamed into place, so a failed download leaves nothing behind. Only ``urllib``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from hybridbatch import __version__
from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import check_output_dir

_RAW = "https://raw.githubusercontent.com/google-research-datasets/lareqa"
XQUAD_R_COMMIT = "5405d2a77e83d5ccb47623a3f9e5604c3f103193"
MLQA_R_COMMIT = "354d67d1cd066854cdfbf5ad0e6105528976141d"


@dataclass(frozen=True)
class LareqaSource:
    """One dataset: where its ``<lang>.json`` files are and what they hash to."""

    name: str
    base_url: str
    languages: tuple[str, ...]
    sha256: Mapping[str, str] = field(default_factory=dict)


SOURCES: dict[str, LareqaSource] = {
    "xquad-r": LareqaSource("xquad-r", f"{_RAW}/{XQUAD_R_COMMIT}/xquad-r",
                            ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"), {
        "ar": "c52922d3b8ac1ae03ed5ac38647ad59870dca3dda2beefe18ecdc30729acb69d",
        "de": "16fb0f4bf4916154b585a20c24c66074591c9718a1affe764ff4697572328949",
        "el": "163fd43ee785a30eb534ae2061e9eaa766a7ee4e8ffce5e4b422480c150f64b6",
        "en": "7b0954f39297c27a31fef610f0883337dd2907fa8699151dc922afdd0fa12ffe",
        "es": "f8e836b2d91009c4363e04315f7ede363eedbbb49c67dda60de6c4aa782f58de",
        "hi": "ea45ba8ae4513d1533b222bebdc02a90bc319c055d3aeea68584a053d2e92872",
        "ru": "7f4dff853538b9a5fcc28c070b8bb983a5c5d190ac747b8e005a1ada9cab18f1",
        "th": "c3a041864c3a9fb0b4dd91cfdf99cf36b411b3e704c58a303c97bc6dc786cfe4",
        "tr": "f3e8c13002bbce154a4578f535f7533cb70f3da08840e6b62735935baec7bd94",
        "vi": "e35926bf5cc6fc6ecbdfca49467aabeb454f08d152d7818143a906bd31dde995",
        "zh": "80c2cde7b9c2fb134c303cbb52f2ba396ead9eb0014aec43993543d2ba9e93ed",
    }),
    "mlqa-r": LareqaSource("mlqa-r", f"{_RAW}/{MLQA_R_COMMIT}/mlqa-r",
                           ("ar", "de", "en", "es", "hi", "vi", "zh"), {
        "ar": "2132fbc03208535c0fe01f2e2c5121d06f9c2aa799af93b0a719dbc105bdf137",
        "de": "ce9454dc5aa6f2d85c23cd6e49cb367fbb7c4c6e62d7f71e355c6b5dae4d0886",
        "en": "fedd9a5cc0848dda80caf84aa36f482adaae230526a3f6e9e86926a93ef3b1e4",
        "es": "70ecba276b8c96a692b120693a595d076ce94ad21d4b28311538a9fcbfe0f9d7",
        "hi": "4dd0fb3c06f737a5481d705bc1dcac7876712a5815c9265908fbb3a0696cb654",
        "vi": "9d3baff6ba03e6793b25594217265ea59a136b9733833dca8a9582a84a78ff85",
        "zh": "57f01d2fff50cf3392805635b01445339f225ad5bf28ba8443b12f8dbd1e69dc",
    }),
}


@dataclass(frozen=True)
class FileResult:
    """What happened to one file: ``status`` is ``"downloaded"`` or ``"present"`` (skipped)."""

    dataset: str
    lang: str
    path: Path
    status: str
    size: int


def parse_base_urls(values: Sequence[str]) -> dict[str, str]:
    """``["URL"]`` (a mirror root: ``URL/<dataset>/<lang>.json``) or ``["xquad-r=URL", ...]``
    (that dataset's folder: ``URL/<lang>.json``) -> {dataset: folder URL}."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if sep and name in SOURCES:
            out[name] = url.rstrip("/")
        else:
            for dataset in SOURCES:
                out.setdefault(dataset, f"{value.rstrip('/')}/{dataset}")
    return out


def download_lareqa(dest: Path, datasets: Sequence[str] | None = None, languages: Sequence[str] | None = None,
                    base_urls: Mapping[str, str] | None = None, force: bool = False,
                    verify_checksums: bool = True, timeout: float = 60.0,
                    progress: bool = True) -> list[FileResult]:
    """Download the ``<lang>.json`` files of ``datasets`` (default: all) into ``dest/lareqa/<dataset>/``.

    Files already present are skipped unless ``force``. ``base_urls`` maps a dataset to the folder
    URL holding its files (default: the pinned GitHub commit). Stops at the first failing file with a
    HybridbatchError naming the URL; files completed before it stay, no partial file is left.
    """
    names = list(datasets) if datasets else list(SOURCES)
    if not timeout > 0:
        raise HybridbatchError(f"--timeout {timeout} must be > 0 seconds")
    check_output_dir(Path(dest), "--dest")
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise HybridbatchError(f"unknown dataset(s) {', '.join(unknown)}; available: {', '.join(SOURCES)}")
    if languages:
        offered = {lang for n in names for lang in SOURCES[n].languages}
        missing = sorted(set(languages) - offered)
        if missing:
            raise HybridbatchError(f"language(s) {', '.join(missing)} not in {', '.join(names)}; "
                                   f"available: {', '.join(sorted(offered))}")
    base_urls = dict(base_urls or {})
    results: list[FileResult] = []
    for name in names:
        source = SOURCES[name]
        base = base_urls.get(name, source.base_url).rstrip("/")
        folder = Path(dest) / "lareqa" / name
        for lang in source.languages:
            if languages and lang not in languages:
                continue
            target = folder / f"{lang}.json"
            if target.is_file() and not force:
                results.append(FileResult(name, lang, target, "present", target.stat().st_size))
                continue
            expected = source.sha256.get(lang) if verify_checksums else None
            size = fetch(f"{base}/{lang}.json", target, expected_sha256=expected, timeout=timeout,
                         progress=progress, label=f"{name}/{lang}.json")
            results.append(FileResult(name, lang, target, "downloaded", size))
    return results


def fetch(url: str, target: Path, *, expected_sha256: str | None = None, timeout: float = 60.0,
          progress: bool = True, label: str | None = None) -> int:
    """Stream ``url`` to ``target`` through a temp file; check it is LAReQA JSON (and its sha256 when
    ``expected_sha256`` is given); rename into place. Returns the size in bytes."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise HybridbatchError(f"cannot write: {exc.strerror or exc}", path=target.parent) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            size, digest = _stream(url, out, timeout, progress, label or target.name)
        if expected_sha256 and digest != expected_sha256:
            raise HybridbatchError(f"sha256 {digest} differs from the pinned file's {expected_sha256} "
                                   "(a mirror serving other files? --no-checksum accepts them)", path=url)
        _check_lareqa_json(tmp, url)
        os.replace(tmp, target)
        return size
    finally:
        tmp.unlink(missing_ok=True)


def _stream(url: str, out, timeout: float, progress: bool, label: str) -> tuple[int, str]:
    opener = urllib.request.build_opener()  # fresh: picks up the current proxy environment
    request = urllib.request.Request(url, headers={"User-Agent": f"hybridbatch/{__version__}"})
    digest = hashlib.sha256()
    size = 0
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                      disable=not progress, leave=False) as bar:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        raise HybridbatchError(f"HTTP {exc.code} {exc.reason}", path=url) from None
    except urllib.error.URLError as exc:
        raise HybridbatchError(f"cannot download: {exc.reason}", path=url) from None
    except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, truncated bodies
        raise HybridbatchError(f"download failed: {exc or type(exc).__name__}", path=url) from None
    if total is not None and size != total:
        raise HybridbatchError(f"download truncated: {size} of {total} bytes", path=url)
    return size, digest.hexdigest()


def _check_lareqa_json(path: Path, url: str) -> None:
    try:
        with open(path, encoding="utf-8") as fh:
            root = json.load(fh)
    except json.JSONDecodeError as exc:
        raise HybridbatchError(f"not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})",
                               path=url) from None
    except UnicodeDecodeError:
        raise HybridbatchError("not UTF-8 JSON", path=url) from None
    if not isinstance(root, dict) or not isinstance(root.get("data"), list):
        raise HybridbatchError("not LAReQA JSON: no top-level 'data' list", path=url)
