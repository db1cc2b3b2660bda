"""WiSE-FT: the pair is loaded at the tuned model's length; λ = 0 / 1 are the inputs."""

from __future__ import annotations

import torch

from hybridbatch.merging.wise import load_wise_pair, wise_merge


def test_the_base_is_loaded_at_the_tuned_models_length_and_the_end_points_are_exact(base_and_tuned):
    base_dir, tuned_dir = base_and_tuned
    base, tuned = load_wise_pair(str(base_dir), str(tuned_dir))
    assert base.max_seq_length == tuned.max_seq_length == 48
    names = [str(base_dir), str(tuned_dir)]
    for lam, expected in ((0.0, base), (1.0, tuned)):
        merged = wise_merge(base, tuned, names, lam).state_dict()
        assert all(torch.equal(v, expected.state_dict()[k]) for k, v in merged.items())
    half = wise_merge(base, tuned, names, 0.5).state_dict()
    key = next(k for k, v in half.items() if torch.is_floating_point(v))
    torch.testing.assert_close(half[key], 0.5 * base.state_dict()[key] + 0.5 * tuned.state_dict()[key])
