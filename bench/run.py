"""Measure search, the person page and the timeline API on the dataset bench/generate.py made.

    python bench/run.py [--queries 300] [--iterations 150]

Reads bench/results/<database>-dataset.json (written by generate.py), writes
bench/results/<database>.json. Search goes through ``search_person_ids`` (the function behind the
search box and the API); the person page and the timeline API go through the real views with
django.test.Client (a signed-in clinician past MFA; a Bearer token for the API). While a URL does
not resolve yet, only the selectors behind it are measured.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    bench_account,
    database_label,
    database_version,
    machine,
    read_json,
    results_path,
    setup_django,
    summary,
    write_json,
)

USERNAME = "bench-clinician"
# Queries that only the session, sign-in and token checks make (not the page's own work).
AUTH_TABLES = re.compile(
    r'"(django_session|accounts_user|accounts_apitoken|otp_totp_totpdevice|otp_static_\w+|axes_\w+)"'
)
TARGETS = {
    "search.prefix": {"p95_ms": 10.0},
    "search.fuzzy": {"p95_ms": 50.0},
    # The page's own queries; the session, user and MFA-device look-ups every signed-in request
    # makes are reported beside them ("queries") but are not the page's.
    "person_page.http": {"p95_ms": 150.0, "queries_without_auth": 10},
    "timeline_api.http": {"p95_ms": 150.0, "queries_without_auth": 10},
    "person_page.selectors": {"p95_ms": 150.0, "queries": 10},
    "timeline_api.selectors": {"p95_ms": 150.0, "queries": 10},
    "generate": {"total_s": 600.0},
}


# --- queries --------------------------------------------------------------------------------


def _typo(word: str, op: str, rng: random.Random) -> str:
    """One edit: substitution, deletion, insertion or transposition of adjacent letters."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    for _ in range(50):
        i = rng.randrange(1, len(word) - 1)  # keep the first letter, as people usually do
        if op == "substitution":
            out = word[:i] + rng.choice(letters.replace(word[i], "")) + word[i + 1 :]
        elif op == "deletion":
            out = word[:i] + word[i + 1 :]
        elif op == "insertion":
            out = word[:i] + rng.choice(letters) + word[i:]
        else:
            if word[i] == word[i + 1] if i + 1 < len(word) else True:
                continue
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if out != word:
            return out
    return word[:-1] + ("a" if word[-1] != "a" else "e")


def sample_people(org_id: int, count: int, rng: random.Random) -> list[dict[str, Any]]:
    from django.db.models import Max, Min

    from carebond.people.models import ContactPoint, Person

    bounds = Person.objects.filter(organization_id=org_id).aggregate(low=Min("id"), high=Max("id"))
    ids = sorted({rng.randint(bounds["low"], bounds["high"]) for _ in range(count)})
    people = list(
        Person.objects.filter(pk__in=ids).values(
            "id", "given_name", "family_name", "birth_date", "kind"
        )
    )
    phones = dict(
        ContactPoint.objects.filter(person_id__in=ids, system="phone").values_list(
            "person_id", "value"
        )
    )
    for person in people:
        person["phone"] = phones.get(person["id"], "")
    rng.shuffle(people)
    return people


def prefix_queries(people: list[dict[str, Any]], rng: random.Random) -> list[tuple[str, str]]:
    """(category, text): name prefixes of 2-6 letters, two-word prefixes, dates, phone digits."""
    queries: list[tuple[str, str]] = []
    for k, p in enumerate(people):
        given, family = p["given_name"], p["family_name"]
        slot = k % 10
        if slot < 5 and (given or family):
            word = (family if slot % 2 == 0 else given) or given or family
            word = word.split()[0]
            queries.append(("name", word[: rng.randint(2, 6)]))
        elif slot < 7 and given and family:
            queries.append(
                ("two words", f"{given[: rng.randint(2, 4)]} {family[: rng.randint(2, 5)]}")
            )
        elif slot < 8 and p["birth_date"]:
            d = p["birth_date"]
            text = d.isoformat() if rng.random() < 0.5 else f"{d.month}/{d.day}/{d.year}"
            queries.append(("birth date", text))
        elif p["phone"]:
            digits = p["phone"][2:]  # national number, 10 digits
            style = rng.randrange(3)
            if style == 0:
                text = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
            elif style == 1:
                text = f"{digits[3:6]}-{digits[6:]}"  # without the area code
            else:
                text = digits[: rng.randint(6, 9)]  # the first digits typed so far
            queries.append(("phone", text))
        elif family:
            queries.append(("name", family[: rng.randint(2, 6)]))
    return queries


def fuzzy_queries(people: list[dict[str, Any]], rng: random.Random) -> list[tuple[str, str, str]]:
    """(operation, text with one typo, the family name's normalised word)."""
    from carebond.people.search import name_words

    ops = ("substitution", "deletion", "insertion", "transposition")
    queries: list[tuple[str, str, str]] = []
    for p in people:
        words = [w for w in name_words(p["family_name"]) if len(w) >= 5 and w.isalpha()]
        if not words:
            continue
        op = ops[len(queries) % len(ops)]
        queries.append((op, _typo(words[0], op, rng), words[0]))
    return queries


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000, value


# --- measurements ---------------------------------------------------------------------------


def measure_search(org_id: int, *, count: int, seed: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from carebond.people.models import Person
    from carebond.people.search import name_words, search_person_ids

    rng = random.Random(f"{seed}:queries")
    warm_people = sample_people(org_id, 120, rng)
    people = sample_people(org_id, count * 3, rng)
    warm = [q for _, q in prefix_queries(warm_people, rng)] + [
        q for _, q, _ in fuzzy_queries(warm_people, rng)
    ]
    prefix = prefix_queries(people, rng)[:count]
    fuzzy = fuzzy_queries(people, rng)[:count]
    for q in warm:
        search_person_ids(org_id, q)

    out: dict[str, Any] = {}
    prefix_times: list[float] = []
    by_category: dict[str, list[float]] = {}
    empty = 0
    for category, q in prefix:
        ms, ids = timed(lambda q=q: search_person_ids(org_id, q))
        prefix_times.append(ms)
        by_category.setdefault(category, []).append(ms)
        empty += not ids
    out["search.prefix"] = {
        **summary(prefix_times),
        "empty_results": empty,
        "by_category": {k: summary(v) for k, v in sorted(by_category.items())},
        "examples": [q for _, q in prefix[:12]],
    }

    fuzzy_times: list[float] = []
    by_op: dict[str, list[float]] = {}
    found_by_op: dict[str, list[int]] = {}
    for op, q, original in fuzzy:
        ms, ids = timed(lambda q=q: search_person_ids(org_id, q))
        fuzzy_times.append(ms)
        by_op.setdefault(op, []).append(ms)
        # Found: a result carries the name the typo was made from.
        families = Person.objects.filter(pk__in=ids).values_list("family_name", flat=True)
        hit = any(original in name_words(f) for f in families)
        found_by_op.setdefault(op, []).append(int(hit))
    out["search.fuzzy"] = {
        **summary(fuzzy_times),
        "by_operation": {k: summary(v) for k, v in sorted(by_op.items())},
        "found_rate": round(sum(sum(v) for v in found_by_op.values()) / max(1, len(fuzzy)), 3),
        "found_rate_by_operation": {
            k: round(sum(v) / len(v), 3) for k, v in sorted(found_by_op.items())
        },
        "examples": [f"{q} ({op} of {orig})" for op, q, orig in fuzzy[:8]],
    }
    # Queries per search (database round trips), from a few of each kind.
    counts = []
    for q in [q for _, q in prefix[:20]] + [q for _, q, _ in fuzzy[:20]]:
        with CaptureQueriesContext(connection) as ctx:
            search_person_ids(org_id, q)
        counts.append(len(ctx.captured_queries))
    out["search.queries_per_search"] = {"min": min(counts), "max": max(counts)}
    # The slowest queries, for EXPLAIN in the report.
    slow = sorted(zip(prefix_times, [q for _, q in prefix], strict=True), reverse=True)[:5]
    out["search.prefix"]["slowest"] = [f"{q!r}: {ms:.1f} ms" for ms, q in slow]
    slow = sorted(zip(fuzzy_times, [q for _, q, _ in fuzzy], strict=True), reverse=True)[:5]
    out["search.fuzzy"]["slowest"] = [f"{q!r}: {ms:.1f} ms" for ms, q in slow]
    # Plans of typical slow shapes: a two-letter name prefix, two words, a typo.
    samples = {
        "prefix, two letters": next((q for c, q in prefix if c == "name" and len(q) == 2), ""),
        "prefix, two words": next((q for c, q in prefix if c == "two words"), ""),
        "prefix, phone digits": next((q for c, q in prefix if c == "phone"), ""),
        "fuzzy": fuzzy[0][1] if fuzzy else "",
    }
    out["search.plans"] = {
        f"{label}: {q}": explain(lambda q=q: search_person_ids(org_id, q))
        for label, q in samples.items()
        if q
    }
    return out


def explain(call: Callable[[], Any]) -> list[dict[str, Any]]:
    """The plans of the SELECTs a call makes: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN
    QUERY PLAN plus a timed re-run on SQLite."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        call()
    plans = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or "pg_advisory" in sql:
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL pg_trgm.similarity_threshold = 0.2")
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = [row[-1] for row in cursor.fetchall()]
                ms, _ = timed(lambda sql=sql, cursor=cursor: cursor.execute(sql).fetchall())
                plan.append(f"execution: {ms:.2f} ms")
        plans.append({"sql": sql[:600], "ms_in_run": float(query["time"]) * 1000, "plan": plan})
    return plans


def bench_user(org_id: int) -> Any:
    from carebond.core.models import Organization

    return bench_account(Organization.objects.get(pk=org_id), USERNAME, "clinician", "Clinician")


def signed_in_client(user: Any) -> Any:
    """A browser session past password and MFA (as carebond.testing.fixtures.sign_in)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from carebond.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
    from carebond.core import clock

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    now = int(clock.now().timestamp())
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    session.save()
    return client


def resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def measure_calls(
    name: str, call: Callable[[], Any], *, iterations: int, check: Callable[[Any], None]
) -> dict[str, Any]:
    """Warm up, count the queries of a few calls, then time ``iterations`` calls."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(10):
        check(call())
    totals, apps = [], []
    sample_sql: list[str] = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as ctx:
            check(call())
        sql = [q["sql"] for q in ctx.captured_queries]
        totals.append(len(sql))
        apps.append(sum(1 for s in sql if not AUTH_TABLES.search(s)))
        sample_sql = sql
    times = []
    gc.collect()
    for _ in range(iterations):
        ms, response = timed(call)
        check(response)
        times.append(ms)
    return {
        **summary(times),
        "queries": max(totals),
        "queries_without_auth": max(apps),
        "sql": [s[:300] for s in sample_sql],
    }


def measure_person(meta: dict[str, Any], *, iterations: int) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from carebond.accounts.actions import do_create_api_token
    from carebond.people.models import Person
    from carebond.touchpoints.models import Touchpoint

    settings.ALLOWED_HOSTS.append("testserver")
    org_id, public_id = meta["organization_id"], str(uuid.UUID(meta["page_person_public_id"]))
    person = Person.objects.get(public_id=public_id)
    count = Touchpoint.objects.filter(person=person).count()
    user = bench_user(org_id)
    out: dict[str, Any] = {"page_person": {"public_id": public_id, "touchpoints": count}}

    def ok(response: Any) -> None:
        if getattr(response, "status_code", 200) != 200:
            raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")

    page_url = f"/people/{public_id}/"
    if resolves(page_url):
        client = signed_in_client(user)
        out["person_page.http"] = {
            "url": "/people/<public_id>/",
            **measure_calls("page", lambda: client.get(page_url), iterations=iterations, check=ok),
        }
    else:
        out["person_page.http"] = {"skipped": f"{page_url} does not resolve yet"}
    api_url = f"/api/v1/people/{public_id}/timeline"
    if resolves(api_url):
        _, secret = do_create_api_token(user, name="bench", acting_user=None)
        api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        out["timeline_api.http"] = {
            "url": "/api/v1/people/<public_id>/timeline",
            **measure_calls("api", lambda: api.get(api_url), iterations=iterations, check=ok),
        }
    else:
        out["timeline_api.http"] = {"skipped": f"{api_url} does not resolve yet"}

    # The selectors behind both (no session, no middleware, no template, no JSON).
    from carebond.people.selectors import get_person_overview
    from carebond.touchpoints import selectors as timeline_selectors

    def page_selectors() -> Any:
        overview = get_person_overview(user=user, public_id=public_id)
        page = timeline_selectors.list_timeline(overview.person)
        return [overview, page.items]

    out["person_page.selectors"] = {
        "calls": "get_person_overview + list_timeline",
        **measure_calls("overview", page_selectors, iterations=iterations, check=lambda _: None),
    }
    if hasattr(timeline_selectors, "get_person_timeline"):

        def api_selectors() -> Any:
            return timeline_selectors.get_person_timeline(user=user, public_id=public_id).items

        calls = "get_person_timeline"
    else:
        from carebond.people.access import access_person

        def api_selectors() -> Any:
            return timeline_selectors.list_timeline(access_person(user, public_id)).items

        calls = "access_person + list_timeline"
    out["timeline.plans"] = explain(api_selectors)
    out["timeline_api.selectors"] = {
        "calls": calls,
        **measure_calls("timeline", api_selectors, iterations=iterations, check=lambda _: None),
    }
    return out


def verdicts(results: dict[str, Any]) -> None:
    for name, target in TARGETS.items():
        row = results["metrics"].get(name)
        if not row or "skipped" in row:
            continue
        passed = True
        for key, limit in target.items():
            value = row.get(key)
            if value is None:
                continue
            passed = passed and value <= limit
        row["target"] = target
        row["pass"] = passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=300, help="prefix and fuzzy queries each")
    parser.add_argument("--iterations", type=int, default=150, help="page and API requests")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    setup_django()
    label = database_label()
    meta = read_json(results_path(label, "-dataset"))
    if not meta:
        sys.exit(f"No {results_path(label, '-dataset')}: run bench/generate.py first.")
    print(
        f"== Measuring on {database_version()}: {meta['people']:,} people, "
        f"{meta['touchpoints']:,} touchpoints",
        flush=True,
    )
    metrics: dict[str, Any] = {}
    started = time.monotonic()
    metrics.update(measure_search(meta["organization_id"], count=args.queries, seed=args.seed))
    print(f"  search done in {time.monotonic() - started:.0f}s", flush=True)
    metrics.update(measure_person(meta, iterations=args.iterations))
    metrics["generate"] = {
        "total_s": meta["total_s"],
        "rows": sum(meta["rows"].values()),
        "rows_per_s": meta["rows_per_s"],
        "phases": meta["phases"],
    }
    results = {
        "database": label,
        "database_version": database_version(),
        "machine": machine(),
        "dataset": {
            k: meta[k]
            for k in (
                "people",
                "touchpoints",
                "seed",
                "rows",
                "name_vocabulary",
                "given_names",
                "family_names",
                "page_person_public_id",
            )
        },
        "metrics": metrics,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    verdicts(results)
    write_json(results_path(label), results)
    for name, row in metrics.items():
        if "p95_ms" in row:
            extra = f"  queries {row['queries']}" if "queries" in row else ""
            verdict = "" if "pass" not in row else ("  PASS" if row["pass"] else "  FAIL")
            print(
                f"  {name:24} p50 {row['p50_ms']:8.2f}  p95 {row['p95_ms']:8.2f}  "
                f"p99 {row['p99_ms']:8.2f} ms{extra}{verdict}"
            )
        elif "skipped" in row:
            print(f"  {name:24} skipped: {row['skipped']}")
    gen = metrics["generate"]
    print(f"  generate                 {gen['total_s']:.0f} s  ({gen['rows']:,} rows)")


if __name__ == "__main__":
    main()
