"""Time hard-negative mining (``hybridbatch mine``) on real training data, encoding and ranking apart.

What is measured, on the training config's *train* split (default ``configs/mlqa-to-xquad.yaml``: MLQA-R, 7
languages, the validation groups held out) with its model (default: the embedded multilingual-e5-small):

* setup: reading the data and the validation split; loading the model;
* encoding: every training query and passage through the embedding cache with the distillation targets'
  encoder (same prompts, max length, precision), twice: the first pass encodes whatever the cache lacks
  (on a fresh cache, all of it — this warms the cache for training's regulariser and later mining), the
  second is all cache hits; texts encoded and cache hits are printed for both;
* ranking: the pooled candidate passages scored for every query, the query's conflict cluster masked,
  the top ``range_max`` with exact tie order, the range/margin/policy filter and the selection — for each
  policy, median of ``--repeats`` runs; then the summary ``hybridbatch mine`` prints (same-language policy),
  which includes the model's language bias among its hardest wrong passages.

The real embedding cache is used (``$HYBRIDBATCH_CACHE`` or the default), nothing else is written.

    HYBRIDBATCH_DATA=../shared/data python benchmarks/mining_speed.py [--config configs/mlqa-to-xquad.yaml]
        [--model default] [--per-query 4] [--range-max 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "mlqa-to-xquad.yaml"))
    parser.add_argument("--model", help="default: the config's model")
    parser.add_argument("--per-query", type=int, default=4)
    parser.add_argument("--range-max", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    from hybridbatch.data.negatives import ItemTable
    from hybridbatch.hardware import cpu_flags
    from hybridbatch.mining.command import MineRequest, load_encoder, resolve_config
    from hybridbatch.mining.encode import encode_items
    from hybridbatch.mining.rank import MiningSettings, candidate_items, mine
    from hybridbatch.mining.summary import encoded_summary, mining_summary
    from hybridbatch.training.data import prepare_data

    flags = cpu_flags()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
          f"{torch.__version__} ({torch.get_num_threads()} threads); cpu flags: "
          + " ".join(f"{f}={'yes' if f in flags else 'no'}" for f in FLAGS))
    t0 = time.perf_counter()
    config = resolve_config(MineRequest(args.config, model=args.model))
    data = prepare_data(config)
    t1 = time.perf_counter()
    encoder, info = load_encoder(config)
    t2 = time.perf_counter()
    print(f"setup: data {t1 - t0:.1f} s ({int(data.train.item_offsets[-1])} training items, "
          f"{', '.join(ps.name for ps in data.train.datasets)}); model {t2 - t1:.1f} s ({config.model}, "
          f"precision {info['precision']}, max length {info['max_seq_length']}, device {config.training.device}, "
          f"encoder identity {encoder.identity})")

    for label in ("first pass", "second pass"):
        encoded = encode_items(encoder, data.train)
        per_text = encoded.seconds / encoded.n_encoded * 1000 if encoded.n_encoded else 0.0
        print(f"{label}: {encoded_summary(encoded)}"
              + (f" ({per_text:.1f} ms per encoded text)" if encoded.n_encoded else ""))

    t3 = time.perf_counter()
    table = ItemTable(data.train)  # ids, languages, conflict clusters joined across datasets
    languages = sorted(set(table.lang))
    code = {lang: i for i, lang in enumerate(languages)}
    item_lang = np.array([code[lang] for lang in table.lang], dtype=np.int64)
    passages = data.train.texts("passage", np.arange(data.train.n_items))
    candidates = candidate_items(passages)
    print(f"candidates: {len(candidates)} distinct passages, {len(set(table.cluster.tolist()))} conflict clusters "
          f"(item table and candidates: {time.perf_counter() - t3:.2f} s)")
    results = {}
    for policy in ("same-language", "other-language", "any"):
        settings = MiningSettings.of(policy=policy, per_query=args.per_query, range_max=args.range_max,
                                  seed=config.seed)
        runs = [mine(encoded.queries, encoded.passages, item_lang, table.cluster, candidates, settings,
                     device=config.training.device) for _ in range(args.repeats)]
        seconds = [r.seconds for r in runs]
        results[policy] = runs[0]
        kept = np.array([len(x) for x in runs[0].negatives])
        print(f"ranking, policy {policy}: median {statistics.median(seconds):.2f} s over {args.repeats} runs "
              f"({min(seconds):.2f}-{max(seconds):.2f}); {len(kept)} queries x {runs[0].n_candidates} candidates; "
              f"{kept.mean():.2f} negatives per query")
    print("--- the summary of `hybridbatch mine --policy same-language` ---")
    print(mining_summary(results["same-language"], encoded, table, languages,
                         MiningSettings.of(per_query=args.per_query, range_max=args.range_max, seed=config.seed),
                         Path("(not written)"), candidates))


if __name__ == "__main__":
    main()
