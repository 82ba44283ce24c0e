"""carebond kpis: every KPI's figure for a period, as a table or as JSON.

    carebond kpis --json [--period 2026-11] [--span 1|3|12] [--location NAME-OR-ID]
                  [--organization SLUG]

The figures are the dashboards' (read from the nightly rollups): value with its 95% interval
and n, hidden (with the reason) when too few, and the change against the period before with
its p-value and whether it is a signal. Aggregates only. Exit status 2 on a bad option, with
a message saying what to write instead.
"""

from __future__ import annotations

import io
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from carebond.analytics.dashboard_selectors import format_value
from carebond.analytics.report_selectors import KpiFigure, find_location, list_kpi_figures
from carebond.analytics.selectors import SPANS, parse_period
from carebond.core.command_options import add_organization_argument, organization_option
from carebond.core.errors import InvalidInput
from carebond.core.registry import kpi as registered_kpi

BAD_OPTION = 2


class Command(BaseCommand):
    help = "Print every KPI's figure for a month, quarter or year (a table, or --json)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--period",
            metavar="YYYY-MM",
            help="The (last) month of the period (default: the last complete month).",
        )
        parser.add_argument(
            "--span",
            type=int,
            choices=sorted(SPANS),
            default=1,
            help="Months in the period: 1 (a month, default), 3 (a quarter) or 12 (a year).",
        )
        parser.add_argument(
            "--location", help="One location, by name or public id (default: every location)."
        )
        add_organization_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = organization_option(options.get("organization"))
            period = parse_period(organization, options.get("period"), options["span"])
            location = (
                find_location(organization.pk, options["location"])
                if options.get("location")
                else None
            )
        except CommandError as error:
            raise CommandError(str(error), returncode=BAD_OPTION) from error
        except InvalidInput as error:
            raise CommandError(error.message, returncode=BAD_OPTION) from error
        figures = list_kpi_figures(organization.pk, period, location)
        where = location.name if location else "every location"
        if options["json"]:
            output = {
                "organization": organization.slug,
                "period": period.key,
                "span": period.span,
                "label": period.label,
                "location": location.name if location else None,
                "kpis": [_as_json(figure) for figure in figures],
            }
            self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(_table(figures, f"{organization.name}, {where}: {period.label}"))


def _as_json(figure: KpiFigure) -> dict[str, Any]:
    return {
        "key": figure.key,
        "title": figure.title,
        "unit": figure.unit,
        "value": figure.value,
        "low": figure.low,
        "high": figure.high,
        "n": figure.n,
        "shown": figure.shown,
        "reason": figure.reason,
        "change": figure.change,
        "p_value": figure.p_value,
        "signal": figure.signal,
        "definition": figure.definition,
    }


def _table(figures: list[KpiFigure], title: str) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=110, highlight=False, soft_wrap=False, emoji=False)
    table = Table(title=title)
    for column in ("KPI", "value", "95% interval", "n", "change", "p", "reading"):
        numeric = column in {"value", "n", "change", "p"}
        table.add_column(column, justify="right" if numeric else "left")
    for figure in figures:
        kpi = registered_kpi(figure.key)
        assert kpi is not None  # (listed from the registry a moment ago)
        interval = (
            f"{format_value(kpi, figure.low)} to {format_value(kpi, figure.high)}"
            if figure.low is not None and figure.high is not None
            else ""
        )
        if figure.change is None:
            reading = "too few to compare"
        else:
            reading = "signal" if figure.signal else "noise"
        table.add_row(
            figure.title,
            format_value(kpi, figure.value) if figure.shown else "—",
            interval if figure.shown else f"not shown: {figure.reason}",
            str(figure.n),
            "" if figure.change is None else f"{figure.change:+.1f}",
            "" if figure.p_value is None else f"{figure.p_value:.3f}",
            reading,
        )
    console.print(table)
    if not figures:
        console.print("No KPI is registered.")
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
