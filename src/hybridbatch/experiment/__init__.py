"""Experiments: grids of train → evaluate runs. :mod:`.config` reads and checks a grid; :mod:`.runner`
runs it (resumable) and writes the summary."""
