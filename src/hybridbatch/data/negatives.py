"""The mined hard-negatives file: writing, reading and validating it against the training data.

``hybridbatch mine`` writes it; training reads it back through :func:`read_negatives`. It is JSONL:

* line 1, the header: ``{"format": "hybridbatch-negatives", "version": 1, "policy": ..., "per_query": ...,
  "range_min": ..., "range_max": ..., "margin": ..., "sampling": ..., "seed": ..., "model": {...},
  "training": {...}, "versions": {...}, ...}`` (what was mined, with which model, from which data);
* then one line per training query item (one item per (parallel group, language) of a dataset)::

      {"dataset": "mlqa-r", "query_id": "<group>/<lang>", "lang": "de",
       "negatives": [{"id": "<group>/<lang>", "lang": "de", "rank": 3, "score": 0.812345}, ...]}

  ``id`` names a passage item of the same dataset (a negative from another training dataset carries its own
  ``"dataset"``); ``rank`` is the candidate's 1-based position in the query's ranking of the pooled training
  passages with the query's own conflict cluster left out; ``score`` is the cosine similarity.

Validation (:func:`read_negatives`): every error is one :class:`HybridbatchError` naming the file and the
line: malformed JSON, missing or mistyped fields, unknown datasets or ids, an id whose language disagrees
with its ``lang``, a negative of the query's own parallel group or conflict cluster (translations and
shared answers are positives), a negative whose language the policy excludes (``same-language``: the
query's language; ``other-language``: any other), a query listed twice, a negative listed twice.

Conflict clusters here are :attr:`PairSet.cluster_of` joined across the training datasets by the same rule
(:func:`global_clusters`): items whose normalised passage or query text is shared belong together.
"""

from __future__ import annotations

import json
import math
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hybridbatch.data.clusters import components
from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import atomic_file

FORMAT = "hybridbatch-negatives"
VERSION = 1
NegativePolicy = Literal["same-language", "other-language", "any"]
POLICIES: tuple[str, ...] = typing.get_args(NegativePolicy)
_LINE_FIELDS = {"dataset", "query_id", "lang", "negatives"}
_NEGATIVE_FIELDS = {"id", "lang", "rank", "score", "dataset"}


def item_id(group: str, lang: str) -> str:
    """The id of a (group, language) item within its dataset: ``"<group>/<lang>"``."""
    return f"{group}/{lang}"


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise HybridbatchError(f"unknown negatives policy {policy!r}; expected one of {', '.join(POLICIES)}")
    return policy


def policy_allows(policy: str, query_lang: str, negative_lang: str) -> bool:
    """Whether ``policy`` keeps a negative in ``negative_lang`` for a query in ``query_lang``."""
    if policy == "same-language":
        return negative_lang == query_lang
    if policy == "other-language":
        return negative_lang != query_lang
    return True


def global_clusters(pairs: TrainingPairs) -> np.ndarray:
    """Conflict cluster of every global item (dataset after dataset, as :attr:`TrainingPairs.item_offsets`):
    each dataset's :attr:`PairSet.cluster_of`, merged across datasets where two items share a normalised
    passage or query text (the rule :class:`PairSet` applies within a dataset, :func:`components`)."""
    offsets = np.cumsum([0] + [ps.n_clusters for ps in pairs.datasets])
    node = np.concatenate([offsets[d] + ps.cluster_of[ps.item_group] for d, ps in enumerate(pairs.datasets)])
    passage = np.concatenate([ps.keys("passage_key") for ps in pairs.datasets])
    query = np.concatenate([ps.keys("query_key") for ps in pairs.datasets])
    return components(int(offsets[-1]), node, passage, query)[node]


class ItemTable:
    """Global item numbering of a :class:`TrainingPairs` with ids, languages, groups and clusters."""

    def __init__(self, pairs: TrainingPairs):
        self.pairs = pairs
        self.dataset_names = [ps.name for ps in pairs.datasets]
        self.ids: dict[str, dict[str, int]] = {}
        self.lang: list[str] = []
        self.dataset: list[int] = []
        self.group = np.zeros(int(pairs.item_offsets[-1]), dtype=np.int64)  # global group number
        group_offset = 0
        for d, ps in enumerate(pairs.datasets):
            offset = int(pairs.item_offsets[d])
            self.ids[ps.name] = {item_id(it.group, it.lang): offset + i for i, it in enumerate(ps.items)}
            self.lang += [it.lang for it in ps.items]
            self.dataset += [d] * len(ps.items)
            self.group[offset:offset + len(ps.items)] = ps.item_group + group_offset
            group_offset += len(ps.groups)
        self.cluster = global_clusters(pairs)

    def __len__(self) -> int:
        return len(self.lang)

    def name_of(self, index: int) -> tuple[str, str]:
        """(dataset name, item id) of a global item."""
        d = self.dataset[index]
        ps = self.pairs.datasets[d]
        it = ps.items[index - int(self.pairs.item_offsets[d])]
        return ps.name, item_id(it.group, it.lang)


@dataclass
class MinedNegatives:
    """A validated negatives file: ``per_item[i]`` holds the global passage-item indices (rank order) mined
    for global query item ``i`` (empty where the file has no line or no negative for it)."""

    path: Path
    header: dict[str, Any]
    policy: str
    per_item: list[np.ndarray] = field(repr=False)

    @property
    def n_negatives(self) -> int:
        return sum(len(x) for x in self.per_item)

    @property
    def n_with_negatives(self) -> int:
        return sum(1 for x in self.per_item if len(x))

    def local_slots(self, pairs: TrainingPairs, k: int | None = None) -> tuple[tuple[np.ndarray, ...], int]:
        """Per dataset of ``pairs`` (the split read against), an (n_items, k) array of *local* item indices of
        each query item's negatives in rank order, -1 where it has fewer; ``k`` defaults to the most any item
        has. Negatives from another training dataset (possible when several are pooled) cannot be named by a
        local index and are left out; the second value counts them."""
        k = max((len(x) for x in self.per_item), default=0) if k is None else k
        out, dropped = [], 0
        for d in range(len(pairs.datasets)):
            lo, hi = int(pairs.item_offsets[d]), int(pairs.item_offsets[d + 1])
            slots = np.full((hi - lo, k), -1, dtype=np.int64)
            for i in range(lo, hi):
                negs = self.per_item[i]
                local = negs[(negs >= lo) & (negs < hi)] - lo
                dropped += len(negs) - len(local)
                slots[i - lo, :min(k, len(local))] = local[:k]
            out.append(slots)
        return tuple(out), dropped


def negative_record(table: ItemTable, query: int, negative: int, rank: int, score: float) -> dict[str, Any]:
    """One entry of a line's ``negatives`` list."""
    dataset, nid = table.name_of(negative)
    record: dict[str, Any] = {"id": nid, "lang": table.lang[negative]}
    if table.dataset[negative] != table.dataset[query]:
        record["dataset"] = dataset
    record.update(rank=int(rank), score=round(float(score), 6))
    return record


def query_record(table: ItemTable, query: int, negatives: list[dict[str, Any]]) -> dict[str, Any]:
    dataset, qid = table.name_of(query)
    return {"dataset": dataset, "query_id": qid, "lang": table.lang[query], "negatives": negatives}


def write_negatives(path: str | Path, header: dict[str, Any], records: Iterable[dict[str, Any]]) -> Path:
    """Write the header and the records as JSONL, atomically (a temporary file renamed into place);
    the folder is created. ``header`` gets ``format`` and ``version`` first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    head = {"format": FORMAT, "version": VERSION} | {k: v for k, v in header.items() if k not in ("format", "version")}
    with atomic_file(path) as handle:
        handle.write((json.dumps(head, ensure_ascii=False) + "\n").encode("utf-8"))
        for record in records:
            handle.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def read_negatives(path: str | Path, pairs: TrainingPairs, policy: str | None = None) -> MinedNegatives:
    """Read and validate a negatives file against the training split ``pairs`` (the one it was mined
    for). ``policy``: the languages to enforce (default: the header's). Errors name the file and line."""
    path = Path(path)
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise HybridbatchError(f"cannot read negatives file ({exc.strerror})", path=path) from None
    table = ItemTable(pairs)
    per_item: list[list[int] | None] = [None] * len(table)
    header: dict[str, Any] | None = None
    with handle:
        try:
            for n, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                obj = _json_object(line, path, n)
                if header is None:
                    header = _check_header(obj, path, n)
                    policy = check_policy(policy) if policy is not None else header["policy"]
                    continue
                query, negatives = _check_line(obj, table, policy, path, n)
                if per_item[query] is not None:
                    raise HybridbatchError(f"query {obj['query_id']!r} of dataset {obj['dataset']!r} is listed "
                                           "twice", path=path, record=f"line {n}")
                per_item[query] = negatives
        except UnicodeDecodeError as exc:
            raise HybridbatchError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    if header is None:
        raise HybridbatchError("empty negatives file (no header line)", path=path)
    arrays = [np.array(x if x is not None else [], dtype=np.int64) for x in per_item]
    return MinedNegatives(path, header, str(policy), arrays)


def _json_object(line: str, path: Path, n: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise HybridbatchError(f"malformed JSON: {exc.msg}", path=path, record=f"line {n}") from None
    if not isinstance(obj, dict):
        raise HybridbatchError("expected a JSON object", path=path, record=f"line {n}")
    return obj


def _check_header(obj: dict[str, Any], path: Path, n: int) -> dict[str, Any]:
    record = f"line {n}"
    if obj.get("format") != FORMAT:
        raise HybridbatchError(f"not a negatives file: the first line should be the header with "
                               f"\"format\": \"{FORMAT}\"", path=path, record=record)
    if obj.get("version") != VERSION:
        raise HybridbatchError(f"negatives file version {obj.get('version')!r}; this hybridbatch reads version "
                               f"{VERSION}", path=path, record=record)
    if obj.get("policy") not in POLICIES:
        raise HybridbatchError(f"header 'policy' is {obj.get('policy')!r}; expected one of {', '.join(POLICIES)}",
                               path=path, record=record)
    return obj


def _field(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path, record: str, what: str = ""):
    value = obj.get(key)
    if value is None:
        raise HybridbatchError(f"{what}missing field '{key}'", path=path, record=record)
    if not isinstance(value, kind) or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise HybridbatchError(f"{what}'{key}' should be a {'non-empty ' if kind is str else ''}{names}, "
                               f"got {json.dumps(value, ensure_ascii=False)[:40]}", path=path, record=record)
    return value


def _check_line(obj: dict[str, Any], table: ItemTable, policy: str, path: Path, n: int) -> tuple[int, list[int]]:
    record = f"line {n}"
    unknown = set(obj) - _LINE_FIELDS
    if unknown:
        raise HybridbatchError(f"unknown field(s) {', '.join(sorted(unknown))}", path=path, record=record)
    dataset = _field(obj, "dataset", str, path, record)
    query_id = _field(obj, "query_id", str, path, record)
    lang = _field(obj, "lang", str, path, record)
    negatives = _field(obj, "negatives", list, path, record)
    query = _lookup(table, dataset, query_id, lang, path, record, "query")
    out: list[int] = []
    for j, neg in enumerate(negatives):
        what = f"negative {j + 1}: "
        if not isinstance(neg, dict):
            raise HybridbatchError(f"{what}expected a JSON object", path=path, record=record)
        unknown = set(neg) - _NEGATIVE_FIELDS
        if unknown:
            raise HybridbatchError(f"{what}unknown field(s) {', '.join(sorted(unknown))}", path=path, record=record)
        nid = _field(neg, "id", str, path, record, what)
        nlang = _field(neg, "lang", str, path, record, what)
        ndataset = _field(neg, "dataset", str, path, record, what) if "dataset" in neg else dataset
        rank = _field(neg, "rank", int, path, record, what)
        score = _field(neg, "score", (int, float), path, record, what)
        if rank < 1:
            raise HybridbatchError(f"{what}'rank' {rank} should be >= 1", path=path, record=record)
        if not math.isfinite(score):
            raise HybridbatchError(f"{what}'score' should be a finite number", path=path, record=record)
        index = _lookup(table, ndataset, nid, nlang, path, record, f"{what}passage")
        if table.dataset[index] == table.dataset[query] and table.group[index] == table.group[query]:
            raise HybridbatchError(f"{what}{nid!r} is in the query's own parallel group (a positive)",
                                   path=path, record=record)
        if table.cluster[index] == table.cluster[query]:
            raise HybridbatchError(f"{what}{nid!r} is in the query's conflict cluster (it shares a passage or "
                                   "question text with the query's group: a positive)", path=path, record=record)
        if not policy_allows(policy, lang, nlang):
            rule = "the query's language" if policy == "same-language" else "a language other than the query's"
            raise HybridbatchError(f"{what}{nid!r} is in {nlang!r}, but policy {policy} asks for {rule} ({lang!r})",
                                   path=path, record=record)
        if index in out:
            raise HybridbatchError(f"{what}{nid!r} is listed twice", path=path, record=record)
        out.append(index)
    return query, out


def _lookup(table: ItemTable, dataset: str, iid: str, lang: str, path: Path, record: str, what: str) -> int:
    ids = table.ids.get(dataset)
    if ids is None:
        raise HybridbatchError(f"unknown dataset {dataset!r} (training datasets: {', '.join(table.dataset_names)})",
                               path=path, record=record)
    index = ids.get(iid)
    if index is None:
        raise HybridbatchError(f"{what} id {iid!r} is not a training item of dataset {dataset!r} (not in the "
                               "training split: mined for another training config, or another seed's validation "
                               "split?)", path=path, record=record)
    if table.lang[index] != lang:
        raise HybridbatchError(f"{what} id {iid!r} has language {table.lang[index]!r}, but 'lang' says {lang!r}",
                               path=path, record=record)
    return index
