"""TICO-19 as training data: sentence → next sentence of the same document, in one language or across two.

TICO-19 is parallel text, not QA. Its units (``tuid`` = ``<document>:<n>``) are consecutive sentences of
documents (PubMed abstracts, Wikipedia, Wikinews, CMU dialogues, …), translated into every language. A
training item is (group = the tuid of sentence n, language X, query = sentence n in X, passage = sentence
n + 1 of the same document in X), for every n where both units are outside the official test split (the
``dev`` units). A :class:`~hybridbatch.data.training_pairs.PairSet` then makes the usual rows: (g, X, X)
monolingual, (g, X, Y) sentence n in X → sentence n + 1 in Y. Why: it is the nearest thing to a
question → answer-passage pair that parallel text offers (a context → its continuation, retrieved among the
other in-batch continuations), it gives the mono and the cross-lingual rows the hybrid sampler needs from
the same units, and it never trains on the translation pairs that the TICO-19 benchmark asks to retrieve.

No test text is trained on: the dev and test units interleave within documents, so an item is dropped when
its query or passage equals (after :func:`normalize_text`) any sentence of the test split in any language.
"""

from __future__ import annotations

from pathlib import Path

from hybridbatch.benchmarks.tico19.reader import read_tico19
from hybridbatch.data.training_pairs import Item, PairSet, normalize_text


def next_unit(tuid: str) -> str | None:
    """``doc:n`` → ``doc:n+1``; None when the tuid has no integer sentence number."""
    doc, sep, n = tuid.rpartition(":")
    return f"{doc}:{int(n) + 1}" if sep and n.isdigit() else None


def tico19_pairs(folder: Path, languages: list[str] | None = None, *, name: str = "tico19") -> PairSet:
    """Next-sentence training items from the non-test units of TICO-19 (see module doc) for ``languages``
    (default: all). ``PairSet.stats`` holds the counts (pairs, items, items dropped for test overlap)."""
    folder = Path(folder)
    dev = read_tico19(folder, "dev", languages)
    test = read_tico19(folder, "test", None)
    banned = {normalize_text(q.text) for q in test.queries}
    texts: dict[str, dict[str, str]] = {}
    for q in dev.queries:
        texts.setdefault(q.lang, {})[q.group] = q.text
    units = list(dict.fromkeys(q.group for q in dev.queries))
    present = set(units)
    items: list[Item] = []
    pairs = dropped = 0
    for tuid in units:
        nxt = next_unit(tuid)
        if nxt is None or nxt not in present:
            continue
        pairs += 1
        for lang in dev.languages:
            query, passage = texts[lang][tuid], texts[lang][nxt]
            if normalize_text(query) in banned or normalize_text(passage) in banned:
                dropped += 1
                continue
            items.append(Item(tuid, lang, query, passage))
    out = PairSet(name, items, source=str(folder))
    out.stats = {"pairs": pairs, "items": len(items), "dropped_test_overlap": dropped}
    return out
