"""Optional inference backends for encoding: ONNX Runtime (``onnx``) and OpenVINO (``openvino``).

sentence-transformers' own ``backend="onnx"`` / ``"openvino"`` load through Optimum, and the Optimum
releases on the package index do not import with transformers 5.x (optimum-onnx 0.1.0 requires
transformers < 4.58 and imports ``transformers.modeling_utils.get_parameter_dtype``, gone in 5.x;
optimum-intel 2.2.0 requires transformers < 5.6 and imports a Qwen2-VL class that 5.25 no longer has).
So the export is made here, from the in-memory torch model: its whole forward pass (transformer, pooling,
normalisation) becomes one graph from token ids to the sentence embedding. ``onnx`` traces it with torch's ONNX
exporter and runs it with ONNX Runtime; ``openvino`` converts it with OpenVINO's own PyTorch front end
(``convert_model``; OpenVINO is imported with its usage telemetry off, see :func:`import_openvino`) and runs it
with the ``THROUGHPUT`` hint: one stream per group of cores, batches in flight on all streams at once.
Tokenisation and prompts stay the torch model's own (``model.preprocess``), so a backend sees the very token ids
torch sees, and the torch model stays the identity of the vectors.

Contracts:

* one export per key, under ``cache_dir()/backends/<key>``; the key covers the weights, tokenizer, module
  configuration and max length of the torch model, the backend, the versions of the packages that export
  and run it and :data:`EXPORT_FORMAT`. An existing export is never redone; an export of another model or
  other versions is never reused. An export is written to a temporary folder and renamed when whole.
* a missing package, a failed export or an unreadable export is a one-line :class:`HybridbatchError`
  naming the extra to install.
* precision: ``onnx`` runs fp32 only (``auto`` means fp32, ``bf16`` is refused); ``openvino`` runs with
  ``INFERENCE_PRECISION_HINT`` f32 for fp32 (OpenVINO would otherwise choose bf16 on CPUs with AMX or
  AVX512-BF16) and bf16 for bf16, ``auto`` resolving as for torch (:func:`hybridbatch.hardware.resolve_precision`).
* the int8 variants of :data:`hybridbatch.config.EXPERIMENTAL_BACKENDS` (made by
  :mod:`hybridbatch.models.quantized_backends`) share the key, cache and loading here; they run in fp32 around
  their int8 operations (``auto`` means fp32, ``bf16`` is refused) on the runtime their name starts with.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import shutil
import sys
import tempfile
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from hybridbatch.config import BACKENDS, EXPERIMENTAL_BACKENDS
from hybridbatch.errors import HybridbatchError
from hybridbatch.hardware import resolve_precision
from hybridbatch.models.batching import token_length_batches
from hybridbatch.models.fingerprint import model_fingerprint, tokenizer_signature
from hybridbatch.settings import cache_dir

log = logging.getLogger(__name__)

EXPORT_FORMAT = 2
"""Raise when the exported files change (graph inputs or outputs, file names, export options)."""
EXPORT_INFO = "export.json"
ONNX_FILE = "model.onnx"
OPENVINO_FILE = "openvino_model.xml"
GRAPH_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
RunBatches = Callable[[Iterable[tuple[Any, dict[str, np.ndarray]]]], Iterator[tuple[Any, np.ndarray]]]
"""Runs ``(key, feeds)`` batches and yields ``(key, output)`` pairs, in any order."""
MODULES = {"onnx": ("onnx", "onnxscript", "onnxruntime"), "openvino": ("openvino",),
           "onnx-int8-dynamic": ("onnx", "onnxscript", "onnxruntime"),
           "onnx-int8-static": ("onnx", "onnxscript", "onnxruntime"),
           "openvino-int8": ("openvino", "nncf")}
"""Import names each backend needs (torch's ONNX exporter needs onnx and onnxscript; OpenVINO converts the torch
model itself)."""
DISTRIBUTIONS = {"onnx": ("torch", "transformers", "onnx", "onnxscript", "onnxruntime"),
                 "openvino": ("torch", "transformers", "openvino"),
                 "onnx-int8-dynamic": ("torch", "transformers", "onnx", "onnxscript", "onnxruntime"),
                 "onnx-int8-static": ("torch", "transformers", "onnx", "onnxscript", "onnxruntime"),
                 "openvino-int8": ("torch", "transformers", "openvino", "nncf")}


def runtime(backend: str) -> str:
    """The runtime that runs ``backend``'s export: ``onnx`` (ONNX Runtime) or ``openvino`` (``onnx-int8-static``
    → ``onnx``)."""
    return backend.split("-", 1)[0]


def install_hint(backend: str) -> str:
    """What to install for ``backend`` (the measured-only ``openvino-int8`` also needs nncf)."""
    extra = f"pip install 'hybridbatch[{runtime(backend)}]'"
    return extra + " nncf" if backend == "openvino-int8" else extra


def check_backend(backend: str) -> str:
    """``backend`` if it is one of :data:`hybridbatch.config.BACKENDS` or of the measured-only
    :data:`hybridbatch.config.EXPERIMENTAL_BACKENDS`, else a one-line error."""
    if backend not in BACKENDS and backend not in EXPERIMENTAL_BACKENDS:
        raise HybridbatchError(f"unknown backend {backend!r}; expected {', '.join(BACKENDS)} (measured only: "
                               f"{', '.join(EXPERIMENTAL_BACKENDS)})")
    return backend


def import_openvino():
    """``import openvino`` with its usage telemetry off. Importing openvino imports its conversion tool, which
    reports usage over the network unless the user opted out; with ``openvino_telemetry`` hidden during the
    import it binds its own no-op stand-in (nothing in :mod:`hybridbatch.models` touches the network)."""
    if sys.modules.get("openvino") is not None:
        return sys.modules["openvino"]
    hide = "openvino_telemetry" not in sys.modules
    if hide:
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]  # import fails: the stub is used
    try:
        import openvino  # deferred: openvino
    finally:
        if hide and "openvino_telemetry" in sys.modules and sys.modules["openvino_telemetry"] is None:
            del sys.modules["openvino_telemetry"]
    return openvino


def require(backend: str) -> None:
    """Import every package ``backend`` needs; a missing one is a one-line error naming the extra."""
    for name in MODULES.get(check_backend(backend), ()):
        try:
            import_openvino() if name == "openvino" else importlib.import_module(name)
        except ImportError:
            raise HybridbatchError(f"backend {backend} needs the Python package {name}: "
                                   f"{install_hint(backend)}") from None


def resolve_backend_precision(backend: str, precision: str, device: str) -> str:
    """The precision a backend runs in (fp32 or bf16) for ``precision`` auto|fp32|bf16 on ``device``."""
    if check_backend(backend) == "onnx" or backend in EXPERIMENTAL_BACKENDS:
        if precision == "bf16":
            raise HybridbatchError(f"backend {backend} runs in fp32 only; use --precision fp32 or auto with it")
        return resolve_precision("fp32" if precision == "auto" else precision, device)
    return resolve_precision(precision, device)


def backend_versions(backend: str) -> dict[str, str]:
    """Installed versions of the packages that export and run ``backend`` (part of the export key)."""
    found = {}
    for name in DISTRIBUTIONS[backend]:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def _architecture(model) -> str:
    """The module configuration of a sentence-transformers model (pooling mode, the transformer's config)."""
    parts = []
    for module in model:
        config = module.get_config_dict() if hasattr(module, "get_config_dict") else {}
        inner = getattr(getattr(module, "auto_model", None), "config", None)
        if inner is not None:
            config = dict(config, transformer={k: v for k, v in inner.to_dict().items()
                                               if not k.startswith("_") and k != "transformers_version"})
        parts.append(f"{type(module).__name__}:{json.dumps(config, sort_keys=True, default=str)}")
    return "|".join(parts)


def export_key(model, backend: str, *, fingerprint: str | None = None, extra: str = "") -> str:
    """``<backend>-<hash>`` of everything an export depends on (see the module docstring); ``extra``: what else
    it depends on (a quantized variant's calibration texts)."""
    parts = [fingerprint or model_fingerprint(model), tokenizer_signature(model), str(model.max_seq_length),
             _architecture(model), backend, json.dumps(backend_versions(backend), sort_keys=True),
             f"format {EXPORT_FORMAT}"] + ([extra] if extra else [])
    return f"{backend}-{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:24]}"


def export_folder(model, backend: str, *, fingerprint: str | None = None, extra: str = "") -> Path:
    return cache_dir() / "backends" / export_key(model, backend, fingerprint=fingerprint, extra=extra)


def _probe(model) -> tuple[list[str], dict[str, Any]]:
    """Example features of two texts of different lengths, and the graph inputs they hold."""
    features = model.preprocess(["an example", "a second and somewhat longer example text"])
    names = [n for n in GRAPH_INPUTS if n in features]
    if names[:2] != ["input_ids", "attention_mask"]:
        raise HybridbatchError(f"backends need a text model fed input_ids and attention_mask, got {sorted(features)}")
    return names, features


def _sentence_graph(model):
    """``model``'s forward pass (token tensors → sentence embedding) as a module an exporter can trace, with the
    graph input names and example features; refuses what the backends cannot run."""
    import torch  # deferred: torch

    class SentenceGraph(torch.nn.Module):
        """The model's forward pass as a function of its token tensors (what the exporter traces)."""

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                features["token_type_ids"] = token_type_ids
            return self.model(features)["sentence_embedding"]

    if str(model.device) != "cpu":
        raise HybridbatchError(f"backends run on the CPU; load the model with --device cpu (it is on {model.device})")
    if any(getattr(m, "include_prompt", True) is False for m in model):
        raise HybridbatchError("backends cannot export a model whose pooling leaves out the prompt "
                               "(include_prompt=False); use --backend torch")
    names, features = _probe(model)
    return SentenceGraph(), names, features


def _traced(model, trace: Callable[[Any, list[str], dict[str, Any]], None]) -> list[str]:
    """Run ``trace(graph, names, features)`` on the model in eval mode without gradients and with the exporters'
    notes silenced; returns the graph input names."""
    import torch  # deferred: torch

    graph, names, features = _sentence_graph(model)
    was_training = model.training
    model.eval()
    quiet = [logging.getLogger(name) for name in ("onnx_ir", "onnxscript", "torch.onnx", "transformers",
                                                  "torch.onnx._internal.exporter._registration")]
    levels = [logger.level for logger in quiet]
    try:
        for logger in quiet:
            logger.setLevel(logging.ERROR)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporters' notes on dynamic axes and traced branches
            trace(graph, names, features)
    finally:
        model.train(was_training)
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)
    return names


def _export_onnx(model, folder: Path) -> list[str]:
    """Trace ``model``'s forward pass (token ids → sentence embedding) into ``folder/model.onnx``."""
    import torch  # deferred: torch

    def trace(graph, names, features):
        batch = torch.export.Dim("batch")
        sequence = torch.export.Dim("sequence", max=model.max_seq_length) if model.max_seq_length else \
            torch.export.Dim("sequence")
        program = torch.onnx.export(graph, tuple(features[n] for n in names), dynamo=True, input_names=names,
                                    output_names=["sentence_embedding"], verbose=False,
                                    dynamic_shapes=tuple({0: batch, 1: sequence} for _ in names))
        program.save(str(folder / ONNX_FILE))

    return _traced(model, trace)


def _export_openvino(model, folder: Path) -> list[str]:
    """``model``'s forward pass converted by OpenVINO's PyTorch front end (its graph matches OpenVINO's fused
    attention and normalisation patterns better than the ONNX export does) at full precision (no fp16 weight
    compression), batch and sequence dimensions dynamic."""
    openvino = import_openvino()

    def trace(graph, names, features):
        shape = openvino.PartialShape([-1, -1])
        converted = openvino.convert_model(graph, example_input={n: features[n] for n in names},
                                           input=[(n, shape, openvino.Type.i64) for n in names])
        for port, name in zip(converted.inputs, names):
            port.get_tensor().set_names({name})
        converted.outputs[0].get_tensor().set_names({"sentence_embedding"})
        openvino.save_model(converted, str(folder / OPENVINO_FILE), compress_to_fp16=False)

    return _traced(model, trace)


EXPORTERS: dict[str, Callable[[Any, Path], list[str]]] = {"onnx": _export_onnx, "openvino": _export_openvino}


def ensure_export(model, backend: str, *, fingerprint: str | None = None, extra: str = "",
                  exporter: Callable[[Any, Path], list[str]] | None = None) -> Path:
    """The export folder of ``model`` for ``backend``, exporting it first (with ``exporter``, by default the
    backend's own of :data:`EXPORTERS`) if it does not exist yet; ``extra`` as for :func:`export_key`."""
    require(backend)
    folder = export_folder(model, backend, fingerprint=fingerprint, extra=extra)
    if (folder / EXPORT_INFO).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    tmp.chmod(0o755)
    log.info("exporting the model for backend %s into %s (once per model and versions)", backend, folder)
    try:
        names = (exporter or EXPORTERS[backend])(model, tmp)
        info = {"backend": backend, "inputs": names, "format": EXPORT_FORMAT, "versions": backend_versions(backend)}
        (tmp / EXPORT_INFO).write_text(json.dumps(info, indent=1), encoding="utf-8")
        if folder.exists() and not (folder / EXPORT_INFO).is_file():
            shutil.rmtree(folder)  # an incomplete folder left by hand; a finished one is never replaced
        try:
            os.rename(tmp, folder)
        except OSError:
            if not (folder / EXPORT_INFO).is_file():  # else another process finished the same export first
                raise
    except HybridbatchError:
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise HybridbatchError(f"cannot export the model for backend {backend} ({type(exc).__name__}: {first}); "
                               f"check {install_hint(backend)}, or use --backend torch") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


class BackendModel:
    """A torch sentence-transformers model's export, run by ONNX Runtime or OpenVINO.

    :meth:`encode_batches` takes the torch model's tokenisation and prompts and yields float32 rows with their
    positions in the input (as the graph returns them: normalised only if the model normalises).
    """

    def __init__(self, model, backend: str, folder: Path, precision: str):
        self.model, self.backend, self.folder, self.precision = model, backend, folder, precision
        try:
            self.inputs: list[str] = json.loads((folder / EXPORT_INFO).read_text(encoding="utf-8"))["inputs"]
            self._run = self._open_onnx() if runtime(backend) == "onnx" else self._open_openvino()
        except Exception as exc:
            reason = next((line.strip() for line in reversed(str(exc).splitlines()) if line.strip()), "")
            raise HybridbatchError(f"cannot load the {backend} export at precision {precision} ({type(exc).__name__}"
                                   f"{': ' + reason[:200] if reason else ''}); delete the folder to export again, "
                                   f"or check {install_hint(backend)}", path=folder) from exc

    def _open_onnx(self) -> RunBatches:
        import onnxruntime  # deferred: onnxruntime

        session = onnxruntime.InferenceSession(str(self.folder / ONNX_FILE), providers=["CPUExecutionProvider"])
        return lambda batches: ((key, session.run(["sentence_embedding"], feeds)[0]) for key, feeds in batches)

    def _open_openvino(self) -> RunBatches:
        openvino = import_openvino()
        core = openvino.Core()
        self.compiled = core.compile_model(core.read_model(str(self.folder / OPENVINO_FILE)), "CPU",
                                           {"INFERENCE_PRECISION_HINT": "bf16" if self.precision == "bf16" else "f32",
                                            "PERFORMANCE_HINT": "THROUGHPUT"})
        requests = max(1, int(self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))

        def run(batches):
            # a queue per call: a compiled model's requests are not safe across threads (serve)
            done: deque[tuple[Any, np.ndarray]] = deque()  # appended by OpenVINO's threads, popped here
            queue = openvino.AsyncInferQueue(self.compiled, requests)
            queue.set_callback(lambda request, key: done.append((key, request.get_output_tensor(0).data.copy())))
            for key, feeds in batches:
                queue.start_async(feeds, key)
                while done:
                    yield done.popleft()
            queue.wait_all()
            while done:
                yield done.popleft()

        return run

    def encode_batches(self, texts: Sequence[str], prompt: str | None, batch_size: int, show_progress: bool,
                       desc: str = "encoding") -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(positions in ``texts``, the graph's float32 rows) per batch as each is done: ``texts`` with ``prompt``
        prepended, longest first (in tokens) in batches of ``batch_size``; ``desc`` names the progress bar."""
        from tqdm.auto import tqdm  # deferred: tqdm

        def batches():
            for chunk in tqdm(token_length_batches(self.model, texts, prompt, batch_size), desc=desc,
                              disable=not show_progress):
                features = self.model.preprocess([texts[i] for i in chunk], prompt=prompt or None)
                yield chunk, {n: features[n].cpu().numpy().astype(np.int64) for n in self.inputs}

        for chunk, output in self._run(batches()):
            yield np.asarray(chunk), np.asarray(output, dtype=np.float32)


def load_backend(model, backend: str, precision: str, *, fingerprint: str | None = None) -> BackendModel:
    """``model`` exported (once) and opened for ``backend``; ``precision`` is already resolved (fp32 or bf16)."""
    if precision not in ("fp32", "bf16"):
        raise HybridbatchError(f"backend precision must be resolved to fp32 or bf16, got {precision!r}")
    return BackendModel(model, backend, ensure_export(model, backend, fingerprint=fingerprint), precision)
