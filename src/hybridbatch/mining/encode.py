"""The vectors mining ranks with: every training query and passage, encoded exactly as the distillation
targets are (:func:`hybridbatch.training.losses.distill_targets`), so both share one embedding cache.

What makes the cache entries the same: the encoder identity (weights, tokenizer, the prompts of
:func:`hybridbatch.training.runtime.resolve_prompts`, the model's max length = ``training.max_seq_length``,
the resolved precision) and the texts (``Item.query``; :meth:`PairSet.passage_text`, context included when
the dataset trains on it). Batch size and label do not enter the identity.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.encoding import Encoder, encode_texts


@dataclass
class EncodedItems:
    """Query and passage vectors of every global item (rows in :attr:`TrainingPairs.item_offsets` order)."""

    queries: np.ndarray
    passages: np.ndarray
    n_texts: int          # distinct texts looked up (queries + passages)
    n_encoded: int        # of those, encoded now (not found in the cache)
    seconds: float
    identity: str


def training_encoder(model, prompts: dict[str, str], precision: str, *, show_progress: bool = True):
    """The distillation targets' encoder (:func:`hybridbatch.training.losses.targets_encoder`): same identity."""
    from hybridbatch.training.losses import targets_encoder  # deferred: torch, sentence-transformers

    return targets_encoder(model, prompts, precision, show_progress=show_progress)


def encode_items(encoder: Encoder, pairs: TrainingPairs, *, cache: bool = True) -> EncodedItems:
    """Every item's query and passage through :func:`encode_texts` (cached, each distinct text once)."""
    every = np.arange(pairs.n_items)
    queries, passages = pairs.texts("query", every), pairs.texts("passage", every)
    start = time.perf_counter()
    Q, q_new = encode_texts(encoder, queries, "query", cache=cache, label="training", step=(1, 2))
    P, p_new = encode_texts(encoder, passages, "passage", cache=cache, label="training", step=(2, 2))
    n_texts = len(set(queries)) + len(set(passages))
    return EncodedItems(Q, P, n_texts, q_new + p_new, time.perf_counter() - start, encoder.identity)
