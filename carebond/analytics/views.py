"""The KPI dashboards: the overview, a KPI's own page, and the people behind a figure. Every
table can be downloaded as CSV (the same rows, audited like the page)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carebond.analytics.access import KPI_DRILLERS, KPI_READERS
from carebond.analytics.dashboard_selectors import (
    filter_choices,
    get_kpi_page,
    get_overview,
    parse_filters,
)
from carebond.analytics.drill_selectors import people_behind
from carebond.core.access import signed_in_user
from carebond.core.csv_files import spreadsheet_safe
from carebond.core.db_router import reads_replica
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.permissions import page_policy


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(spreadsheet_safe(list(row)))
    return response


@page_policy(KPI_READERS)
@require_GET
@reads_replica
def overview(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    chosen = parse_filters(user, request.GET)
    found = get_overview(user, chosen)
    if request.GET.get("format") == "csv":
        return _csv(
            f"kpis-{chosen.period.key}",
            ["group", "kpi", "value", "interval", "n", "change", "reading", "definition"],
            (
                [
                    t.group,
                    t.title,
                    t.value,
                    t.interval or t.hidden,
                    t.n,
                    t.change,
                    t.reading,
                    t.definition,
                ]
                for group in found.groups
                for t in group.tiles
            ),
        )
    context = {
        "overview": found,
        "chosen": chosen,
        "choices": filter_choices(user, chosen),
        "csv_query": chosen.query(format="csv"),
    }
    return render(request, "analytics/overview.html", context)


@page_policy(KPI_READERS)
@require_GET
@reads_replica
def kpi_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = signed_in_user(request)
    chosen = parse_filters(user, request.GET)
    dimension = request.GET.get("breakdown") or "location"
    problem = chosen.problem
    try:
        page = get_kpi_page(user, key, chosen, dimension=dimension)
    except InvalidInput as error:
        if error.field == "kpi":
            raise NotFound("No such KPI.") from None
        problem = error.message
        dimension = "location"
        page = get_kpi_page(user, key, chosen, dimension=dimension)
    export = request.GET.get("export")
    if export == "series":
        return _csv(
            f"{key}-by-month",
            ["month", "value", "interval", "n", "hidden"],
            ([r.label, r.value, r.interval, r.n, r.hidden] for r in page.rows),
        )
    if export == "breakdown":
        return _csv(
            f"{key}-by-{dimension}",
            [dimension, "value", "interval", "n", "funnel", "hidden"],
            ([u.label, u.figure, u.interval, u.n, u.funnel, u.hidden] for u in page.units),
        )
    context = {
        "page": page,
        "chosen": chosen,
        "problem": problem,
        "choices": filter_choices(user, chosen),
        "query": chosen.query(),
    }
    return render(request, "analytics/kpi.html", context)


@page_policy(KPI_DRILLERS)
@require_GET
@reads_replica
def kpi_people(request: HttpRequest, key: str) -> HttpResponse:
    """The patients behind a figure: an audited read of PHI, one audit event per patient."""
    user = signed_in_user(request)
    chosen = parse_filters(user, request.GET)
    try:
        found = people_behind(
            user,
            key,
            chosen,
            dimension=request.GET.get("breakdown", ""),
            value=request.GET.get("unit", ""),
        )
    except InvalidInput as error:
        if error.field == "kpi":
            raise NotFound("No such KPI.") from None
        return render(
            request,
            "analytics/people.html",
            {"problem": error.message, "chosen": chosen, "query": chosen.query()},
            status=400,
        )
    if request.GET.get("format") == "csv":
        return _csv(
            f"{key}-people",
            ["person", "units", "counted", "last day"],
            ([row.name, row.units, row.counted, row.last_day] for row in found.rows),
        )
    return render(
        request,
        "analytics/people.html",
        {"people": found, "chosen": chosen, "query": chosen.query()},
    )
