"""LAReQA (XQuAD-R, MLQA-R, any folder of LAReQA-format ``<lang>.json`` files): question → answer sentence
in any language; Mo. / Cr. / Mul. mAP and language bias (docs/protocol.md)."""

from __future__ import annotations

from pathlib import Path

from hybridbatch import settings
from hybridbatch.benchmarks.family import BenchmarkFamily
from hybridbatch.benchmarks.lareqa.reader import read_lareqa
from hybridbatch.errors import HybridbatchError

NAMED = ("xquad-r", "mlqa-r")
"""Benchmarks read from ``<data_dir>/lareqa/<name>/``."""
ROBUSTNESS_MEASURES = (("mo/map", "Mo. mAP"), ("cr/map", "Cr. mAP"), ("mul/map", "Mul. mAP"),
                       ("mo/mrr@10", "Mo. MRR@10"), ("cr/mrr@10", "Cr. MRR@10"), ("mul/mrr@10", "Mul. MRR@10"),
                       ("rank_distance", "rank distance"))
"""What ``evaluate --perturb`` compares clean and perturbed (the first three are drawn)."""


def matches(spec: str) -> bool:
    return spec.lower() in NAMED or spec.startswith("lareqa:")


def load(spec: str, data_dir: Path | None, languages: list[str] | None):
    """``xquad-r`` / ``mlqa-r`` from the data folder; ``lareqa:DIR`` from DIR."""
    if spec.lower() in NAMED:
        return read_lareqa(settings.data_dir(data_dir) / "lareqa" / spec.lower(), languages, name=spec.lower())
    folder_text = spec[len("lareqa:"):]
    if not folder_text:
        raise HybridbatchError(f"benchmark spec {spec!r} names no folder; expected lareqa:DIR")
    folder = Path(folder_text).expanduser()
    return read_lareqa(folder, languages, name=folder.name)


FAMILY = BenchmarkFamily(
    name="lareqa", kind="lareqa", spec_help="xquad-r | mlqa-r | lareqa:DIR", matches=matches, load=load,
    scorer="hybridbatch.benchmarks.lareqa.scorer:LareqaScorer", robustness_measures=ROBUSTNESS_MEASURES)
