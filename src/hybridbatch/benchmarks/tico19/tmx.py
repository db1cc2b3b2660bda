"""Read translation units from a TMX file (optionally inside a .zip) with the standard library's expat.

Only what parallel-sentence benchmarks need: for each ``<tu tuid=…>`` the text of the ``<seg>`` of every
``<tuv xml:lang=…>``, with the line each unit starts on (for error messages). Segment text is the
character data of ``<seg>`` and of its ``<hi>``/``<sub>`` children; the native codes inside ``<bpt>``,
``<ept>``, ``<ph>``, ``<it>`` and ``<ut>`` are not text and are left out (TMX 1.4).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from hybridbatch.errors import HybridbatchError

_CODE_TAGS = {"bpt", "ept", "ph", "it", "ut"}


@dataclass
class Unit:
    """One ``<tu>``: its id, the line it starts on, and ``(xml:lang, text, line)`` per ``<tuv>``."""

    tuid: str
    line: int
    variants: list[tuple[str, str, int]] = field(default_factory=list)


def read_tmx_zip(path: Path) -> tuple[str, list[Unit]]:
    """``(where, units)`` of the single ``.tmx`` member of zip file ``path``; ``where`` names the member
    for messages (``file.zip!member.tmx``)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".tmx")]
            if len(members) != 1:
                raise HybridbatchError(f"expected one .tmx file in the archive, found {len(members)}", path=path)
            data = archive.read(members[0])
    except FileNotFoundError:
        raise HybridbatchError("file not found", path=path) from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise HybridbatchError(f"not a readable zip file ({exc})", path=path) from None
    where = f"{path}!{members[0]}"
    return where, parse_tmx(data, where)


def parse_tmx(data: bytes, where: str) -> list[Unit]:
    """Units of TMX document ``data`` in document order; malformed XML, a ``<tu>`` without ``tuid``, a
    ``<tuv>`` without ``xml:lang`` or with no/several ``<seg>`` are errors naming ``where`` and the line."""
    parser = expat.ParserCreate()
    units: list[Unit] = []
    state: dict = {"unit": None, "lang": None, "tuv_line": 0, "segs": 0, "text": None, "skip": 0}

    def fail(message: str, line: int | None = None) -> None:
        raise HybridbatchError(message, path=where, record=f"line {line or parser.CurrentLineNumber}")

    def start(tag: str, attrs: dict[str, str]) -> None:
        line = parser.CurrentLineNumber
        if tag == "tu":
            tuid = attrs.get("tuid", "").strip()
            if not tuid:
                fail("<tu> without a tuid")
            state["unit"] = Unit(tuid, line)
        elif tag == "tuv":
            if state["unit"] is None:
                fail("<tuv> outside a <tu>")
            lang = attrs.get("xml:lang") or attrs.get("lang")
            if not lang:
                fail("<tuv> without xml:lang")
            state.update(lang=lang, tuv_line=line, segs=0)
        elif tag == "seg":
            if state["lang"] is None:
                fail("<seg> outside a <tuv>")
            state["segs"] += 1
            state["text"] = []
        elif tag in _CODE_TAGS and state["text"] is not None:
            state["skip"] += 1

    def end(tag: str) -> None:
        if tag == "seg":
            state["seg_text"] = "".join(state["text"])
            state["text"] = None
        elif tag in _CODE_TAGS and state["skip"]:
            state["skip"] -= 1
        elif tag == "tuv":
            if state["segs"] != 1:
                fail(f"<tuv xml:lang={state['lang']!r}> has {state['segs']} <seg> elements; expected 1",
                     state["tuv_line"])
            state["unit"].variants.append((state["lang"], state["seg_text"], state["tuv_line"]))
            state["lang"] = None
        elif tag == "tu":
            units.append(state["unit"])
            state["unit"] = None

    def chars(text: str) -> None:
        if state["text"] is not None and not state["skip"]:
            state["text"].append(text)

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise HybridbatchError(f"malformed XML: {expat.ErrorString(exc.code)} (column {exc.offset})",
                               path=where, record=f"line {exc.lineno}") from None
    return units
