"""The accessibility gate: every page each demo role can reach, checked by axe-core and for width.

The demo organisation (small, seed 42) is built once per walk; one browser walks it with one
context per role, in two walks of three roles that the suite's two workers share. Each role
opens every page of its navigation and its user menu and the pages one click away from them
(one of each kind of link: a person, a study, an import run, a user...; every KPI page for the
analyst, one for the other roles), plus a search's
results, a person of each kind and the study's own pages (edit, compare, report...), at desktop
width (1280x800) and a phone's (390x844). On every page axe-core must find nothing serious or
critical, no id may be used twice, every label and ARIA reference must name an element, nothing
may be logged to the console as an error, and the page must be no wider than the window. Every
finding is listed (role, width, page, what), not just the first, so one run shows all there is
to fix. The sign-in page is checked too, before anyone signs in. `pytest -m gate` runs it
alone.

Not walked: files and machine interfaces (CSV, SVG, NDJSON, /api, /fhir). The navigation's "API"
link opens django-ninja's Swagger UI, a third-party page outside CareBond's templates.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote

import pytest
from django.db.models import Count
from playwright.sync_api import Browser, ConsoleMessage, Page

from carebond.demo.builder import DemoResult, build_demo
from carebond.people.models import Person
from carebond.value_maps.models import Study
from tests.browser.accessibility import (
    DESKTOP,
    PHONE,
    axe_results,
    axe_violations,
    broken_references,
    duplicate_ids,
    horizontal_overflow,
    start_axe,
    wider_than_window,
)

pytestmark = [pytest.mark.browser, pytest.mark.gate, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1280px": DESKTOP, "390px": PHONE}
# Demo usernames are the roles' names (carebond.demo.builder.DEMO_USERS); two walks of about
# the same length.
ROLE_GROUPS = {
    "admin-clinician-liaison": ("admin", "clinician", "liaison"),
    "manager-frontdesk-analyst-privacy": ("manager", "frontdesk", "analyst", "privacy"),
}
# Links that are not CareBond's pages (see above).
NOT_PAGES = re.compile(r"\.(csv|svg|png|ndjson|json|ics)$|^/(api|fhir)/|^/accounts/(login|mfa)/")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The KPI pages share one template: the analyst opens every one of them; the roles that also see
# the people behind a number (drill-down) open one, for that part of the page.
KPI_PAGE = re.compile(r"^/analytics/kpi/[^/]+/")
EVERY_KPI = "analyst"
SHELL_LINKS = """() => Array.from(document.querySelectorAll('body > header a[href]'))
    .filter((a) => a.origin === location.origin).map((a) => a.pathname)"""
CONTENT_LINKS = """() => Array.from(document.querySelectorAll('main a[href]'))
    .filter((a) => !a.hasAttribute('download') && a.origin === location.origin)
    .map((a) => a.pathname)"""
# The person page fetches its side panels after itself (static/carebond/panels.js).
SETTLED = """() => Array.from(document.querySelectorAll('[data-panels-src]'))
    .every((holder) => holder.querySelector('section'))"""


@dataclass(frozen=True)
class Finding:
    role: str
    width: str
    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.role} at {self.width} on {self.path}: {self.what}"


def page_kind(path: str, *, every_kpi: bool = True) -> str:
    """/people/<id>/ stands for every person: one page of each kind is enough."""
    kind = UUID.sub("<id>", path)
    return kind if every_kpi else KPI_PAGE.sub("/analytics/kpi/<key>/", kind)


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base_url}/")


def open_page(page: Page, url: str) -> int:
    response = page.goto(url)
    status = response.status if response is not None else 0
    if status == 200:
        page.wait_for_function(SETTLED)
    return status


def check_page(pages: dict[str, Page], *, role: str, path: str) -> Iterator[Finding]:
    """The same page open at both widths: its DOM once, axe-core and its width at each."""
    desktop = pages["1280px"]
    for problem in duplicate_ids(desktop):
        yield Finding(role, "any width", path, f"duplicate id {problem}")
    for problem in broken_references(desktop):
        yield Finding(role, "any width", path, problem)
    for page in pages.values():
        start_axe(page)
    for width, page in pages.items():
        for violation in axe_results(page):
            yield Finding(role, width, path, str(violation))
        if overflow := horizontal_overflow(page):
            culprits = ", ".join(wider_than_window(page))
            yield Finding(role, width, path, f"{overflow}px wider than the window ({culprits})")
        for message in page.console_errors:  # type: ignore[attr-defined]
            yield Finding(role, width, path, f"console error: {message}")
        page.console_errors.clear()  # type: ignore[attr-defined]


def walk(
    pages: dict[str, Page], base_url: str, *, role: str, details: dict[str, list[str]]
) -> tuple[list[str], list[Finding]]:
    """The navigation's and the user menu's pages and every kind of page one click away from
    them; and the detail pages of the sections the role's navigation has (people of each kind,
    a study), with what is one click away from those."""
    desktop = pages["1280px"]
    starts: list[str] = [p for p in desktop.evaluate(SHELL_LINKS) if not NOT_PAGES.search(p)]
    extra = [path for section, paths in details.items() if section in starts for path in paths]
    starts += extra
    queue = [(path, True) for path in starts]
    seen: set[str] = set()
    visited: list[str] = []
    findings: list[Finding] = []
    while queue:
        path, follow_links = queue.pop(0)
        kind = page_kind(path, every_kpi=role == EVERY_KPI)
        if path in seen or (path not in extra and kind in seen):
            continue
        seen.update({path, kind})
        statuses = {open_page(page, f"{base_url}{path}") for page in pages.values()}
        if statuses != {200}:
            findings.append(Finding(role, "any width", path, f"answered {statuses}"))
            continue
        visited.append(path)
        findings.extend(check_page(pages, role=role, path=path))
        if follow_links:
            links: list[str] = desktop.evaluate(CONTENT_LINKS)
            queue += [(link, False) for link in links if not NOT_PAGES.search(link)]
    return visited, findings


def keep_console_errors(page: Page, message: ConsoleMessage) -> None:
    if message.type == "error":
        page.console_errors.append(message.text)  # type: ignore[attr-defined]


def details_to_open(demo: DemoResult) -> dict[str, list[str]]:
    """By section: a search's results and one person of each kind (the patient with the most
    to show), and the demo's study, whose own pages (edit, compare, report...) it links to."""
    assert demo.people is not None
    demo_people = demo.people
    patients = Person.objects.filter(pk__in=[p.pk for p in demo_people.patients]).annotate(
        relations=Count("relationships", distinct=True),
        team=Count("care_team", distinct=True),
        items=Count("history", distinct=True),
    )
    patient = patients.order_by("-relations", "-team", "-items", "pk").first()
    assert patient is not None
    chosen = [patient, demo_people.referral_sources[0], demo_people.staff[0]]
    study = Study.objects.filter(organization=demo.organization).order_by("pk").first()
    assert study is not None
    return {
        "/people/": [
            f"/people/?q={quote(patient.family_name)}",
            *(f"/people/{person.public_id}/" for person in chosen),
        ],
        "/value-maps/": [f"/value-maps/{study.public_id}/"],
    }


@pytest.mark.parametrize("roles", ROLE_GROUPS.values(), ids=ROLE_GROUPS.keys())
def test_every_page_of_every_role_passes_axe_and_fits_the_window(
    browser: Browser, live_server: object, settings: Any, roles: tuple[str, ...]
) -> None:
    # given the demo organisation, whose accounts sign in with a password alone
    started = time.perf_counter()
    settings.CAREBOND_DEMO = True
    demo = build_demo(seed=42, size="small")
    passwords = {username: password for username, _role, password in demo.credentials}
    details = details_to_open(demo)
    base_url = str(live_server)

    # when each role walks its pages, open at both widths side by side
    findings: list[Finding] = []
    walked: dict[str, list[str]] = {}
    for role in roles:
        context = browser.new_context()
        pages = {width: context.new_page() for width in WIDTHS}
        for width, page in pages.items():
            page.set_viewport_size(WIDTHS[width])
            page.set_default_timeout(15_000)
            page.console_errors = []  # type: ignore[attr-defined]
            page.on("console", partial(keep_console_errors, page))
        if role == roles[0]:
            # the sign-in page, before anyone signs in
            for page in pages.values():
                open_page(page, f"{base_url}/accounts/login/")
            findings += check_page(pages, role="signed out", path="/accounts/login/")
        sign_in(pages["1280px"], base_url, role, passwords[role])
        walked[role], found = walk(pages, base_url, role=role, details=details)
        findings += found
        context.close()
    elapsed = time.perf_counter() - started
    opened = sum(len(paths) for paths in walked.values())
    print(f"\naccessibility gate: {opened} pages at 2 widths in {elapsed:.0f}s")  # noqa: T201
    for role, paths in walked.items():
        print(f"  {role}: {', '.join(page_kind(path) for path in paths)}")  # noqa: T201

    # then each role saw its pages (a person's among them, if it sees people), and nothing was
    # found on any of them
    assert all(len(paths) >= 3 for paths in walked.values()), walked
    for paths in walked.values():
        kinds = {page_kind(path) for path in paths}
        assert "/people/" not in kinds or "/people/<id>/" in kinds, kinds
    assert findings == [], f"{len(findings)} accessibility findings:\n" + "\n".join(
        map(str, findings)
    )


def test_the_checks_find_what_they_look_for(page: Page) -> None:
    """The gate passes only if its checks can fail: each finds its problem in a page made so."""
    # given a page with an image without a text alternative, two elements sharing an id, a
    # description pointing at nothing, a box wider than the phone's window and a word longer
    page.set_viewport_size(PHONE)
    page.set_content(
        """<!DOCTYPE html><html lang="en"><head><title>Broken on purpose</title></head><body>
        <main><h1>Broken</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
        <label for="twice">Twice</label><input id="twice" aria-describedby="nowhere">
        <input id="twice" aria-label="Again"><div style="width: 600px">wide</div>
        <p>respondent,segment,ladder,position,code,label,level,respondent,segment,ladder</p></main>
        </body></html>"""
    )

    # then each check names it
    assert "image-alt" in {violation.rule for violation in axe_violations(page)}
    assert duplicate_ids(page) == ["twice (x2)"]
    assert broken_references(page) == ["input#twice aria-describedby=nowhere: no such element"]
    assert horizontal_overflow(page) > 0
    assert wider_than_window(page) == ["div", "p"]
