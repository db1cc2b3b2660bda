"""Hard-negative mining for training: for every training query, wrong passages the model ranks high.

``hybridbatch mine`` (:mod:`.command`) loads the training data as training does, encodes every training
query and passage through the embedding cache with the encoder the distillation targets use
(:mod:`.encode`: same prompts, passage text, max length and precision, so mining pays no encoding that
training with the regulariser does not pay anyway), ranks the pooled training passages for every query
and keeps negatives by a language policy (:mod:`.rank`), and writes the JSONL file of
:mod:`hybridbatch.data.negatives`.

What is reused from sentence-transformers, and why the rest is written here: the *guards* follow
``sentence_transformers.util.mine_hard_negatives`` (sentence-transformers 6.3) — ``range_min`` (skip the
top candidates), ``range_max`` (look no deeper), an absolute margin to the positive's score, and the
"top" / "random" sampling among what is left — with the same meaning and defaults in spirit. The
function itself is not called, because it

* embeds the texts itself (``encode_query`` / ``encode_document``), outside this project's embedding
  cache; its own ``cache_folder`` keys ``.npy`` files by the model card's name and the exact text list,
  not by the weights, so it can neither reuse the distillation targets' vectors nor tell two fine-tuned
  models apart;
* knows positives only as exact copies of the pair's positive text: the translations of the answer
  (the parallel group) and answers shared with other questions (the conflict cluster) would be mined as
  negatives — in this setting exactly the false negatives to avoid;
* has no language policy, no ids (it returns texts in a ``datasets.Dataset``), and samples with Python's
  global, unseeded ``random``.

So ranking is torch matrix products and top-k over the cached embedding matrices, in query chunks, with
the query's own conflict cluster masked out before ranking and ties broken by candidate order.
"""
