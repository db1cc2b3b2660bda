"""Scoring: LAReQA settings (Mo. / Cr. / Mul.), language bias, and BEIR-style metrics.

Import the scorers from their modules (``lareqa_scoring.score_lareqa``, ``beir_scoring.score_beir``);
this package file stays empty so that LAReQA scoring never loads faiss.
"""
