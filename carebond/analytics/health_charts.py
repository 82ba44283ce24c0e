"""The time-to-lapse chart: each segment's cumulative incidence of lapse by month since the
first visit, drawn by matplotlib as SVG and embedded in the page as a data URI (the page's
content policy allows data images and no scripts). The table beside it carries the figures."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from carebond.analytics.survival import LapseCurve


def lapse_chart(curves: Sequence[tuple[str, LapseCurve]]) -> str:
    """A data URI of the chart, or "" when there is no curve to draw."""
    drawn = [(label, curve) for label, curve in curves if curve.monthly]
    if not drawn:
        return ""
    # Drawn without pyplot (no global state, no GUI backend); imported here, as in charts.py.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3.6))
    axes = figure.subplots()
    for label, curve in drawn:
        axes.step(
            range(len(curve.monthly)),
            [100 * value for value in curve.monthly],
            where="post",
            label=label,
        )
    axes.set_xlabel("Months since the first visit")
    axes.set_ylabel("Lapsed (%)")
    axes.set_xlim(0, len(drawn[0][1].monthly) - 1)
    axes.set_ylim(0, 100)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize="small", frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def lapse_chart_alt(curves: Sequence[tuple[str, LapseCurve]]) -> str:
    """The chart in words, for a screen reader: where each segment stands at a year and at
    three years."""
    parts = []
    for label, curve in curves:
        if curve.monthly:
            year, last = curve.monthly[min(12, len(curve.monthly) - 1)], curve.monthly[-1]
            parts.append(f"{label}: {100 * year:.0f}% at 12 months, {100 * last:.0f}% at 36")
    return "Lapse by months since the first visit. " + "; ".join(parts) + "."
