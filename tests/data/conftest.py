"""Shared fixtures for the data readers: the tiny fixtures, editable copies, the real data folder."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def lareqa_tiny() -> Path:
    """tests/fixtures/lareqa_tiny: de, en (4 questions each) and es (3; no translation of q3)."""
    return FIXTURES / "lareqa_tiny"


@pytest.fixture
def beir_tiny() -> Path:
    """tests/fixtures/beir_tiny: 7 documents (de, en, sw, one without lang), 5 queries, test/dev qrels."""
    return FIXTURES / "beir_tiny"


@pytest.fixture
def lareqa_copy(tmp_path: Path) -> Path:
    """A writable copy of lareqa_tiny inside tmp_path."""
    return Path(shutil.copytree(FIXTURES / "lareqa_tiny", tmp_path / "lareqa_tiny"))


@pytest.fixture
def beir_copy(tmp_path: Path) -> Path:
    """A writable copy of beir_tiny inside tmp_path."""
    return Path(shutil.copytree(FIXTURES / "beir_tiny", tmp_path / "beir_tiny"))


@pytest.fixture
def edit_json() -> Callable[[Path, Callable[[dict], object]], None]:
    """``edit_json(path, change)``: load ``path``, apply ``change`` in place, write it back."""

    def edit(path: Path, change: Callable[[dict], object]) -> None:
        root = json.loads(path.read_text(encoding="utf-8"))
        change(root)
        path.write_text(json.dumps(root, ensure_ascii=False), encoding="utf-8")

    return edit


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The shared data folder from $HYBRIDBATCH_DATA; skips when unset."""
    value = os.environ.get("HYBRIDBATCH_DATA")
    if not value:
        pytest.skip("HYBRIDBATCH_DATA is not set")
    return Path(value)


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    """A writable data folder with tatoeba/, tico19/ (zipped TMX) and afriqa/ built from the tiny fixtures."""
    from tests.data.tiny_data import build_data_dir

    return build_data_dir(tmp_path / "data")
