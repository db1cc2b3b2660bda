"""Training items from a LAReQA-style benchmark: for each group and language, the question and its answer
sentence (optionally with its paragraph and a sibling-sentence hard negative)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.data.training_pairs import Item, PairSet
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages


def pairs_from_benchmark(bench: Benchmark, *, name: str | None = None, languages: Sequence[str] | None = None,
                         with_context: bool = False, hard_negatives: bool = False, seed: int = 0) -> PairSet:
    """Items from a LAReQA-style benchmark: for each group and language that has both a question
    and a relevant candidate, (question, answer sentence[, paragraph]).

    With ``hard_negatives`` the negative of item (g, Y) is another sentence of the same paragraph
    in Y that is the answer of no question of g (seeded choice), else a sentence of another
    paragraph in Y.
    """
    langs = select_languages(languages, bench.languages, bench.source or bench.name)
    keep = set(langs)
    cand = {c.id: c for c in bench.candidates}
    answers: dict[tuple[str, str], str] = {}  # (group, lang) -> candidate id
    for q in bench.queries:
        for cid, rel in sorted(bench.qrels.get(q.id, {}).items()):
            c = cand[cid]
            if rel > 0 and c.lang in keep:
                answers.setdefault((q.group, c.lang), cid)
    group_answers: dict[str, set[str]] = {}
    for (group, _lang), cid in answers.items():
        group_answers.setdefault(group, set()).add(cid)
    siblings = _sentences_by_paragraph(bench, keep) if hard_negatives else {}
    rng = np.random.default_rng([seed, 104729])
    items = []
    for q in bench.queries:
        cid = answers.get((q.group, q.lang)) if q.lang in keep else None
        if cid is None:
            continue
        c = cand[cid]
        negative = None
        if hard_negatives:
            negative = _pick_negative(c, group_answers[q.group], siblings, rng)
        items.append(Item(q.group, q.lang, q.text, c.text, c.context, negative))
    _check_all_languages(items, langs, bench.source or bench.name)
    return PairSet(name or bench.name, items, with_context=with_context, source=bench.source or bench.name)


def _check_all_languages(items: list[Item], langs: list[str], where) -> None:
    have = {it.lang for it in items}
    missing = [lang for lang in langs if lang not in have]
    if missing:
        raise HybridbatchError(f"language(s) {', '.join(missing)} have no training items "
                               "(no question with an answer sentence)", path=where)


def _sentences_by_paragraph(bench: Benchmark, keep: set[str]) -> dict[tuple[str, str], list]:
    """(lang, paragraph) -> its candidates, and (lang, "") -> every candidate of the language."""
    out: dict[tuple[str, str], list] = {}
    for c in bench.candidates:
        if c.lang in keep:
            out.setdefault((c.lang, c.context or ""), []).append(c)
            out.setdefault((c.lang, "\x00all"), []).append(c)
    return out


def _pick_negative(answer, group_answers: set[str], siblings: dict[tuple[str, str], list],
                   rng: np.random.Generator) -> str:
    same = [c for c in siblings.get((answer.lang, answer.context or ""), [])
            if c.id not in group_answers and c.text != answer.text]
    if same:
        return same[int(rng.integers(len(same)))].text
    pool = siblings.get((answer.lang, "\x00all"), [])
    for _ in range(100):
        c = pool[int(rng.integers(len(pool)))]
        if c.id not in group_answers and c.context != answer.context and c.text != answer.text:
            return c.text
    raise HybridbatchError(f"no hard negative found for a question in language {answer.lang!r}")
