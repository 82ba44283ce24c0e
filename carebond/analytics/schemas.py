"""Typed edges of the analytics API: KPI definitions and figures, as the pages show them."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import StringConstraints

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$", max_length=7)]
Segment = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}:[^\s]{1,80}$", max_length=121)]
KpiKey = Annotated[
    str, StringConstraints(pattern=r"^[a-z_]{1,30}\.[a-z0-9_]{1,60}$", max_length=91)
]


class FiguresQuery(Schema):
    month: Month | None = Field(
        default=None, description="YYYY-MM, the period's last month (default: the last complete)."
    )
    span: int = Field(default=1, ge=1, le=12, description="Months in the period: 1, 3 or 12.")
    location: UUID | None = Field(default=None, description="One location's figures.")
    segment: Segment | None = Field(
        default=None, description="dimension:value, e.g. language:es or age_band:65+."
    )


class BreakdownQuery(FiguresQuery):
    dimension: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$", max_length=40)] = Field(
        default="location", description="location, or one of the KPI's dimensions."
    )


class KpiOut(Schema):
    key: str
    title: str
    unit: str
    kind: Literal["proportion", "mean", "net", "per_unit", "count"]
    group: str
    definition: str
    dimensions: list[str]
    higher_is_better: bool | None
    min_n: int
    anonymous: bool


class FigureOut(Schema):
    value: float | None = Field(description="Null when not shown (see reason).")
    low: float | None = Field(description="The 95% interval's lower end.")
    high: float | None
    n: int
    shown: bool
    reason: str | None


class KpiFigureOut(Schema):
    key: str
    title: str
    unit: str
    figure: FigureOut
    previous: FigureOut
    change: float | None = Field(description="This period less the previous one.")
    p_value: float | None
    signal: bool | None = Field(description="True: a real change; false: within the noise.")


class FiguresOut(Schema):
    first_day: str
    last_day: str
    figures: list[KpiFigureOut]


class MonthOut(Schema):
    month: str
    figure: FigureOut


class SeriesOut(Schema):
    key: str
    months: list[MonthOut]


class UnitOut(Schema):
    value: str
    label: str
    figure: FigureOut


class BreakdownOut(Schema):
    key: str
    dimension: str
    units: list[UnitOut]
