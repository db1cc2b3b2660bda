"""Soups: weights from the command line, the uniform mean of loaded models."""

from __future__ import annotations

import pytest
import torch

from hybridbatch.errors import HybridbatchError
from hybridbatch.merging.soup import load_soup, parse_weights, uniform_weights


def test_weights_are_uniform_by_default_and_checked_when_given():
    assert parse_weights(None, 4) == uniform_weights(4) == [0.25] * 4
    assert parse_weights("0.2,0.8", 2) == [0.2, 0.8]
    for text, message in (("0.5,x", "expected comma-separated numbers"), ("0.7,0.7", "summing to 1"),
                          ("1", "one non-negative weight per model"), ("1.5,-0.5", "non-negative")):
        with pytest.raises(HybridbatchError, match=message):
            parse_weights(text, 2)


def test_a_soup_is_the_weighted_mean_of_its_inputs(base_and_tuned):
    base_dir, tuned_dir = base_and_tuned
    merged, (a, b) = load_soup([str(base_dir), str(tuned_dir)], [0.25, 0.75])
    key = next(k for k, v in merged.state_dict().items() if torch.is_floating_point(v))
    torch.testing.assert_close(merged.state_dict()[key], 0.25 * a.state_dict()[key] + 0.75 * b.state_dict()[key])
    uniform, _ = load_soup([str(base_dir), str(tuned_dir)])
    torch.testing.assert_close(uniform.state_dict()[key], 0.5 * a.state_dict()[key] + 0.5 * b.state_dict()[key])
