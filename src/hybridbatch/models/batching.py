"""Order texts for encoding so that each batch is padded as little as possible.

sentence-transformers sorts a call's texts by character length before batching; across scripts characters are a
poor measure of tokens (a Chinese sentence is short in characters and long in tokens), so its batches of mixed
languages carry much padding. Sorting by the token count the model will see keeps each batch's texts of similar
length. The vectors do not depend on the order (each text is encoded on its own, padding masked); only the work
does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def token_lengths(model, texts: Sequence[str], prompt: str | None = None) -> np.ndarray:
    """The number of tokens ``model`` gives each of ``texts`` with ``prompt`` prepended, special tokens included,
    truncated at the model's ``max_seq_length`` (as it will encode them)."""
    prefix = prompt or ""
    encoded = model.tokenizer([prefix + t for t in texts], truncation=True, max_length=model.max_seq_length,
                              add_special_tokens=True, return_attention_mask=False, return_token_type_ids=False)
    return np.fromiter((len(ids) for ids in encoded["input_ids"]), dtype=np.int64, count=len(texts))


def token_length_batches(model, texts: Sequence[str], prompt: str | None, batch_size: int) -> list[np.ndarray]:
    """Positions of ``texts`` in batches of ``batch_size``, longest first by token count (ties keep input order)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = np.argsort(-token_lengths(model, texts, prompt), kind="stable")
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
