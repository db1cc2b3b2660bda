"""Language codes: the one helper that turns a requested language list into the languages to use."""

from __future__ import annotations

import re
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


_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def check_language_code(code: str) -> str:
    """``code`` if it looks like an ISO 639 code with optional subtags (``en``, ``zh-Hans``, ``pt_BR``)."""
    if not isinstance(code, str) or not _CODE.match(code):
        raise HybridbatchError(f"not a language code: {code!r} (expected e.g. en, de, zh-Hans)")
    return code
