"""The expat TMX reader: units, segment text, line numbers in errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from hybridbatch.benchmarks.tico19.tmx import parse_tmx, read_tmx_zip
from hybridbatch.errors import HybridbatchError

DOC = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header srclang="en"/><body>
<tu tuid="a:1">
<tuv xml:lang="en"><seg>one <ph>&lt;b&gt;</ph>two<hi>three</hi></seg></tuv>
<tuv xml:lang="fr"><seg>un &amp; deux</seg></tuv>
</tu>
<tu tuid="a:2"><tuv xml:lang="en"><seg></seg></tuv></tu>
</body></tmx>
"""


def test_units_text_and_lines() -> None:
    units = parse_tmx(DOC.encode(), "x.tmx")
    assert [(u.tuid, u.line) for u in units] == [("a:1", 3), ("a:2", 7)]
    assert units[0].variants == [("en", "one twothree", 4), ("fr", "un & deux", 5)]
    assert units[1].variants == [("en", "", 7)]


@pytest.mark.parametrize("doc, message", [
    ("<tmx><body><tu tuid='a'><tuv xml:lang='en'><seg>x</seg></tuv></body></tmx>",
     r"x\.tmx: line 1: malformed XML: mismatched tag"),
    ("<tmx><body>\n<tu><tuv xml:lang='en'><seg>x</seg></tuv></tu></body></tmx>", r"x\.tmx: line 2: <tu> without a tuid"),
    ("<tmx><body><tu tuid='a'>\n<tuv><seg>x</seg></tuv></tu></body></tmx>", "line 2: <tuv> without xml:lang"),
    ("<tmx><body><tu tuid='a'>\n<tuv xml:lang='en'><seg>x</seg><seg>y</seg></tuv></tu></body></tmx>",
     "line 2: <tuv xml:lang='en'> has 2 <seg> elements; expected 1"),
    (b"<tmx><body><tu tuid='a'><tuv xml:lang='en'><seg>\xff</seg></tuv></tu></body></tmx>".decode("latin-1"),
     "line 1: malformed XML"),
])
def test_malformed_documents(doc: str, message: str) -> None:
    data = doc.encode("latin-1") if "\xff" in doc else doc.encode()
    with pytest.raises(HybridbatchError, match=message):
        parse_tmx(data, "x.tmx")


def test_zip_members(tmp_path: Path) -> None:
    path = tmp_path / "all.en-fr.tmx.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("all.en-fr.tmx", DOC)
    where, units = read_tmx_zip(path)
    assert where.endswith("all.en-fr.tmx.zip!all.en-fr.tmx") and len(units) == 2
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("second.tmx", DOC)
    with pytest.raises(HybridbatchError, match="expected one .tmx file in the archive, found 2"):
        read_tmx_zip(path)
    path.write_bytes(b"not a zip")
    with pytest.raises(HybridbatchError, match="all.en-fr.tmx.zip: not a readable zip file"):
        read_tmx_zip(path)
    with pytest.raises(HybridbatchError, match="file not found"):
        read_tmx_zip(tmp_path / "missing.tmx.zip")
