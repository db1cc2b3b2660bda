import numpy as np
import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.embeddings_file import load_embeddings, save_embeddings
from tests.helpers import parallel_benchmark


@pytest.fixture
def bench():
    return parallel_benchmark(["de", "en"], n_groups=3)


def _random(bench, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((len(bench.queries), dim)).astype(np.float32)
    C = rng.standard_normal((len(bench.candidates), dim)).astype(np.float32)
    return Q / np.linalg.norm(Q, axis=1, keepdims=True), C / np.linalg.norm(C, axis=1, keepdims=True)


def test_round_trip_keeps_benchmark_order(bench, tmp_path):
    Q, C = _random(bench)
    path = tmp_path / "emb.npz"
    save_embeddings(path, bench, Q, C)
    with np.load(path) as data:
        assert sorted(data.files) == ["C_de", "C_en", "Q_de", "Q_en"]
        np.testing.assert_array_equal(data["Q_en"], Q[3:6])
    Q2, C2 = load_embeddings(path, bench)
    np.testing.assert_allclose(Q2, Q, atol=1e-6)
    np.testing.assert_allclose(C2, C, atol=1e-6)


def test_missing_key_names_file_and_key(bench, tmp_path):
    Q, C = _random(bench)
    path = tmp_path / "bad.npz"
    np.savez(path, Q_de=Q[:3], Q_en=Q[3:], C_de=C[:6])
    with pytest.raises(HybridbatchError, match=r"bad\.npz: missing array 'C_en'"):
        load_embeddings(path, bench)


def test_wrong_row_count_and_width(bench, tmp_path):
    Q, C = _random(bench)
    path = tmp_path / "rows.npz"
    np.savez(path, Q_de=Q[:2], Q_en=Q[3:], C_de=C[:6], C_en=C[6:])
    with pytest.raises(HybridbatchError, match=r"'Q_de' has shape \(2, 8\), expected \(3, dim\)"):
        load_embeddings(path, bench)
    path = tmp_path / "width.npz"
    np.savez(path, Q_de=Q[:3], Q_en=Q[3:, :4], C_de=C[:6], C_en=C[6:])
    with pytest.raises(HybridbatchError, match="width 4"):
        load_embeddings(path, bench)


def test_not_an_npz(tmp_path, bench):
    path = tmp_path / "junk.npz"
    path.write_text("not a zip")
    with pytest.raises(HybridbatchError, match="junk.npz"):
        load_embeddings(path, bench)
