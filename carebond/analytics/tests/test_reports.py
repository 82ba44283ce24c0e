"""The monthly relationship report of a location, from hand-made facts: the page says each
figure as the overview does (its n, interval and change), charts its months and breaks it down
by provider (a provider with too few hidden, with the reason); the PDF is the same page, with
the same figures; every read is audited; a bad month or location is a 404 with a message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from weasyprint import Document

from carebond.accounts.actions import do_create_location
from carebond.accounts.models import User
from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.report_models import ReportSubscription
from carebond.analytics.tests.conftest import NOVEMBER, OCTOBER, HandMadeFacts, visits
from carebond.audit.models import AuditEvent
from carebond.core.kpis import Kpi
from carebond.core.models import Location
from carebond.core.pdf import OwnFilesOnly, static_file
from carebond.core.permissions import Role
from carebond.testing.printing import printed, printed_text  # noqa: F401


@pytest.fixture
def alder_main(kept_visits: tuple[Kpi, HandMadeFacts], location_a: Location) -> Location:
    """Alder Main: October 60 of 100 kept; November 50 of 55 (p1), 35 of 45 (p2) and 2 of 3
    (p3, too few to show). Alder North, November: 10 of 10 (not in Alder Main's report)."""
    facts = kept_visits[1]
    org = location_a.organization
    north = do_create_location(org, name="Alder North", acting_user=None)
    main = location_a.pk
    facts.add(org.pk, visits(OCTOBER + timedelta(days=3), kept=60, missed=40, location_id=main))
    facts.add(
        org.pk,
        visits(NOVEMBER + timedelta(days=3), kept=50, missed=5, location_id=main, provider="p1"),
    )
    facts.add(
        org.pk,
        visits(NOVEMBER + timedelta(days=9), kept=35, missed=10, location_id=main, provider="p2"),
    )
    facts.add(
        org.pk,
        visits(NOVEMBER + timedelta(days=9), kept=2, missed=1, location_id=main, provider="p3"),
    )
    facts.add(org.pk, visits(NOVEMBER + timedelta(days=5), kept=10, missed=0, location_id=north.pk))
    do_roll_up_days(organization=org, first=OCTOBER, last=NOVEMBER + timedelta(days=29))
    return location_a


def _url(location: Location, month: str = "2026-11", suffix: str = "") -> str:
    return f"/analytics/reports/{location.public_id}/{month}/{suffix}"


def test_a_locations_report_gives_each_figure_its_chart_and_providers(
    alder_main: Location, users_a: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    # given Alder Main's November at 87 of 103 kept against October's 60 of 100
    # when the analyst opens its November report
    page = client_for(users_a[Role.ANALYST]).get(_url(alder_main))
    # then the tile is the overview's, for this location only (Alder North's 10 not counted)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Relationship report: Alder Main, November 2026" in html
    assert "84.5%" in html
    assert "95% CI 76.2 to 90.2; n = 103" in html
    assert "+24.5 points against October 2026" in html
    assert "A signal (p = 0.000): a real improvement." in html
    # and the months are drawn as a chart, with its alt text
    assert 'src="data:image/svg+xml;base64,' in html
    assert "Visits kept at Alder Main by month, November 2025 to November 2026" in html
    # and each provider has a row; p3's 3 visits are too few to show
    assert '<th scope="row">p1</th><td>90.9%</td><td>95% CI 80.4 to 96.1</td><td>55</td>' in html
    assert '<th scope="row">p2</th><td>77.8%</td><td>95% CI 63.7 to 87.5</td><td>45</td>' in html
    assert '<th scope="row">p3</th><td>—</td><td>Not shown: fewer than 5' in html
    assert "66.7%" not in html
    # and the analyst may read it but is offered no subscription
    assert "Subscribe" not in html
    # and the read is audited against the location
    event = AuditEvent.objects.get(action="kpi.report.read")
    assert (event.actor, event.target_id) == (users_a[Role.ANALYST], str(alder_main.public_id))


def test_the_pdf_is_the_same_report(
    alder_main: Location,
    manager_a: User,
    client_for: Callable[[User], Client],
    printed: list[Document],  # noqa: F811
) -> None:
    # given Alder Main's November report
    # when the manager downloads it as a PDF
    response = client_for(manager_a).get(_url(alder_main, suffix="pdf/"))
    # then it is a PDF, named for the month
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="relationship-report-2026-11.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    # and its pages say the page's figures, without the page's buttons and menus
    text = printed_text(printed[0])
    assert "Relationship report: Alder Main, November 2026" in text
    assert "84.5%" in text
    assert "95% CI 76.2 to 90.2; n = 103" in text
    assert "+24.5 points against October 2026." in text
    assert "90.9%" in text
    assert "Not shown: fewer than 5" in text
    assert "Subscribe" not in text
    assert "Download as PDF" not in text
    assert "Page 1 of 1" in text
    # and the download is audited as a read of the report
    assert AuditEvent.objects.filter(action="kpi.report.read", actor=manager_a).count() == 1


def test_a_report_is_printed_from_our_own_files_only(settings: Any) -> None:
    # given a report printed at https://crm.example.org
    fetcher = OwnFilesOnly("https://crm.example.org")
    # then a chart as a data: URL and our own stylesheet are read, from memory and from disk
    chart = fetcher.fetch("data:image/svg+xml;base64,PHN2Zy8+")
    assert chart.read() == b"<svg/>"
    own = static_file("https://crm.example.org/static/analytics/report.css", fetcher.origin)
    assert own is not None
    assert own.name == "report.css"
    # and anything else, elsewhere or outside the static files, is refused
    for url in (
        "https://tracker.example.com/static/analytics/report.css",
        "https://crm.example.org/analytics/",
        "https://crm.example.org/static/../config/settings/base.py",
        "file:///etc/passwd",
    ):
        with pytest.raises(ValueError, match=r"own files only|disallowed protocol"):
            fetcher.fetch(url)


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "No report for that month: &#x27;2026-13&#x27; is not a month"),
        ("november", "write it as YYYY-MM, for example 2026-11"),
        ("2027-02", "2027-02 is outside the months with figures"),
    ],
)
def test_a_month_without_a_report_is_not_found_with_a_message(
    alder_main: Location,
    manager_a: User,
    client_for: Callable[[User], Client],
    month: str,
    message: str,
) -> None:
    # given a manager of Alder Family Practice
    client = client_for(manager_a)
    # when they ask for Alder Main's report of a month that has none, as a page or a PDF
    for suffix in ("", "pdf/"):
        response = client.get(_url(alder_main, month, suffix))
        # then it is a 404 that says why
        assert response.status_code == 404
        assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action="kpi.report.read").exists()


def test_a_location_of_another_organisation_or_none_is_not_found(
    alder_main: Location,
    manager_a: User,
    outsider_b: User,
    client_for: Callable[[User], Client],
) -> None:
    # given Birchwood's location, and a location id nobody has
    birch = do_create_location(outsider_b.organization, name="Birch", acting_user=None)
    nobody = Location(public_id="00000000-0000-4000-8000-000000000000")
    client = client_for(manager_a)
    # when Alder's manager asks for their reports, as pages and PDFs
    # then each is a 404, the same for both, and nothing is read
    for location in (birch, nobody):
        assert client.get(_url(location)).status_code == 404
        assert client.get(_url(location, suffix="pdf/")).status_code == 404
    assert client.get("/analytics/reports/not-a-location/2026-11/").status_code == 404
    assert not AuditEvent.objects.filter(action="kpi.report.read").exists()


def test_the_list_offers_each_location_by_month_and_managers_subscribe(
    alder_main: Location, users_a: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    # given two locations
    manager = client_for(users_a[Role.MANAGER])
    # when the manager opens the list of reports
    html = manager.get("/analytics/reports/").content.decode()
    # then each location has its twelve last complete months, November first
    assert html.count(f'href="{_url(alder_main)}"') == 1
    assert html.count(f'href="/analytics/reports/{alder_main.public_id}/') == 12
    assert f'href="{_url(alder_main, "2025-12")}"' in html
    assert "Alder North" in html
    # when the manager subscribes to Alder Main's report from its page
    response = manager.post(
        "/analytics/reports/subscribe/",
        {"location": str(alder_main.public_id), "next": _url(alder_main)},
    )
    # then they are back on the report, subscribed, and the subscription is audited
    assert response.status_code == 302
    assert response["Location"] == _url(alder_main)
    subscription = ReportSubscription.objects.get(user=users_a[Role.MANAGER])
    assert (subscription.location, subscription.active) == (alder_main, True)
    assert AuditEvent.objects.filter(action="kpi.report.subscribed").count() == 1
    assert "Unsubscribe" in manager.get(_url(alder_main)).content.decode()
    # when they unsubscribe from the list
    manager.post("/analytics/reports/unsubscribe/", {"location": str(alder_main.public_id)})
    # then the subscription is off (kept, inactive), and that is audited too
    subscription.refresh_from_db()
    assert subscription.active is False
    assert AuditEvent.objects.filter(action="kpi.report.unsubscribed").count() == 1
    # and the analyst, who reads reports, may not subscribe
    analyst = client_for(users_a[Role.ANALYST])
    assert "Subscribe" not in analyst.get("/analytics/reports/").content.decode()
    refused = analyst.post("/analytics/reports/subscribe/", {"location": ""})
    assert refused.status_code == 403
    assert ReportSubscription.objects.filter(user=users_a[Role.ANALYST]).count() == 0
