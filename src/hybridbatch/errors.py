"""The one error type the CLI turns into a one-line message and exit code 2."""

from __future__ import annotations

from pathlib import Path


class HybridbatchError(Exception):
    """A user-facing error: bad input, bad option, missing file.

    The message names the file and the record when there is one, e.g.
    ``xquad-r/de.json: paragraph 3, question 56be…: answer_start 900 outside the context``.
    """

    def __init__(self, message: str, *, path: str | Path | None = None, record: str | None = None):
        parts = [str(p) for p in (path, record) if p is not None and str(p)]
        parts.append(message)
        super().__init__(": ".join(parts))
