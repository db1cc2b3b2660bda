"""Language metadata: every benchmark code resolves, classes carry their source, scripts match the data."""

from __future__ import annotations

import collections
import unicodedata
from pathlib import Path

import pytest

from hybridbatch.benchmarks.afriqa.reader import afriqa_files
from hybridbatch.benchmarks.tatoeba.reader import XTREME_LANGUAGES, read_tatoeba, tatoeba_languages
from hybridbatch.benchmarks.tico19.reader import read_tico19, tico19_files
from hybridbatch.data import language_metadata as lm
from hybridbatch.errors import HybridbatchError

NTREX_DIR = Path("/work/shared/data/ntrex128")
SCRIPT_OF = {"LATIN": "Latn", "CYRILLIC": "Cyrl", "ARABIC": "Arab", "GREEK": "Grek", "HEBREW": "Hebr",
             "DEVANAGARI": "Deva", "BENGALI": "Beng", "TAMIL": "Taml", "TELUGU": "Telu", "MALAYALAM": "Mlym",
             "THAI": "Thai", "KHMER": "Khmr", "MYANMAR": "Mymr", "ETHIOPIC": "Ethi", "GEORGIAN": "Geor",
             "ARMENIAN": "Armn", "HANGUL": "Hang", "CJK": "Hani", "HIRAGANA": "Jpan", "KATAKANA": "Jpan",
             "TIBETAN": "Tibt", "THAANA": "Thaa", "SINHALA": "Sinh", "LAO": "Laoo", "KANNADA": "Knda",
             "GUJARATI": "Gujr", "GURMUKHI": "Guru"}


def test_the_file_loads_and_every_system_code_resolves() -> None:
    doc = lm.metadata()
    assert {"lareqa", "tatoeba", "tico19", "afriqa", "ntrex128"} <= set(lm.code_systems())
    for system in lm.code_systems():
        for code, key in lm.system_codes(system).items():
            assert lm.language_info(code, system).code == key
            assert lm.language_info(code).code == key  # no system needed: codes do not clash
    assert all(isinstance(entry["joshi_class"], int) for entry in doc["languages"].values())


@pytest.mark.parametrize("code, system, key, name, cls", [
    ("de", "lareqa", "deu", "German", 5), ("zh", None, "cmn", "Mandarin Chinese", 5), ("swh", "tatoeba", "swh", "Swahili", 2),
    ("swa", "afriqa", "swh", "Swahili", 2), ("sw", "tico19", "swh", "Swahili", 2),
    ("es-LA", "tico19", "spa", "Spanish", 5), ("ti_ER", None, "tir", "Tigrinya", 2), ("pt-BR", None, "por", "Portuguese", 4),
    ("kr", "tico19", "kau", "Kanuri", 0), ("fon", None, "fon", "Fon", 0), ("ind", None, "ind", "Indonesian", 3),
])
def test_lookups(code, system, key, name, cls) -> None:
    info = lm.language_info(code, system)
    assert (info.code, info.name, info.joshi_class) == (key, name, cls)
    assert lm.resource_class(code, system) == cls and lm.known(code)


def test_the_paper_examples_have_their_classes() -> None:
    """Table 1 of Joshi et al. 2020 names these as examples of their classes."""
    table1 = {"eng": 5, "spa": 5, "deu": 5, "jpn": 5, "fra": 5, "rus": 4, "hun": 4, "vie": 4, "nld": 4, "kor": 4,
              "ind": 3, "ukr": 3, "ceb": 3, "afr": 3, "heb": 3, "zul": 2, "gle": 2}
    for key, cls in table1.items():
        info = lm.language_info(key)
        assert (info.joshi_class, info.class_source) == (cls, "joshi2020:table1"), key
    sources = collections.Counter(lm.language_info(k).class_source for k in lm.metadata()["languages"])
    assert set(sources) == set(lm.CLASS_SOURCES)


def test_unknown_codes_and_systems() -> None:
    with pytest.raises(HybridbatchError, match=r"languages.json: unknown language code 'xx' in any code system"):
        lm.language_info("xx")
    with pytest.raises(HybridbatchError, match="unknown language code 'deu' in code system 'lareqa'"):
        lm.language_info("deu", "lareqa")
    with pytest.raises(HybridbatchError, match="unknown code system 'flores'"):
        lm.system_codes("flores")
    assert not lm.known("xx")
    assert set(lm.describe(["de", "xx", "es_LA"])) == {"de", "es_LA"}
    assert lm.describe(["ti_ET"])["ti_ET"]["name"] == "Tigrinya"


@pytest.mark.parametrize("break_it, message", [
    (lambda d: d["languages"]["deu"].update(joshi_class=7), "language 'deu': joshi_class 7 outside 0-5"),
    (lambda d: d["languages"]["deu"].update(class_source="blog"), "language 'deu': class_source 'blog'"),
    (lambda d: d["languages"]["ang"].pop("note"), "language 'ang': an estimated class needs a note"),
    (lambda d: d["languages"]["deu"].pop("script"), "language 'deu': 'script' missing or not str"),
    (lambda d: d["languages"]["fra"].update(iso639_1="de"), "ISO 639-1 code 'de' also given to 'deu'"),
    (lambda d: d["code_systems"]["lareqa"]["codes"].update(xx="zzz"), "code 'xx': maps to 'zzz', which has no entry"),
    (lambda d: d["code_systems"]["tico19"]["codes"].update(de="fra"), "code 'de': maps to 'fra' but another"),
])
def test_the_checker_refuses_bad_files(break_it, message) -> None:
    import copy

    doc = copy.deepcopy(lm.metadata())
    break_it(doc)
    with pytest.raises(HybridbatchError, match=message):
        lm._check(doc, "languages.json")


def test_benchmark_codes_of_the_fixtures_and_constants_are_known(tiny_data: Path) -> None:
    tatoeba = lm.system_codes("tatoeba")
    assert all(x in tatoeba for x in XTREME_LANGUAGES) and "eng" in tatoeba
    assert all(x in tatoeba for x in tatoeba_languages(tiny_data / "tatoeba"))
    assert all(x in lm.system_codes("tico19") for x in tico19_files(tiny_data / "tico19"))
    assert all(x in lm.system_codes("afriqa") for x in afriqa_files(tiny_data / "afriqa", "test"))


def dominant_scripts(texts: list[str]) -> list[str]:
    """ISO 15924 codes of the letters in ``texts`` that make up at least 15% of them, most frequent first."""
    counts: collections.Counter = collections.Counter()
    for text in texts:
        for ch in text:
            if ch.isalpha():
                counts[SCRIPT_OF.get(unicodedata.name(ch, "?").split()[0], "other")] += 1
    total = sum(counts.values())
    return [s for s, n in counts.most_common() if n / total >= 0.15]


@pytest.mark.slow
def test_every_code_in_the_real_data_is_known_and_its_script_matches(real_data: Path) -> None:
    assert set(tatoeba_languages(real_data / "tatoeba")) | {"eng"} == set(lm.system_codes("tatoeba"))
    assert set(tico19_files(real_data / "tico19")) == set(lm.system_codes("tico19"))
    afriqa = {x for split in ("test", "dev", "train") for x in afriqa_files(real_data / "afriqa", split)}
    assert afriqa | {"en", "fr"} == set(lm.system_codes("afriqa"))
    lareqa = {p.stem for p in (real_data / "lareqa").glob("*/*.json")}
    assert lareqa == set(lm.system_codes("lareqa"))
    wrong = []
    tatoeba = read_tatoeba(real_data / "tatoeba", ["all"])
    tico = read_tico19(real_data / "tico19")
    for bench, system in ((tatoeba, "tatoeba"), (tico, "tico19")):
        for lang in bench.languages:
            found = dominant_scripts([c.text for c in bench.candidates if c.lang == lang])
            expected = lm.language_info(lang, system).scripts
            if found[: len(expected)] != expected and not (expected == ["Jpan"] and found[0] == "Jpan"):
                wrong.append(f"{system}:{lang} data {found} metadata {expected}")
    assert not wrong, wrong


def ntrex_file_codes(folder: Path) -> set[str]:
    """The language codes of NTREX-128's file names (``newstest2019-ref.<code>.txt``, ``newstest2019-src.<code>.txt``)."""
    names = (p.name for p in folder.glob("newstest2019-*.txt"))
    return {n.split(".", 1)[1][: -len(".txt")] for n in names}


@pytest.mark.parametrize("code, system, expected", [
    ("ar", "lareqa", "ar"), ("arb", "ntrex128", "ar"), ("eng", "ntrex128", "en"), ("deu", "ntrex128", "de"),
    ("ell", "ntrex128", "el"), ("vie", "ntrex128", "vi"), ("zho_Hans", "ntrex128", "zh"),
    ("zho_Hant", "ntrex128", "zh-Hant"), ("zho-Hant", "ntrex128", "zh-Hant"), ("srp-Latn", "ntrex128", "sr"),
    ("srp-Cyrl", "ntrex128", "sr-Cyrl"), ("fra-CA", "ntrex128", "fr-CA"), ("por-BR", "ntrex128", "pt-BR"),
    ("spa-MX", "ntrex128", "es-MX"), ("eng-GB", "ntrex128", "en-GB"), ("aze-Latn", "ntrex128", "az"),
    ("ckb-Arab", "ntrex128", "ckb"), ("fas", "ntrex128", "fa"), ("msa", "ntrex128", "ms"), ("fil", "ntrex128", "tl"),
    ("mey", "ntrex128", "mey"), ("cmn", "tatoeba", "zh"), ("es_LA", "tico19", "es-LA"), ("swa", "afriqa", "sw"),
])
def test_project_codes(code, system, expected) -> None:
    assert lm.project_code(code, system) == expected
    assert lm.language_info(expected).code == lm.language_info(code, system).code


def test_suffixed_codes_resolve_to_their_language() -> None:
    assert lm.language_info("zh-Hant").code == "cmn" and lm.language_info("en_GB").code == "eng"
    assert lm.language_info("sr-Cyrl").code == "srp" and lm.known("es-419") and lm.known("fr-CA")
    assert not lm.known("xx-GB") and not lm.known("de-xyz")
    with pytest.raises(HybridbatchError, match="unknown language code 'xx-Latn' in any code system"):
        lm.language_info("xx-Latn")


def test_unknown_project_codes_are_one_line_errors() -> None:
    with pytest.raises(HybridbatchError, match="unknown language code 'xyz' in code system 'ntrex128'") as err:
        lm.project_code("xyz", "ntrex128")
    assert "\n" not in str(err.value)
    with pytest.raises(HybridbatchError, match="unknown language code 'deu' in code system 'lareqa'"):
        lm.project_code("deu", "lareqa")
    with pytest.raises(HybridbatchError, match="unknown code system 'ntrex'"):
        lm.project_code("deu", "ntrex")


# Codes from NTREX-128's file names, so that this test needs no data: plain, script- and region-tagged, and the
# ones that resolve to an entry under another key.
NTREX_SAMPLE = ["afr", "arb", "aze-Latn", "bod", "ckb-Arab", "eng", "eng-GB", "eng-IN", "eng-US", "fas", "fil", "fra-CA",
                "hmn", "kmr", "lav", "msa", "por-BR", "shi", "sna-Latn", "snd-Arab", "spa-MX", "srp-Cyrl", "srp-Latn",
                "swa", "tgk-Cyrl", "yue", "zho_Hans", "zho_Hant", "zul"]


def check_ntrex_codes(codes: list[str]) -> None:
    known_codes = lm.system_codes("ntrex128")
    missing = [c for c in codes if c not in known_codes]
    assert not missing, f"NTREX-128 codes without an entry: {missing}"
    projected = {}
    for code in codes:
        out = lm.project_code(code, "ntrex128")
        info = lm.language_info(out)  # reports can show metadata of every project code
        assert info.code == known_codes[code] == lm.language_info(code).code, code
        assert 0 <= info.joshi_class <= 5 and info.class_source in lm.CLASS_SOURCES
        projected.setdefault(out, []).append(code)
    assert not {o: c for o, c in projected.items() if len(c) > 1}, "two NTREX codes share a project code"


def test_ntrex_sample_codes_map() -> None:
    check_ntrex_codes(NTREX_SAMPLE)


@pytest.mark.skipif(not NTREX_DIR.is_dir(), reason="NTREX-128 data not present")
def test_every_ntrex_file_code_maps() -> None:
    codes = ntrex_file_codes(NTREX_DIR)
    assert len(codes) == 128 and "eng" in codes
    assert codes == set(lm.system_codes("ntrex128"))
    check_ntrex_codes(sorted(codes))


def test_new_ntrex_entries_carry_honest_sources() -> None:
    """Fijian (1), Lao and Maltese (2) are Table 1 examples; the other languages NTREX-128 added are estimates."""
    for key, cls in {"fij": 1, "lao": 2, "mlt": 2}.items():
        info = lm.language_info(key)
        assert (info.joshi_class, info.class_source) == (cls, "joshi2020:table1"), key
    for key in ("bod", "dzo", "hmn", "mey", "shi", "tah", "wol"):
        info = lm.language_info(key)
        assert info.class_source == "estimate" and info.note, key


@pytest.mark.skipif(not NTREX_DIR.is_dir(), reason="NTREX-128 data not present")
def test_ntrex_scripts_match_the_data() -> None:
    """The first 200 lines of each NTREX-128 file are in the script its project code implies."""
    wrong = []
    for code in lm.system_codes("ntrex128"):
        kind = "src" if code == "eng" else "ref"
        lines = (NTREX_DIR / f"newstest2019-{kind}.{code}.txt").read_text("utf-8").splitlines()[:200]
        found = dominant_scripts(lines)
        info = lm.language_info(code, "ntrex128")
        suffix = lm.project_code(code, "ntrex128").partition("-")[2]
        expected = "Hani" if suffix in ("Hans", "Hant") else suffix if len(suffix) == 4 else info.scripts[0]
        if found[:1] != [expected] and not (expected == "Jpan" and found[:1] == ["Hani"]):
            wrong.append(f"ntrex128:{code} data {found} metadata {expected}")
    assert not wrong, wrong
