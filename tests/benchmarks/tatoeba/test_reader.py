"""Tatoeba reader: ids, groups and qrels of the bitext layout, language keywords, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridbatch.benchmarks.tatoeba.reader import XTREME_LANGUAGES, read_tatoeba, tatoeba_languages
from hybridbatch.errors import HybridbatchError


@pytest.fixture
def folder(tiny_data: Path) -> Path:
    return tiny_data / "tatoeba"


def test_all_pairs_layout(folder: Path) -> None:
    b = read_tatoeba(folder, ["all"])
    assert b.kind == "bitext" and b.name == "tatoeba"
    assert b.languages == ["afr", "deu", "eng", "xho"]
    assert tatoeba_languages(folder) == ["afr", "deu", "xho"]
    assert len(b.queries) == len(b.candidates) == 2 * (4 + 3 + 2)
    q = {x.id: x for x in b.queries}
    assert q["afr-eng:afr:2"].text == "Waar is die stasie?" and q["afr-eng:afr:2"].group == "afr-eng:2"
    assert q["deu-eng:eng:1"].lang == "eng" and q["deu-eng:eng:1"].text == "Thank you."
    assert b.qrels["afr-eng:afr:2"] == {"afr-eng:eng:2": 1}
    assert b.qrels["xho-eng:eng:0"] == {"xho-eng:xho:0": 1}
    assert [c.id for c in b.candidates] == [x.id for x in b.queries]


def test_a_sentence_shared_by_pairs_is_one_text(folder: Path) -> None:
    """The encode cache keys on (side, text): "I am tired." in three pairs must be the same string."""
    b = read_tatoeba(folder, ["all"])
    tired = [c for c in b.candidates if c.text == "I am tired."]
    assert [c.id for c in tired] == ["afr-eng:eng:0", "deu-eng:eng:0", "xho-eng:eng:0"]
    assert len({c.text for c in b.candidates}) == len(b.candidates) - 4  # "I am tired." x3, "Thank you." x3


def test_language_selection(folder: Path) -> None:
    assert read_tatoeba(folder, ["xho", "afr"]).languages == ["afr", "eng", "xho"]
    assert read_tatoeba(folder, ["ALL"]).languages == ["afr", "deu", "eng", "xho"]
    with pytest.raises(HybridbatchError, match=r"tatoeba: unknown language\(s\) zzz; available: afr, deu, xho"):
        read_tatoeba(folder, ["zzz"])
    with pytest.raises(HybridbatchError, match="unknown language.*eng"):
        read_tatoeba(folder, ["eng"])


@pytest.mark.parametrize("languages", [None, ["xtreme"]])
def test_default_is_xtreme_and_names_the_missing_file(folder: Path, languages) -> None:
    assert len(XTREME_LANGUAGES) == 36
    with pytest.raises(HybridbatchError, match=r"tatoeba\.ara-eng\.ara: file not found \(XTREME language "
                                               r"'ara'; 34 of the 36 missing\)"):
        read_tatoeba(folder, languages)


def test_unequal_line_counts_name_the_longer_file_and_line(folder: Path) -> None:
    (folder / "tatoeba.deu-eng.eng").write_text("I am tired.\nThank you.\n", encoding="utf-8")
    with pytest.raises(HybridbatchError) as err:
        read_tatoeba(folder, ["deu"])
    message = str(err.value)
    assert message.endswith("tatoeba.deu-eng.deu: line 3: 3 lines but tatoeba.deu-eng.eng has 2: this line has "
                            "no translation")
    assert "\n" not in message


@pytest.mark.parametrize("content, where, what", [
    (b"Ich bin m\xfcde.\nDanke.\nX\n", "line 1", "not UTF-8 text"),
    (b"Ich bin mude.\n   \nX\n", "line 2", "empty line"),
    (b"", None, "no sentences"),
])
def test_bad_file_contents(folder: Path, content: bytes, where, what) -> None:
    (folder / "tatoeba.deu-eng.deu").write_bytes(content)
    with pytest.raises(HybridbatchError, match=f"tatoeba.deu-eng.deu: {where + ': ' if where else ''}{what}"):
        read_tatoeba(folder, ["deu"])


def test_missing_pair_file_and_folder(folder: Path, tmp_path: Path) -> None:
    (folder / "tatoeba.xho-eng.eng").unlink()
    with pytest.raises(HybridbatchError, match=r"tatoeba\.xho-eng\.eng: file not found"):
        read_tatoeba(folder, ["xho"])
    with pytest.raises(HybridbatchError, match="Tatoeba folder not found"):
        read_tatoeba(tmp_path / "nope")


def test_surrounding_whitespace_and_crlf_are_stripped(folder: Path) -> None:
    (folder / "tatoeba.xho-eng.xho").write_bytes(b"  Ndidiniwe.\r\nEnkosi.  \r\n")
    b = read_tatoeba(folder, ["xho"])
    assert [q.text for q in b.queries if q.lang == "xho"] == ["Ndidiniwe.", "Enkosi."]


@pytest.mark.slow
def test_real_tatoeba(real_data: Path) -> None:
    folder = real_data / "tatoeba"
    assert len(tatoeba_languages(folder)) == 112
    xtreme = read_tatoeba(folder)
    assert xtreme.languages == sorted([*XTREME_LANGUAGES, "eng"])
    assert sum(q.lang != "eng" for q in xtreme.queries) == 31_692
    everything = read_tatoeba(folder, ["all"])
    assert len(everything.languages) == 113 and len(everything.queries) == 2 * 88_877
    assert len({c.text for c in everything.candidates if c.lang == "eng"}) == 69_241
