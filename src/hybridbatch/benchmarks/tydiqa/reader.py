"""Read TyDi QA GoldP as a question → passage retrieval benchmark per language and pooled.

Files: ``tydiqa.goldp.<lang>.<split>.json`` in one folder, SQuAD v1.1 JSON (``data`` → articles →
``paragraphs`` → ``context`` and ``qas``, each question with ``id`` and ``question``; an article's
optional ``title`` is put before the context as ``"<title>. <context>"``, as the BEIR reader does).
``<lang>`` is the ISO 639-1 code (ar bn en fi id ko ru sw te); the public copy holds the ``dev`` split.
Answers are not read: the gold passage of a question is the paragraph that holds it.

The benchmark (kind ``"tydiqa"``, scored by :mod:`hybridbatch.benchmarks.tydiqa.scorer`):

* Candidates: the distinct passages of each chosen language (identical texts in one language are one
  candidate, id ``"<lang>:<sha1 of the text, 12 hex>"``; a paragraph without questions is a distractor),
  languages sorted by code, then file order.
* Queries: every question, id = its TyDi QA id (unique over all files), its own group, language
  ``<lang>``; its one relevant candidate is its paragraph's passage, so every question sharing a
  passage counts that candidate relevant.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from hybridbatch.benchmarks.lareqa.reader import _field, _load_json
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages

SPLITS = ("dev", "train")
_NAME = re.compile(r"^tydiqa\.goldp\.([a-z]{2,3})\.([a-z]+)\.json$")


def tydiqa_files(folder: Path, split: str) -> dict[str, Path]:
    """Language → file of ``split`` in ``folder``; an unknown split or a missing folder is an error."""
    folder = Path(folder)
    if split not in SPLITS:
        raise HybridbatchError(f"unknown TyDi QA split {split!r}; expected one of {', '.join(SPLITS)}")
    if not folder.is_dir():
        raise HybridbatchError("TyDi QA folder not found", path=folder)
    out: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if match and match.group(2) == split:
            if not path.is_file():
                raise HybridbatchError("language file is not a readable file", path=path)
            out[match.group(1)] = path
    return out


def read_tydiqa(folder: Path, split: str = "dev", languages: list[str] | None = None,
                name: str | None = None) -> Benchmark:
    """Read ``split`` for ``languages`` (default or ``["all"]``: every language with a file of the split)."""
    folder = Path(folder)
    files = tydiqa_files(folder, split)
    if not files:
        raise HybridbatchError(f"no tydiqa.goldp.<lang>.{split}.json file", path=folder)
    if languages is not None and [x.lower() for x in languages] == ["all"]:
        languages = None
    langs = select_languages(languages, sorted(files), folder)
    queries: list[Query] = []
    candidates: list[Candidate] = []
    qrels: dict[str, dict[str, int]] = {}
    first_seen: dict[str, str] = {}  # question id -> where it was first read
    for lang in langs:
        path = files[lang]
        passage_id: dict[str, str] = {}
        for where, passage, questions in _paragraphs(path):
            cid = passage_id.get(passage)
            if cid is None:
                cid = passage_id[passage] = f"{lang}:{hashlib.sha1(passage.encode('utf-8')).hexdigest()[:12]}"
                candidates.append(Candidate(cid, lang, passage))
            for qid, question in questions:
                if qid in first_seen:
                    raise HybridbatchError(f"duplicate question id {qid!r} (first in {first_seen[qid]})",
                                           path=path, record=where)
                first_seen[qid] = f"{path.name} {where}"
                queries.append(Query(qid, lang, qid, question))
                qrels[qid] = {cid: 1}
    bench = Benchmark(name or f"tydiqa-{split}", "tydiqa", queries, candidates, qrels, langs, str(folder))
    bench.validate()
    return bench


def _paragraphs(path: Path) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(record, passage text, [(question id, question)]) per paragraph of one file, checked."""
    root = _load_json(path)
    data = root.get("data") if isinstance(root, dict) else None
    if not isinstance(data, list):
        raise HybridbatchError("no 'data' list at the top level", path=path)
    out = []
    for a, article in enumerate(data):
        paragraphs = _field(article, "paragraphs", list, path, f"article {a}")
        title = _optional_text(article, "title", path, f"article {a}")
        for p, paragraph in enumerate(paragraphs):
            where = f"article {a} paragraph {p}"
            context = _field(paragraph, "context", str, path, where).strip()
            if not context:
                raise HybridbatchError("empty context", path=path, record=where)
            questions = []
            for k, qa in enumerate(_field(paragraph, "qas", list, path, where)):
                qid = _field(qa, "id", str, path, f"{where} question {k}").strip()
                if not qid:
                    raise HybridbatchError("empty question id", path=path, record=f"{where} question {k}")
                text = _field(qa, "question", str, path, f"{where} question {qid!r}").strip()
                if not text:
                    raise HybridbatchError("empty question text", path=path, record=f"{where} question {qid!r}")
                questions.append((qid, text))
            out.append((where, f"{title}. {context}" if title else context, questions))
    if not any(questions for _, _, questions in out):
        raise HybridbatchError("no questions", path=path)
    return out


def _optional_text(obj: dict[str, Any], key: str, path: Path, record: str) -> str:
    """The stripped string at ``key``; absent or null is ``""``, another type an error."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise HybridbatchError(f"'{key}' should be str, got {type(value).__name__}", path=path, record=record)
    return value.strip()
