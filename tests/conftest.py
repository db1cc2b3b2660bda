"""Shared fixtures: a tiny randomly initialised sentence-transformers model, a mock encoder, the tiny data
fixtures and editable copies, the real data folder."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

TINY_CORPUS = [
    "what is the capital of france", "paris is the capital of france", "wie heißt die hauptstadt",
    "berlin ist die hauptstadt von deutschland", "¿cuál es la capital de españa?", "madrid es la capital",
    "the cat sat on the mat", "der hund schläft", "el perro duerme", "query passage question answer",
]


def build_tiny_model(folder: Path, seed: int = 0) -> Path:
    """Save a 2-layer, 32-wide BERT with a WordPiece vocabulary trained on TINY_CORPUS as an ST folder."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    hf_dir = folder / "hf"
    hf_dir.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=300, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                                                        "[MASK]"])
    tok.train_from_iterator(TINY_CORPUS * 3, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_max_length=64)
    fast.save_pretrained(hf_dir)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(hf_dir)
    transformer = Transformer(str(hf_dir), max_seq_length=64)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu")
    st_dir = folder / "st"
    model.save(str(st_dir))
    return st_dir


@pytest.fixture(autouse=True)
def cpu_without_native_bf16(monkeypatch):
    """Every test runs as on a CPU without native bf16, so precision ``auto`` means fp32 on any machine
    (results are compared with fp32 references); tests/test_hardware.py checks the choice per flag set."""
    from hybridbatch import hardware

    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset())


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """Path of a tiny random sentence-transformers model folder (built once per test session)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))


class MockEncoder:
    """Deterministic encoder: each text maps to a fixed random unit vector; counts what it encodes."""

    def __init__(self, dim: int = 16, name: str = "mock"):
        self.dim = dim
        self.name = name
        self.encoded: list[str] = []

    @property
    def identity(self) -> str:
        return f"{self.name}-{self.dim}"

    def _vec(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:4], "little")
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += list(texts)
        return np.stack([self._vec("q:" + t) for t in texts])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += list(texts)
        return np.stack([self._vec("p:" + t) for t in texts])


@pytest.fixture
def mock_encoder() -> MockEncoder:
    return MockEncoder()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own cache folder, so no test reads another's embeddings or models."""
    if "HYBRIDBATCH_CACHE_SHARED" not in os.environ:
        monkeypatch.setenv("HYBRIDBATCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real shared data folder; tests using it are skipped when HYBRIDBATCH_DATA is unset."""
    value = os.environ.get("HYBRIDBATCH_DATA")
    if not value or not Path(value).is_dir():
        pytest.skip("HYBRIDBATCH_DATA not set")
    return Path(value)


# ---- data fixtures: the tiny fixture folders, editable copies, the real data folder ----
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def lareqa_tiny() -> Path:
    """tests/fixtures/lareqa_tiny: de, en (4 questions each) and es (3; no translation of q3)."""
    return FIXTURES / "lareqa_tiny"


@pytest.fixture
def beir_tiny() -> Path:
    """tests/fixtures/beir_tiny: 7 documents (de, en, sw, one without lang), 5 queries, test/dev qrels."""
    return FIXTURES / "beir_tiny"


@pytest.fixture
def lareqa_copy(tmp_path: Path) -> Path:
    """A writable copy of lareqa_tiny inside tmp_path."""
    return Path(shutil.copytree(FIXTURES / "lareqa_tiny", tmp_path / "lareqa_tiny"))


@pytest.fixture
def beir_copy(tmp_path: Path) -> Path:
    """A writable copy of beir_tiny inside tmp_path."""
    return Path(shutil.copytree(FIXTURES / "beir_tiny", tmp_path / "beir_tiny"))


@pytest.fixture
def edit_json() -> Callable[[Path, Callable[[dict], object]], None]:
    """``edit_json(path, change)``: load ``path``, apply ``change`` in place, write it back."""

    def edit(path: Path, change: Callable[[dict], object]) -> None:
        root = json.loads(path.read_text(encoding="utf-8"))
        change(root)
        path.write_text(json.dumps(root, ensure_ascii=False), encoding="utf-8")

    return edit


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The shared data folder from $HYBRIDBATCH_DATA; skips when unset."""
    value = os.environ.get("HYBRIDBATCH_DATA")
    if not value:
        pytest.skip("HYBRIDBATCH_DATA is not set")
    return Path(value)


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    """A writable data folder with tatoeba/, tico19/ (zipped TMX) and afriqa/ built from the tiny fixtures."""
    from tests.data.tiny_data import build_data_dir

    return build_data_dir(tmp_path / "data")
