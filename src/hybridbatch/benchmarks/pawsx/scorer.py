"""The PAWS-X scorer: the shared pair-classification scorer (:mod:`hybridbatch.scoring.pair_scorer`)."""

from __future__ import annotations

from hybridbatch.scoring.pair_scorer import PairClassificationScorer


class PawsxScorer(PairClassificationScorer):
    """PAWS-X: sentence1 (first) and sentence2 (second); positive = paraphrase."""

    kind = "pawsx"
    first, second = "sentence1", "sentence2"
