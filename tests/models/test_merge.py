"""Weight-space merging: exact end points, midpoints, soups, refusals, a loadable output."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from hybridbatch.cli import main
from hybridbatch.errors import HybridbatchError
from hybridbatch.models.merge import check_compatible, merge_models, merge_state_dicts, wise_weights
from tests.conftest import build_tiny_model


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    from sentence_transformers import SentenceTransformer

    base_dir = build_tiny_model(tmp_path_factory.mktemp("base"), seed=0)
    base = SentenceTransformer(str(base_dir), device="cpu")
    tuned = copy.deepcopy(base)
    with torch.no_grad():
        for p in tuned.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    tuned_dir = tmp_path_factory.mktemp("tuned") / "st"
    tuned.save(str(tuned_dir))
    return base, tuned, base_dir, tuned_dir


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_lambda_0_and_1_reproduce_the_inputs_bit_for_bit(two_models):
    base, tuned, _, _ = two_models
    names = ["base", "tuned"]
    assert _equal(merge_models([base, tuned], names, wise_weights(0.0)).state_dict(), base.state_dict())
    assert _equal(merge_models([base, tuned], names, wise_weights(1.0)).state_dict(), tuned.state_dict())


def test_interpolation_and_uniform_soup(two_models):
    base, tuned, _, _ = two_models
    mid = merge_state_dicts([base.state_dict(), tuned.state_dict()], wise_weights(0.25))
    soup = merge_state_dicts([base.state_dict(), tuned.state_dict(), tuned.state_dict()], [1 / 3] * 3)
    for k, v in base.state_dict().items():
        t = tuned.state_dict()[k]
        if torch.is_floating_point(v):
            torch.testing.assert_close(mid[k], 0.75 * v + 0.25 * t)
            torch.testing.assert_close(soup[k], v / 3 + 2 * t / 3)
        else:
            assert torch.equal(mid[k], v)
    with pytest.raises(HybridbatchError, match="outside"):
        wise_weights(1.5)


def test_different_architecture_or_tokenizer_is_refused(two_models):
    base, tuned, _, _ = two_models
    shallow = copy.deepcopy(tuned)
    shallow[0].auto_model.encoder.layer = shallow[0].auto_model.encoder.layer[:1]
    with pytest.raises(HybridbatchError, match="^shallow: cannot merge: its architecture differs from that of base"):
        check_compatible([base, shallow], ["base", "shallow"])
    other_tok = copy.deepcopy(tuned)
    other_tok.tokenizer.add_tokens(["zzqqxx"])
    with pytest.raises(HybridbatchError, match="^other: cannot merge: its tokenizer differs"):
        check_compatible([base, other_tok], ["base", "other"])


def test_merge_command_writes_a_plain_sentence_transformers_folder(two_models, tmp_path, capsys):
    from sentence_transformers import SentenceTransformer

    base, tuned, base_dir, tuned_dir = two_models
    out = tmp_path / "wise"
    assert main(["merge", str(tuned_dir), "--base", str(base_dir), "--lambda", "0.5", "--out", str(out)]) == 0
    merged = SentenceTransformer(str(out), device="cpu")
    expected = merge_state_dicts([base.state_dict(), tuned.state_dict()], [0.5, 0.5])
    assert _equal(merged.state_dict(), expected)
    record = json.loads((out / "hybridbatch_merge.json").read_text())["config"]
    assert [x["weight"] for x in record["inputs"]] == [0.5, 0.5] and "WiSE-FT" in record["method"]
    assert "Weight-space merge" in (out / "README.md").read_text()
    soup = tmp_path / "soup"
    assert main(["merge", str(base_dir), str(tuned_dir), "--out", str(soup)]) == 0
    assert _equal(SentenceTransformer(str(soup), device="cpu").state_dict(), expected)


@pytest.mark.parametrize("args, message", [
    (["A", "--base", "B"], "WiSE-FT takes --base, exactly one fine-tuned model and --lambda"),
    (["A"], "a soup takes two or more models"),
    (["A", "B", "--weights", "0.5,x"], "expected comma-separated numbers"),
    (["A", "B", "--weights", "0.7,0.7"], "summing to 1"),
])
def test_bad_merge_requests_are_one_line_errors(tmp_path, capsys, args, message):
    assert main(["merge", *args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and not (tmp_path / "o").exists()
