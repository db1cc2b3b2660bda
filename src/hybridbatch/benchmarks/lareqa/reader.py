"""Read LAReQA retrieval data (XQuAD-R, MLQA-R): one SQuAD-v1.1-style ``<lang>.json`` per language.

Each paragraph carries ``sentence_breaks``: ``[start, end)`` character offsets into ``context``.

* Candidates are the sentences ``context[start:end].strip()``, with the paragraph as ``context``.
  Candidate id ``"<lang>:<article>:<paragraph>:<sentence>"`` (0-based indices into ``data``,
  ``paragraphs`` and ``sentence_breaks``).
* Queries are the questions, id ``"<lang>:<question id>"``, group = the question id (shared by all
  translations of a question).
* A question's answer sentence in a language is the sentence, of the paragraph holding the question
  with the same id in that language, that contains that question's ``answer_start`` (first answer).
  qrels: each query -> the answer sentences of its group in every language read (relevance 1).
* Order: languages sorted by code, then file order. This is the row order of saved embeddings.

About the ``sentences`` field (not used): the slices equal ``sentences`` exactly for all 13,014
XQuAD-R and 20,534 MLQA-R sentences except two in ``xquad-r/tr.json`` (article 9, paragraph 3): that
context holds a mis-decoded character (3 characters where ``sentences`` has 1), so its last two
breaks are 2 characters early. The slices are kept, as in the LAReQA reference code, because the
answer offsets are in ``context`` coordinates; which sentence is relevant does not change.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages


def lareqa_languages(folder: Path) -> list[str]:
    """Language codes of the ``<lang>.json`` files in ``folder``, sorted. A ``<lang>.json`` that is not a
    readable file (a folder, a broken or looping link) is an error naming it, never a silently missing
    language."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HybridbatchError("LAReQA folder not found", path=folder)
    langs = []
    for p in sorted(folder.glob("*.json")):
        if p.name.startswith("."):
            continue
        try:
            regular = p.is_file()
        except OSError:  # a symlink loop
            regular = False
        if not regular:
            kind = "a folder" if p.is_dir() else "a broken or looping link" if p.is_symlink() else "not a file"
            raise HybridbatchError(f"language file is {kind}", path=p)
        langs.append(p.stem)
    return langs


def read_lareqa(folder: Path, languages: list[str] | None = None, name: str | None = None) -> Benchmark:
    """Read ``folder/<lang>.json`` for ``languages`` (default: every ``*.json``) into a Benchmark.

    Raises HybridbatchError naming the file and record on malformed input (see module docstring
    for the rules).
    """
    folder = Path(folder)
    langs = select_languages(languages, lareqa_languages(folder), folder)
    parts = [_read_language(folder / f"{lang}.json", lang) for lang in langs]

    answers: dict[str, list[str]] = {}  # group -> answer candidate ids, in language order
    for part in parts:
        for group, cid in part.answer_of.items():
            answers.setdefault(group, []).append(cid)
    queries = [q for part in parts for q in part.queries]
    candidates = [c for part in parts for c in part.candidates]
    qrels = {q.id: dict.fromkeys(answers[q.group], 1) for q in queries}
    bench = Benchmark(name or folder.name, "lareqa", queries, candidates, qrels, langs, str(folder))
    bench.validate()
    return bench


@dataclass
class _Language:
    queries: list[Query] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    answer_of: dict[str, str] = field(default_factory=dict)  # question id -> candidate id


def _read_language(path: Path, lang: str) -> _Language:
    root = _load_json(path)
    data = root.get("data") if isinstance(root, dict) else None
    if not isinstance(data, list):
        raise HybridbatchError("no 'data' list at the top level", path=path)
    out = _Language()
    for a, article in enumerate(data):
        paragraphs = _field(article, "paragraphs", list, path, f"article {a}")
        for p, paragraph in enumerate(paragraphs):
            _read_paragraph(paragraph, lang, a, p, path, out)
    return out


def _read_paragraph(paragraph: Any, lang: str, a: int, p: int, path: Path, out: _Language) -> None:
    where = f"article {a} paragraph {p}"
    context = _field(paragraph, "context", str, path, where)
    breaks = _field(paragraph, "sentence_breaks", list, path, where)
    qas = _field(paragraph, "qas", list, path, where)

    starts: list[int] = []
    ends: list[int] = []
    ids: list[str] = []
    for s, span in enumerate(breaks):
        start, end = _span(span, path, f"{where} sentence {s}")
        if end <= start:
            raise HybridbatchError(f"empty sentence break [{start}, {end})", path=path,
                                   record=f"{where} sentence {s}")
        if start < 0 or end > len(context):
            raise HybridbatchError(
                f"sentence break [{start}, {end}) runs past the context (length {len(context)})",
                path=path, record=f"{where} sentence {s}")
        if ends and start < ends[-1]:
            raise HybridbatchError(
                f"sentence break [{start}, {end}) overlaps the previous one [{starts[-1]}, {ends[-1]})",
                path=path, record=f"{where} sentence {s}")
        text = context[start:end].strip()
        if not text:
            raise HybridbatchError(f"sentence [{start}, {end}) is blank", path=path,
                                   record=f"{where} sentence {s}")
        cid = f"{lang}:{a}:{p}:{s}"
        starts.append(start)
        ends.append(end)
        ids.append(cid)
        out.candidates.append(Candidate(cid, lang, text, context))

    for qa in qas:
        qid = _field(qa, "id", str, path, f"{where} question")
        record = f"{where} question {qid}"
        if not qid.strip():
            raise HybridbatchError("empty question id", path=path, record=where)
        question = _field(qa, "question", str, path, record).strip()
        if not question:
            raise HybridbatchError("empty question text", path=path, record=record)
        given = _field(qa, "answers", list, path, record)
        if not given:
            raise HybridbatchError("no answers", path=path, record=record)
        answer_start = _field(given[0], "answer_start", int, path, f"{record} answer 0")
        if not 0 <= answer_start < len(context):
            raise HybridbatchError(
                f"answer_start {answer_start} outside the context (length {len(context)})",
                path=path, record=record)
        k = bisect.bisect_right(starts, answer_start) - 1
        if k < 0 or answer_start >= ends[k]:
            raise HybridbatchError(f"answer_start {answer_start} is in no sentence", path=path,
                                   record=record)
        if qid in out.answer_of:
            raise HybridbatchError(f"duplicate question id {qid!r}", path=path, record=record)
        out.answer_of[qid] = ids[k]
        out.queries.append(Query(f"{lang}:{qid}", lang, qid, question))


def _load_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise HybridbatchError("file not found", path=path) from None
    except json.JSONDecodeError as exc:
        raise HybridbatchError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                               path=path) from None
    except UnicodeDecodeError as exc:
        raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=path) from None


def _field(obj: Any, key: str, kind: type, path: Path, record: str) -> Any:
    if not isinstance(obj, dict):
        raise HybridbatchError(f"expected an object, got {type(obj).__name__}", path=path, record=record)
    if key not in obj:
        raise HybridbatchError(f"missing '{key}'", path=path, record=record)
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise HybridbatchError(f"'{key}' should be {kind.__name__}, got {type(value).__name__}",
                               path=path, record=record)
    return value


def _span(span: Any, path: Path, record: str) -> tuple[int, int]:
    if (not isinstance(span, list) or len(span) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in span)):
        raise HybridbatchError(f"sentence break should be [start, end], got {span!r}", path=path,
                               record=record)
    return span[0], span[1]
