"""The XNLI scorer: the shared pair-classification scorer (:mod:`hybridbatch.scoring.pair_scorer`)."""

from __future__ import annotations

from hybridbatch.scoring.pair_scorer import PairClassificationScorer


class XnliScorer(PairClassificationScorer):
    """XNLI: premise (first) and hypothesis (second); positive = entailment."""

    kind = "xnli"
    first, second = "premise", "hypothesis"
