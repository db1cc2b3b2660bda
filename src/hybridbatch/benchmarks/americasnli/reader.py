"""Read AmericasNLI (``<folder>/<split>/<code>.tsv``, split dev or test).

Each file: the header ``id language premise hypothesis label``, then one pair a line, label entailment |
neutral | contradiction, ``language`` the file's code. The pairs are translations of the same XNLI Spanish
items into each language and share their ids (with the same labels), so the languages are parallel by id
(not every language has every item: cross-lingual pairs use the ids both have). Entailment is positive,
contradiction negative; neutral is left out, or kept as negative with ``keep_neutral``. A pair with an empty
premise or hypothesis (untranslated: three Nahuatl test premises) is left out. A missing or other header, a
wrong number of fields, an empty id, language or label, another language code, a repeated id, an unknown label
or a file that is not UTF-8 is an error naming file and line.
"""

from __future__ import annotations

from pathlib import Path

from hybridbatch.benchmarks.xnli.tsv import add_pair, fields, nli_label, read_tsv
from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages
from hybridbatch.scoring.pair_scoring import Pair, build_pair_benchmark

HEADER = ["id", "language", "premise", "hypothesis", "label"]


def americasnli_files(folder: Path, split: str) -> dict[str, Path]:
    """Language code → ``<folder>/<split>/<code>.tsv``."""
    where = Path(folder) / split
    if not where.is_dir():
        raise HybridbatchError("folder not found", path=where)
    return {p.stem: p for p in sorted(where.glob("*.tsv"))}


def read_americasnli_file(path: Path, lang: str, keep_neutral: bool = False) -> list[Pair]:
    """The labelled pairs of one AmericasNLI file (module doc)."""
    lines = read_tsv(path)
    if not lines or [p.strip() for p in lines[0][1]] != HEADER:
        raise HybridbatchError(f"expected the header {' '.join(HEADER)} (tab-separated)", path=path,
                               record=f"line {lines[0][0] if lines else 1}")
    pairs: list[Pair] = []
    seen: set[str] = set()
    for n, parts in lines[1:]:
        item, code, premise, hypothesis, value = fields(path, n, parts, 5, " ".join(HEADER),
                                                        may_be_empty=("premise", "hypothesis"))
        if code != lang:
            raise HybridbatchError(f"language {code!r} in the file of {lang!r}", path=path, record=f"line {n}")
        label = nli_label(value, keep_neutral, path, n)
        if label is not None and premise and hypothesis:
            add_pair(pairs, seen, Pair(item, premise, hypothesis, label), path, n)
    if not pairs:
        raise HybridbatchError("no labelled pairs", path=path)
    return pairs


def read_americasnli(folder: Path, split: str = "test", languages: list[str] | None = None, *,
                     keep_neutral: bool = False, name: str | None = None) -> Benchmark:
    """The AmericasNLI pairs of ``split`` in ``languages`` (None: every file of the split) as a
    pair-classification benchmark (kind ``americasnli``)."""
    files = americasnli_files(folder, split)
    langs = select_languages(languages, list(files), Path(folder) / split)
    pairs = {x: read_americasnli_file(files[x], x, keep_neutral) for x in langs}
    name = name or f"americasnli-{split}" + ("+neutral" if keep_neutral else "")
    return build_pair_benchmark(name, "americasnli", pairs, folder)
