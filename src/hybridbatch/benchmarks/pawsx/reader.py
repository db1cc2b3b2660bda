"""Read PAWS-X (``<folder>/<split>-<lang>.tsv``).

Two layouts: without a header, ``sentence1<TAB>sentence2<TAB>label`` and item id = line index (0-based; the
dev files, parallel line by line); with the header ``id sentence1 sentence2 label``, item id = the ``id``
column (the test files). Label 1 = paraphrase (positive), 0 = not. As the data's README says, a label other
than 0 / 1 (or none) is unlabelled and the pair is left out; so is a pair with a sentence ``NS`` (the translators'
mark for "not translated", released with label 0). A wrong number of fields, an empty id or sentence, a repeated id
or a file that is not UTF-8 is an error naming file and line.
"""

from __future__ import annotations

from pathlib import Path

from hybridbatch.benchmarks.xnli.reader import split_files
from hybridbatch.benchmarks.xnli.tsv import add_pair, fields, read_tsv
from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages
from hybridbatch.scoring.pair_scoring import Pair, build_pair_benchmark

HEADER = ["id", "sentence1", "sentence2", "label"]
NOT_TRANSLATED = "NS"


def read_pawsx_file(path: Path) -> list[Pair]:
    """The labelled pairs of one PAWS-X file (module doc)."""
    lines = read_tsv(path)
    with_ids = bool(lines) and [p.strip() for p in lines[0][1]] == HEADER
    pairs: list[Pair] = []
    seen: set[str] = set()
    for i, (n, parts) in enumerate(lines[1:] if with_ids else lines):
        if with_ids:
            item, first, second, label = fields(path, n, parts, 4, "id sentence1 sentence2 label",
                                                 may_be_empty=("label",))
        else:
            first, second, label = fields(path, n, parts, 3, "sentence1 sentence2 label", may_be_empty=("label",))
            item = str(i)
        if label not in ("0", "1") or NOT_TRANSLATED in (first, second):
            continue
        add_pair(pairs, seen, Pair(item, first, second, int(label)), path, n)
    if not pairs:
        raise HybridbatchError("no labelled pairs", path=path)
    return pairs


def read_pawsx(folder: Path, split: str = "dev", languages: list[str] | None = None, *,
               name: str | None = None) -> Benchmark:
    """The PAWS-X pairs of ``split`` in ``languages`` (None: every file of the split) as a pair-classification
    benchmark (kind ``pawsx``)."""
    files = split_files(folder, split)
    langs = select_languages(languages, list(files), Path(folder) / f"{split}-*.tsv")
    return build_pair_benchmark(name or f"pawsx-{split}", "pawsx", {x: read_pawsx_file(files[x]) for x in langs},
                                folder)
