"""Language codes: the one helper that turns a requested language list into the languages to use."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hybridbatch.errors import HybridbatchError


def select_languages(requested: Sequence[str] | None, available: Sequence[str], where: str | Path) -> list[str]:
    """``requested`` in sorted order without repeats (all of ``available`` when None); a code not in
    ``available``, an empty request or nothing available is an error naming ``where``."""
    if not available:
        raise HybridbatchError("no languages found", path=where)
    if requested is None:
        return sorted(set(available))
    unknown = [lang for lang in requested if lang not in available]
    if unknown:
        raise HybridbatchError(
            f"unknown language(s) {', '.join(unknown)}; available: {', '.join(sorted(set(available)))}",
            path=where)
    if not requested:
        raise HybridbatchError("empty language list", path=where)
    return sorted(set(requested))
