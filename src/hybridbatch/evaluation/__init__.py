"""Scoring: one scorer per benchmark kind behind :mod:`.scorer` (``get_scorer(kind)``), each with its
metric core (:mod:`.lareqa_scoring`: Mo. / Cr. / Mul. and language bias; :mod:`.beir_scoring`:
nDCG@10, Recall@100, MRR@10), the runner that writes report folders, and a sentence-transformers
evaluator adapter for training (:mod:`.st_evaluator`).

This package file stays empty and scorers are imported on first use, so that LAReQA scoring never
loads faiss and reports never load torch.
"""
