"""Experiments: grids of train → evaluate runs.

* :mod:`.config` — read and check a grid; expand it into runs.
* :mod:`.layout` — the experiment folder: every folder and file name.
* :mod:`.records` — what run.json records; a run folder is continued only by the same run.
* :mod:`.reuse` — ``models_from``: reuse another grid's trained model (decided from folders).
* :mod:`.evaluations` — the evaluation config of a (model, benchmark); reuse check of a finished one.
* :mod:`.steps` — train, evaluate, WiSE-FT evaluation, soup: each knows if it is done and how to run.
* :mod:`.validation_table` — validation rows (base, runs, WiSE-FT λ) and the ranked table.
* :mod:`.plan` — every step of a grid and each run's state (``--list`` and the run share it).
* :mod:`.jobs` — the steps left as jobs with what each waits for; the local executor and the job loop.
* :mod:`.ray_executor` — the jobs as Ray tasks (``--executor ray``; Ray is optional).
* :mod:`.lock` — one writer per experiment folder (``experiment.lock``).
* :mod:`.runner` — run what is left (resumable) with an executor and write the summary once.
"""
