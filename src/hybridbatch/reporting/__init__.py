"""Reports over finished evaluations: records of evaluation folders (:mod:`.records`), their comparison with
paired significance tests (:mod:`.compare`, :mod:`.significance`), gains by language resource class, and the
study reports (language count, robustness, domain) — each asks the results' scorer what to show."""
