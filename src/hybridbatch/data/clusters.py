"""Conflict clusters of parallel groups from normalised-text keys, on integer arrays only.

Two groups conflict when any of their items share a normalised passage text or a normalised query text
(:func:`normalize_text`); a conflict cluster is a connected component of that relation. Texts are reduced
once to 64-bit keys (:func:`text_keys`, xxh3 of the normalised UTF-8 text), so clustering millions of items
holds no string: a bipartite graph (node -> key) goes through scipy's connected components. Two distinct
texts sharing a 64-bit key (probability about n^2 / 2^65 for n texts) would only merge two clusters: the
sampler becomes more careful, never wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import xxhash
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC, casefold, collapse runs of whitespace to one space, strip."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def text_key(text: str) -> int:
    """The 64-bit key of ``normalize_text(text)``."""
    return xxhash.xxh3_64_intdigest(normalize_text(text).encode("utf-8"))


def text_keys(texts: Iterable[str | None]) -> np.ndarray:
    """``uint64`` keys of the texts (:func:`text_key`); a missing text (None) gets key 0."""
    return np.fromiter((text_key(t) if t is not None else 0 for t in texts), dtype=np.uint64)


def components(n_nodes: int, item_node: np.ndarray, *item_keys: np.ndarray) -> np.ndarray:
    """Component of each node when node ``item_node[i]`` is joined to every other node whose items share
    a key in the same key array (each array is its own namespace, e.g. passages and queries).

    Components are numbered by their smallest node, so node 0 is in component 0 and numbering follows the
    node order: exactly what a union-find that keeps the smaller root gives."""
    item_node = np.asarray(item_node)
    rows, cols = [], []
    offset = n_nodes
    for keys in item_keys:
        uniq, key_id = np.unique(np.asarray(keys, dtype=np.uint64), return_inverse=True)
        rows.append(item_node)
        cols.append(key_id + offset)
        offset += len(uniq)
    index = np.int32 if offset < 2 ** 31 else np.int64  # half the graph's memory for up to 2^31 nodes
    if rows:
        r, c = np.concatenate(rows).astype(index), np.concatenate(cols).astype(index)
    else:
        r = c = np.empty(0, dtype=index)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(offset, offset)).tocsr()
    del r, c
    _, label = connected_components(graph, directed=False)
    node_label = label[:n_nodes]
    _, first = np.unique(node_label, return_index=True)  # label -> smallest node (nodes scanned in order)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    labels_sorted = np.unique(node_label)
    return rank[np.searchsorted(labels_sorted, node_label)]
