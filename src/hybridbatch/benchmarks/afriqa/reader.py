"""Read AfriQA gold passages as a cross-lingual QA retrieval benchmark with a translated control.

Files: ``afriqa/<lang>/gold_span_passages.afriqa.<lang>.<pivot>.<split>.json``, JSON lines with ``id``,
``question_lang`` (the question in the African language), ``question_translated`` (its human
translation into the pivot language, English or French), ``context`` (the gold Wikipedia passage in the
pivot language) and ``title``. Languages: bem fon hau ibo kin swa twi yor zul (fon's pivot is French);
not every language has every split (swa: test only; yor: test and train).

The benchmark (kind ``"translated_qa"``, scored by :mod:`hybridbatch.benchmarks.afriqa.scorer`):

* Candidates: the gold passages of the split of *every* language in the folder, pooled (the same pool
  whatever ``--languages`` selects, so per-language numbers do not depend on the selection), text
  ``"<title>. <context>"`` (``context`` alone without a title, as the BEIR reader does), language = the
  pivot; identical passages (same pivot and text) are one candidate, id ``"<pivot>:<sha1 of the text,
  12 hex>"``.
* Queries, per chosen language in file order: the African-language question, id ``"<lang>:<id>"``,
  language ``<lang>``; then the same questions in their human translation, id ``"<lang>:<id>:<pivot>"``,
  language = the pivot (the monolingual control). Both share the group ``"<lang>:<id>"`` and the one
  relevant candidate, the row's gold passage.

Rows whose ``context`` or either question is null, NaN or blank are left out (AfriQA keeps questions
that have no gold passage; the test split has 4 such rows: bem 1, kin 2, yor 1).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path
from typing import Any

from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages

log = logging.getLogger(__name__)

SPLITS = ("test", "dev", "train")
PREFIX = "gold_span_passages.afriqa"


def afriqa_files(folder: Path, split: str) -> dict[str, tuple[Path, str]]:
    """Language → (file, pivot) for every ``<lang>/`` folder that has ``split``; a language with two
    files for one split is an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HybridbatchError("AfriQA folder not found", path=folder)
    if split not in SPLITS:
        raise HybridbatchError(f"unknown AfriQA split {split!r}; expected one of {', '.join(SPLITS)}")
    out: dict[str, tuple[Path, str]] = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found = sorted(sub.glob(f"{PREFIX}.{sub.name}.*.{split}.json"))
        if len(found) > 1:
            raise HybridbatchError(f"{len(found)} files for split {split!r}; expected one", path=sub)
        if found:
            out[sub.name] = (found[0], found[0].name[len(f"{PREFIX}.{sub.name}."):].split(".")[0])
    return out


def read_afriqa(folder: Path, split: str = "test", languages: list[str] | None = None,
                name: str | None = None) -> Benchmark:
    """Read ``split`` for ``languages`` (default or ``["all"]``: every language that has the split)."""
    folder = Path(folder)
    files = afriqa_files(folder, split)
    if not files:
        raise HybridbatchError(f"no language has a {split!r} split", path=folder)
    if languages is not None and [x.lower() for x in languages] == ["all"]:
        languages = None
    langs = select_languages(languages, sorted(files), folder)
    rows = {lang: _read_rows(path) for lang, (path, _) in files.items()}

    candidates: list[Candidate] = []
    passage_id: dict[tuple[str, str], str] = {}
    for lang in sorted(files):  # the pool: every language's passages
        pivot = files[lang][1]
        for row in rows[lang]:
            key = (pivot, row["passage"])
            if key not in passage_id:
                cid = f"{pivot}:{hashlib.sha1(row['passage'].encode('utf-8')).hexdigest()[:12]}"
                passage_id[key] = cid
                candidates.append(Candidate(cid, pivot, row["passage"]))
    queries: list[Query] = []
    qrels: dict[str, dict[str, int]] = {}
    for lang in langs:
        pivot = files[lang][1]
        for text_key, lang_of, suffix in (("question_lang", lang, ""), ("question_translated", pivot, f":{pivot}")):
            for row in rows[lang]:
                group = f"{lang}:{row['id']}"
                queries.append(Query(group + suffix, lang_of, group, row[text_key]))
                qrels[group + suffix] = {passage_id[(pivot, row["passage"])]: 1}
    pivots = sorted({c.lang for c in candidates})
    bench = Benchmark(name or f"afriqa-{split}", "translated_qa", queries, candidates, qrels,
                      sorted(set(langs) | set(pivots)), str(folder))
    bench.validate()
    return bench


def _read_rows(path: Path) -> list[dict[str, str]]:
    """Checked rows of one JSON-lines file: id, question_lang, question_translated, passage. A row whose
    ``context`` or either question is null, NaN or blank (AfriQA has questions without a gold passage)
    is left out and counted in the log; a row that is not an object, lacks an id or holds a non-string
    text is an error."""
    out: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    skipped = 0
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record = f"line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HybridbatchError(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path,
                                   record=record) from None
        if not isinstance(obj, dict):
            raise HybridbatchError("expected a JSON object", path=path, record=record)
        rid = obj.get("id")
        if isinstance(rid, int) and not isinstance(rid, bool):
            rid = str(rid)
        if not isinstance(rid, str) or not rid.strip():
            raise HybridbatchError("missing or empty 'id'", path=path, record=record)
        if rid in seen:
            raise HybridbatchError(f"duplicate id {rid!r} (first on line {seen[rid]})", path=path, record=record)
        seen[rid] = n
        record = f"line {n} id {rid!r}"
        fields = {key: _text(obj, key, path, record) for key in ("title", "context", "question_lang",
                                                                 "question_translated")}
        if not (fields["context"] and fields["question_lang"] and fields["question_translated"]):
            skipped += 1
            continue
        title, context = fields["title"], fields["context"]
        out.append({"id": rid, "question_lang": fields["question_lang"],
                    "question_translated": fields["question_translated"],
                    "passage": f"{title}. {context}" if title else context})
    if not out:
        raise HybridbatchError("no usable rows (each needs a context and both questions)", path=path)
    if skipped:
        log.info("%s: %d row(s) without a gold passage or a question left out", path, skipped)
    return out


def _text(obj: dict[str, Any], key: str, path: Path, record: str) -> str:
    """The stripped string at ``key``; absent, null, NaN or blank is ``""``; any other type is an error."""
    value = obj.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if not isinstance(value, str):
        raise HybridbatchError(f"'{key}' should be a string, got {type(value).__name__}", path=path,
                               record=record)
    return value.strip()
