"""Plot primitives for reports: a labelled heatmap, a bar chart with a reference line, line panels with a
twin axis. Generic: callers (the scorers, :mod:`.compare`) pick what to draw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def heatmap(grid: np.ndarray, rows: Sequence[str], cols: Sequence[str], path: Path, *, title: str,
            xlabel: str, ylabel: str, vmin: float = 0.0, vmax: float = 1.0) -> None:
    """Annotated heatmap of ``grid`` (len(rows) × len(cols); NaN cells left blank) written to ``path``."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * len(cols), 0.8 + 0.5 * len(rows)))
    image = ax.imshow(grid, cmap="viridis", vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for i in range(len(rows)):
        for j in range(len(cols)):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if grid[i, j] < vmin + 0.6 * (vmax - vmin) else "black")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def bars(labels: Sequence[str], values: Sequence[float], path: Path, *, title: str, ylabel: str,
         line: float | None = None, line_label: str = "") -> None:
    """Bar chart of ``values`` with an optional horizontal reference ``line``, written to ``path``."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * len(labels), 3.2))
    ax.bar(list(labels), list(values), color="#4c72b0")
    if line is not None:
        ax.axhline(line, color="#c44e52", linestyle="--", label=line_label)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if line is not None:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@dataclass
class LinePanel:
    """One panel of :func:`line_panels`: series on the left axis and (optionally) on a twin right axis.

    Each series is ``(legend label, y values)`` over the shared ``x``."""

    title: str
    x: list[float]
    xlabel: str
    left: list[tuple[str, list[float]]] = field(default_factory=list)
    left_label: str = ""
    right: list[tuple[str, list[float]]] = field(default_factory=list)
    right_label: str = ""


def line_panels(panels: Sequence[LinePanel], path: Path) -> None:
    """Side-by-side line plots; right-axis series are dashed with square markers."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for label, ys in panel.left:
            ax.plot(panel.x, ys, marker="o", label=label)
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.left_label)
        handles = ax.get_legend_handles_labels()[0]
        if panel.right:
            twin = ax.twinx()
            for i, (label, ys) in enumerate(panel.right):
                twin.plot(panel.x, ys, color="black" if i == 0 else None, linestyle="--", marker="s",
                          label=label)
            twin.set_ylabel(panel.right_label)
            handles += twin.get_legend_handles_labels()[0]
        ax.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="best")
        ax.set_title(panel.title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


MARKERS = "osD^vPXph<>"


def tradeoff_scatter(points: Sequence[tuple[str, float, float, float]], path: Path, *, title: str, xlabel: str,
                     ylabel: str, clabel: str, highlight: str | None = None) -> None:
    """One marker per (label, x, y, c) point (so one per seed), coloured by c on one shared scale, one marker
    shape per label (legend); the points of ``highlight`` (e.g. the base model) drawn as black stars."""
    plt = pyplot()
    from matplotlib.colors import Normalize

    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    cs = np.array([p[3] for p in points], dtype=float)
    norm = Normalize(vmin=float(cs.min()), vmax=float(cs.max()) if cs.max() > cs.min() else float(cs.min()) + 1)
    image = None
    for i, label in enumerate(dict.fromkeys(p[0] for p in points)):
        mine = np.array([p[1:] for p in points if p[0] == label], dtype=float)
        if label == highlight:
            ax.scatter(mine[:, 0], mine[:, 1], marker="*", s=220, color="black", zorder=3, label=label)
            continue
        image = ax.scatter(mine[:, 0], mine[:, 1], c=mine[:, 2], cmap="viridis_r", norm=norm, s=44,
                           marker=MARKERS[i % len(MARKERS)], edgecolors="black", linewidths=0.5, label=label)
    if image is not None:
        fig.colorbar(image, ax=ax, label=clabel)
    legend = ax.legend(fontsize=7, loc="best", framealpha=0.8)
    for handle in legend.legend_handles:
        if handle.get_label() != highlight and hasattr(handle, "set_facecolor"):
            handle.set_facecolor("white")
    ax.margins(x=0.08, y=0.12)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
