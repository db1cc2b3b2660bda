"""A saved merge: a loadable folder with its provenance in the record and the card."""

from __future__ import annotations

import json

import torch

from hybridbatch.merging.save import card_section, save_merged
from hybridbatch.merging.wise import load_wise_pair, wise_merge


def test_the_card_section_is_a_markdown_table_of_the_inputs():
    record = {"method": "soup (weighted mean)", "output_weights_sha256": "ff",
              "inputs": [{"model": "a", "weight": 0.5, "weights_sha256": "aa"},
                         {"model": "b", "weight": 0.5, "weights_sha256": "bb"}]}
    assert card_section(record).splitlines() == [
        "## Weight-space merge (hybridbatch)", "", "Method: soup (weighted mean).", "",
        "| input | weight | weights sha256 |", "|---|---|---|", "| a | 0.5 | aa |", "| b | 0.5 | bb |", "",
        "Output weights sha256: ff"]


def test_save_merged_writes_a_loadable_folder_with_its_provenance(base_and_tuned, tmp_path):
    from sentence_transformers import SentenceTransformer

    base_dir, tuned_dir = base_and_tuned
    base, tuned = load_wise_pair(str(base_dir), str(tuned_dir))
    merged = wise_merge(base, tuned, ["base", "tuned"], 0.5)
    record = save_merged(merged, tmp_path / "out", names=["base", "tuned"], inputs=[base, tuned],
                         weights=[0.5, 0.5], method="WiSE-FT, lambda 0.5")
    stored = json.loads((tmp_path / "out" / "hybridbatch_merge.json").read_text())["config"]
    assert stored == record and [x["weight"] for x in stored["inputs"]] == [0.5, 0.5]
    assert "| base | 0.5 |" in (tmp_path / "out" / "README.md").read_text()
    loaded = SentenceTransformer(str(tmp_path / "out"), device="cpu").state_dict()
    assert all(torch.equal(v, merged.state_dict()[k]) for k, v in loaded.items())
