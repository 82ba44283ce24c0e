"""Write docs/benchmarks.md from bench/results/<database>.json (SQLite and PostgreSQL).

python bench/report.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, read_json, results_path

DOC = ROOT / "docs" / "benchmarks.md"
DATABASES = ("sqlite", "postgresql")
ROWS = (
    ("search.prefix", "Search, prefix (2-6 letters, dates, phone digits)"),
    ("search.fuzzy", "Search, one typo (family name)"),
    ("person_page.http", "Person page, GET /people/<id>/ (1,000 touchpoints)"),
    ("timeline_api.http", "Timeline API, GET /api/v1/people/<id>/timeline"),
    ("person_page.selectors", "Person page selectors only (overview + timeline)"),
    ("timeline_api.selectors", "Timeline API selector only"),
)


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _target(row: dict[str, Any]) -> str:
    target = row.get("target", {})
    parts = []
    if "p95_ms" in target:
        parts.append(f"p95 ≤ {target['p95_ms']:g} ms")
    if "queries" in target:
        parts.append(f"≤ {target['queries']} queries")
    if "queries_without_auth" in target:
        parts.append(f"≤ {target['queries_without_auth']} queries (app)")
    return ", ".join(parts) or "—"


def _verdict(row: dict[str, Any]) -> str:
    if "pass" not in row:
        return "—"
    return "**pass**" if row["pass"] else "**FAIL**"


def render(results: dict[str, dict[str, Any]]) -> str:
    first = next(iter(results.values()))
    m = first["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/report.py) from bench/results/*.json; do not edit by hand.",
        "How to run and what is measured: bench/README.md. Smaller runs for a quick look:",
        "`make bench BENCH_PEOPLE=100000 BENCH_TOUCHPOINTS=1000000` (the targets are for the full",
        "1,000,000 people / 10,000,000 touchpoints).",
        "",
        "## Machine",
        "",
        "| CPU | cores | memory | Python | OS |",
        "|---|---|---|---|---|",
        f"| {m['cpu_model']} | {m['cpus']} | {m['memory_gib']} GiB | {m['python']} | {m['os']} |",
        "",
        "## Datasets",
        "",
        "| database | people | touchpoints | rows written | name vocabulary | generation | rows/s "
        "| target | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in results.items():
        d, gen = r["dataset"], r["metrics"]["generate"]
        target = "< 600 s" if label == "postgresql" else "—"
        verdict = (
            ("**pass**" if gen["total_s"] < 600 else "**FAIL**") if label == "postgresql" else "—"
        )
        lines.append(
            f"| {r['database_version']} | {d['people']:,} | {d['touchpoints']:,} | "
            f"{gen['rows']:,} | {d['name_vocabulary']:,} words | {gen['total_s']:.0f} s | "
            f"{gen['rows_per_s']:,} | {target} | {verdict} |"
        )
    lines += [
        "",
        "Generation phases (seconds): "
        + "; ".join(
            f"{label}: "
            + ", ".join(
                f"{k.removesuffix('_s')} {v:.0f}"
                for k, v in r["metrics"]["generate"]["phases"].items()
            )
            for label, r in results.items()
        ),
        "",
        "## Results",
        "",
        "Times are milliseconds of server time (in-process: Django test client or the function "
        "itself), nearest-rank percentiles. *Queries* counts every SQL statement of one request; "
        "*app* leaves out the session, user, MFA-device and API-token look-ups.",
        "",
        "| metric | database | n | p50 | p95 | p99 | queries (app) | target | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, title in ROWS:
        for label, r in results.items():
            row = r["metrics"].get(key)
            if not row:
                continue
            if "skipped" in row:
                lines.append(f"| {title} | {label} | — | — | — | — | — | — | {row['skipped']} |")
                continue
            queries = (
                f"{row['queries']} ({row['queries_without_auth']})" if "queries" in row else "—"
            )
            lines.append(
                f"| {title} | {label} | {row['n']} | {_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} | "
                f"{_ms(row['p99_ms'])} | {queries} | {_target(row)} | {_verdict(row)} |"
            )
    lines += ["", "## Search in detail", ""]
    lines += [
        "| database | query kind | n | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|",
    ]
    for label, r in results.items():
        metrics = r["metrics"]
        for kind, row in metrics["search.prefix"]["by_category"].items():
            lines.append(
                f"| {label} | prefix: {kind} | {row['n']} | {_ms(row['p50_ms'])} | "
                f"{_ms(row['p95_ms'])} | {_ms(row['p99_ms'])} |"
            )
        for kind, row in metrics["search.fuzzy"]["by_operation"].items():
            found = metrics["search.fuzzy"]["found_rate_by_operation"][kind]
            lines.append(
                f"| {label} | typo: {kind} (found {found:.0%}) | {row['n']} | "
                f"{_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} | {_ms(row['p99_ms'])} |"
            )
    lines += [
        "",
        "*found*: share of typo queries whose results include someone with the family name the "
        "typo was made from (one-edit matching should find them all).",
        "",
        "## Notes",
        "",
        "- PostgreSQL runs as `tools/with_postgres.py` starts it: a throw-away cluster with "
        "default memory settings (shared_buffers 128 MB) and fsync off; SQLite runs with the "
        "product's settings (WAL, synchronous=FULL) on a file under var/bench/.",
        "- Each person-page and timeline request writes its audit event (a PHI read), as in "
        "production.",
        "- Generation uses COPY (PostgreSQL) and executemany (SQLite) with secondary indexes "
        "rebuilt after the load; search terms come from `carebond.people.search.terms_for`.",
        "",
    ]
    return "\n".join(lines)


def render_fhir(results: dict[str, dict[str, Any]]) -> str:
    """The FHIR import section (bench/fhir.py): throughput, its ratio to a plain parse, memory."""
    lines = [
        "",
        "## FHIR import (bench/fhir.py, `make bench-fhir`)",
        "",
        "`carebond import-fhir` into an empty database, as a child process. Resources/s counts",
        "every entry read (skipped types included) over the run's own start and finish times;",
        "memory is the child's peak resident set. The plain parse is orjson reading the same",
        "files and nothing else. The 1,000-patient set copies the shared patient bundles with",
        "fresh ids (gzip), sharing the provider bundles.",
        "",
        "| database | set | resources | seconds | resources/s | target | vs plain parse "
        "| peak memory | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        met = r["met"]
        parse = r["orjson_parse"]
        rows = [
            ("plain orjson parse", parse, "", "", ""),
            (
                "Synthea (36 files)",
                r["synthea_import"],
                f">= {r['targets']['synthea_per_second']:,}/s",
                f"{r['synthea_import']['vs_orjson_parse']}x slower",
                "met" if met["synthea_per_second"] else "MISSED",
            ),
            ("same files again (all unchanged)", r["synthea_reimport"], "", "", ""),
            (
                f"{r['generated']['patients']:,} generated patients",
                r["generated"],
                f"< {r['targets']['generated_max_seconds'] // 60} min",
                "",
                "met" if met["generated_under_10_minutes"] else "MISSED",
            ),
        ]
        for name, row, target, ratio, verdict in rows:
            memory = f"{row['peak_rss_mib']} MiB" if "peak_rss_mib" in row else ""
            lines.append(
                f"| {r['database']} | {name} | {row['resources']:,} | {row['seconds']} "
                f"| {row['per_second']:,} | {target} | {ratio} | {memory} | {verdict} |"
            )
    first = next(iter(results.values()))
    lines += [
        "",
        f"After the Synthea set: {first['after_synthea']}. After the generated set: "
        f"{first['after_generated']}. Peak memory stays flat from 36 files to 1,000 patients: "
        "files are read one at a time, NDJSON line by line.",
        "",
    ]
    return "\n".join(lines)


def render_messaging(results: dict[str, dict[str, Any]]) -> str:
    """The dispatch section (bench/messaging.py): rate beside a bare loop, and a big drain."""
    lines = [
        "",
        "## Message dispatch (bench/messaging.py, `make bench-messaging`)",
        "",
        "Two `carebond worker` processes send queued messages (half texts, half emails) to a real",
        "SMTP server (aiosmtpd) and the local Twilio-compatible provider, both in the benchmark's",
        "process; each message is checked by the rules again, handed over, and written down with",
        "its touchpoint and audit event. The bare loop sends the same number straight to the",
        "same servers from one process and does nothing else.",
        "",
        "| database | bare loop | 2 workers | vs bare | target | drain | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        met = r["met"]
        verdict = (
            "met"
            if all(met.values())
            else "MISSED: " + ", ".join(name for name, ok in met.items() if not ok)
        )
        drain = r["drain"]
        lines.append(
            f"| {r['database']} | {r['bare_loop_per_second']:,}/s "
            f"| {r['dispatch']['per_second']:,}/s ({r['dispatch']['messages']:,} messages) "
            f"| {r['ratio_to_bare']} | >= {r['targets']['per_second']}/s and >= "
            f"{r['targets']['ratio_to_bare']} of bare | {drain['messages']:,} in "
            f"{drain['seconds']} s ({drain['per_second']:,}/s) | {verdict} |"
        )
    lines.append("")
    return "\n".join(lines)


def render_scheduling(results: dict[str, dict[str, Any]]) -> str:
    """The scheduling section (bench/scheduling.py)."""
    lines = [
        "",
        "## Scheduling (bench/scheduling.py, `make bench-scheduling`)",
        "",
        "Thirty providers with a standard week at one location and 3,000 appointments filling",
        "their first days: the first five open times across all providers over 90 days (the",
        "booking page's and the API's selector), and the busiest day's schedule, one column per",
        "provider (the Schedule page's selector). The week calendar's whole page (signed in as the",
        "front desk, through Django's test client) for a second location whose one week holds",
        "3,000 appointments; and a board update: a patient checked in, until the sending reaches a",
        "board streamed over HTTP from a real server on 127.0.0.1 (20 updates).",
        "",
        "| database | first available p50 | p95 (target) | busy day p50 | p95 | week page p50 "
        "| p95 (target) | board update p50 | p95 (target) | result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        first, day = r["first_available"], r["busy_day"]
        week, board = r.get("week_page"), r.get("board_update")
        verdict = "met" if all(r["met"].values()) else "MISSED"
        targets = r["targets"]
        week_cells = (
            f"{_ms(week['p50_ms'])} | {_ms(week['p95_ms'])} (<= {_ms(targets['week_page_p95_ms'])})"
            if week
            else "- | -"
        )
        board_cells = (
            f"{_ms(board['p50_ms'])} | {_ms(board['p95_ms'])} "
            f"(<= {_ms(targets['board_update_p95_ms'])})"
            if board
            else "- | -"
        )
        lines.append(
            f"| {r['database']} | {_ms(first['p50_ms'])} | {_ms(first['p95_ms'])} "
            f"(<= {_ms(targets['first_available_p95_ms'])}) | {_ms(day['p50_ms'])} "
            f"| {_ms(day['p95_ms'])} | {week_cells} | {board_cells} | {verdict} |"
        )
    lines.append("")
    return "\n".join(lines)


def render_analytics(results: dict[str, dict[str, Any]]) -> str:
    """The analytics section (bench/analytics.py): rollups, the overview and the KPI pages."""
    lines = [
        "",
        "## Analytics (bench/analytics.py, `make bench-analytics`)",
        "",
        "The scale dataset with 24 months of visits (a realistic mix of statuses, lead times,",
        "waits, providers, locations and appointment types) and post-visit survey answers with",
        "their invitations, rolled up with the product's own action a month at a time. Then one",
        "day rolled up alone, as the worker does each night (several runs); the overview page as",
        "a manager (Django's test client, in-process) and its selector alone; and every KPI's",
        "page, first in a fresh process (cold: its first request, after the process has loaded",
        "its code and signed in) and then warm. The targets are for PostgreSQL at 1,000,000",
        "patients, 10,000,000 touchpoints, 2,000,000 appointments and 500,000 responses, and for",
        "SQLite at 100,000 patients (a tenth of the rest); a run at a smaller scale is a preview.",
        "",
        "| database | people | touchpoints | appointments | responses | invitations | load "
        "| 24 months rolled up | per day |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        d, history = r["dataset"], r["rollup_history"]
        lines.append(
            f"| {r['database_version']} | {d['people']:,} | {d['touchpoints']:,} "
            f"| {d['rows']['scheduling_appointment']:,} | {d['completed_responses']:,} "
            f"| {d['rows']['surveys_invitation']:,} | {d['load_s']:.0f} s "
            f"| {history['total_s']:.0f} s ({history['rows']:,} rows) "
            f"| {history['per_day_s']:.2f} s |"
        )
    lines += [
        "",
        "| metric | database | n | p50 | p95 | p99 / max | queries | target | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        m, label = r["metrics"], r["database"]
        day = m["day_rollup"]
        lines.append(
            f"| One day rolled up ({day['facts']:,} facts, {day['rows']:,} rows) | {label} "
            f"| {day['runs']} | {day['p50_s']:.2f} s | — | max {day['max_s']:.2f} s | — "
            f"| ≤ {day['target']['max_s']:g} s | {_verdict(day)} |"
        )
        for key, title in (
            ("overview.http", "Overview, GET /analytics/"),
            ("overview.year.http", "Overview, a year (GET /analytics/?span=12)"),
            ("overview.selector", "Overview selector only"),
        ):
            row = m[key]
            lines.append(
                f"| {title} | {label} | {row['n']} | {_ms(row['p50_ms'])} | "
                f"{_ms(row['p95_ms'])} | {_ms(row['p99_ms'])} | {row['queries']} "
                f"| {_target(row)} | {_verdict(row)} |"
            )
        cold, warm = m["kpi.cold"], m["kpi.warm"]
        lines.append(
            f"| KPI pages cold, first request ({cold['kpis']} KPIs; slowest "
            f"{cold['slowest']}) | {label} | {cold['kpis']} | — | — | max "
            f"{_ms(cold['max_ms'])} | — | ≤ {cold['target']['max_ms']:g} ms | {_verdict(cold)} |"
        )
        lines.append(
            f"| KPI pages warm (every KPI) | {label} | {warm['n']} | {_ms(warm['p50_ms'])} "
            f"| {_ms(warm['p95_ms'])} | {_ms(warm['p99_ms'])} | — | — | — |"
        )
    lines += ["", "| KPI | " + " | ".join(f"{label} cold / warm p95" for label in results) + " |"]
    lines.append("|---|" + "---|" * len(results))
    keys = list(next(iter(results.values()))["metrics"]["kpi.cold"]["per_kpi"])
    for key in keys:
        cells = []
        for r in results.values():
            cold = r["metrics"]["kpi.cold"]["per_kpi"].get(key)
            warm = r["metrics"]["kpi.warm"]["per_kpi"].get(key)
            cells.append(
                f"{_ms(cold['first_ms'])} / {_ms(warm['p95_ms'])}" if cold and warm else "—"
            )
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    loads = "; ".join(
        f"{label}: {', '.join(str(x) for x in r['load_average'])}" for label, r in results.items()
    )
    lines += [
        "",
        f"Times in ms unless marked; the machine's load average (1, 5, 15 min) when measured: "
        f"{loads}. Each page request writes its audit event, as in production.",
        "",
    ]
    return "\n".join(lines)


def _cores(r: dict[str, Any]) -> int:
    return int(r["machine"]["cpus"] or 1)


def render_load(r: dict[str, Any]) -> str:
    """The load test (bench/load.py): throughput and latency per kind, CPU, published figures."""
    setup, dataset, total = r["setup"], r["dataset"], r["total"]
    seconds = r["setup_seconds"]
    lines = [
        "",
        "## Load test (bench/load.py, `make bench-load`)",
        "",
        f"`carebond serve --production` (gunicorn, {setup['web_workers']} processes x "
        f"{setup['threads']} threads, Django's pool of {setup['pool_max']} connections each) and "
        f"{setup['task_workers']} `carebond worker` processes on one {r['database']} "
        f"({setup['durable']}), a real SMTP server and the local text provider, all on "
        "127.0.0.1 with production's settings, behind no proxy (the clients send what one would: "
        f"`X-Forwarded-Proto: https`). {setup['users']} locust users (bench/load_users.py, "
        "0.05-0.5 s between requests) mix: people search and the person page (a front-desk "
        "session past MFA), the timeline API and the FHIR Patient read (a clinician's token), "
        "booking the first open time of a day (open times, then book), the post-visit survey "
        "through the patient's link (open, four parts saved, send) and inbound texts through "
        "the provider's webhook, signed. The organisation is the demo's at size "
        f"{setup['size']} (seed {dataset['seed']}): {dataset['patients']:,} patients, "
        f"{dataset['touchpoints']:,} touchpoints, {dataset['appointments']:,} appointments. "
        f"{seconds['warmup']:.0f} s of warm-up, then {seconds['measured']:.0f} s measured; "
        "every request counts (errors are any other status than the one expected), "
        "nearest-rank percentiles of the time the client waited.",
        "",
        "| request | n | per second | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in r["requests"].items():
        lines.append(
            f"| {name} | {row['n']:,} | {row['per_second']:.1f} | {_ms(row['p50_ms'])} "
            f"| {_ms(row['p95_ms'])} | {_ms(row['p99_ms'])} | {_ms(row['max_ms'])} "
            f"| {row['errors']} |"
        )
    lines.append(
        f"| **all** | {total['n']:,} | **{total['per_second']:.1f}** | | | | | "
        f"**{total['errors']}** |"
    )
    cpu, cores = r["cpu_seconds"], _cores(r)
    span = seconds["measured"]
    app_ms = r["app_cpu_ms_per_request"]
    writes = "; ".join(
        f"{kind} {w['found']:,} of {w['acknowledged']:,}" for kind, w in r["writes"].items()
    )
    lines += [
        "",
        f"**{total['per_core']:.1f} requests/s per core** ({total['per_second']:.1f} requests/s "
        f"on {cores} cores that also ran PostgreSQL, the task workers, the load generator and "
        "other work). CPU seconds used during the measured "
        f"{span:.0f} s (of {cores * span:.0f} available): web {cpu['web']}, task workers "
        f"{cpu['task_workers']}, PostgreSQL {cpu['postgresql']}, load generator "
        f"{cpu['load_generator']}, other work on the machine {cpu['other']}. The web processes "
        f"and task workers needed {app_ms} ms of CPU per request: about "
        f"{1000 / app_ms:.0f} requests/s per core of their own, PostgreSQL apart."
        if app_ms
        else "",
        "",
        f"Acknowledged writes found afterwards: {writes}. Load average (1, 5, 15 min) when "
        f"measured: {', '.join(str(x) for x in r['load_average'])}; after: "
        f"{', '.join(str(x) for x in r['load_average_after'])}.",
        "",
        "Published figures of FHIR servers, per core of the servers that answered (their "
        "databases and caches ran on cores of their own, not counted):",
        "",
        "| server | what was measured | requests/s | cores | per core |",
        "|---|---|---|---|---|",
    ]
    for row in r["published"]:
        quoted = f", figure as [quoted]({row['quoted']})" if "quoted" in row else ""
        lines.append(
            f"| {row['server']} | {row['measured']} ([source]({row['source']}){quoted}) "
            f"| {row['requests_per_second']:,.0f} | {row['cores']} "
            f"| {row['requests_per_second'] / row['cores']:.0f} |"
        )
    lines += [
        f"| CareBond | this mixed workload, every layer on one {cores}-core machine "
        f"| {total['per_second']:.0f} | {cores} | {total['per_core']:.0f} |",
        "",
        "The workloads differ and these are not like for like: the FHIR benchmarks read and "
        "write single FHIR resources on dedicated servers with the database elsewhere; here "
        "every request goes through sign-in checks (session with MFA, or an API token), "
        "writes an audit event in a hash chain (reads of PHI too), renders HTML pages or "
        "the timeline, and bookings, survey answers and texts run the product's rules "
        "(schedules, consent, sentiment, touchpoints), with the database, the workers and "
        "the load generator sharing the same two cores.",
        "",
    ]
    return "\n".join(lines)


def render_faults(r: dict[str, Any]) -> str:
    """The fault drill (bench/load_drill.py): what was killed, how it came back, what held."""
    verdict, messages, requests = r["verdict"], r["messages"], r["requests"]
    lines = [
        "",
        "## Faults under load (bench/load_drill.py, `make bench-load`)",
        "",
        f"The same deployment and workload ({r['users']} users with links, days and numbers "
        f"of their own, {r['seconds']:.0f} s), "
        "while parts are killed with SIGKILL one after another and brought back as systemd "
        "(`Restart=always`) or an operator would; clients retry a write that failed, as "
        "clients and the text provider do (the same booking, survey page or MessageSid). "
        "Queued messages (half texts, half emails) are added before the load and just "
        "before the task worker and the postmaster are killed, so both die while sending.",
        "",
        "| fault | at | back after | client errors | how it came back |",
        "|---|---|---|---|---|",
    ]
    for fault in r["faults"]:
        lines.append(
            f"| {fault['fault']} | {fault['at_s']:.0f} s | {fault['back_after_s']:.1f} s "
            f"| {fault['client_errors']} | {fault['recovery']} |"
        )
    lines += [
        "",
        f"Requests: {requests['n']:,}, of which {requests['errors']} failed "
        f"({requests['errors_outside_outages']} outside the outages above); "
        f"{requests['writes_given_up']} writes given up after their retries.",
        "",
        "| writes | acknowledged | found | duplicates | written, not acknowledged |",
        "|---|---|---|---|---|",
    ]
    for kind, w in r["writes"].items():
        lines.append(
            f"| {kind} | {w['acknowledged']:,} | {w['found']:,} | {w['duplicates']} "
            f"| {w['written_not_acknowledged']} |"
        )
    states = ", ".join(f"{n:,} {state}" for state, n in messages["states"].items())
    unplanned = r["restarts"]["unplanned_exits"]
    lines += [
        "",
        f"Queued messages: {messages['queued']:,} ({states}); delivered at the SMTP server and "
        f"the text provider: {messages['delivered']:,}, twice: {messages['delivered_twice']}, "
        f"sent but never delivered: {messages['sent_not_delivered']}, delivered but not marked "
        f"sent: {messages['delivered_not_marked_sent']} (an email handed to the SMTP server "
        "when its worker or the database died is marked uncertain for staff, never sent "
        "again); all settled "
        + (
            f"{messages['drained_after_s']:.0f} s after the load."
            if messages["drained_after_s"] is not None
            else "NOT in time."
        ),
        "",
        f"Restarts: one web worker (by gunicorn), the web server, one task worker, PostgreSQL; "
        f"processes that exited by themselves: {len(unplanned)}"
        + (
            " (" + ", ".join(f"{u['process']} at {u['at_s']:.0f} s" for u in unplanned) + ")"
            if unplanned
            else ""
        )
        + f". `carebond audit verify`: exit {r['audit']['exit_code']} ({r['audit']['said']}).",
        "",
        "**Result: "
        + ("passed" if verdict["passed"] else "FAILED")
        + "** (every acknowledged write found, no duplicate, the audit chain whole, every "
        f"queued message settled). Load average when it started: "
        f"{', '.join(str(x) for x in r['load_average'])}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    results = {label: read_json(results_path(label)) for label in DATABASES}
    results = {label: r for label, r in results.items() if r}
    fhir = {label: read_json(results_path(label, "-fhir")) for label in DATABASES}
    fhir = {label: r for label, r in fhir.items() if r}
    if not results:
        sys.exit("No results in bench/results/: run `make bench` (or bench/suite.py) first.")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    messaging = {label: read_json(results_path(label, "-messaging")) for label in DATABASES}
    messaging = {label: r for label, r in messaging.items() if r}
    scheduling = {label: read_json(results_path(label, "-scheduling")) for label in DATABASES}
    scheduling = {label: r for label, r in scheduling.items() if r}
    analytics = {label: read_json(results_path(label, "-analytics")) for label in DATABASES}
    analytics = {label: r for label, r in analytics.items() if r}
    load = read_json(results_path("postgresql", "-load"))
    faults = read_json(results_path("postgresql", "-faults"))
    DOC.write_text(
        render(results)
        + (render_fhir(fhir) if fhir else "")
        + (render_messaging(messaging) if messaging else "")
        + (render_scheduling(scheduling) if scheduling else "")
        + (render_analytics(analytics) if analytics else "")
        + (render_load(load) if load else "")
        + (render_faults(faults) if faults else "")
    )
    print(f"Wrote {DOC.relative_to(ROOT)} ({', '.join(results)})")


if __name__ == "__main__":
    main()
