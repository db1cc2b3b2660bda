"""Query perturbations: deterministic, rate respected, never empty, Unicode-safe for every benchmark script."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.data.perturb import (
    NAMES,
    char_noise,
    clusters,
    code_switch,
    parse_perturbation,
    perturb_queries,
    perturb_text,
    query_rng,
    strip_diacritics,
)
from hybridbatch.errors import HybridbatchError

# one question per script of XQuAD-R / MLQA-R / TICO-19 (Latin, Arabic, Devanagari, Thai, Han, Greek,
# Cyrillic, Vietnamese Latin, Ethiopic, Bengali, Tamil, Myanmar, Khmer)
SAMPLES = {
    "en": "What is the capital of France, and why?", "es": "¿Cuál es la capital de Francia, y por qué?",
    "ar": "ما هي عاصمة فرنسا؟", "hi": "फ्रांस की राजधानी क्या है?", "th": "เมืองหลวงของฝรั่งเศสคืออะไร",
    "zh": "法国的首都是什么？", "el": "Ποια είναι η πρωτεύουσα της Γαλλίας;", "ru": "Какая столица Франции?",
    "vi": "Thủ đô của Pháp là gì?", "tr": "Fransa'nın başkenti neresidir?", "am": "የፈረንሳይ ዋና ከተማ ምንድን ነው?",
    "bn": "ফ্রান্সের রাজধানী কী?", "ta": "பிரான்சின் தலைநகரம் எது?", "my": "ပြင်သစ်၏ မြို့တော်ကဘာလဲ",
    "km": "តើរដ្ឋធានីរបស់បារាំងជាអ្វី?", "de": "Was ist die Hauptstadt Frankreichs?",
}
SPECS = ["char-noise:0.05", "char-noise:0.3", "char-noise:1", "diacritics", "lowercase", "punctuation",
         "translit", "code-switch:0.3", "code-switch:1"]


def bench() -> Benchmark:
    queries = [Query(f"{lang}:g1", lang, "g1", text) for lang, text in SAMPLES.items()]
    queries.append(Query("xx:g2", "xx", "g2", "?!"))  # a group with one language, only punctuation
    cands = [Candidate(f"{lang}:c", lang, "answer") for lang in list(SAMPLES) + ["xx"]]
    return Benchmark("toy", "lareqa", queries, cands, {q.id: {f"{q.lang}:c": 1} for q in queries},
                     sorted(list(SAMPLES) + ["xx"]))


@pytest.mark.parametrize("spec", SPECS)
def test_deterministic_nonempty_and_valid_unicode(spec):
    pytest.importorskip("anyascii")
    p = parse_perturbation(spec)
    a, stats = perturb_queries(bench(), p, seed=3)
    b, _ = perturb_queries(bench(), p, seed=3)
    assert a == b
    assert all(t.strip() for t in a)
    for t in a:
        t.encode("utf-8")  # no lone surrogates
        assert all(unicodedata.category(ch) != "Cs" for ch in t)
        assert not unicodedata.category(t[0]).startswith("M") or not t[0].strip()  # no orphan mark first
    assert stats["queries"] == len(a) and stats["changed"] >= 1
    if spec.startswith("code-switch"):
        assert stats["no_partner"] == 1 and a[-1] == "?!"
    c, _ = perturb_queries(bench(), p, seed=4)
    if spec.startswith("char-noise"):
        assert a != c  # another seed, other noise


def test_char_noise_rate_is_respected_and_nested():
    text = " ".join(SAMPLES.values())
    n = sum(1 for c in clusters(text) if not c.isspace())
    for p in (0.05, 0.1, 0.3):
        edits = [char_noise(text, p, np.random.default_rng(s))[1] for s in range(200)]
        assert np.mean(edits) / n == pytest.approx(p, rel=0.1)
    # the clusters edited at p are among those edited at p' > p (same generator state)
    low = char_noise(text, 0.1, np.random.default_rng(7))[1]
    high = char_noise(text, 0.3, np.random.default_rng(7))[1]
    assert low <= high


def test_char_noise_never_empties_and_keeps_marks_with_their_letters():
    for s in range(200):
        out, _ = char_noise("ab", 1.0, np.random.default_rng(s))
        assert out.strip()
    assert clusters("की") == ["की"] and clusters("Ποια") == ["Π", "ο", "ι", "α"]
    out, _ = char_noise(SAMPLES["hi"], 1.0, np.random.default_rng(0))
    assert all(not unicodedata.category(c[0]).startswith("M") for c in clusters(out))


def test_definitions_on_examples():
    rng = np.random.default_rng(0)
    assert strip_diacritics("Thủ đô của Pháp là gì") == "Thu đo cua Phap la gi"  # đ is a letter, not a mark
    assert strip_diacritics("πρωτεύουσα") == "πρωτευουσα" and strip_diacritics("йод") == "иод"
    assert strip_diacritics("مُحَمَّد") == "محمد"
    assert strip_diacritics(SAMPLES["hi"]) == SAMPLES["hi"]  # Devanagari vowel signs stay
    assert strip_diacritics(SAMPLES["th"]) == SAMPLES["th"]
    # a word that starts with a mark (a Thai vowel sign after a space, a stray accent) has no base letter
    assert strip_diacritics("\u0e34\u0e19") == "\u0e34\u0e19"
    assert strip_diacritics("\u0301ab\u0301c") == "\u0301abc"
    assert perturb_text("Ünïcode Straße?", parse_perturbation("lowercase"), rng) == "ünïcode straße?"
    assert perturb_text("¿Qué? ¡Sí!", parse_perturbation("punctuation"), rng) == "Qué Sí"
    assert perturb_text("?!", parse_perturbation("punctuation"), rng) == "?!"  # never empty
    assert code_switch("a b c d", "w x y z", 0.5, np.random.default_rng(0)).split().count("a") <= 1
    out = code_switch("one two three four", "uno dos tres cuatro", 1.0, rng)
    assert out == "uno dos tres cuatro"
    assert code_switch("法国的首都", "the capital of France", 0.4, np.random.default_rng(1)).strip()


def test_code_switch_prefers_english_partner_and_rate():
    b = bench()
    texts, _ = perturb_queries(b, parse_perturbation("code-switch:1"), seed=0)
    by_lang = {q.lang: t for q, t in zip(b.queries, texts)}
    assert by_lang["de"] == SAMPLES["en"]  # the whole query replaced by its English translation
    assert by_lang["en"] != SAMPLES["en"]  # English takes another language


def test_seeded_per_query_generator():
    a = query_rng(1, "char-noise", "q1").random(3)
    assert np.array_equal(a, query_rng(1, "char-noise", "q1").random(3))
    assert not np.array_equal(a, query_rng(1, "char-noise", "q2").random(3))


@pytest.mark.parametrize("spec,message", [("typo:0.1", "unknown perturbation"), ("char-noise:0", "outside"),
                                          ("char-noise:1.5", "outside"), ("lowercase:x", "not a number"),
                                          ("char-noise:nan", "outside")])
def test_bad_specs_are_one_line_errors(spec, message):
    with pytest.raises(HybridbatchError, match=message) as err:
        parse_perturbation(spec)
    assert "\n" not in str(err.value)


def test_every_name_has_a_default():
    assert {parse_perturbation(n).name for n in NAMES} == set(NAMES)
