"""Reading the tab-separated pair files of XNLI, PAWS-X and AmericasNLI: fields checked with errors naming file
and line."""

from __future__ import annotations

from pathlib import Path

from hybridbatch.data.text_files import read_text_lines
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.pair_scoring import Pair


def read_tsv(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, tab-separated fields) of every non-empty line of a UTF-8 file; a missing file or a
    byte that is not UTF-8 is an error naming the file (and line)."""
    out = []
    for n, line in enumerate(read_text_lines(path), 1):
        if line.strip():
            out.append((n, line.split("\t")))
    return out


def fields(path: Path, n: int, parts: list[str], expected: int, what: str,
           may_be_empty: tuple[str, ...] = ()) -> list[str]:
    """``parts`` stripped, checked to be ``expected`` fields (``what`` names them for the error), none empty
    except those named in ``may_be_empty``."""
    if len(parts) != expected:
        raise HybridbatchError(f"{len(parts)} tab-separated fields; expected {expected} ({what})", path=path,
                               record=f"line {n}")
    out = [p.strip() for p in parts]
    for name, value in zip(what.split(), out):
        if not value and name not in may_be_empty:
            raise HybridbatchError(f"empty {name}", path=path, record=f"line {n}")
    return out


def add_pair(pairs: list[Pair], seen: set[str], pair: Pair, path: Path, n: int) -> None:
    """Append ``pair`` unless its item id was seen in this file (an error naming file and line)."""
    if pair.item in seen:
        raise HybridbatchError(f"duplicate id {pair.item!r}", path=path, record=f"line {n}")
    seen.add(pair.item)
    pairs.append(pair)


NLI_LABELS = ("entailment", "neutral", "contradiction")


def nli_label(value: str, keep_neutral: bool, path: Path, n: int) -> int | None:
    """1 for entailment, 0 for contradiction, neutral 0 with ``keep_neutral`` else None (left out); any other
    label is an error naming file and line."""
    if value not in NLI_LABELS:
        raise HybridbatchError(f"label {value!r}; expected one of {', '.join(NLI_LABELS)}", path=path,
                               record=f"line {n}")
    if value == "neutral":
        return 0 if keep_neutral else None
    return 1 if value == "entailment" else 0
