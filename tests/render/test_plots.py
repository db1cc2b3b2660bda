"""Plot primitives write PNG files."""

from __future__ import annotations

import numpy as np

from hybridbatch.render.plots import LinePanel, bars, heatmap, line_panels

PNG = b"\x89PNG"


def test_heatmap_with_blank_cells(tmp_path):
    grid = np.array([[0.1, np.nan], [0.7, 1.0]])
    heatmap(grid, ["a", "b"], ["a", "b"], tmp_path / "h.png", title="t", xlabel="x", ylabel="y")
    assert (tmp_path / "h.png").read_bytes()[:4] == PNG


def test_bars_with_and_without_line(tmp_path):
    bars(["a", "b"], [1.0, 2.0], tmp_path / "b.png", title="t", ylabel="y", line=1.5, line_label="mean")
    bars(["a"], [1.0], tmp_path / "c.png", title="t", ylabel="y")
    assert (tmp_path / "b.png").read_bytes()[:4] == PNG == (tmp_path / "c.png").read_bytes()[:4]


def test_line_panels_with_twin_axis(tmp_path):
    panels = [LinePanel("p1", [0.0, 0.5, 1.0], "α", left=[("A", [1, 2, 3])], left_label="mAP",
                        right=[("R", [3, 2, 1]), ("S", [1, 1, 1])], right_label="rd"),
              LinePanel("p2", [0.0, 1.0], "α", left=[("A", [1, 2])])]
    line_panels(panels, tmp_path / "l.png")
    assert (tmp_path / "l.png").read_bytes()[:4] == PNG
