"""Line-parallel translations (bitext) as a training dataset: a sentence and its translations form one
parallel group; each (group, language) item has the sentence as both query and passage.

A row pairs the sentence in X with its translation in Y. A sentence paired with itself (X = X) teaches
nothing, so such a dataset is marked ``monolingual=False``: the planner draws only X-Y batches from it.

Sources (``bitext:`` in a training config):

* ``ntrex128``: the NTREX-128 folder of the shared data (``<data>/ntrex128``);
* a folder of line-aligned files ``<name>.<code>.txt`` (line i of every file is group i; an empty line is a
  missing translation). In the NTREX layout, ``newstest2019-src.eng.txt`` is the English source and
  ``newstest2019-ref.<code>.txt`` its references; second references (``-ref-2.``) and regional variants of a
  language that is also present (``eng-GB``, ``fra-CA``) are left out, so each language appears once;
* a TSV file of ``lang<TAB>group<TAB>text`` lines (an optional header ``lang group text``).

Codes map onto the project's codes (``languages.json``, :func:`~hybridbatch.data.language_metadata.project_code`:
ISO 639-3 ``deu`` -> ``de``, ``zho_Hant`` -> ``zh-Hant``); an unknown code is a one-line error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from hybridbatch import settings
from hybridbatch.data.item_table import table_from_columns
from hybridbatch.data.language_metadata import language_info, project_code
from hybridbatch.data.text_files import read_text_lines
from hybridbatch.data.training_pairs import PairSet
from hybridbatch.errors import HybridbatchError

NTREX = "ntrex128"
_FILE = re.compile(r"^(?P<stem>.+?)(?P<second>-ref-2)?\.(?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z]+)?)\.txt$")


def read_bitext(spec: str, base_dir: str | Path, data_dir: Path | None, *, name: str | None = None,
                languages: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
                weight: float | None = None) -> PairSet:
    """The bitext dataset named by ``spec`` (``ntrex128``, a folder or a TSV file, relative to ``base_dir``)."""
    if spec.strip().lower() == NTREX:
        path = settings.data_dir(data_dir) / NTREX
    else:
        path = Path(spec).expanduser()
        path = path if path.is_absolute() else Path(base_dir) / path
    if path.is_dir():
        columns = _read_folder(path)
    elif path.is_file():
        columns = _read_tsv(path)
    else:
        raise HybridbatchError("bitext source does not exist", path=path)
    n = len(columns["group"])
    if not n:
        raise HybridbatchError("no sentences", path=path)
    columns["passage"] = columns["query"]
    table = table_from_columns(columns, columns.pop("record"))
    return PairSet.from_table(name or path.stem, table, languages=languages, exclude=exclude, source=str(path),
                              record_label="line", monolingual=False, weight=weight)


def _read_folder(path: Path) -> dict[str, list]:
    found: dict[str, Path] = {}
    for file in sorted(path.glob("*.txt")):
        match = _FILE.match(file.name)
        if match is None or match["second"]:
            continue
        code = _code(match["code"], file)
        if code in found:
            raise HybridbatchError(f"two files for language {code!r} ({found[code].name})", path=file)
        found[code] = file
    if not found:
        raise HybridbatchError("no line-aligned '<name>.<code>.txt' files", path=path)
    regional = [c for c in found if "-" in c and c.split("-")[1].isupper() and c.split("-")[0] in found]
    columns: dict[str, list] = {"group": [], "lang": [], "query": [], "record": []}
    lengths = {}
    for code in sorted(set(found) - set(regional)):
        file = found[code]
        lines = read_text_lines(file)
        lengths[code] = len(lines)
        for n, text in enumerate(lines, start=1):
            if text.strip():
                columns["group"].append(str(n))
                columns["lang"].append(code)
                columns["query"].append(text.strip())
                columns["record"].append(n)
    if len(set(lengths.values())) > 1:
        first = min(lengths, key=lambda c: found[c].name)
        odd = next(c for c in lengths if lengths[c] != lengths[first])
        raise HybridbatchError(f"{lengths[odd]} lines, but {found[first].name} has {lengths[first]}: files are not "
                               "line-aligned", path=found[odd])
    return columns


def _read_tsv(path: Path) -> dict[str, list]:
    columns: dict[str, list] = {"group": [], "lang": [], "query": [], "record": []}
    for n, line in enumerate(read_text_lines(path), start=1):
        if not line.strip() or (n == 1 and line.lower().split("\t") == ["lang", "group", "text"]):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise HybridbatchError("expected three non-empty tab-separated fields: lang, group, text", path=path,
                                   record=f"line {n}")
        columns["lang"].append(_code(parts[0].strip(), path, f"line {n}"))
        columns["group"].append(parts[1].strip())
        columns["query"].append(parts[2].strip())
        columns["record"].append(n)
    return columns


def _code(code: str, path: Path, record: str | None = None) -> str:
    try:
        if len(re.split(r"[-_]", code)[0]) == 3:
            return project_code(code, NTREX)
        language_info(code)
        return code
    except HybridbatchError as exc:
        raise HybridbatchError(str(exc), path=path, record=record) from None
