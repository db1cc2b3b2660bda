"""Bitext datasets: line-parallel folders (NTREX layout) and TSV; X-Y batches only."""

from __future__ import annotations

import numpy as np
import pytest

from hybridbatch.data.bitext import read_bitext
from hybridbatch.data.training_pairs import PairSet, TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import SamplingConfig
from hybridbatch.training.planner import BatchPlanner, batch_mix
from tests.training.helpers import toy_pairs


def _folder(tmp_path, n=30):
    root = tmp_path / "bitext"
    root.mkdir()
    (root / "newstest2019-src.eng.txt").write_text("".join(f"sentence {i} in english\n" for i in range(n)))
    for code in ("deu", "zho_Hant", "fra", "fra-CA"):
        (root / f"newstest2019-ref.{code}.txt").write_text("".join(f"sentence {i} in {code}\n" for i in range(n)))
    (root / "newstest2019-ref-2.deu.txt").write_text("second reference\n" * n)
    return root


def test_folder_maps_codes_and_leaves_out_second_references_and_regional_variants(tmp_path):
    ps = read_bitext(str(_folder(tmp_path)), tmp_path, None)
    assert ps.languages == ["de", "en", "fr", "zh-Hant"] and not ps.monolingual
    assert len(ps.groups) == 30 and ps.n_items == 120
    item = ps.items[int(ps.lang_item[ps.groups.index("1"), ps.languages.index("en")])]
    assert item.query == item.passage == "sentence 0 in english"
    assert read_bitext(str(tmp_path / "bitext"), tmp_path, None, exclude=["fr", "zh-Hant"]).languages == ["de", "en"]


def test_misaligned_files_unknown_codes_and_bad_tsv_are_one_line_errors(tmp_path):
    root = _folder(tmp_path)
    (root / "newstest2019-ref.deu.txt").write_text("one line\n")
    with pytest.raises(HybridbatchError, match="not line-aligned"):
        read_bitext(str(root), tmp_path, None)
    (root / "newstest2019-ref.deu.txt").unlink()
    (root / "newstest2019-ref.xqz.txt").write_text("x\n" * 30)
    with pytest.raises(HybridbatchError, match="xqz"):
        read_bitext(str(root), tmp_path, None)
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("lang\tgroup\ttext\nen\t1\thello\nde\t1\n")
    with pytest.raises(HybridbatchError, match=r"pairs.tsv: line 3: expected three"):
        read_bitext(str(tsv), tmp_path, None)
    tsv.write_text("en\t1\thello\nde\t1\thallo\nen\t2\tbye\nde\t2\ttschuess\n")
    assert read_bitext("pairs.tsv", tmp_path, None).n_items == 4


def test_bitext_in_a_mix_gives_x_y_batches_only_and_weights_set_the_shares(tmp_path):
    qa = toy_pairs(40, name="qa")
    bitext = read_bitext(str(_folder(tmp_path, n=40)), tmp_path, None, name="bitext", weight=1.0)
    qa.weight = 3.0
    pairs = TrainingPairs([qa, bitext])
    config = SamplingConfig(strategy="hybrid", alpha=0.5)
    planner = BatchPlanner(pairs, 8, config, seed=1, batches_per_epoch=400)
    batches = list(planner.plan(0))
    from_bitext = [b for b in batches if b.dataset == "bitext"]
    assert from_bitext and all(b.batch_type == "x-y" for b in from_bitext)
    assert abs(len(from_bitext) / len(batches) - 0.25) < 0.06
    mono = sum(b.batch_type == "x-x-mono" for b in batches) / len(batches)
    mix = batch_mix(pairs, config)
    assert mix == {"qa": {"batches": 0.75, "x-x-mono": 0.375}, "bitext": {"batches": 0.25, "x-x-mono": 0.0}}
    assert abs(mono - 0.375) < 0.07
    qa.weight = None
    with pytest.raises(HybridbatchError, match="every training dataset or to none"):
        BatchPlanner(pairs, 8, config, seed=1)


def test_pairset_from_items_is_monolingual_by_default():
    assert PairSet("t", toy_pairs(3).items).monolingual
    assert np.all(toy_pairs(3).cluster_of >= 0)
