"""int8 variants of the backend exports, for measurement only (:data:`hybridbatch.config.EXPERIMENTAL_BACKENDS`).

Each variant starts from the fp32 export of :mod:`hybridbatch.models.backends` (made or reused from its cache)
and is cached beside it, under its own key (the variant's name, the package versions, and for the calibrated
ones a hash of the calibration texts):

* ``onnx-int8-dynamic``: ONNX Runtime dynamic quantization (``quantize_dynamic``): MatMul/Gemm weights int8 per
  output channel, activations quantized per batch at run time; no calibration.
* ``onnx-int8-static``: ONNX Runtime static quantization (``quantize_static``) in QDQ format: weights int8 per
  channel, activations int8 with ranges (MinMax) measured on the calibration texts.
* ``openvino-int8``: NNCF post-training quantization (``nncf.quantize``, transformer preset) of the OpenVINO
  export, with the calibration texts as its dataset.

Only MatMul/Gemm are quantized in the ONNX variants (embedding lookups, normalisation and pooling stay fp32).
Calibration texts are whole inputs, prompt included (see
:func:`hybridbatch.evaluation.calibration.calibration_texts`); they are tokenised by the torch model as encoding
does. The variants run in fp32 around their int8 operations.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.config import EXPERIMENTAL_BACKENDS
from hybridbatch.errors import HybridbatchError
from hybridbatch.models.backends import (
    EXPORT_INFO,
    ONNX_FILE,
    OPENVINO_FILE,
    BackendModel,
    ensure_export,
    import_openvino,
    runtime,
)

log = logging.getLogger(__name__)
CALIBRATED = ("onnx-int8-static", "openvino-int8")
"""The variants that need calibration texts."""
QUANTIZED_OPS = ["MatMul", "Gemm"]
CALIBRATION_BATCH = 8


def calibration_key(texts: Sequence[str]) -> str:
    """A hash of the calibration texts, in order (part of a calibrated variant's export key)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    return f"calibration {len(texts)} {digest.hexdigest()[:24]}"


def calibration_feeds(model, names: list[str], texts: Sequence[str],
                      batch_size: int = CALIBRATION_BATCH) -> list[dict[str, np.ndarray]]:
    """The graph inputs of ``texts`` (prompts already in them) in batches of similar length, as encoding
    feeds them."""
    order = np.argsort([-len(t) for t in texts], kind="stable")
    feeds = []
    for start in range(0, len(texts), batch_size):
        features = model.preprocess([texts[i] for i in order[start:start + batch_size]])
        feeds.append({n: features[n].cpu().numpy().astype(np.int64) for n in names})
    return feeds


def _inputs(folder: Path) -> list[str]:
    return json.loads((folder / EXPORT_INFO).read_text(encoding="utf-8"))["inputs"]


def _onnx_dynamic(base: Path) -> Callable[[Any, Path], list[str]]:
    def export(model, folder: Path) -> list[str]:
        from onnxruntime.quantization import QuantType, quantize_dynamic  # deferred: onnxruntime

        quantize_dynamic(base / ONNX_FILE, folder / ONNX_FILE, op_types_to_quantize=QUANTIZED_OPS, per_channel=True,
                         weight_type=QuantType.QInt8)
        return _inputs(base)
    return export


def _onnx_static(base: Path, texts: Sequence[str]) -> Callable[[Any, Path], list[str]]:
    def export(model, folder: Path) -> list[str]:
        from onnxruntime.quantization import (  # deferred: onnxruntime
            CalibrationDataReader,
            QuantFormat,
            QuantType,
            quantize_static,
        )

        names = _inputs(base)

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.batches = iter(calibration_feeds(model, names, texts))

            def get_next(self):
                return next(self.batches, None)

        quantize_static(base / ONNX_FILE, folder / ONNX_FILE, Reader(), quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=QUANTIZED_OPS, per_channel=True, activation_type=QuantType.QInt8,
                        weight_type=QuantType.QInt8)
        return names
    return export


def _openvino_nncf(base: Path, texts: Sequence[str]) -> Callable[[Any, Path], list[str]]:
    def export(model, folder: Path) -> list[str]:
        openvino = import_openvino()
        import nncf  # deferred: nncf

        names = _inputs(base)
        feeds = calibration_feeds(model, names, texts)
        fp32 = openvino.Core().read_model(str(base / OPENVINO_FILE))
        quantized = nncf.quantize(fp32, nncf.Dataset(feeds), model_type=nncf.ModelType.TRANSFORMER,
                                  subset_size=len(feeds))
        openvino.save_model(quantized, str(folder / OPENVINO_FILE), compress_to_fp16=False)
        return names
    return export


def ensure_quantized(model, backend: str, *, calibration: Sequence[str] | None = None,
                     fingerprint: str | None = None) -> Path:
    """The export folder of the int8 variant ``backend`` of ``model`` (made once per model, versions and, for
    the calibrated variants, calibration texts)."""
    if backend not in EXPERIMENTAL_BACKENDS:
        raise HybridbatchError(f"{backend!r} is not an int8 variant; expected {', '.join(EXPERIMENTAL_BACKENDS)}")
    texts = list(calibration or [])
    if backend in CALIBRATED and not texts:
        raise HybridbatchError(f"backend {backend} needs calibration texts")
    extra = calibration_key(texts) if backend in CALIBRATED else ""
    base = ensure_export(model, runtime(backend), fingerprint=fingerprint)
    exporter = {"onnx-int8-dynamic": lambda: _onnx_dynamic(base), "onnx-int8-static": lambda: _onnx_static(base, texts),
                "openvino-int8": lambda: _openvino_nncf(base, texts)}[backend]()
    return ensure_export(model, backend, fingerprint=fingerprint, extra=extra, exporter=exporter)


def load_quantized(model, backend: str, precision: str, *, calibration: Sequence[str] | None = None,
                   fingerprint: str | None = None) -> BackendModel:
    """The int8 variant ``backend`` of ``model``, exported once and opened; ``precision`` must be fp32."""
    if precision != "fp32":
        raise HybridbatchError(f"backend {backend} runs in fp32 around its int8 operations, got {precision!r}")
    folder = ensure_quantized(model, backend, calibration=calibration, fingerprint=fingerprint)
    return BackendModel(model, backend, folder, precision)
