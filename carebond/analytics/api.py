"""The analytics API: KPI definitions, the figures of a period, a KPI's months and its
breakdown, as the Key figures pages show them (aggregates: the analyst too). Mounted at
/analytics. Every read is audited like the pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Query, Router

from carebond.accounts.auth import acting_user, policy_auth
from carebond.analytics.access import KPI_READERS
from carebond.analytics.api_selectors import (
    figures_out,
    kpi_breakdown_out,
    kpi_series_out,
    kpis_out,
)
from carebond.analytics.schemas import (
    BreakdownOut,
    BreakdownQuery,
    FiguresOut,
    FiguresQuery,
    KpiKey,
    KpiOut,
    SeriesOut,
)
from carebond.core.db_router import read_from_replica

router = Router(tags=["analytics"])
AUTH = policy_auth(KPI_READERS)


@router.get("/kpis", response=list[KpiOut], auth=AUTH, summary="Every KPI and its definition")
def kpis(request: HttpRequest) -> list[KpiOut]:
    acting_user(request)
    return kpis_out()


@router.get(
    "/figures",
    response=FiguresOut,
    auth=AUTH,
    summary="Every KPI's figure for a period, with its interval, n and change (audited)",
)
def figures(request: HttpRequest, query: Query[FiguresQuery]) -> FiguresOut:
    return read_from_replica(request, lambda: figures_out(acting_user(request), query))


@router.get(
    "/kpis/{key}/months",
    response=SeriesOut,
    auth=AUTH,
    summary="A KPI month by month over two years up to the period (audited)",
)
def months(request: HttpRequest, key: Path[KpiKey], query: Query[FiguresQuery]) -> SeriesOut:
    return read_from_replica(request, lambda: kpi_series_out(acting_user(request), key, query))


@router.get(
    "/kpis/{key}/breakdown",
    response=BreakdownOut,
    auth=AUTH,
    summary="A KPI for each unit of a dimension over the period (audited)",
)
def breakdown(
    request: HttpRequest, key: Path[KpiKey], query: Query[BreakdownQuery]
) -> BreakdownOut:
    return read_from_replica(request, lambda: kpi_breakdown_out(acting_user(request), key, query))
