"""What ``hybridbatch mine`` prints: counts, cost, and how biased toward the query's language the model's
hardest wrong passages are."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from hybridbatch.data.negatives import ItemTable, MinedNegatives
from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.mining.encode import EncodedItems
from hybridbatch.mining.rank import Mined, MiningSettings


def encoded_summary(encoded: EncodedItems) -> str:
    """One line on the encoding cost."""
    return (f"encoding: {encoded.n_texts} distinct texts, {encoded.n_encoded} encoded now, "
            f"{encoded.n_texts - encoded.n_encoded} from the cache, {encoded.seconds:.1f} s")


def language_bias(mined: Mined, table: ItemTable, languages: list[str], candidates: np.ndarray | None = None
                  ) -> list[tuple[str, float, float]]:
    """Per query language: (language, share of the eligible candidates before the policy filter that are in
    the query's language, that language's share of all items — the share without any bias)."""
    langs = np.array(table.lang)
    out = []
    for lang in languages:
        q = langs == lang
        total = int(mined.eligible[q].sum())
        share = mined.eligible_same[q].sum() / total if total else float("nan")
        pool = langs[candidates] if candidates is not None else langs
        out.append((lang, float(share), float(np.mean(pool == lang))))
    return out


def mining_summary(mined: Mined, encoded: EncodedItems, table: ItemTable, languages: list[str],
                   settings: MiningSettings, out: Path, candidates: np.ndarray | None = None) -> str:
    counts = np.array([len(x) for x in mined.negatives])
    n = len(counts)
    full = int((counts >= settings.per_query).sum())
    none = int((counts == 0).sum())
    ranks = [r for kept in mined.negatives for _, r, _ in kept]
    margin = "none" if settings.margin is None else f"{settings.margin:g}"
    datasets = ", ".join(f"{name} {len(ids)}" for name, ids in table.ids.items())
    lines = [
        f"mined {n} training queries ({datasets}) against {mined.n_candidates} candidate passages (train split, "
        f"all languages): policy {settings.policy}, ranks {settings.range_min + 1}-{settings.range_max}, "
        f"margin {margin}, sampling {settings.sampling}, seed {settings.seed}",
        f"negatives per query: {counts.mean() if n else 0:.2f} (of {settings.per_query}; {full} queries with all, "
        f"{n - full - none} with fewer, {none} with none)",
        encoded_summary(encoded),
        f"ranking: {mined.seconds:.1f} s",
    ]
    bias = language_bias(mined, table, languages, candidates)
    total = int(mined.eligible.sum())
    overall = mined.eligible_same.sum() / total if total else float("nan")
    lines.append("same-language share of the eligible candidates before the policy filter (pool share): "
                 + ", ".join(f"{lang} {share:.2f} ({pool:.2f})" for lang, share, pool in bias)
                 + f"; all {overall:.2f}")
    lines.append(f"median rank of kept negatives: {np.median(ranks):g}" if ranks else
                 "median rank of kept negatives: - (none kept)")
    lines.append(f"negatives: {out}")
    return "\n".join(lines)


def check_summary(mined: MinedNegatives, pairs: TrainingPairs) -> str:
    table = ItemTable(pairs)
    langs = Counter(table.lang[j] for x in mined.per_item for j in x)
    n_items = len(mined.per_item)
    return (f"{mined.path}: valid for the training split ({n_items} query items, {mined.n_with_negatives} with "
            f"negatives, {mined.n_negatives} negatives, policy {mined.policy}); negatives per language: "
            + ", ".join(f"{lang} {n}" for lang, n in sorted(langs.items())))
