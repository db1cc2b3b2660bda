"""A data folder in the shared layout (tatoeba/, tico19/, afriqa/) built from the tiny fixtures.

TICO-19 ships zipped TMX; the fixture keeps readable ``.tmx`` sources and this zips each into
``all.<pair>.tmx.zip``.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def zip_tmx(source: Path, dest: Path) -> None:
    """Copy TICO-19 fixture folder ``source`` to ``dest``, zipping every ``.tmx`` as the real files are."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if path.suffix == ".tmx":
            with zipfile.ZipFile(dest / f"{path.name}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(path, arcname=path.name)
        elif path.name != "README.md":
            shutil.copy(path, dest / path.name)


def build_data_dir(root: Path) -> Path:
    """``root`` with ``tatoeba/``, ``tico19/`` and ``afriqa/`` from the fixtures; returns ``root``."""
    root = Path(root)
    shutil.copytree(FIXTURES / "tatoeba_tiny", root / "tatoeba")
    zip_tmx(FIXTURES / "tico19_tiny", root / "tico19")
    shutil.copytree(FIXTURES / "afriqa_tiny", root / "afriqa")
    return root
