"""Time the LAReQA metric stage (all 132 pairs + Mul. + bias) at XQuAD-R size.

    python benchmarks/metric_speed.py [--encode-seconds 900] [--xquad-r FOLDER]

Default: a synthetic benchmark shaped like XQuAD-R (11 languages x 1,190 parallel questions, 13,014
candidate sentences, 11 relevant per question) with random but realistic embeddings (d=384: a shared
question/answer meaning vector + a language vector + noise, L2-normalised). ``--xquad-r`` loads the real
benchmark through ``hybridbatch.benchmarks.lareqa.reader.read_lareqa`` instead (random embeddings of the same kind).
Prints the seconds of ``score_lareqa`` and the ratio to the given encode time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hybridbatch.benchmarks.lareqa.scoring import score_lareqa
from hybridbatch.data.benchmark import Benchmark, Candidate, Query

LANGS = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]


def synthetic_xquad_r(n_groups: int = 1190, n_candidates: int = 13014, seed: int = 0) -> Benchmark:
    """XQuAD-R-shaped benchmark: every question has one answer sentence per language; some sentences
    answer several questions (as in XQuAD-R, 1,190 questions but ~1,183 sentences per language)."""
    rng = np.random.default_rng(seed)
    per_lang = [n_candidates // len(LANGS) + (i < n_candidates % len(LANGS)) for i in range(len(LANGS))]
    queries, candidates, qrels = [], [], {}
    answer = {}
    for lang, n_sent in zip(LANGS, per_lang, strict=True):
        candidates += [Candidate(f"{lang}-s{s}", lang, f"sentence {s}") for s in range(n_sent)]
        # each sentence answers at least one question; the rest answer a second one
        sent = np.concatenate([np.arange(min(n_sent, n_groups)),
                               rng.integers(0, n_sent, max(0, n_groups - n_sent))])
        answer[lang] = sent
    for lang in LANGS:
        for g in range(n_groups):
            qid = f"{lang}-q{g}"
            queries.append(Query(qid, lang, f"g{g}", f"question {g}"))
            qrels[qid] = {f"{y}-s{answer[y][g]}": 1 for y in LANGS}
    return Benchmark("xquad-r-synthetic", "lareqa", queries, candidates, qrels, list(LANGS))


def realistic_embeddings(bench: Benchmark, dim: int = 384, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Query/candidate vectors = meaning + language + noise; an answer shares its question's meaning."""
    rng = np.random.default_rng(seed)
    lang_vec = {lang: rng.standard_normal(dim, dtype=np.float32) for lang in bench.languages}
    meaning: dict[str, np.ndarray] = {}

    def vec(key: str) -> np.ndarray:
        if key not in meaning:
            meaning[key] = rng.standard_normal(dim, dtype=np.float32)
        return meaning[key]

    answer_of = {}
    for q in bench.queries:
        for cid in bench.qrels.get(q.id, {}):
            answer_of.setdefault(cid, q.group)
    Q = np.stack([vec(q.group) + 0.5 * lang_vec[q.lang] for q in bench.queries])
    C = np.stack([vec(answer_of.get(c.id, c.id)) + 0.5 * lang_vec[c.lang] for c in bench.candidates])
    Q += 2.5 * rng.standard_normal(Q.shape, dtype=np.float32)
    C += 2.5 * rng.standard_normal(C.shape, dtype=np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    return Q, C


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encode-seconds", type=float, default=900.0,
                        help="time to encode the benchmark, for the ratio (default 900 ~ XQuAD-R)")
    parser.add_argument("--xquad-r", default=None, help="folder of the real XQuAD-R json files")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.xquad_r:
        from hybridbatch.benchmarks.lareqa.reader import read_lareqa  # optional: written by another module

        bench = read_lareqa(args.xquad_r)
    else:
        bench = synthetic_xquad_r()
    Q, C = realistic_embeddings(bench)
    print(f"{bench.name}: {len(bench.queries)} queries x {len(bench.candidates)} candidates, d={Q.shape[1]}")
    bench.relevant_indices()  # built once per benchmark, not part of the metric stage
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        results, _ = score_lareqa(bench, Q, C)
        best = min(best, time.perf_counter() - t0)
    s = results["summary"]
    print(f"mAP mo/cr/mul = {s['mo']['map']:.3f} / {s['cr']['map']:.3f} / {s['mul']['map']:.3f}, "
          f"rank distance {s['rank_distance']:.1f}, pairs scored {len(results['pairs'])}")
    print(f"metric stage: {best:.2f} s (best of {args.repeat}); "
          f"ratio to encode time {args.encode_seconds:.0f} s = {best / args.encode_seconds:.4f}")


if __name__ == "__main__":
    main()
