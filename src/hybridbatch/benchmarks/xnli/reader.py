"""Read XNLI (``<folder>/<split>-<lang>.tsv``, XTREME layout).

Each file: no header, one pair a line, ``premise<TAB>hypothesis<TAB>label`` with label entailment | neutral |
contradiction. The languages are human translations of the same English pairs, so line i (0-based) is item
``i`` in every file. Entailment is positive (1), contradiction negative (0); neutral pairs are left out, or
kept as negatives with ``keep_neutral``. A wrong number of fields, an empty field, an unknown label or a
file that is not UTF-8 is an error naming file and line.
"""

from __future__ import annotations

from pathlib import Path

from hybridbatch.benchmarks.xnli.tsv import add_pair, fields, nli_label, read_tsv
from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages
from hybridbatch.scoring.pair_scoring import Pair, build_pair_benchmark


def split_files(folder: Path, split: str) -> dict[str, Path]:
    """Language → ``<split>-<lang>.tsv`` in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HybridbatchError("folder not found", path=folder)
    return {p.stem[len(split) + 1:]: p for p in sorted(folder.glob(f"{split}-*.tsv"))}


def read_xnli_file(path: Path, keep_neutral: bool = False) -> list[Pair]:
    """The labelled pairs of one XNLI file (module doc)."""
    pairs: list[Pair] = []
    seen: set[str] = set()
    for i, (n, parts) in enumerate(read_tsv(path)):
        premise, hypothesis, value = fields(path, n, parts, 3, "premise hypothesis label")
        label = nli_label(value, keep_neutral, path, n)
        if label is not None:
            add_pair(pairs, seen, Pair(str(i), premise, hypothesis, label), path, n)
    if not pairs:
        raise HybridbatchError("no labelled pairs", path=path)
    return pairs


def read_xnli(folder: Path, split: str = "dev", languages: list[str] | None = None, *,
              keep_neutral: bool = False, name: str | None = None) -> Benchmark:
    """The XNLI pairs of ``split`` in ``languages`` (None: every file of the split) as a pair-classification
    benchmark (kind ``xnli``)."""
    files = split_files(folder, split)
    langs = select_languages(languages, list(files), Path(folder) / f"{split}-*.tsv")
    pairs = {x: read_xnli_file(files[x], keep_neutral) for x in langs}
    name = name or f"xnli-{split}" + ("+neutral" if keep_neutral else "")
    return build_pair_benchmark(name, "xnli", pairs, folder)
