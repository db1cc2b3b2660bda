"""Reports: generic table and plot primitives, paired significance tests, and the comparison of
finished evaluations (which asks each result's scorer what to show)."""
