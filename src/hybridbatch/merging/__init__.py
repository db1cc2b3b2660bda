"""Weight-space merges of fine-tuned models, and choosing them on the validation split.

* :mod:`.wise` — WiSE-FT: the fine-tuned model interpolated with its base at λ.
* :mod:`.soup` — a soup: the weighted mean of several fine-tuned models.
* :mod:`.validation` — the validation evaluator of a training config (the one factory, for any model).
* :mod:`.sweep` — a λ sweep scored on the validation split, the λ it picks, its table.
* :mod:`.save` — a merge written as a sentence-transformers folder with its provenance.
* :mod:`.command` — ``hybridbatch merge``: one request, one of the above.

The weight arithmetic itself is :mod:`hybridbatch.models.merge`.
"""
