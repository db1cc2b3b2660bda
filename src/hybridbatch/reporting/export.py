"""The records of an experiment, run or evaluation without its weights: what a results repository or a paper's
supplement keeps, and what ``hybridbatch report`` needs to redo every table and paired test.

Left out: model folders (any folder with ``modules.json``; its model card is kept as ``model-card.md`` beside
it), a training run's ``checkpoints/`` and ``logs/`` (TensorBoard events), mined negatives (``negatives.jsonl``;
its first line, the header that says how they were mined, is kept as ``negatives-header.json``), lock files and
what an interrupted writer left (``.tmp-*``, ``.<name>.tmp-*``, ``.<name>.old-*``, ``*.tmp``).

Per-query arrays (``per_query.npz``, ``perturbed_per_query.npz``) are copied as they are (``all``), or
(``paired``) reduced to the arrays the paired tests of ``hybridbatch report`` read — the per-query array of each
headline measure of the evaluation's scorer — stored as float32. ``paired`` keeps a 38-language TICO-19 or
15-language XNLI evaluation under 2 MB; its per-query values differ from the full file's by float32 rounding
(relative 6e-8), and the arrays needed to recompute results.json from per-query values alone are gone.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hybridbatch.benchmarks.registry import scorer_for
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.embeddings_file import numeric_array, open_npz
from hybridbatch.outputs import atomic_dir, atomic_file, write_text
from hybridbatch.reporting.records import read_json_object
from hybridbatch.run_files import (
    CHECKPOINTS,
    LOCK,
    LOGS,
    MODEL_CARD,
    MODEL_MARKER,
    NEGATIVES_FILE,
    PER_QUERY,
    PERTURBED_PER_QUERY,
    RESULTS,
    STAGING_PREFIX,
    TRAIN_CONFIG,
)

PER_QUERY_MODES = ("all", "paired")
ATOMIC_LEFTOVER = re.compile(r"\..+\.(tmp|old)-")
"""What :func:`hybridbatch.outputs.atomic_dir` leaves when its process is killed: ``.<name>.tmp-*``, ``.<name>.old-*``."""
MODEL_CARD_COPY = "model-card.md"
NEGATIVES_HEADER = "negatives-header.json"


@dataclass
class ExportSummary:
    """What :func:`export_records` wrote and left out."""

    files: int = 0
    bytes: int = 0
    left_out: dict[str, int] = field(default_factory=dict)

    def leave_out(self, what: str) -> None:
        self.left_out[what] = self.left_out.get(what, 0) + 1

    def wrote(self, path: Path) -> None:
        self.files += 1
        self.bytes += path.stat().st_size


def export_records(src: Path, dst: Path, *, per_query: str = "all", replace: bool = False) -> ExportSummary:
    """Copy the records below ``src`` to ``dst`` (see the module docstring for what is left out and how
    ``per_query`` reduces the per-query arrays). ``dst`` appears whole or not at all; an existing ``dst`` is
    an error unless ``replace``."""
    src, dst = Path(src), Path(dst)
    if per_query not in PER_QUERY_MODES:
        raise HybridbatchError(f"per-query mode {per_query!r}; expected one of {', '.join(PER_QUERY_MODES)}")
    if not src.is_dir():
        raise HybridbatchError("not a folder", path=src)
    if (src / MODEL_MARKER).is_file():
        raise HybridbatchError("is a model folder: it holds weights, no records", path=src)
    a, b = src.resolve(), dst.resolve()
    if a == b or a in b.parents or b in a.parents:
        raise HybridbatchError(f"the export folder and {src} must not contain one another", path=dst)
    if dst.exists() and not replace:
        raise HybridbatchError("already exists (replace it with --replace)", path=dst)
    summary = ExportSummary()
    with atomic_dir(dst) as tmp:
        _copy_folder(src, tmp, per_query, summary)
    return summary


def _left_over(name: str) -> bool:
    """A lock or what an interrupted writer left behind."""
    return (name == LOCK or name.endswith(".lock") or name.startswith(STAGING_PREFIX) or name.endswith(".tmp")
            or ATOMIC_LEFTOVER.match(name) is not None)


def _copy_folder(src: Path, dst: Path, per_query: str, summary: ExportSummary) -> None:
    dst.mkdir(exist_ok=True)
    training_run = (src / TRAIN_CONFIG).is_file()
    for entry in sorted(src.iterdir()):
        target = dst / entry.name
        if _left_over(entry.name):
            summary.leave_out("locks and partial writes")
        elif entry.is_symlink():
            raise HybridbatchError("is a symbolic link; export the folder it points to instead", path=entry)
        elif entry.is_dir():
            if (entry / MODEL_MARKER).is_file():
                card = entry / MODEL_CARD
                if card.is_file():
                    _copy_file(card, dst / MODEL_CARD_COPY, summary)
                summary.leave_out("model folders")
            elif training_run and entry.name in (CHECKPOINTS, LOGS):
                summary.leave_out(f"training {entry.name}/")
            else:
                _copy_folder(entry, target, per_query, summary)
        elif training_run and entry.name == NEGATIVES_FILE:
            _write_negatives_header(entry, dst / NEGATIVES_HEADER, summary)
            summary.leave_out("mined negatives")
        elif per_query == "paired" and entry.name in (PER_QUERY, PERTURBED_PER_QUERY):
            _write_paired_arrays(entry, target, summary)
        else:
            _copy_file(entry, target, summary)


def _copy_file(src: Path, dst: Path, summary: ExportSummary) -> None:
    shutil.copy2(src, dst)
    summary.wrote(dst)


def _write_negatives_header(src: Path, dst: Path, summary: ExportSummary) -> None:
    with src.open(encoding="utf-8") as handle:
        first = handle.readline()
    try:
        header = json.loads(first)
    except json.JSONDecodeError as exc:
        raise HybridbatchError(f"line 1 is not JSON ({exc.msg})", path=src) from None
    if not isinstance(header, dict) or "format" not in header:
        raise HybridbatchError("line 1 is not a negatives header (no 'format')", path=src)
    write_text(dst, json.dumps(header, indent=1, ensure_ascii=False) + "\n")
    summary.wrote(dst)


def paired_keys(results_file: Path) -> list[str]:
    """The per-query keys the paired tests read for the evaluation whose results.json is ``results_file``."""
    if not results_file.is_file():
        raise HybridbatchError("per-query arrays without results.json beside them", path=results_file)
    return [m.per_query for m in scorer_for(read_json_object(results_file)).measures if m.per_query]


def _write_paired_arrays(src: Path, dst: Path, summary: ExportSummary) -> None:
    evaluation = src.parent if src.name == PER_QUERY else src.parent.parent
    keys = paired_keys(evaluation / RESULTS)
    with open_npz(src) as data:
        arrays = {k: numeric_array(data, k, src) for k in keys if k in data.files}
    if not arrays:
        raise HybridbatchError(f"holds none of the arrays the paired tests read ({', '.join(keys)})", path=src)
    arrays = {k: v.astype(np.float32) if v.dtype.kind == "f" else v for k, v in arrays.items()}
    with atomic_file(dst) as handle:
        np.savez_compressed(handle, **arrays)
    summary.wrote(dst)
