"""benchmarks/flop_bound.py: encoder FLOPs against a hand computation, token counts on the tiny model (useful
and padded in length-sorted batches), and a GEMM peak that is a positive number (no timing assertions)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from flop_bound import (  # noqa: E402
    encoder_flops,
    encoder_shape,
    gemm_peak,
    token_counts,
    training_step_flops,
)


@pytest.fixture
def tiny_model(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_model_dir), device="cpu")


def test_encoder_flops_match_a_hand_computation(tiny_model):
    assert encoder_shape(tiny_model) == (32, 64, 2)  # tests/conftest.py: hidden 32, FFN 64, 2 layers
    # one text of 5 tokens, per layer: dense 2·5·(4·32² + 2·32·64) = 81920, attention 2·2·5²·32 = 3200
    assert encoder_flops(tiny_model, [5]) == 2 * (81920 + 3200)
    # texts add up; 0 tokens cost nothing
    assert encoder_flops(tiny_model, [5, 3, 0]) == encoder_flops(tiny_model, [5]) + encoder_flops(tiny_model, [3])
    assert encoder_flops((32, 64, 2), [5]) == encoder_flops(tiny_model, [5])
    assert training_step_flops(tiny_model, [5, 3]) == 3 * encoder_flops(tiny_model, [5, 3])


def test_token_counts_useful_and_padded_on_the_tiny_model(tiny_model):
    texts = ["madrid", "the cat sat on the mat and then it slept all day", "der hund schläft", "paris"]
    plain = token_counts(tiny_model, texts, batch_size=2)
    each = [int(tiny_model.preprocess([t])["attention_mask"].sum()) for t in texts]
    assert plain["lengths"] == each and plain["useful"] == sum(each)
    # the encoder's batches: sorted by token count, longest first, ties in input order
    order = sorted(range(4), key=lambda i: -each[i])
    expected = [0] * 4
    for batch in (order[:2], order[2:]):
        for i in batch:
            expected[i] = max(each[j] for j in batch)
    assert plain["padded_lengths"] == expected
    assert plain["padded"] == sum(plain["padded_lengths"]) >= plain["useful"]
    # sentence-transformers' own batches, by text length: (cat, hund) then (madrid, paris)
    assert plain["padded_by_characters"] == 2 * max(each[0], each[3]) + 2 * max(each[1], each[2])
    assert plain["padded_by_characters"] >= plain["padded"]
    prompted = token_counts(tiny_model, texts, "query: ", batch_size=2)
    extra = int(tiny_model.preprocess(["query: x"])["attention_mask"].sum()) - int(
        tiny_model.preprocess(["x"])["attention_mask"].sum())
    assert extra > 0 and prompted["lengths"] == [n + extra for n in each]
    assert token_counts(tiny_model, texts, batch_size=1)["padded"] == plain["useful"]
    long = token_counts(tiny_model, [" ".join(["cat"] * 500)])
    assert long["lengths"] == [tiny_model.max_seq_length]  # truncated as the model truncates


def test_gemm_peak_is_a_positive_rate():
    for dtype in ("fp32", "bf16"):
        assert gemm_peak(dtype, threads=1, size=64, repeats=2) > 0
    with pytest.raises(KeyError):
        gemm_peak("int4", size=64)
