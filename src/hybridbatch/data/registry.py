"""Resolve a benchmark spec (``xquad-r``, ``mlqa-r``, ``tatoeba``, ``tico19[:split]``, ``afriqa[:split]``,
``lareqa:DIR``, ``beir:DIR[:split]``) to a Benchmark."""

from __future__ import annotations

from pathlib import Path

from hybridbatch import settings
from hybridbatch.data.afriqa import read_afriqa
from hybridbatch.data.beir import read_beir
from hybridbatch.data.benchmark import Benchmark
from hybridbatch.data.lareqa import read_lareqa
from hybridbatch.data.tatoeba import read_tatoeba
from hybridbatch.data.tico19 import read_tico19
from hybridbatch.errors import HybridbatchError

LAREQA_BENCHMARKS = ("xquad-r", "mlqa-r")
SPEC_HELP = ("xquad-r | mlqa-r | tatoeba | tico19[:test|dev] | afriqa[:test|dev|train] | lareqa:DIR | "
             "beir:DIR[:split] (split defaults to test)")


def parse_beir_spec(spec: str) -> tuple[str, str]:
    """``"beir:DIR[:split]"`` -> (DIR, split). A last ``:part`` holding no path separator is the split."""
    rest = spec[len("beir:"):]
    head, sep, tail = rest.rpartition(":")
    if sep and head and tail and "/" not in tail and "\\" not in tail:
        return head, tail
    return rest, "test"


def load_benchmark(spec: str, data_dir: Path | None = None, languages: list[str] | None = None) -> Benchmark:
    """Load the benchmark named by ``spec``.

    ``xquad-r`` / ``mlqa-r`` are read from ``<data_dir>/lareqa/<name>/`` (``data_dir`` defaults to
    :func:`hybridbatch.settings.data_dir`, i.e. ``$HYBRIDBATCH_DATA``); ``lareqa:DIR`` reads any folder
    of LAReQA-format ``<lang>.json`` files. For ``beir:DIR[:split]``,
    DIR is used as given; a relative DIR that does not exist is looked up under ``data_dir``.
    ``tatoeba``, ``tico19[:split]`` and ``afriqa[:split]`` are read from ``<data_dir>/<name>/``; for them
    ``languages == ["all"]`` means every language of the folder (Tatoeba's default is XTREME's 36).
    """
    name = spec.strip()
    if name.lower() in LAREQA_BENCHMARKS:
        root = settings.data_dir(data_dir)
        return read_lareqa(root / "lareqa" / name.lower(), languages, name=name.lower())
    head, _, split = name.partition(":")
    if head.lower() == "tatoeba" and not split:
        return read_tatoeba(settings.data_dir(data_dir) / "tatoeba", languages)
    if head.lower() == "tico19":
        split = split or "test"
        return read_tico19(settings.data_dir(data_dir) / "tico19", split, languages, name=f"tico19-{split}")
    if head.lower() == "afriqa":
        split = split or "test"
        return read_afriqa(settings.data_dir(data_dir) / "afriqa", split, languages, name=f"afriqa-{split}")
    if name.startswith("lareqa:"):
        folder = Path(name[len("lareqa:"):]).expanduser()
        if not name[len("lareqa:"):]:
            raise HybridbatchError(f"benchmark spec {spec!r} names no folder; expected {SPEC_HELP}")
        return read_lareqa(folder, languages, name=folder.name)
    if name.startswith("beir:"):
        folder_text, split = parse_beir_spec(name)
        if not folder_text:
            raise HybridbatchError(f"benchmark spec {spec!r} names no folder; expected {SPEC_HELP}")
        folder = Path(folder_text).expanduser()
        if not folder.exists() and not folder.is_absolute():
            root = _optional_data_dir(data_dir)
            if root is not None and (root / folder).exists():
                folder = root / folder
        return read_beir(folder, split, languages)
    raise HybridbatchError(f"unknown benchmark {spec!r}; expected {SPEC_HELP}")


def _optional_data_dir(data_dir: Path | None) -> Path | None:
    try:
        return settings.data_dir(data_dir)
    except HybridbatchError:
        return None
