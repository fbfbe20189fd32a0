"""Charts for the report, as inline SVG (matplotlib).

Chosen by measurement (benchmarks in the issue note): matplotlib renders a
line chart of 8 series x 30 days to SVG in ~45 ms from a 10 MB wheel, where
Altair with vl-convert took ~215 ms and a 34 MB wheel carrying a JavaScript
engine; both make ~20 KiB of SVG. Text is drawn as paths, so the page needs
no font and no network to look the same everywhere.
"""

from __future__ import annotations

import io
from typing import Sequence

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

plt.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "wirestream",
                     "font.size": 9, "axes.spines.top": False,
                     "axes.spines.right": False})
WIDTH = 9.0


def _svg(fig) -> str:
    sink = io.StringIO()
    fig.tight_layout()
    fig.savefig(sink, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = sink.getvalue()
    return text[text.index("<svg"):]  # no XML prolog inside HTML


def lines(series: dict[str, Sequence[tuple[str, float]]], *, ylabel: str) -> str:
    """One line per series over shared x labels (dates)."""
    xs = sorted({x for points in series.values() for x, _ in points})
    position = {x: i for i, x in enumerate(xs)}
    fig, ax = plt.subplots(figsize=(WIDTH, 3.6))
    for name, points in series.items():
        values = dict(points)
        ax.plot(range(len(xs)), [values.get(x, 0) for x in xs], marker="o",
                markersize=3, label=name)
    step = max(1, len(xs) // 12)
    ax.set_xticks([position[x] for x in xs[::step]], xs[::step], rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncol=2, frameon=False)
    return _svg(fig)


def bars(labels: Sequence[str], values: Sequence[float], *, xlabel: str) -> str:
    """Horizontal bars, largest first at the top."""
    fig, ax = plt.subplots(figsize=(WIDTH, 0.9 + 0.28 * max(len(labels), 1)))
    ax.barh(range(len(labels)), values, color="#4c78a8")
    ax.set_yticks(range(len(labels)), [label[:70] for label in labels])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    return _svg(fig)


def histogram(values: Sequence[int], *, xlabel: str) -> str:
    """Counts of each value (cluster sizes are small integers)."""
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    keys = sorted(counts)
    fig, ax = plt.subplots(figsize=(WIDTH, 3.0))
    ax.bar([str(k) for k in keys], [counts[k] for k in keys], color="#f58518")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("clusters")
    return _svg(fig)
