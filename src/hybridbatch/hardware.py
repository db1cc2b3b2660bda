"""Where and in which precision to run: ``device`` auto|cpu|cuda and ``precision`` auto|fp32|bf16.

``auto`` precision is bf16 (bfloat16 autocast, fp32 weights) only where bfloat16 matrix work is native:
a CUDA device that supports bf16, or a CPU with AVX512-BF16 or AMX-BF16 instructions. Elsewhere it is
fp32 — on a CPU without native bf16, autocast was measured 2.9× *slower* than fp32 (docs/RESULTS.md §13).
A oneDNN instruction-set cap below bf16 (``ONEDNN_MAX_CPU_ISA``, e.g. ``AVX2``) counts as no native bf16.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from hybridbatch.errors import HybridbatchError

log = logging.getLogger(__name__)
NATIVE_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
# oneDNN's ISA cap names (ONEDNN_MAX_CPU_ISA) at or above which bf16 matrix work is native.
BF16_ISA_CAPS = ("AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16", "AVX10_1_512",
                 "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16", "AVX10_2_512", "AVX10_2_512_AMX_2", "ALL", "DEFAULT")


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU feature flags of this machine (from /proc/cpuinfo; empty where that file does not exist)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags") and ":" in line:
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cpu_has_native_bf16(flags: frozenset[str] | None = None, isa_cap: str | None = None) -> bool:
    """Whether the CPU has bfloat16 matrix instructions (AVX512-BF16 or AMX-BF16) and oneDNN may use them:
    ``isa_cap`` (default: the ``ONEDNN_MAX_CPU_ISA`` environment variable) unset or at least AVX512_CORE_BF16."""
    flags = cpu_flags() if flags is None else flags
    isa_cap = os.environ.get("ONEDNN_MAX_CPU_ISA") if isa_cap is None else isa_cap
    if isa_cap and isa_cap.strip().upper() not in BF16_ISA_CAPS:
        return False
    return any(f in flags for f in NATIVE_BF16_CPU_FLAGS)


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when a CUDA device is present, else ``cpu``; ``cuda`` without one is an error."""
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" and not cuda_available():
        raise HybridbatchError("device 'cuda' was asked for but torch sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise HybridbatchError(f"unknown device {device!r}; expected auto, cpu or cuda")
    return device


def resolve_precision(precision: str, device: str, *, flags: frozenset[str] | None = None) -> str:
    """``auto`` → ``bf16`` where bf16 is native on ``device`` (a resolved device), else ``fp32``."""
    if precision in ("fp32", "bf16"):
        return precision
    if precision != "auto":
        raise HybridbatchError(f"unknown precision {precision!r}; expected auto, fp32 or bf16")
    if device == "cuda":
        import torch

        native = torch.cuda.is_bf16_supported()
    else:
        native = cpu_has_native_bf16(flags)
    chosen = "bf16" if native else "fp32"
    log.info("precision auto -> %s (%s)", chosen,
             f"device {device}" + ("" if device == "cuda" else f", native bf16 CPU flags: {native}"))
    return chosen
