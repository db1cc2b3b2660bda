"""Read the Tatoeba bitext retrieval set (LASER ``data/tatoeba/v1``; XTREME's sentence-retrieval task).

Files: ``tatoeba.<x>-eng.<x>`` and ``tatoeba.<x>-eng.eng``, UTF-8, one sentence a line; line i of the two
files are translations. ``<x>`` is an ISO 639-3 code (112 languages).

The benchmark is a *bitext* benchmark (kind ``"bitext"``, scored by :mod:`hybridbatch.benchmarks.tatoeba.scorer`):
every sentence of a pair is both a query and a candidate. Ids ``"<x>-eng:<lang>:<line>"`` (line 0-based,
``<lang>`` = x or eng), so the pair of any query or candidate is the part before the first ``:``;
group ``"<x>-eng:<line>"``; qrels: each sentence → its translation (relevance 1). A query is only ranked
against the other side of its own pair (XTREME protocol); English sentences that occur in several
pairs are separate candidates there but one text, so they are encoded once.

Languages: ``None`` = XTREME's 36; ``["all"]`` = every pair in the folder; ``["xtreme"]`` = the 36;
otherwise the listed codes. Sentences are stripped of surrounding whitespace; an empty line, a file
that is not UTF-8 or two files of a pair with different line counts are errors naming file and line.
"""

from __future__ import annotations

from pathlib import Path

from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.data.text_files import read_text_lines
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages

PIVOT = "eng"
XTREME_LANGUAGES = (
    "afr", "ara", "ben", "bul", "cmn", "deu", "ell", "est", "eus", "fin", "fra", "heb", "hin", "hun", "ind",
    "ita", "jav", "jpn", "kat", "kaz", "kor", "mal", "mar", "nld", "pes", "por", "rus", "spa", "swh", "tam",
    "tel", "tgl", "tha", "tur", "urd", "vie",
)
"""XTREME's 36 Tatoeba languages (Hu et al. 2020), as Tatoeba codes."""
KEYWORDS = {"all": None, "xtreme": XTREME_LANGUAGES}


def tatoeba_languages(folder: Path) -> list[str]:
    """Codes x with a ``tatoeba.<x>-eng.<x>`` file in ``folder``, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HybridbatchError("Tatoeba folder not found", path=folder)
    out = []
    for path in folder.glob(f"tatoeba.*-{PIVOT}.*"):
        pair, _, side = path.name[len("tatoeba."):].rpartition(".")
        x = pair[: -len(f"-{PIVOT}")]
        if side == x and x != PIVOT:
            out.append(x)
    return sorted(out)


def choose_languages(requested: list[str] | None, available: list[str], folder: Path) -> list[str]:
    """Resolve the ``--languages`` request (see module doc) against the pairs in ``folder``."""
    if requested is None:
        requested = list(XTREME_LANGUAGES)
    elif len(requested) == 1 and requested[0].lower() in KEYWORDS:
        keyword = KEYWORDS[requested[0].lower()]
        requested = list(available) if keyword is None else list(keyword)
    missing = [x for x in requested if x not in available and x in XTREME_LANGUAGES]
    if missing and requested == list(XTREME_LANGUAGES):
        raise HybridbatchError(f"file not found (XTREME language {missing[0]!r}; {len(missing)} of the 36 "
                               f"missing)", path=Path(folder) / f"tatoeba.{missing[0]}-{PIVOT}.{missing[0]}")
    return select_languages(requested, available, folder)


def read_tatoeba(folder: Path, languages: list[str] | None = None, name: str = "tatoeba") -> Benchmark:
    """Read the pairs of ``languages`` (see module doc) from ``folder`` into a bitext Benchmark."""
    folder = Path(folder)
    langs = choose_languages(languages, tatoeba_languages(folder), folder)
    queries: list[Query] = []
    candidates: list[Candidate] = []
    qrels: dict[str, dict[str, int]] = {}
    for x in langs:
        pair = f"{x}-{PIVOT}"
        src_path, eng_path = folder / f"tatoeba.{pair}.{x}", folder / f"tatoeba.{pair}.{PIVOT}"
        src, eng = read_lines(src_path), read_lines(eng_path)
        if len(src) != len(eng):
            (longer, n_long), (shorter, n_short) = sorted(((src_path, len(src)), (eng_path, len(eng))),
                                                          key=lambda item: -item[1])
            raise HybridbatchError(f"{n_long} lines but {shorter.name} has {n_short}: this line has no "
                                   f"translation", path=longer, record=f"line {n_short + 1}")
        for lang, texts, other in ((x, src, PIVOT), (PIVOT, eng, x)):
            for i, text in enumerate(texts):
                qid = f"{pair}:{lang}:{i}"
                queries.append(Query(qid, lang, f"{pair}:{i}", text))
                candidates.append(Candidate(qid, lang, text))
                qrels[qid] = {f"{pair}:{other}:{i}": 1}
    bench = Benchmark(name, "bitext", queries, candidates, qrels, sorted(langs + [PIVOT]), str(folder))
    bench.validate()
    return bench


def read_lines(path: Path) -> list[str]:
    """Stripped lines of a one-sentence-a-line UTF-8 file; a missing file, bad byte or empty line is an
    error naming the file and line."""
    lines = read_text_lines(path)
    out = []
    for n, line in enumerate(lines, 1):
        sentence = line.strip()
        if not sentence:
            raise HybridbatchError("empty line", path=path, record=f"line {n}")
        out.append(sentence)
    if not out:
        raise HybridbatchError("no sentences", path=path)
    return out
