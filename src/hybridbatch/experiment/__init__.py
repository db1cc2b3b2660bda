"""Experiments: grids of train → evaluate runs.

* :mod:`.config` — read and check a grid; expand it into runs.
* :mod:`.layout` — the experiment folder: every folder and file name.
* :mod:`.records` — what run.json records; a run folder is continued only by the same run.
* :mod:`.reuse` — ``models_from``: reuse another grid's trained model (decided from folders).
* :mod:`.evaluations` — the evaluation config of a (model, benchmark); reuse check of a finished one.
* :mod:`.steps` — train, evaluate, WiSE-FT evaluation, soup: each knows if it is done and how to run.
* :mod:`.validation_table` — validation rows (base, runs, WiSE-FT λ) and the ranked table.
* :mod:`.plan` — every step of a grid and each run's state (``--list`` and the run share it).
* :mod:`.runner` — run what is left (resumable) and write the summary.
"""
