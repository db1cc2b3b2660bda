"""Identities of a model's weights and tokenizer: hashes that change whenever its vectors could."""

from __future__ import annotations

import hashlib


def model_fingerprint(model) -> str:
    """sha256 over a torch module's state dict (names, shapes, dtypes, bytes).

    Independent of where the model was loaded from, so a copied folder hits the same cache and
    a fine-tuned one never does. Quantized modules (packed weights, dtype entries) are covered too.
    """
    digest = hashlib.sha256()
    for name, value in model.state_dict().items():
        _digest_value(digest, value, name)
    return digest.hexdigest()[:24]


def _digest_value(digest, value, name: str = "") -> None:
    import torch

    if isinstance(value, (tuple, list)):
        for item in value:
            _digest_value(digest, item, name)
    elif torch.is_tensor(value):
        t = value.detach().cpu()
        if t.is_quantized:
            t = t.dequantize()
        t = t.contiguous()
        digest.update(f"{name}|{tuple(t.shape)}|{t.dtype}".encode())
        if t.dtype == torch.bfloat16:
            t = t.to(torch.float32)
        digest.update(t.numpy().tobytes())
    else:
        digest.update(f"{name}|{value!r}".encode())


def tokenizer_fingerprint(model) -> str:
    """sha256 of the fast tokenizer's full JSON (vocabulary, normaliser, templates), or of its vocab."""
    tokenizer = getattr(model, "tokenizer", None)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        text = backend.to_str()
    elif tokenizer is not None and hasattr(tokenizer, "get_vocab"):
        text = repr(sorted(tokenizer.get_vocab().items()))
    else:
        text = ""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def tokenizer_signature(model) -> str:
    """Like :func:`tokenizer_fingerprint` but without the transient truncation and padding state (which a
    tokenizer's JSON records after use): equal for two models that tokenize every text the same way."""
    import json

    tokenizer = getattr(model, "tokenizer", None)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return tokenizer_fingerprint(model)
    spec = json.loads(backend.to_str())
    spec.pop("truncation", None)
    spec.pop("padding", None)
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]
