"""Encoding batches by token count: the order and the vectors (which must not depend on it)."""

from __future__ import annotations

import numpy as np
import pytest

from hybridbatch.encoding import SentenceTransformerEncoder
from hybridbatch.models import load_model
from hybridbatch.models.batching import token_length_batches, token_lengths

TEXTS = ["a", "the cat sat on the mat and then it slept all day long", "der hund", "bb cc dd ee",
         "madrid paris rome", "x y"]


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return load_model(str(tiny_model_dir))


def test_batches_hold_texts_of_similar_token_counts_longest_first(model):
    lengths = token_lengths(model, TEXTS, "query: ")
    assert lengths.tolist() == [int(model.preprocess([t], prompt="query: ")["attention_mask"].sum()) for t in TEXTS]
    batches = token_length_batches(model, TEXTS, "query: ", 4)
    assert [len(b) for b in batches] == [4, 2]
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(TEXTS)))
    assert lengths[flat].tolist() == sorted(lengths.tolist(), reverse=True)
    with pytest.raises(ValueError, match="batch_size"):
        token_length_batches(model, TEXTS, None, 0)


def test_vectors_do_not_depend_on_the_batching(model):
    encoder = SentenceTransformerEncoder(model, batch_size=2, show_progress=False, precision="fp32")
    batched = encoder.encode_queries(TEXTS)
    one_by_one = np.concatenate([encoder.encode_queries([t]) for t in TEXTS])
    reference = model.encode(TEXTS, prompt=encoder.query_prompt or None, normalize_embeddings=True)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)  # padding is masked: float rounding only
    np.testing.assert_allclose(batched, reference, atol=1e-5)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
