"""Two tiny models of one architecture and tokenizer: a base and a perturbed ("fine-tuned") copy."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def base_and_tuned(tmp_path_factory) -> tuple[Path, Path]:
    """(base folder, tuned folder); the tuned model is the base plus noise, saved with max_seq_length 48."""
    import torch
    from sentence_transformers import SentenceTransformer

    from tests.conftest import build_tiny_model

    base_dir = build_tiny_model(tmp_path_factory.mktemp("base"), seed=0)
    tuned = copy.deepcopy(SentenceTransformer(str(base_dir), device="cpu"))
    with torch.no_grad():
        for p in tuned.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    tuned.max_seq_length = 48
    tuned_dir = tmp_path_factory.mktemp("tuned") / "st"
    tuned.save(str(tuned_dir))
    return base_dir, tuned_dir
