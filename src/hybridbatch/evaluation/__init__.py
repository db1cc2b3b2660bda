"""Evaluation: encode a benchmark once (through the cache), score it with its family's scorer
(:func:`hybridbatch.benchmarks.registry.get_scorer`) and write the report folder (:mod:`.runner`); the robustness
suite of perturbed queries (:mod:`.robustness`); embeddings files made by other tools (:mod:`.embeddings_file`);
and the sentence-transformers evaluator adapter used during training (:mod:`.st_evaluator`)."""
