"""TICO-19 as training data: next-sentence items of non-test units, test texts filtered, the training
loader's tico19:dev spec and the leakage check of TICO-19's test split."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from hybridbatch.benchmarks.tico19.pairs import next_unit, tico19_pairs
from hybridbatch.errors import HybridbatchError

# document D: sentences 1..5; test = D:3 (and E:1); so the dev pairs are D:1→D:2 and D:4→D:5
UNITS = {"D:1": ("fever and cough", "fièvre et toux"), "D:2": ("wash your hands", "lavez vos mains"),
         "D:3": ("stay home", "restez chez vous"), "D:4": ("call a doctor", "appelez un médecin"),
         "D:5": ("stay home", "restez à la maison"),  # English equals a test sentence: (D:4, en) dropped
         "E:1": ("masks help", "les masques aident"), "E:x": ("no number", "sans numéro")}


def write_tico(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for tgt, idx in (("fr", 1), ("om", None)):
        tus = "".join(f'<tu tuid="{t}"><tuv xml:lang="en"><seg>{en}</seg></tuv><tuv xml:lang="{tgt}"><seg>'
                      f'{fr if idx else "om " + en}</seg></tuv></tu>\n' for t, (en, fr) in UNITS.items())
        xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header/><body>\n{tus}</body></tmx>\n'
        with zipfile.ZipFile(folder / f"all.en-{tgt}.tmx.zip", "w") as z:
            z.writestr(f"all.en-{tgt}.tmx", xml)
    (folder / "test-ids.txt").write_text("D:3\nE:1\n", encoding="utf-8")
    return folder


def test_next_sentence_items_of_dev_units_only(tmp_path):
    ps = tico19_pairs(write_tico(tmp_path / "tico19"), ["en", "fr"])
    got = {(it.group, it.lang): (it.query, it.passage) for it in ps.items}
    assert got == {("D:1", "en"): ("fever and cough", "wash your hands"),
                   ("D:1", "fr"): ("fièvre et toux", "lavez vos mains"),
                   ("D:4", "fr"): ("appelez un médecin", "restez à la maison")}
    assert ps.stats == {"pairs": 2, "items": 3, "dropped_test_overlap": 1}
    rows = {(r.query_lang, r.passage_lang) for r in ps.rows() if r.group == "D:1"}
    assert rows == {("en", "en"), ("en", "fr"), ("fr", "en"), ("fr", "fr")}  # mono and cross-lingual rows
    assert next_unit("PubMed_8:12") == "PubMed_8:13" and next_unit("E:x") is None


def test_training_loader_reads_tico19_dev_and_checks_its_test_split(tmp_path, monkeypatch):
    from hybridbatch.training.config import DatasetConfig, TrainConfig
    from hybridbatch.training.data import leakage_reports, load_datasets, prepare_data

    write_tico(tmp_path / "data" / "tico19")
    monkeypatch.setenv("HYBRIDBATCH_DATA", str(tmp_path / "data"))
    cfg = TrainConfig(datasets=[DatasetConfig(benchmark="tico19:dev", name="tico", languages=["en", "fr"])],
                      validation_fraction=0.0)
    (ps,) = load_datasets(cfg)
    assert ps.name == "tico" and len(ps.items) == 3
    reports = leakage_reports(cfg, prepare_data(cfg))
    assert [r.benchmark for r in reports] == ["tico19-test"] and not reports[0].overlap
    for spec in ("tico19", "tico19:test"):
        bad = TrainConfig(datasets=[DatasetConfig(benchmark=spec)], validation_fraction=0.0)
        with pytest.raises(HybridbatchError, match="train on 'tico19:dev'"):
            load_datasets(bad)
