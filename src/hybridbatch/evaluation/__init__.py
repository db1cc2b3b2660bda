"""Scoring: LAReQA settings (Mo. / Cr. / Mul.), language bias, and BEIR-style metrics."""

from hybridbatch.evaluation.beir_scoring import score_beir
from hybridbatch.evaluation.lareqa_scoring import score_lareqa

__all__ = ["score_beir", "score_lareqa"]
