import numpy as np
import pytest

from hybridbatch.encoding import (
    EmbeddingCache,
    SentenceTransformerEncoder,
    current_description,
    encode_texts,
    model_fingerprint,
    pass_description,
)
from hybridbatch.errors import HybridbatchError
from tests.conftest import MockEncoder


def test_each_distinct_text_is_encoded_once_and_order_is_kept(mock_encoder):
    texts = ["b", "a", "b", "c", "a"]
    vectors, n_new = encode_texts(mock_encoder, texts, "passage")
    assert n_new == 3
    assert sorted(mock_encoder.encoded) == ["a", "b", "c"]
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_array_equal(vectors[1], mock_encoder._vec("p:a"))


def test_second_pass_is_served_from_cache(mock_encoder, tmp_path):
    first, n1 = encode_texts(mock_encoder, ["x", "y"], "query", cache_root=tmp_path)
    mock_encoder.encoded.clear()
    second, n2 = encode_texts(mock_encoder, ["y", "x", "z"], "query", cache_root=tmp_path)
    assert (n1, n2) == (2, 1)
    assert mock_encoder.encoded == ["z"]
    np.testing.assert_array_equal(second[1], first[0])


def test_query_and_passage_sides_do_not_share_cache_entries(mock_encoder, tmp_path):
    q, _ = encode_texts(mock_encoder, ["same"], "query", cache_root=tmp_path)
    p, n = encode_texts(mock_encoder, ["same"], "passage", cache_root=tmp_path)
    assert n == 1
    assert not np.allclose(q, p)
    assert EmbeddingCache.key("query", "t") != EmbeddingCache.key("passage", "t")


def test_empty_text_is_refused(mock_encoder):
    with pytest.raises(HybridbatchError, match="empty text at position 1"):
        encode_texts(mock_encoder, ["ok", "  "], "query")


def test_sentence_transformer_encoder_prompts_and_identity(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    plain = SentenceTransformerEncoder(model, show_progress=False)
    prefixed = SentenceTransformerEncoder(model, query_prompt="query: ", show_progress=False)
    assert plain.identity != prefixed.identity
    q = prefixed.encode_queries(["paris is the capital"])
    direct = model.encode(["query: paris is the capital"], normalize_embeddings=True)
    np.testing.assert_allclose(q, direct, atol=1e-6)
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)


def test_fingerprint_changes_with_weights(tiny_model_dir):
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    before = model_fingerprint(model)
    assert model_fingerprint(SentenceTransformer(str(tiny_model_dir), device="cpu")) == before
    with torch.no_grad():
        next(model.parameters()).add_(1e-3)
    assert model_fingerprint(model) != before


def test_identity_changes_with_the_tokenizer(tiny_model_dir):
    from sentence_transformers import SentenceTransformer
    from tokenizers import normalizers

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    before = SentenceTransformerEncoder(model, show_progress=False).identity
    model.tokenizer.backend_tokenizer.normalizer = normalizers.Lowercase()
    assert SentenceTransformerEncoder(model, show_progress=False).identity != before


def test_int8_model_has_its_own_identity_and_encodes(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    from hybridbatch.models.quantize import quantize_int8

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    int8 = quantize_int8(model)
    a = SentenceTransformerEncoder(model, show_progress=False)
    b = SentenceTransformerEncoder(int8, show_progress=False)
    assert a.identity != b.identity
    assert b.identity == SentenceTransformerEncoder(int8, show_progress=False).identity
    vectors, n = encode_texts(b, ["paris is the capital"], "passage")
    assert n == 1 and vectors.shape == (1, 32)


def test_bf16_encoding_has_its_own_identity_and_stays_close_to_fp32(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    fp32 = SentenceTransformerEncoder(model, show_progress=False)
    bf16 = SentenceTransformerEncoder(model, show_progress=False, precision="bf16")
    assert fp32.identity != bf16.identity
    texts = ["paris is the capital", "berlin liegt an der spree", "el agua hierve a cien grados"]
    a, b = fp32.encode_passages(texts), bf16.encode_passages(texts)
    assert b.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)  # normalised in fp32
    cosines = (a * b).sum(axis=1)
    assert cosines.min() > 0.99 and not np.array_equal(a, b)


def test_unknown_precision_is_refused(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    with pytest.raises(HybridbatchError, match="unknown precision 'fp8'"):
        SentenceTransformerEncoder(model, precision="fp8")


class DescribedEncoder(MockEncoder):
    """Records the pass description in effect at each call."""

    def __init__(self) -> None:
        super().__init__()
        self.descriptions: list[str | None] = []

    def encode_queries(self, texts):
        self.descriptions.append(current_description())
        return super().encode_queries(texts)

    def encode_passages(self, texts):
        self.descriptions.append(current_description())
        return super().encode_passages(texts)


def test_pass_descriptions():
    assert pass_description("passage", "xquad-r", (2, 2)) == "encoding xquad-r passages (2/2)"
    assert pass_description("query") == "encoding queries"
    assert pass_description("passages", "corpus", (1, 1)) == "encoding corpus passages (1/1)"


def test_each_pass_is_described_while_it_encodes_and_only_then():
    encoder = DescribedEncoder()
    encode_texts(encoder, ["a"], "query", cache=False, label="xquad-r", step=(1, 2))
    encode_texts(encoder, ["b"], "passage", cache=False, label="xquad-r", step=(2, 2))
    assert encoder.descriptions == ["encoding xquad-r queries (1/2)", "encoding xquad-r passages (2/2)"]
    assert current_description() is None


def test_the_progress_bar_names_the_texts_and_the_pass(tiny_model_dir, capsys):
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformerEncoder(SentenceTransformer(str(tiny_model_dir), device="cpu"), batch_size=2)
    capsys.readouterr()
    encode_texts(encoder, ["a b", "c", "d e f"], "passage", cache=False, label="xquad-r", step=(2, 2))
    err = capsys.readouterr().err
    assert "encoding xquad-r passages (2/2)" in err and "Batches" not in err
    encode_texts(encoder, ["g"], "query", cache=False)
    assert "encoding queries" in capsys.readouterr().err


def test_evaluate_names_the_benchmark_and_the_pass(lareqa_tiny, tmp_path):
    from hybridbatch.evaluation.config import EvaluationConfig
    from hybridbatch.evaluation.runner import run_evaluation

    encoder = DescribedEncoder()
    cfg = EvaluationConfig(benchmark=f"lareqa:{lareqa_tiny}", model="mock", perturb=["lowercase"])
    run_evaluation(cfg, tmp_path / "out", encoder=encoder)
    assert encoder.descriptions == ["encoding lareqa_tiny queries (1/3)", "encoding lareqa_tiny passages (2/3)",
                                    "encoding lareqa_tiny lowercase:1 queries (3/3)"]


SENTENCES = ["paris is the capital of france", "der hund schläft", "the cat sat on the mat and then slept all day",
             "¿cuál es la capital de españa?", "madrid", "wie heißt die hauptstadt von deutschland", "a b c"]


def failing_after(model, monkeypatch, calls: int):
    """``model.encode`` fails at its ``calls``-th call (one call per batch); returns the real one."""
    real, seen = model.encode, []

    def encode(*args, **kwargs):
        seen.append(1)
        if len(seen) == calls:
            raise RuntimeError("interrupted")
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "encode", encode)
    return real


def test_an_interrupted_pass_keeps_its_finished_batches_and_the_next_call_encodes_only_the_rest(
        tiny_model_dir, tmp_path, monkeypatch):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    encoder = SentenceTransformerEncoder(model, show_progress=False, batch_size=2, precision="fp32")
    expected, _ = encode_texts(encoder, SENTENCES, "passage", cache=False)
    real = failing_after(model, monkeypatch, calls=3)  # batches of 2: the first two finish, the third fails
    with pytest.raises(RuntimeError, match="interrupted"):
        encode_texts(encoder, SENTENCES, "passage", cache_root=tmp_path)
    keys = [EmbeddingCache.key("passage", t) for t in SENTENCES]
    store = EmbeddingCache(encoder.identity, tmp_path)
    assert len(store.get_many(keys)) == 4  # written when the pass failed, though fewer than CACHE_WRITE_TEXTS
    store.close()
    monkeypatch.setattr(model, "encode", real)
    vectors, fresh = encode_texts(encoder, SENTENCES, "passage", cache_root=tmp_path)
    assert fresh == 3
    np.testing.assert_array_equal(vectors, expected)  # the rest in the same batches: the same vectors


def test_a_long_pass_writes_the_cache_as_it_goes(tiny_model_dir, tmp_path, monkeypatch):
    from sentence_transformers import SentenceTransformer

    from hybridbatch import encoding

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    encoder = SentenceTransformerEncoder(model, show_progress=False, batch_size=2)
    writes: list[int] = []
    real_put = EmbeddingCache.put_many
    monkeypatch.setattr(encoding, "CACHE_WRITE_TEXTS", 3)
    monkeypatch.setattr(EmbeddingCache, "put_many", lambda self, items: (writes.append(len(items)),
                                                                         real_put(self, items)))
    vectors, fresh = encode_texts(encoder, SENTENCES, "query", cache_root=tmp_path)
    assert fresh == 7 and writes == [4, 3]  # batches 2+2 reach 3 waiting, then 2+1
    again, fresh = encode_texts(encoder, SENTENCES, "query", cache_root=tmp_path)
    assert fresh == 0
    np.testing.assert_array_equal(again, vectors)


def test_on_batch_sees_every_position_once_with_the_returned_vectors(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    encoder = SentenceTransformerEncoder(model, show_progress=False, batch_size=3)
    seen: dict[int, np.ndarray] = {}
    vectors = encoder.encode_queries(SENTENCES, on_batch=lambda pos, vec: seen.update(zip(pos.tolist(), vec)))
    assert sorted(seen) == list(range(len(SENTENCES)))
    np.testing.assert_array_equal(np.stack([seen[i] for i in range(len(SENTENCES))]), vectors)
