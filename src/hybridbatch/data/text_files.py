"""Reading UTF-8 text files line by line with errors that name the file and the line."""

from __future__ import annotations

from pathlib import Path

from hybridbatch.errors import HybridbatchError


def read_text_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 file, without line ends (``\\n``, ``\\r\\n``) and without the empty string after a
    final line end; a missing file, an unreadable one or a byte that is not UTF-8 is a one-line error naming the
    file (and the line of the bad byte)."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise HybridbatchError("file not found", path=path) from None
    except OSError as exc:
        raise HybridbatchError(f"cannot read ({exc.strerror})", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=path, record=f"line {line}") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]
