"""Charts drawn on the server as SVG with matplotlib: the same picture on the page and in the
PDF report (WeasyPrint runs no script), nothing fetched from elsewhere, and no inline script
for the Content Security Policy to refuse. A page embeds a chart as a ``data:`` image with an
alt text, and always shows the same numbers in a table beside it.

matplotlib's object API (``Figure``) is used, never pyplot: pyplot keeps global state that two
requests drawing at once would share.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes


INK = "#1f2933"
LINE = "#1d4ed8"
BAND = "#bfdbfe"
LIMIT = "#6b7280"
ALERT = "#b91c1c"
_STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "carebond",
    "font.size": 9,
    "axes.edgecolor": LIMIT,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
}


@dataclass(frozen=True)
class SeriesPoint:
    """One period of a series: its label, and value and interval (None when not shown)."""

    label: str
    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class FunnelUnit:
    """One unit on a funnel plot: its name, n and value."""

    label: str
    n: float
    value: float


def _render(draw: Callable[[Axes], None], *, width: float, height: float) -> str:
    # Imported here: a quarter of a second that only a page with a chart should pay.
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.add_subplot()
        axes.spines[["top", "right"]].set_visible(False)
        draw(axes)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def data_uri(svg: str) -> str:
    """The SVG as a ``data:`` URL for an ``<img src>`` (allowed by the pages' CSP)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def series_chart_svg(points: Sequence[SeriesPoint], *, unit: str) -> str:
    """A KPI over time: the value as a line with its 95% interval as a band; periods whose
    figure is hidden (too few) are gaps, not zeros."""

    def draw(axes: Axes) -> None:
        xs = list(range(len(points)))
        values = [p.value if p.value is not None else float("nan") for p in points]
        lows = [p.low if p.low is not None else float("nan") for p in points]
        highs = [p.high if p.high is not None else float("nan") for p in points]
        axes.fill_between(xs, lows, highs, color=BAND, linewidth=0, label="95% interval")
        axes.plot(xs, values, color=LINE, marker="o", markersize=3, linewidth=1.6, label="value")
        step = max(1, len(points) // 8)
        axes.set_xticks(xs[::step], [p.label for p in points][::step])
        axes.set_ylabel(unit)
        axes.legend(loc="lower left", frameon=False, fontsize=8)

    return _render(draw, width=7.5, height=2.8)


def compact_series_svg(points: Sequence[SeriesPoint], *, unit: str) -> str:
    """A KPI's recent months small enough to sit beside its tile in a report: the line and its
    95% band, the first and last months named, no legend (the report's text says what the
    band is). Hidden months are gaps, as on the full chart."""

    def draw(axes: Axes) -> None:
        xs = list(range(len(points)))
        values = [p.value if p.value is not None else float("nan") for p in points]
        lows = [p.low if p.low is not None else float("nan") for p in points]
        highs = [p.high if p.high is not None else float("nan") for p in points]
        axes.fill_between(xs, lows, highs, color=BAND, linewidth=0)
        axes.plot(xs, values, color=LINE, marker="o", markersize=2, linewidth=1.2)
        if points:
            axes.set_xticks([xs[0], xs[-1]], [points[0].label, points[-1].label])
        axes.set_ylabel(unit, fontsize=7)
        axes.tick_params(labelsize=7)

    return _render(draw, width=3.2, height=1.3)


def funnel_plot_svg(
    units: Sequence[FunnelUnit],
    *,
    centre: float,
    limits: Callable[[float, float], tuple[float, float]],
    unit: str,
) -> str:
    """Units compared fairly: each unit's value against its n, with the 95% and 99.8% limits
    around the overall value (``limits(n, z)`` -> (low, high)). A small unit far from the
    centre is usually chance; a unit outside the 99.8% funnel is worth a look. Never a ranked
    league table."""

    def draw(axes: Axes) -> None:
        top = max((u.n for u in units), default=1.0) * 1.05
        ns = [max(1.0, top * i / 100) for i in range(1, 101)]
        for z, style in ((1.96, "--"), (3.09, ":")):
            bounds = [limits(n, z) for n in ns]
            axes.plot(ns, [b[0] for b in bounds], color=LIMIT, linestyle=style, linewidth=1)
            axes.plot(ns, [b[1] for b in bounds], color=LIMIT, linestyle=style, linewidth=1)
        axes.axhline(centre, color=INK, linewidth=1)
        outside = [u for u in units if not _within(u, limits, 3.09)]
        inside = [u for u in units if _within(u, limits, 3.09)]
        axes.scatter([u.n for u in inside], [u.value for u in inside], color=LINE, s=18)
        axes.scatter([u.n for u in outside], [u.value for u in outside], color=ALERT, s=24)
        for u in units:
            axes.annotate(
                u.label, (u.n, u.value), fontsize=7, xytext=(3, 3), textcoords="offset points"
            )
        axes.set_xlabel("n")
        axes.set_ylabel(unit)

    return _render(draw, width=7.5, height=3.2)


def _within(
    unit: FunnelUnit, limits: Callable[[float, float], tuple[float, float]], z: float
) -> bool:
    low, high = limits(unit.n, z)
    return low <= unit.value <= high


def sparkline_points(values: Sequence[float | None], *, width: int = 100, height: int = 24) -> str:
    """The ``points`` of an inline SVG polyline for a tile's sparkline (hidden months skipped):
    cheap enough to draw twenty on the overview without matplotlib."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return ""
    low = min(v for _, v in known)
    high = max(v for _, v in known)
    span = (high - low) or 1.0
    last = max(1, len(values) - 1)
    return " ".join(
        f"{width * i / last:.1f},{height - 2 - (height - 4) * (v - low) / span:.1f}"
        for i, v in known
    )


def control_chart_svg(
    points: Sequence[tuple[str, float | None]],
    centre: float,
    lower: Sequence[float | None],
    upper: Sequence[float | None],
    signals: Collection[int],
    title: str,
) -> str:
    """A control chart: ``points`` are (label, value) in order (None: a month left out, drawn
    as a gap); ``lower`` and ``upper`` the limits of each point (None: none); the points whose
    index is in ``signals`` are marked with a red diamond."""

    def draw(axes: Axes) -> None:
        positions = list(range(len(points)))
        values = [_gap(value) for _, value in points]
        axes.plot(positions, values, color=LINE, marker="o", markersize=3.5, linewidth=1.4)
        axes.axhline(centre, color=INK, linewidth=1, label="Centre line")
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
                color=ALERT,
                label="Signal",
            )
        _ticks(axes, [label for label, _ in points])
        axes.set_title(title, loc="left", color=INK)
        axes.grid(axis="y", color="#d9dde1", linewidth=0.6)
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)

    return _render(draw, width=8, height=3.2)


def _gap(value: float | None) -> float:
    return float("nan") if value is None else value


def _limits(
    axes: Axes, positions: list[int], limits: Sequence[float | None], label: str | None
) -> None:
    if all(value is None for value in limits):
        return
    # a step line: each point's own limit (a p-chart's limits change with n)
    axes.step(
        positions,
        [_gap(value) for value in limits],
        where="mid",
        color=LIMIT,
        linestyle="--",
        linewidth=1,
        label=label or "_nolegend_",
    )


def _ticks(axes: Axes, labels: list[str]) -> None:
    step = max(1, len(labels) // 12)
    shown = list(range(0, len(labels), step))
    axes.set_xticks(shown, [labels[i] for i in shown], rotation=45, ha="right")
