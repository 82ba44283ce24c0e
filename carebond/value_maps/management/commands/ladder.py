"""carebond ladder analyze FILE.csv: the laddering analysis of a CSV, printed, nothing stored.

Exit status 0 with the report; 1 when the file is rejected (one line per problem on stderr);
2 when the file cannot be read or the arguments name a segment the file does not have.
"""

from __future__ import annotations

import io
import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from carebond.core.errors import InvalidInput
from carebond.value_maps.analysis import (
    COUNT_UNITS,
    LEVEL_NAMES,
    MATRIX_CHOICES,
    JsonObject,
    LadderAnalysis,
    SegmentComparison,
    analysis_as_json,
    analyze,
    compare_segments,
    comparison_as_json,
)
from carebond.value_maps.ladder_csv import Problem, read_ladder_csv

_MATRIX_NAMES = {"direct": "D (direct)", "total": "T = D + I (direct + indirect)"}


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number


class Command(BaseCommand):
    help = "Laddering (means-end chain) analysis of a CSV of ladders; nothing is stored."
    requires_system_checks: list[str] = []  # pure analysis of a file: no database, no checks

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        analyze_parser = sub.add_parser(
            "analyze",
            help="Print the implication matrices, indices, cut-off table, map and dominant "
            "paths of a CSV (respondent,segment,ladder,position,code,label,level).",
        )
        analyze_parser.add_argument("file", help="The CSV file (UTF-8, header on row 1).")
        analyze_parser.add_argument(
            "--cutoff",
            type=_positive,
            help="Draw the map at this cut-off (default: the largest keeping 2/3 of relations).",
        )
        scope = analyze_parser.add_mutually_exclusive_group()
        scope.add_argument("--segment", help="Analyse the ladders of one segment only.")
        scope.add_argument(
            "--compare",
            nargs=2,
            metavar=("SEGMENT_A", "SEGMENT_B"),
            help="Analyse two segments and show what is unique to each and what they share.",
        )
        analyze_parser.add_argument(
            "--unit",
            choices=COUNT_UNITS,
            default="respondent",
            help="Count each link once per respondent (default) or once per ladder.",
        )
        analyze_parser.add_argument(
            "--cutoff-on",
            choices=MATRIX_CHOICES,
            default="direct",
            help="Apply the cut-off to direct counts D (default) or to T = D + I.",
        )
        analyze_parser.add_argument(
            "--indices-on",
            choices=MATRIX_CHOICES,
            default="direct",
            help="Compute abstractness and centrality on D (default) or on T = D + I.",
        )
        analyze_parser.add_argument(
            "--top", type=_positive, default=5, help="How many dominant paths to show (5)."
        )
        analyze_parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            self.stderr.write(f"Cannot read {path}: {error.strerror or error}.")
            sys.exit(2)
        ladder_file = read_ladder_csv(data)
        for problem in ladder_file.errors:
            self.stderr.write(str(problem))
        for warning in ladder_file.warnings:
            self.stderr.write(f"warning: {warning}")
        if ladder_file.study is None:
            self.stderr.write(f"Rejected: {len(ladder_file.errors)} problem(s); nothing analysed.")
            sys.exit(1)
        settings = {
            "cutoff": options["cutoff"],
            "count_unit": options["unit"],
            "cutoff_on": options["cutoff_on"],
            "indices_on": options["indices_on"],
        }
        try:
            if options["compare"]:
                first, second = options["compare"]
                result: LadderAnalysis | SegmentComparison = compare_segments(
                    ladder_file.study, first, second, **settings
                )
            else:
                result = analyze(ladder_file.study, segment=options["segment"], **settings)
        except InvalidInput as error:
            self.stderr.write(error.message)
            sys.exit(2)
        if options["json"]:
            self._print_json(result, ladder_file.warnings, top=options["top"])
        else:
            self.stdout.write(_text_report(path, result, top=options["top"]), ending="")

    def _print_json(
        self,
        result: LadderAnalysis | SegmentComparison,
        warnings: tuple[Problem, ...],
        *,
        top: int,
    ) -> None:
        output: JsonObject = (
            analysis_as_json(result, top=top)
            if isinstance(result, LadderAnalysis)
            else comparison_as_json(result, top=top)
        )
        output["warnings"] = [str(warning) for warning in warnings]
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))


# --- the text report --------------------------------------------------------------------------


def _text_report(path: Path, result: LadderAnalysis | SegmentComparison, *, top: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, highlight=False, soft_wrap=False, emoji=False)
    if isinstance(result, LadderAnalysis):
        _print_analysis(console, path, result, top=top)
    else:
        _print_analysis(console, path, result.first, top=top)
        _print_analysis(console, path, result.second, top=top)
        _print_comparison(console, result)
    # rich pads centred titles with spaces; drop them so the report diffs and pastes cleanly
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def _percent(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else "-"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print_analysis(console: Console, path: Path, analysis: LadderAnalysis, *, top: int) -> None:
    summary = analysis.summary
    scope = f"segment {analysis.segment!r}" if analysis.segment is not None else "all ladders"
    console.rule(f"{path.name}: {scope}")
    console.print(
        f"{summary.respondents} respondents, {summary.ladders} ladders "
        f"({summary.ladders_per_respondent:.2f} per respondent), {summary.codes} codes, "
        f"mean ladder length {summary.mean_ladder_length:.2f}."
    )
    console.print(f"Each link is counted once per {analysis.count_unit}.")
    _print_codes(console, analysis)
    _print_matrix(console, analysis)
    _print_indices(console, analysis)
    _print_cutoffs(console, analysis)
    _print_map(console, analysis)
    _print_paths(console, analysis, top=top)


def _print_codes(console: Console, analysis: LadderAnalysis) -> None:
    console.print()
    table = Table(title="Codes")
    for column in ("code", "label", "level", f"{analysis.count_unit}s"):
        table.add_column(column, justify="right" if column.endswith("s") else "left")
    for code, mentions in zip(analysis.matrix.codes, analysis.matrix.mentions, strict=True):
        table.add_row(code.id, code.label, f"{code.level} {LEVEL_NAMES[code.level]}", str(mentions))
    console.print(table)


def _print_matrix(console: Console, analysis: LadderAnalysis) -> None:
    console.print()
    matrix = analysis.matrix
    total = matrix.total
    size = range(len(matrix.codes))
    sources = [i for i in size if any(total[i])]
    targets = [j for j in size if any(row[j] for row in total)]
    table = Table(title="Summary implication matrix (direct/indirect; rows imply columns)")
    table.add_column("from \\ to")
    for j in targets:
        table.add_column(matrix.codes[j].id, justify="center")
    for i in sources:
        table.add_row(
            matrix.codes[i].id,
            *(
                f"{matrix.direct[i][j]}/{matrix.indirect[i][j]}" if total[i][j] else ""
                for j in targets
            ),
        )
    console.print(table)
    direct = sum(map(sum, matrix.direct))
    indirect = sum(map(sum, matrix.indirect))
    active = sum(1 for row in matrix.direct for count in row if count)
    console.print(
        f"Totals: sum D = {direct} over {active} active cells; sum I = {indirect}; "
        f"sum T = {direct + indirect}."
    )


def _print_indices(console: Console, analysis: LadderAnalysis) -> None:
    console.print()
    indices = analysis.indices
    table = Table(title=f"Abstractness and centrality on {_MATRIX_NAMES[indices.on]}")
    for column in ("code", "in", "out", "abstractness", "centrality"):
        table.add_column(column, justify="left" if column == "code" else "right")
    for index in indices.codes:
        table.add_row(
            index.code.id,
            str(index.in_degree),
            str(index.out_degree),
            _ratio(index.abstractness),
            _ratio(index.centrality),
        )
    console.print(table)
    console.print(f"Density: {indices.density:.3f} (non-empty cells / K(K-1)).")


def _print_cutoffs(console: Console, analysis: LadderAnalysis) -> None:
    console.print()
    table = Table(
        title=f"Cut-off table on {_MATRIX_NAMES[analysis.cutoff_on]}",
        caption="* the cut-off of the map below",
    )
    for column in ("cut-off", "links kept", "share of relations", "share of active cells"):
        table.add_column(column, justify="right")
    for row in analysis.cutoff_table:
        chosen = " *" if row.cutoff == analysis.cutoff else ""
        table.add_row(
            f"{row.cutoff}{chosen}",
            str(row.links_kept),
            _percent(row.relations_kept, row.relations_total),
            _percent(row.links_kept, row.active_cells),
        )
    console.print(table)


def _print_map(console: Console, analysis: LadderAnalysis) -> None:
    console.print()
    value_map = analysis.value_map
    how = " (suggested)" if analysis.cutoff_suggested else ""
    table = Table(title=f"Hierarchical value map at cut-off {value_map.cutoff}{how}")
    for column in ("from", "to", "weight", "line"):
        table.add_column(column, justify="right" if column == "weight" else "left")
    codes = {code.id: code for code in analysis.matrix.codes}
    for edge in value_map.edges:
        line = "dashed (indirect)" if edge.indirect else "solid"
        table.add_row(
            f"{edge.source} {codes[edge.source].label}",
            f"{edge.target} {codes[edge.target].label}",
            str(edge.weight),
            line + (", on a cycle" if edge.in_cycle else ""),
        )
    console.print(table)
    if analysis.cutoff_suggested:
        console.print(
            "Suggested: the largest cut-off keeping 2/3 of the relations. "
            "Read the table; choose with --cutoff N."
        )
    if not value_map.edges:
        console.print("No link reaches this cut-off; choose a lower one.")
    for cycle in value_map.cycles:
        console.print(
            f"Cycle: {' -> '.join((*cycle, cycle[0]))}; usually a coding problem, check the codes."
        )


def _print_paths(console: Console, analysis: LadderAnalysis, *, top: int) -> None:
    console.print()
    if not analysis.pathways.ranked:
        console.print("No path on this map runs from an attribute to a value.")
        return
    table = Table(title="Dominant paths (attribute to value)")
    for column in ("#", "path", "strength", "respondents", "ladders"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for rank, pathway in enumerate(analysis.pathways.top(top), start=1):
        table.add_row(
            str(rank),
            " -> ".join(pathway.codes) + (" (uses a dashed link)" if pathway.uses_indirect else ""),
            str(pathway.strength),
            str(pathway.support),
            str(pathway.ladders),
        )
    console.print(table)
    if not analysis.pathways.complete:
        console.print("The map has too many paths to list them all; raise the cut-off.")


def _print_comparison(console: Console, comparison: SegmentComparison) -> None:
    first, second = comparison.first.segment, comparison.second.segment
    console.print()
    console.rule(f"Segments side by side: {first!r} and {second!r}")
    codes = Table(title="Codes used")
    one, two = comparison.first.cutoff, comparison.second.cutoff
    cutoffs = f"{one}" if one == two else f"{one} for {first}, {two} for {second}"
    links = Table(title="Links on the maps")
    for table in (codes, links):
        table.add_column(f"only {first}")
        table.add_column("shared")
        table.add_column(f"only {second}")
    codes.add_row(
        ", ".join(comparison.codes_only_first) or "-",
        ", ".join(comparison.codes_shared) or "-",
        ", ".join(comparison.codes_only_second) or "-",
    )
    links.add_row(
        "\n".join(f"{r.source} -> {r.target} ({r.count})" for r in comparison.links_only_first)
        or "-",
        "\n".join(
            f"{link.source} -> {link.target} ({link.first} / {link.second})"
            for link in comparison.links_shared
        )
        or "-",
        "\n".join(f"{r.source} -> {r.target} ({r.count})" for r in comparison.links_only_second)
        or "-",
    )
    console.print(codes)
    console.print(links)
    console.print(f"Maps at cut-off {cutoffs}. A shared link shows both weights.")
