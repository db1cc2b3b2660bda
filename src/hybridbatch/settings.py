"""Where data, caches and models live; resolved from options, then environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from hybridbatch.errors import HybridbatchError

DATA_ENV = "HYBRIDBATCH_DATA"
CACHE_ENV = "HYBRIDBATCH_CACHE"


def data_dir(option: str | Path | None = None) -> Path:
    """The shared data folder (holds ``lareqa/``, ``tico19/``, ``afriqa/``).

    Order: the ``--data-dir`` option, then ``$HYBRIDBATCH_DATA``. There is no silent default.
    """
    value = option if option is not None else os.environ.get(DATA_ENV)
    if not value:
        raise HybridbatchError(
            f"no data folder: pass --data-dir or set {DATA_ENV} (here: {DATA_ENV}=../shared/data)"
        )
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise HybridbatchError("data folder does not exist", path=path)
    return path


def cache_dir() -> Path:
    """Root of hybridbatch's caches: ``$HYBRIDBATCH_CACHE``, else ``$XDG_CACHE_HOME/hybridbatch``,
    else ``~/.cache/hybridbatch``. Created on demand."""
    value = os.environ.get(CACHE_ENV)
    if value:
        root = Path(value).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "hybridbatch"
    root.mkdir(parents=True, exist_ok=True)
    return root
