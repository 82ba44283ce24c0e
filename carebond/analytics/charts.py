"""Charts drawn on the server as SVG (matplotlib), for pages to embed as a data: image: no
script runs in the browser, and the Content-Security-Policy allows data: images. Every chart
has a text alternative on its page (an alt text and a table of its numbers).

matplotlib's object API (``Figure``) is used, never pyplot: pyplot keeps global state that
two requests drawing at once would share.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

matplotlib.use("Agg")

_INK = "#1f2933"
_LINE = "#2f5f8a"
_LIMIT = "#8a4b2f"
_SIGNAL = "#b3261e"
_RC: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays text: smaller, and selectable
    "svg.hashsalt": "carebond",  # the same chart gives the same SVG
    "font.size": 9,
    "axes.edgecolor": _INK,
    "axes.labelcolor": _INK,
    "xtick.color": _INK,
    "ytick.color": _INK,
}


def control_chart_svg(
    points: Sequence[tuple[str, float | None]],
    centre: float,
    lower: Sequence[float | None],
    upper: Sequence[float | None],
    signals: Collection[int],
    title: str,
) -> str:
    """A control chart as SVG text: ``points`` are (label, value) in order (None: a month
    left out, drawn as a gap); ``lower`` and ``upper`` the limits of each point (None: none);
    the points whose index is in ``signals`` are marked with a red diamond."""
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(8, 3.2), layout="constrained")
        axes = figure.subplots()
        positions = list(range(len(points)))
        values = [_gap(value) for _, value in points]
        axes.plot(positions, values, color=_LINE, marker="o", markersize=3.5, linewidth=1.4)
        axes.axhline(centre, color=_INK, linewidth=1, label="Centre line")
        _limits(axes, positions, upper, "Control limits")
        _limits(axes, positions, lower, None)
        fired = [i for i in sorted(signals) if 0 <= i < len(points) and points[i][1] is not None]
        if fired:
            axes.plot(
                fired,
                [values[i] for i in fired],
                linestyle="none",
                marker="D",
                markersize=7,
                color=_SIGNAL,
                label="Signal",
            )
        _ticks(axes, [label for label, _ in points])
        axes.set_title(title, loc="left", color=_INK)
        axes.grid(axis="y", color="#d9dde1", linewidth=0.6)
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        output = io.StringIO()
        figure.savefig(output, format="svg", metadata={"Date": None})
    return output.getvalue()


def _gap(value: float | None) -> float:
    return float("nan") if value is None else value


def _limits(
    axes: Axes, positions: list[int], limits: Sequence[float | None], label: str | None
) -> None:
    values = [_gap(value) for value in limits]
    if all(value is None for value in limits):
        return
    # a step line: each point's own limit (a p-chart's limits change with n)
    axes.step(
        positions,
        values,
        where="mid",
        color=_LIMIT,
        linestyle="--",
        linewidth=1,
        label=label or "_nolegend_",
    )


def _ticks(axes: Axes, labels: list[str]) -> None:
    step = max(1, len(labels) // 12)
    shown = list(range(0, len(labels), step))
    axes.set_xticks(shown, [labels[i] for i in shown], rotation=45, ha="right")
