"""Dynamic int8 quantization of a tiny model."""

from __future__ import annotations

import numpy as np
from torch import nn

from hybridbatch.models.loading import load_model
from hybridbatch.models.quantize import quantize_int8


def test_linear_layers_are_quantized_and_original_kept(tiny_model_dir):
    model = load_model(str(tiny_model_dir))
    quantized = quantize_int8(model)
    assert not any(type(m) is nn.Linear for m in quantized.modules())
    assert any(type(m) is nn.Linear for m in model.modules())
    texts = ["the cat sat on the mat", "el perro duerme", "berlin ist die hauptstadt von deutschland"]
    ref = model.encode(texts)
    got = quantized.encode(texts)
    assert got.shape == ref.shape
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cos = (ref * got).sum(axis=1)
    assert cos.min() > 0.95 and not np.allclose(ref, got)


def test_keep_fp32_leaves_matching_layers_alone(tiny_model_dir):
    from hybridbatch.models.quantize import BERT_FFN_OUTPUT

    model = load_model(str(tiny_model_dir))
    quantized = quantize_int8(model, keep_fp32=[BERT_FFN_OUTPUT])
    kept = sorted(name for name, m in quantized.named_modules() if type(m) is nn.Linear)
    assert kept == [f"0.model.encoder.layer.{i}.output.dense" for i in range(2)]
    assert type(quantized[0].auto_model.encoder.layer[0].attention.output.dense) is not nn.Linear
