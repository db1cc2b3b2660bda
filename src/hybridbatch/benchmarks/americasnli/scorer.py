"""The AmericasNLI scorer: the shared pair-classification scorer (:mod:`hybridbatch.scoring.pair_scorer`)."""

from __future__ import annotations

from hybridbatch.scoring.pair_scorer import PairClassificationScorer


class AmericasnliScorer(PairClassificationScorer):
    """AmericasNLI: premise (first) and hypothesis (second); positive = entailment."""

    kind = "americasnli"
    first, second = "premise", "hypothesis"
