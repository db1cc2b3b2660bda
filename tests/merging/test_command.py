"""``hybridbatch merge`` as one request: inconsistent requests fail before anything is loaded."""

from __future__ import annotations

import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.merging.command import MergeRequest, run_merge


@pytest.mark.parametrize("fields, message", [
    ({"models": ["A"], "base": "B"}, "WiSE-FT takes --base, exactly one fine-tuned model and --lambda"),
    ({"models": ["A", "C"], "base": "B", "lambdas": "0.5"}, "exactly one fine-tuned model"),
    ({"models": ["A"], "base": "B", "lambdas": "0.5", "weights": "1"}, "no --weights"),
    ({"models": ["A"], "base": "B", "lambdas": "0.2,0.4"}, "a lambda sweep needs --validate-with"),
    ({"models": ["A"], "base": "B", "lambdas": "1.5"}, "outside"),
    ({"models": ["A"]}, "a soup takes two or more models"),
    ({"models": ["A", "B"], "lambdas": "0.5"}, "no --lambda"),
    ({"models": ["A", "B"], "weights": "0.7,0.7"}, "summing to 1"),
])
def test_inconsistent_requests_are_refused_before_loading(tmp_path, fields, message):
    with pytest.raises(HybridbatchError, match=message):
        run_merge(MergeRequest(out=tmp_path / "o", **fields))
    assert not (tmp_path / "o").exists()


def test_an_output_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "o").write_text("x")
    with pytest.raises(HybridbatchError, match="--out names a file"):
        run_merge(MergeRequest(models=["A", "B"], out=tmp_path / "o"))
