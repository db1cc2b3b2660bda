"""Plots of evaluation results: the X→Y mAP heatmap and rank distance per language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pair_heatmap(results: dict[str, Any], path: Path, metric: str = "map") -> None:
    """Heatmap of ``metric`` for every query language (rows) × candidate language (columns)."""
    plt = _pyplot()
    langs = results["languages"]
    grid = np.full((len(langs), len(langs)), np.nan)
    for i, x in enumerate(langs):
        for j, y in enumerate(langs):
            row = results["pairs"].get(f"{x}-{y}")
            if row is not None:
                grid[i, j] = row[metric]
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * len(langs), 0.8 + 0.5 * len(langs)))
    image = ax.imshow(grid, cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(langs)), langs)
    ax.set_yticks(range(len(langs)), langs)
    ax.set_xlabel("candidate language")
    ax.set_ylabel("query language")
    for i in range(len(langs)):
        for j in range(len(langs)):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if grid[i, j] < 0.6 else "black")
    ax.set_title(f"{results['benchmark']}: {metric} X→Y")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def rank_distance_bars(results: dict[str, Any], path: Path) -> None:
    """Bar chart of mean rank distance per query language, with the macro mean as a line."""
    plt = _pyplot()
    per_lang = results["bias"]["rank_distance"]
    langs = [lang for lang in results["languages"] if lang in per_lang]
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * len(langs), 3.2))
    ax.bar(langs, [per_lang[lang] for lang in langs], color="#4c72b0")
    ax.axhline(results["summary"]["rank_distance"], color="#c44e52", linestyle="--", label="macro mean")
    ax.set_ylabel("rank distance (lower = less bias)")
    ax.set_title(f"{results['benchmark']}: language bias per query language")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
