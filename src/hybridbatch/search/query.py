"""What one search request may ask for, and the parsing that turns raw fields (HTTP or CLI) into a Request."""

from __future__ import annotations

from dataclasses import dataclass

from hybridbatch.errors import HybridbatchError
from hybridbatch.search.searcher import MODES, Request


@dataclass(frozen=True)
class Limits:
    """What one request may ask for."""

    max_query_chars: int = 1000
    max_k: int = 100
    max_body_bytes: int = 16_384


def parse_request(q: object, k: object, lang: object, mode: object, per_lang: object, limits: Limits
                  ) -> tuple[str, Request]:
    """Validate raw request fields into (query, Request); errors are one line for the client."""
    if not isinstance(q, str) or not q.strip():
        raise HybridbatchError("the query 'q' is missing or empty")
    if len(q) > limits.max_query_chars:
        raise HybridbatchError(f"the query is {len(q)} characters long; the limit is {limits.max_query_chars}")
    k = _integer(k if k is not None else 10, "k")
    if not 1 <= k <= limits.max_k:
        raise HybridbatchError(f"k must be between 1 and {limits.max_k}, got {k}")
    langs = None
    if lang not in (None, ""):
        if not isinstance(lang, (str, list)):
            raise HybridbatchError("'lang' must be a comma-separated string or a list of codes")
        parts = lang.split(",") if isinstance(lang, str) else lang
        langs = tuple(sorted({str(x).strip() for x in parts if str(x).strip()})) or None
    mode = mode or "ranked"
    if mode not in MODES:
        raise HybridbatchError(f"unknown mode '{mode}' ({', '.join(MODES)})")
    per = _integer(per_lang, "per_lang") if per_lang not in (None, "") else None
    if mode == "quota" and (per is None or per < 1):
        raise HybridbatchError("mode quota needs per_lang ≥ 1")
    return q, Request(k=k, langs=langs, mode=mode, per_lang=per)


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise HybridbatchError(f"'{name}' must be an integer")
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise HybridbatchError(f"'{name}' must be an integer, got {value!r}") from None
    if isinstance(value, float) and value != number:
        raise HybridbatchError(f"'{name}' must be an integer, got {value!r}")
    return number
