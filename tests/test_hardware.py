"""Device and precision selection: bf16 only where it is native."""

from __future__ import annotations

import pytest

from hybridbatch import hardware
from hybridbatch.errors import HybridbatchError

READ_CPU_FLAGS = hardware.cpu_flags  # the real reader; conftest fakes a CPU without native bf16
AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})
AVX512 = AVX2 | {"avx512f", "avx512bw", "avx512_vnni"}


@pytest.mark.parametrize("flags, expected", [
    (AVX2, "fp32"),                          # AVX2-only EPYC: bf16 autocast measured ~6x slower
    (AVX512, "fp32"),                        # AVX512 without the bf16 extension
    (AVX512 | {"avx512_bf16"}, "bf16"),
    (AVX2 | {"amx_bf16", "amx_tile"}, "bf16"),
    (frozenset(), "fp32"),                   # no /proc/cpuinfo
])
def test_auto_precision_is_bf16_only_where_the_cpu_has_it(flags, expected):
    assert hardware.resolve_precision("auto", "cpu", flags=flags) == expected


def test_explicit_precision_is_kept_and_unknown_is_an_error():
    assert hardware.resolve_precision("bf16", "cpu", flags=AVX2) == "bf16"
    assert hardware.resolve_precision("fp32", "cuda") == "fp32"
    with pytest.raises(HybridbatchError, match="unknown precision 'fp16'"):
        hardware.resolve_precision("fp16", "cpu")


def test_auto_device_and_cuda_without_a_gpu(monkeypatch):
    monkeypatch.setattr(hardware, "cuda_available", lambda: False)
    assert hardware.resolve_device("auto") == "cpu" and hardware.resolve_device("cpu") == "cpu"
    with pytest.raises(HybridbatchError, match="no CUDA device"):
        hardware.resolve_device("cuda")
    monkeypatch.setattr(hardware, "cuda_available", lambda: True)
    assert hardware.resolve_device("auto") == "cuda"


def test_cpu_flags_reads_this_machine(monkeypatch):
    flags = READ_CPU_FLAGS()
    assert isinstance(flags, frozenset)
    monkeypatch.setattr(hardware, "cpu_flags", READ_CPU_FLAGS)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    assert hardware.cpu_has_native_bf16() == any(f in flags for f in ("avx512_bf16", "amx_bf16"))


def test_a_onednn_isa_cap_below_bf16_means_no_native_bf16(monkeypatch):
    amx = frozenset({"avx2", "avx512f", "avx512_bf16", "amx_bf16"})
    assert hardware.cpu_has_native_bf16(amx, isa_cap="AVX512_CORE_AMX")
    assert hardware.cpu_has_native_bf16(amx, isa_cap="avx512_core_bf16")
    assert not hardware.cpu_has_native_bf16(amx, isa_cap="AVX2")
    assert not hardware.cpu_has_native_bf16(amx, isa_cap="AVX512_CORE_VNNI")
    assert not hardware.cpu_has_native_bf16(frozenset({"avx2"}), isa_cap="ALL")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    monkeypatch.setattr(hardware, "cpu_flags", lambda: amx)
    assert hardware.resolve_precision("auto", "cpu") == "fp32"
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    assert hardware.resolve_precision("auto", "cpu") == "bf16"


def test_evaluation_and_training_record_the_resolved_choice(monkeypatch, tmp_path):
    from hybridbatch.evaluation.config import EvaluationConfig
    from hybridbatch.evaluation.runner import resolve_hardware
    from hybridbatch.training import runtime
    from hybridbatch.training.config import load_config
    from tests.training.helpers import toy_items, write_config, write_jsonl

    monkeypatch.setattr(hardware, "cpu_flags", lambda: AVX2)
    monkeypatch.setattr(hardware, "cuda_available", lambda: False)
    cfg = resolve_hardware(EvaluationConfig(benchmark="xquad-r", model="m"))
    assert (cfg.precision, cfg.device) == ("fp32", "cpu")
    write_jsonl(tmp_path / "items.jsonl", toy_items(10, ["en", "de"]))
    config = load_config(write_config(tmp_path / "t.yaml", {"datasets": [{"jsonl": "items.jsonl"}]}))
    assert (config.training.precision, config.training.device) == ("auto", "auto")
    resolved = runtime.resolve_hardware(config)
    assert (resolved.training.precision, resolved.training.device) == ("fp32", "cpu")
    monkeypatch.setattr(hardware, "cpu_flags", lambda: AVX512 | {"avx512_bf16"})
    assert runtime.resolve_hardware(config).training.precision == "bf16"
