"""Read TICO-19 (COVID-19 / medical translation memories, 38 languages) as a multi-parallel benchmark.

Files (``tico19/``): ``all.en-<L>.tmx.zip`` (English–L) and ``all.am-om.tmx.zip``; every file holds the
same units ``<tu tuid=…>``; ``test-ids.txt`` lists the 2,100 tuids of the official test split, the other
units are the dev split.

Language codes are TICO-19's, with ``_`` for ``-`` (``es_LA``, ``pt_BR``, ``ti_ER``, ``ti_ET``; both
spellings are accepted in ``--languages``). L comes from the target side of ``all.en-<L>``; Amharic from the
source side of ``all.am-om``; English from the English side of ``all.en-fr`` (the files' English sides
differ in a few units, mostly in ``all.en-zu``; one fixed source keeps the text of an English sentence
the same whatever languages are chosen). The target ``xml:lang`` may read ``all`` (a documented quirk of
``all.en-ckb``).

The benchmark (kind ``"multiparallel"``, scored by :mod:`hybridbatch.benchmarks.tico19.scorer`):
every sentence of every chosen language is a query and a candidate, id ``"<lang>:<tuid>"``, group = tuid;
relevant = the sentences of the same unit in the *other* chosen languages. The scorer leaves the
query's own sentence (the candidate with the query's id) out of its ranking. Order: languages sorted,
units in split order (``test-ids.txt`` order for test, file order for dev).
"""

from __future__ import annotations

from pathlib import Path

from hybridbatch.benchmarks.tico19.tmx import Unit, read_tmx_zip
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages

SPLITS = ("test", "dev")
TEST_IDS = "test-ids.txt"
ENGLISH_FROM = "fr"
"""English sentences are read from ``all.en-<ENGLISH_FROM>.tmx.zip``."""
QUIRK_LANGS = {"all"}
"""Target ``xml:lang`` values accepted in place of the file's code (``all.en-ckb``)."""


def norm(code: str) -> str:
    """TICO-19 code as used here: ``es-LA`` → ``es_LA``."""
    return code.strip().replace("-", "_")


def tico19_files(folder: Path) -> dict[str, tuple[Path, str, str]]:
    """Language code → (zip file, code of the side to read as written in the file name, source code)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HybridbatchError("TICO-19 folder not found", path=folder)
    found: dict[str, tuple[Path, str, str]] = {}
    others: list[tuple[Path, str, str]] = []
    for path in sorted(folder.glob("all.*-*.tmx.zip")):
        src, _, tgt = path.name[len("all."): -len(".tmx.zip")].partition("-")
        if src == "en":
            found[norm(tgt)] = (path, tgt, src)
        else:
            others.append((path, src, src))
    if ENGLISH_FROM in found:
        found["en"] = (found[ENGLISH_FROM][0], "en", "en")
    for path, side, src in others:  # e.g. Amharic from all.am-om (om itself comes from all.en-om)
        found.setdefault(norm(side), (path, side, src))
    return found


def read_split_ids(folder: Path) -> list[str]:
    """The tuids of ``test-ids.txt`` in order (blank lines skipped; a repeat is an error)."""
    path = Path(folder) / TEST_IDS
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise HybridbatchError("file not found (the official test split)", path=path) from None
    except UnicodeDecodeError as exc:
        raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    ids: dict[str, int] = {}
    for n, line in enumerate(lines, 1):
        tuid = line.strip()
        if not tuid:
            continue
        if tuid in ids:
            raise HybridbatchError(f"tuid {tuid!r} repeated (first on line {ids[tuid]})", path=path,
                                   record=f"line {n}")
        ids[tuid] = n
    if not ids:
        raise HybridbatchError("no tuids", path=path)
    return list(ids)


def read_tico19(folder: Path, split: str = "test", languages: list[str] | None = None,
                name: str | None = None) -> Benchmark:
    """Read ``split`` of TICO-19 for ``languages`` (default or ``["all"]``: every language found) into a
    multi-parallel Benchmark (see module doc); with one language no sentence has a relevant candidate."""
    folder = Path(folder)
    if split not in SPLITS:
        raise HybridbatchError(f"unknown TICO-19 split {split!r}; expected one of {', '.join(SPLITS)}")
    files = tico19_files(folder)
    if languages is not None and [x.lower() for x in languages] == ["all"]:
        languages = None
    requested = None if languages is None else [norm(x) for x in languages]
    langs = select_languages(requested, sorted(files), folder)
    test_ids = read_split_ids(folder)
    texts: dict[str, dict[str, str]] = {}
    order: list[str] | None = test_ids if split == "test" else None
    for lang in langs:
        path, side, src = files[lang]
        units, where = _read_side(path, side, src)
        if order is None:  # dev: the units of the first file that are not in the test split, file order
            test = set(test_ids)
            order = [tuid for tuid in units if tuid not in test]
        missing = [tuid for tuid in order if tuid not in units]
        if missing:
            raise HybridbatchError(f"{len(missing)} unit(s) of the {split} split missing, e.g. {missing[0]!r}",
                                   path=where)
        texts[lang] = {tuid: units[tuid] for tuid in order}
    assert order is not None
    queries: list[Query] = []
    candidates: list[Candidate] = []
    for lang in langs:
        for tuid in order:
            queries.append(Query(f"{lang}:{tuid}", lang, tuid, texts[lang][tuid]))
            candidates.append(Candidate(f"{lang}:{tuid}", lang, texts[lang][tuid]))
    qrels = {q.id: {f"{y}:{q.group}": 1 for y in langs if y != q.lang} for q in queries}
    bench = Benchmark(name or f"tico19-{split}", "multiparallel", queries, candidates, qrels, langs, str(folder))
    bench.validate()
    return bench


def _read_side(path: Path, side: str, src: str) -> tuple[dict[str, str], str]:
    """tuid → stripped text of the ``side`` language in one TMX zip (file order kept)."""
    where, units = read_tmx_zip(path)
    out: dict[str, str] = {}
    lines: dict[str, int] = {}
    for unit in units:
        if unit.tuid in out:
            raise HybridbatchError(f"tuid {unit.tuid!r} repeated (first on line {lines[unit.tuid]})", path=where,
                                   record=f"line {unit.line}")
        text, line = _pick(unit, side, src, where)
        if not text:
            raise HybridbatchError(f"empty <seg> for {side!r} in unit {unit.tuid!r}", path=where,
                                   record=f"line {line}")
        out[unit.tuid] = text
        lines[unit.tuid] = unit.line
    return out, where


def _pick(unit: Unit, side: str, src: str, where: str) -> tuple[str, int]:
    matches = [(text, line) for lang, text, line in unit.variants if norm(lang).lower() == norm(side).lower()]
    if not matches and side != src:  # the target side under a placeholder xml:lang
        matches = [(text, line) for lang, text, line in unit.variants if lang in QUIRK_LANGS]
    if len(matches) != 1:
        langs = ", ".join(lang for lang, _, _ in unit.variants) or "none"
        raise HybridbatchError(f"unit {unit.tuid!r} has {len(matches)} <tuv> for {side!r} (languages: {langs})",
                               path=where, record=f"line {unit.line}")
    return matches[0][0].strip(), matches[0][1]
