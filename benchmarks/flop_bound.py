"""The FLOP bound as a yardstick for the speed benchmarks: the arithmetic a forward pass cannot avoid, and the
measured matrix-multiply peak it would take at best.

Forward FLOPs of a BERT / XLM-R-style encoder (hidden size d, FFN size d_ff, L layers) on one text of n tokens::

    L · [ 2·n·(4·d² + 2·d·d_ff)  +  2·2·n²·d ]

the first term the dense matmuls (Q, K, V and output projections: 4·d², FFN up and down: 2·d·d_ff; 2 FLOPs per
multiply-add), the second the attention scores Q·Kᵀ and the weighted sum A·V (n²·d multiply-adds each, all heads
together). Left out: embedding lookups, layer norms, softmax, biases, activations and pooling (lookups are no
arithmetic; the rest is O(n·d) per layer, small next to the matmuls). A training step counts 3 × the forward
FLOPs of the part trained (forward, backward for the inputs, backward for the weights; the usual convention);
freezing the word embeddings changes nothing, since lookups are not counted.

Useful FLOPs count each text's own tokens; padded FLOPs count every text at the length of the longest text of
its batch, as batches of length-sorted texts are padded (sentence-transformers sorts by text length, longest
first). bound = FLOPs / peak, peak = :func:`gemm_peak` in the precision of the system; time / bound is how far
a system is from spending every cycle on useful matmul (1.0).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from hybridbatch.models.batching import token_length_batches, token_lengths


def encoder_shape(model) -> tuple[int, int, int]:
    """(hidden size d, FFN size d_ff, layers) of a sentence-transformers model's transformer (its HF config)."""
    config = model[0].auto_model.config
    return int(config.hidden_size), int(config.intermediate_size), int(config.num_hidden_layers)


def encoder_flops(model, token_counts: Sequence[int]) -> float:
    """Forward FLOPs of ``model`` on texts of ``token_counts`` tokens: Σ_n L·[2·n·(4·d² + 2·d·d_ff) + 4·n²·d]
    (the module docstring). ``model`` may also be a (d, d_ff, layers) tuple."""
    d, d_ff, layers = model if isinstance(model, tuple) else encoder_shape(model)
    n = np.asarray(token_counts, dtype=np.float64)
    return float(layers * (2 * n * (4 * d * d + 2 * d * d_ff) + 4 * n * n * d).sum())


def training_step_flops(model, token_counts: Sequence[int]) -> float:
    """3 × :func:`encoder_flops`: forward, backward for inputs, backward for weights."""
    return 3 * encoder_flops(model, token_counts)


def token_counts(model, texts: Sequence[str], prompt: str | None = None, batch_size: int = 32) -> dict:
    """Tokens each text gets as ``model`` tokenises it (``prompt`` prepended, truncated at its max_seq_length),
    and the padded count when encoded in batches of ``batch_size`` sorted by token count, longest first (as
    hybridbatch's encoder batches, :mod:`hybridbatch.models.batching`), and sorted by characters (as
    sentence-transformers' own ``encode`` batches).

    Returns ``{"lengths": per text, "padded_lengths": per text (its batch's longest), "useful": Σ lengths,
    "padded": Σ padded_lengths, "padded_by_characters": the same Σ for character order}``, per-text lists in
    input order.
    """
    lengths = token_lengths(model, texts, prompt)

    def padded_for(batches: list[np.ndarray]) -> np.ndarray:
        padded = np.zeros_like(lengths)
        for batch in batches:
            padded[batch] = lengths[batch].max()
        return padded

    padded = padded_for(token_length_batches(model, texts, prompt, batch_size))  # the encoder's own batches
    by_characters = np.argsort([-len(t) for t in texts], kind="stable")
    by_characters = padded_for([by_characters[i:i + batch_size] for i in range(0, len(texts), batch_size)])
    return {"lengths": lengths.tolist(), "padded_lengths": padded.tolist(), "useful": int(lengths.sum()),
            "padded": int(padded.sum()), "padded_by_characters": int(by_characters.sum())}


def gemm_peak(dtype: str = "fp32", threads: int | None = None, size: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of the best of ``repeats`` ``size``³ ``torch.mm`` in ``dtype`` (fp32, or bf16 on bf16 tensors)
    with ``threads`` torch threads (default: as set), after one warm-up; torch's thread count is restored."""
    import torch

    kind = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        a, b = torch.randn(size, size).to(kind), torch.randn(size, size).to(kind)
        torch.mm(a, b)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            torch.mm(a, b)
            best = min(best, time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)
    return 2 * size ** 3 / best / 1e9
