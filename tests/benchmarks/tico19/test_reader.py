"""TICO-19 reader: which file each language comes from, the splits, qrels, one-line errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from hybridbatch.benchmarks.tico19.reader import read_tico19, tico19_files
from hybridbatch.errors import HybridbatchError

TEST_UNITS = ["CMU_1:1", "PubMed_2:3", "CMU_1:2"]


@pytest.fixture
def folder(tiny_data: Path) -> Path:
    return tiny_data / "tico19"


def rewrite(folder: Path, pair: str, change) -> None:
    """Apply ``change`` to the TMX text inside ``all.<pair>.tmx.zip``."""
    path = folder / f"all.{pair}.tmx.zip"
    with zipfile.ZipFile(path) as z:
        text = z.read(f"all.{pair}.tmx").decode("utf-8")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"all.{pair}.tmx", change(text))


def test_test_split_layout(folder: Path) -> None:
    b = read_tico19(folder)
    assert b.kind == "multiparallel" and b.name == "tico19-test"
    assert b.languages == ["am", "ckb", "en", "es_LA", "fr", "om"]
    assert [q.group for q in b.queries[:3]] == TEST_UNITS  # test-ids.txt order
    assert len(b.queries) == len(b.candidates) == 6 * 3
    assert [c.id for c in b.candidates] == [q.id for q in b.queries]
    assert b.qrels["fr:CMU_1:2"] == {f"{y}:CMU_1:2": 1 for y in ["am", "ckb", "en", "es_LA", "om"]}
    text = {q.id: q.text for q in b.queries}
    assert text["en:CMU_1:2"] == "how long have you had the cough?"  # English from all.en-fr, not all.en-es-LA
    assert text["es_LA:CMU_1:1"] == "¿tiene fiebre?"
    assert text["ckb:CMU_1:1"] == "تات هەیە؟"  # target xml:lang "all" (the all.en-ckb quirk)
    assert text["am:PubMed_2:3"] == "ቫይረሱ በጠብታዎች ይተላለፋል።"  # source side of all.am-om
    assert text["om:CMU_1:1"] == "Ho'ia qabdaa?"


def test_files_and_codes(folder: Path) -> None:
    files = tico19_files(folder)
    assert files["en"][0].name == "all.en-fr.tmx.zip" and files["om"][0].name == "all.en-om.tmx.zip"
    assert files["am"][0].name == "all.am-om.tmx.zip" and files["es_LA"][1] == "es-LA"


def test_dev_split_and_language_choice(folder: Path) -> None:
    b = read_tico19(folder, "dev", ["es-LA", "fr"])
    assert b.name == "tico19-dev" and b.languages == ["es_LA", "fr"]
    assert [q.id for q in b.queries] == ["es_LA:CMU_1:3", "es_LA:Wiki_9:1", "fr:CMU_1:3", "fr:Wiki_9:1"]
    assert read_tico19(folder, "test", ["all"]).languages == read_tico19(folder).languages


def test_language_errors(folder: Path) -> None:
    with pytest.raises(HybridbatchError, match=r"tico19: unknown language\(s\) xx; available: am, ckb, en, es_LA, fr, om"):
        read_tico19(folder, "test", ["fr", "xx"])


def test_one_language_has_no_relevant_candidates(folder: Path) -> None:
    b = read_tico19(folder, "test", ["fr"])
    assert b.languages == ["fr"] and len(b.queries) == 3
    assert all(len(r) == 0 for r in b.relevant_indices())  # its translations are in no chosen language


def test_unknown_split_and_missing_folder(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(HybridbatchError, match="unknown TICO-19 split 'train'; expected one of test, dev"):
        read_tico19(folder, "train")
    with pytest.raises(HybridbatchError, match="TICO-19 folder not found"):
        read_tico19(tmp_path / "nope")


def test_test_ids_file(folder: Path) -> None:
    (folder / "test-ids.txt").write_text("CMU_1:1\n\nCMU_1:2\nCMU_1:1\n", encoding="utf-8")
    with pytest.raises(HybridbatchError, match=r"test-ids.txt: line 4: tuid 'CMU_1:1' repeated \(first on line 1\)"):
        read_tico19(folder)
    (folder / "test-ids.txt").unlink()
    with pytest.raises(HybridbatchError, match=r"test-ids.txt: file not found \(the official test split\)"):
        read_tico19(folder)


def test_a_unit_missing_from_one_file(folder: Path) -> None:
    rewrite(folder, "en-om", lambda t: t.replace('tuid="PubMed_2:3"', 'tuid="PubMed_2:4"'))
    with pytest.raises(HybridbatchError, match=r"all.en-om.tmx.zip!all.en-om.tmx: 1 unit\(s\) of the test split "
                                               r"missing, e.g. 'PubMed_2:3'"):
        read_tico19(folder, "test", ["en", "om"])


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("<seg>¿tiene fiebre?</seg>", "<seg>  </seg>"),
     r"all.en-es-LA.tmx: line 7: empty <seg> for 'es-LA' in unit 'CMU_1:1'"),
    (lambda t: t.replace('xml:lang="es-LA"><seg>¿tiene fiebre?', 'xml:lang="pt"><seg>¿tiene fiebre?'),
     r"all.en-es-LA.tmx: line 3: unit 'CMU_1:1' has 0 <tuv> for 'es-LA' \(languages: en, pt\)"),
    (lambda t: t.replace('tuid="CMU_1:2"', 'tuid="CMU_1:1"'),
     r"all.en-es-LA.tmx: line 9: tuid 'CMU_1:1' repeated \(first on line 3\)"),
    (lambda t: t.replace("</tu>\n<tu tuid=\"CMU_1:3\"", "<tu tuid=\"CMU_1:3\""),
     r"all.en-es-LA.tmx: line \d+: malformed XML"),
])
def test_bad_tmx_names_file_and_line(folder: Path, change, message) -> None:
    rewrite(folder, "en-es-LA", change)
    with pytest.raises(HybridbatchError, match=message) as err:
        read_tico19(folder, "test", ["es_LA", "fr"])
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_real_tico19(real_data: Path) -> None:
    b = read_tico19(real_data / "tico19")
    assert len(b.languages) == 39 and "ti_ER" in b.languages and "pt_BR" in b.languages
    assert len(b.queries) == 39 * 2100
    assert b.queries[0].group == "CMU_1:1"
    dev = read_tico19(real_data / "tico19", "dev", ["en", "am"])
    assert len(dev.queries) == 2 * 971
