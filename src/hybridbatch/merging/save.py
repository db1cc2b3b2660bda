"""A merge written as an ordinary sentence-transformers folder, with its provenance (inputs with their
weight hashes, the weights, the output hash) in ``hybridbatch_merge.json`` and in the model card."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hybridbatch.models.fingerprint import model_fingerprint
from hybridbatch.outputs import atomic_dir, provenance, write_json, write_text
from hybridbatch.render.tables import markdown_table
from hybridbatch.run_files import MERGE_RECORD, MODEL_CARD


def save_merged(model: Any, folder: Path, *, names: Sequence[str], inputs: Sequence[Any],
                weights: Sequence[float], method: str) -> dict[str, Any]:
    """Write the merged ``model`` into ``folder`` (atomically: whole or not at all) with its provenance;
    ``names``, ``inputs`` and ``weights`` describe the merged models in order. Returns the provenance
    record (``method``, ``inputs``, ``output_weights_sha256``)."""
    record = {"method": method,
              "inputs": [{"model": str(n), "weights_sha256": model_fingerprint(m), "weight": float(w)}
                         for n, m, w in zip(names, inputs, weights)],
              "output_weights_sha256": model_fingerprint(model)}
    with atomic_dir(Path(folder)) as tmp:
        model.save(str(tmp))
        card = tmp / MODEL_CARD
        text = card.read_text(encoding="utf-8") if card.exists() else ""
        write_text(card, card_section(record) + "\n" + text)
        write_json(tmp / MERGE_RECORD, provenance(record))
    return record


def card_section(record: dict[str, Any]) -> str:
    """The model card's section on the merge: method, inputs with weight and hash, output hash."""
    lines = ["## Weight-space merge (hybridbatch)", "", f"Method: {record['method']}.", ""]
    lines += markdown_table(["input", "weight", "weights sha256"],
                            [[x["model"], f"{x['weight']:g}", x["weights_sha256"]] for x in record["inputs"]])
    lines += ["", f"Output weights sha256: {record['output_weights_sha256']}", ""]
    return "\n".join(lines)
