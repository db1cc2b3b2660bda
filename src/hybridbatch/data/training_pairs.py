"""Training rows for hybrid batches: (group, query_lang, query, passage_lang, passage[, negative]).

A training dataset is a set of *items*, one per (parallel group, language): the question in that
language, its answer passage in that language and optionally a hard negative. A *row* pairs the
query of item (g, X) with the passage (and negative) of item (g, Y); X = Y gives a monolingual row.

Sources:

* a LAReQA-style :class:`~hybridbatch.data.benchmark.Benchmark` (:func:`pairs_from_benchmark`):
  group = question id, passage = the answer-bearing sentence (optionally ``"sentence context"``,
  joined with one space as the evaluation does);
* JSONL (:func:`read_pairs_jsonl`), one line per (group, lang) item::

      {"group": "q17", "lang": "de", "query": "...", "passage": "...",
       "context": "optional paragraph", "negative": "optional hard negative in this language"}

Groups that share a passage or a query text (after :func:`normalize_text`) in any language are put
in one *conflict cluster*: in LAReQA several questions often share one answer sentence (more than
half of XQuAD-R's), and two such rows in one batch would make a false negative. The sampler never
puts two rows of one cluster in a batch, and the validation split never cuts a cluster.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybridbatch.data.benchmark import Benchmark, with_context
from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages

_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC, casefold, collapse runs of whitespace to one space, strip."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@dataclass(frozen=True)
class Item:
    """One (group, language) training item."""

    group: str
    lang: str
    query: str
    passage: str
    context: str | None = None
    negative: str | None = None


@dataclass(frozen=True)
class Row:
    """One training row; ``passage`` already includes the context when the dataset uses it."""

    group: str
    query_lang: str
    query: str
    passage_lang: str
    passage: str
    negative: str | None = None


class PairSet:
    """One training dataset: items indexed by group and language, rows and conflict clusters.

    Attributes used by the sampler (all numpy): ``lang_item[g, l]`` item index or -1;
    ``row_of[g, x, y]`` local row index or -1; ``cluster_of[g]``; ``row_group``, ``row_qlang``,
    ``row_plang``, ``row_query_item``, ``row_passage_item`` per row (rows in (g, x, y) order).
    """

    def __init__(self, name: str, items: Sequence[Item], *, with_context: bool = False, source: str = ""):
        self.name = name
        self.items = list(items)
        self.with_context = with_context
        self.source = source or name
        if not self.items:
            raise HybridbatchError("training dataset has no items", path=self.source)
        self.groups = list(dict.fromkeys(it.group for it in self.items))
        self.languages = sorted({it.lang for it in self.items})
        g_index = {g: i for i, g in enumerate(self.groups)}
        l_index = {lang: i for i, lang in enumerate(self.languages)}
        self.item_group = np.array([g_index[it.group] for it in self.items], dtype=np.int64)
        self.item_lang = np.array([l_index[it.lang] for it in self.items], dtype=np.int64)
        self.lang_item = np.full((len(self.groups), len(self.languages)), -1, dtype=np.int64)
        for i, (g, lang) in enumerate(zip(self.item_group, self.item_lang)):
            if self.lang_item[g, lang] >= 0:
                it = self.items[i]
                raise HybridbatchError(f"two items for group {it.group!r} in language {it.lang!r}",
                                       path=self.source, record=f"item {i}")
            self.lang_item[g, lang] = i
        self._build_rows()
        self.cluster_of = self._clusters()

    # ---- derived views ----
    @property
    def has_negatives(self) -> bool:
        return all(it.negative is not None for it in self.items)

    @property
    def n_clusters(self) -> int:
        return int(self.cluster_of.max()) + 1

    def passage_text(self, item: Item) -> str:
        """The passage as trained on: the sentence, or ``"sentence context"`` with context."""
        return with_context(item.passage, item.context) if self.with_context else item.passage

    def language_sizes(self) -> dict[str, int]:
        """Number of items (= groups) per language."""
        counts = np.bincount(self.item_lang, minlength=len(self.languages))
        return {lang: int(n) for lang, n in zip(self.languages, counts)}

    def rows(self) -> Iterator[Row]:
        """Every row: for each group, every ordered (X, Y) of its languages (X = Y included)."""
        for r in range(len(self.row_group)):
            yield self.row(r)

    def row(self, r: int) -> Row:
        q = self.items[int(self.row_query_item[r])]
        p = self.items[int(self.row_passage_item[r])]
        return Row(q.group, q.lang, q.query, p.lang, self.passage_text(p), p.negative)

    def subset_groups(self, keep: np.ndarray, name: str | None = None) -> PairSet:
        """A new PairSet holding the items of the groups where ``keep[g]`` is true."""
        items = [it for it, g in zip(self.items, self.item_group) if keep[g]]
        return PairSet(name or self.name, items, with_context=self.with_context, source=self.source)

    def split(self, fraction: float, seed: int) -> tuple[PairSet, PairSet | None]:
        """(train, validation): whole conflict clusters (so whole groups) go to validation, drawn
        in a seeded random order until they hold ``fraction`` of the items. ``fraction`` 0 -> None."""
        if not 0.0 <= fraction < 1.0:
            raise HybridbatchError(f"validation fraction {fraction} outside [0, 1)")
        if fraction == 0.0:
            return self, None
        rng = np.random.default_rng([seed, 7919])
        items_per_cluster = np.bincount(self.cluster_of[self.item_group], minlength=self.n_clusters)
        order = rng.permutation(self.n_clusters)
        taken = np.cumsum(items_per_cluster[order])
        n_val = int(np.searchsorted(taken, fraction * len(self.items)) + 1)
        n_val = min(n_val, self.n_clusters - 1)
        if n_val <= 0:
            raise HybridbatchError(f"dataset {self.name!r} has a single conflict cluster; cannot hold out "
                                   "a validation split (set validation_fraction: 0)")
        val_clusters = np.zeros(self.n_clusters, dtype=bool)
        val_clusters[order[:n_val]] = True
        in_val = val_clusters[self.cluster_of]
        return self.subset_groups(~in_val), self.subset_groups(in_val, f"{self.name}/validation")

    # ---- construction helpers ----
    def _build_rows(self) -> None:
        n_groups, n_langs = self.lang_item.shape
        present = self.lang_item >= 0
        pair_ok = present[:, :, None] & present[:, None, :]
        self.row_of = np.full((n_groups, n_langs, n_langs), -1, dtype=np.int64)
        g, x, y = np.nonzero(pair_ok)  # lexicographic (g, x, y) order
        self.row_of[g, x, y] = np.arange(len(g))
        self.row_group, self.row_qlang, self.row_plang = g, x, y
        self.row_query_item = self.lang_item[g, x]
        self.row_passage_item = self.lang_item[g, y]

    def _clusters(self) -> np.ndarray:
        parent = list(range(len(self.groups)))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        first_with: dict[tuple[str, str], int] = {}
        for it, g in zip(self.items, self.item_group):
            for key in (("p", normalize_text(it.passage)), ("q", normalize_text(it.query))):
                other = first_with.setdefault(key, int(g))
                ra, rb = find(int(g)), find(other)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        roots = np.array([find(g) for g in range(len(self.groups))])
        _, cluster = np.unique(roots, return_inverse=True)
        return cluster.astype(np.int64)


class TrainingPairs:
    """Several training datasets behind one global row numbering (dataset after dataset).

    :meth:`to_dataset` gives the ``datasets.Dataset`` the trainer reads: text columns ``query``,
    ``positive`` (and ``negative``), resolved lazily from integer ids, so the table stays small and
    holds no language or group columns; the sampler reads those from this object.
    """

    def __init__(self, datasets: Sequence[PairSet]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise HybridbatchError("no training datasets")
        names = [d.name for d in self.datasets]
        if len(set(names)) != len(names):
            raise HybridbatchError(f"training dataset names repeat: {names}")
        negs = {d.has_negatives for d in self.datasets}
        if len(negs) > 1:
            raise HybridbatchError("hard negatives must be given for every training dataset or for none")
        self.has_negatives = negs.pop()
        self.row_offsets = np.cumsum([0] + [len(d.row_group) for d in self.datasets])
        self.item_offsets = np.cumsum([0] + [len(d.items) for d in self.datasets])

    @property
    def n_rows(self) -> int:
        return int(self.row_offsets[-1])

    def locate(self, global_row: int) -> tuple[PairSet, int]:
        """(dataset, local row index) of a global row index."""
        d = int(np.searchsorted(self.row_offsets, global_row, side="right") - 1)
        return self.datasets[d], int(global_row - self.row_offsets[d])

    def describe(self, global_row: int) -> dict[str, str]:
        """``{query_lang, passage_lang, group}`` of a global row (for batch plans)."""
        ds, r = self.locate(global_row)
        return {"query_lang": ds.languages[ds.row_qlang[r]], "passage_lang": ds.languages[ds.row_plang[r]],
                "group": ds.groups[ds.row_group[r]]}

    def describe_item(self, global_item: int) -> dict[str, str]:
        """``{group, lang}`` of a global item index (items numbered dataset after dataset)."""
        d = int(np.searchsorted(self.item_offsets, global_item, side="right") - 1)
        it = self.datasets[d].items[int(global_item - self.item_offsets[d])]
        return {"group": it.group, "lang": it.lang}

    def to_dataset(self, *, row_labels: bool = False, label_offset: int = 0, negative_slots=None):
        """A ``datasets.Dataset`` of all rows with a transform yielding query/positive[/negative]; with
        ``row_labels`` also a ``label`` column holding each row's global index (losses that need to know
        which row they see, e.g. the distillation regulariser, read it as their labels), plus ``label_offset``.

        ``negative_slots`` (:class:`hybridbatch.training.negatives.NegativeSlots`, k mined negatives per query
        item): entry ``row * k + j`` is the row with its query item's j-th mined negative (an empty slot holds
        the row's own passage; the planner never picks it)."""
        from datasets import Dataset
        from sentence_transformers.util import resolve_ids

        queries, passages, negatives = [], [], []
        for ds in self.datasets:
            for it in ds.items:
                queries.append(it.query)
                passages.append(ds.passage_text(it))
                negatives.append(it.negative)
        ids = list(range(len(queries)))
        q_ids = np.concatenate([d.row_query_item + o for d, o in zip(self.datasets, self.item_offsets)])
        p_ids = np.concatenate([d.row_passage_item + o for d, o in zip(self.datasets, self.item_offsets)])
        labels = np.arange(label_offset, label_offset + self.n_rows)
        mined = None
        if negative_slots is not None:
            if self.has_negatives:
                raise HybridbatchError("mined negatives and hard_negatives (paragraph siblings) exclude each other")
            k = negative_slots.k
            mined = np.concatenate([np.where(s >= 0, s + o, -1)[d.row_query_item] for d, s, o in
                                    zip(self.datasets, negative_slots.per_dataset, self.item_offsets)]).reshape(-1)
            q_ids, p_ids, labels = np.repeat(q_ids, k), np.repeat(p_ids, k), np.repeat(labels, k)
            mined = np.where(mined >= 0, mined, p_ids)
        columns = {"query_id": q_ids.tolist(), "positive_id": p_ids.tolist()}
        lookups = {"query_id": (Dataset.from_dict({"id": ids, "text": queries}), "id", "text"),
                   "positive_id": (Dataset.from_dict({"id": ids, "text": passages}), "id", "text")}
        if self.has_negatives:
            columns["negative_id"] = p_ids.tolist()
            lookups["negative_id"] = (Dataset.from_dict({"id": ids, "text": negatives}), "id", "text")
        elif mined is not None:
            columns["negative_id"] = mined.tolist()
            lookups["negative_id"] = lookups["positive_id"]
        if row_labels:
            columns["label"] = labels.tolist()
        table = Dataset.from_dict(columns)
        table.set_transform(resolve_ids(lookups))
        return table


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


def read_pairs_jsonl(path: Path, *, name: str | None = None, languages: Sequence[str] | None = None,
                     with_context: bool = False) -> PairSet:
    """Items from a JSONL file (format in the module docstring); errors name the file and line."""
    path = Path(path)
    items: list[Item] = []
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise HybridbatchError(f"cannot read training file ({exc.strerror})", path=path) from None
    with handle:
        try:
            for n, line in enumerate(handle, start=1):
                if line.strip():
                    items.append(_parse_item(line, path, n))
        except UnicodeDecodeError as exc:
            raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    if not items:
        raise HybridbatchError("no items", path=path)
    available = sorted({it.lang for it in items})
    langs = select_languages(languages, available, path)
    kept = [it for it in items if it.lang in set(langs)]
    negs = {it.negative is None for it in kept}
    if len(negs) > 1:
        raise HybridbatchError("some items have a 'negative' and some do not; give all or none", path=path)
    return PairSet(name or path.stem, kept, with_context=with_context, source=str(path))


def _parse_item(line: str, path: Path, n: int) -> Item:
    record = f"line {n}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise HybridbatchError(f"malformed JSON: {exc.msg}", path=path, record=record) from None
    if not isinstance(obj, dict):
        raise HybridbatchError("expected a JSON object", path=path, record=record)
    unknown = set(obj) - {"group", "lang", "query", "passage", "context", "negative"}
    if unknown:
        raise HybridbatchError(f"unknown field(s) {', '.join(sorted(unknown))}", path=path, record=record)
    values = {}
    for key in ("group", "lang", "query", "passage", "context", "negative"):
        value = obj.get(key)
        required = key in ("group", "lang", "query", "passage")
        if value is None and not required:
            values[key] = None
            continue
        if isinstance(value, int) and not isinstance(value, bool) and key == "group":
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise HybridbatchError(f"'{key}' should be a non-empty string", path=path, record=record)
        values[key] = value.strip()
    return Item(**values)


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
