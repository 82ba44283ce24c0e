"""Early warning on the rollups: the daily scan charts each location's, provider's and
department's months, raises an alert (once) when a chart signals a worsening in the month just
ended, emails the responsible manager through a real SMTP server, and the alert is
acknowledged with a note. The charts' arithmetic is test_spc.py's."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from carebond.accounts.actions import do_create_location
from carebond.accounts.models import User
from carebond.analytics import warning_selectors
from carebond.analytics.spc import CUSUM_DOWN, EWMA_LOW, OUTSIDE, SHIFT
from carebond.analytics.tests.warning_factories import (
    SCAN_DAY,
    make_alert,
    monthly_rollups,
    staff_at,
)
from carebond.analytics.warning_actions import check_acknowledge_alert, scan_early_warning
from carebond.analytics.warning_models import EarlyWarningAlert, UnitKind
from carebond.analytics.warning_panels import early_warning_panel
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput, NotFound, RuleViolation
from carebond.core.kpis import Kpi, KpiKind
from carebond.core.models import Department, Location, Organization
from carebond.core.registry import registered
from carebond.testing.fixtures import Mailbox

NO_SHOWS = "scheduling.no_show_rate"
# 23 steady months of about 5% no-shows among 200 visits due
STEADY = [10, 12, 9, 11, 8, 10, 13, 9, 10, 11, 12, 9, 10, 8, 11, 10, 12, 9, 10, 11, 9, 10, 12]


@pytest.fixture(autouse=True)
def december() -> Iterator[None]:
    with time_machine.travel(SCAN_DAY, tick=False):
        yield


def _location(organization: Organization, name: str) -> Location:
    return do_create_location(organization, name=name, address="", acting_user=None)


def _no_shows(organization: Organization, location: Location, last: int) -> None:
    months = [(200.0, float(x)) for x in [*STEADY, last]]
    monthly_rollups(organization, NO_SHOWS, months, location=location)


def _test_kpi(key: str, kind: KpiKind, **more: object) -> Kpi:
    return Kpi(
        key=key,
        title=key.split(".")[1].replace("_", " ").capitalize(),
        unit="points",
        definition="A test figure.",
        kind=kind,
        facts=lambda organization_id, first, last: [],
        app_label="tests",
        group="Tests",
        **more,  # type: ignore[arg-type]
    )


def test_a_jump_in_no_shows_alerts_the_locations_manager_once(
    org_a: Organization,
    users_a: dict[str, User],
    manager_a: User,
    admin_a: User,
    smtp_server: Mailbox,
    tasks_run_now: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given no-shows jumping from about 5% to 20% in November at North (whose manager works
    # there) and at South (no manager of its own), and falling to none at East
    north, south, east = (_location(org_a, name) for name in ("North", "South", "East"))
    staff_at(org_a, north, "Maria", user=manager_a)
    _no_shows(org_a, north, 40)
    _no_shows(org_a, south, 40)
    _no_shows(org_a, east, 0)
    # when the scan runs, twice (each alert's email leaves once it is committed)
    with django_capture_on_commit_callbacks(execute=True):
        first = scan_early_warning()
    with django_capture_on_commit_callbacks(execute=True):
        second = scan_early_warning()
    # then North's and South's Novembers are outside their limits; East's fall is good news
    assert (first, second) == (2, 0)
    alerts = {a.unit_label: a for a in EarlyWarningAlert.objects.filter(organization=org_a)}
    assert set(alerts) == {"North", "South"}
    north_alert = alerts["North"]
    assert (north_alert.kpi, north_alert.unit_kind, north_alert.rule) == (
        NO_SHOWS,
        UnitKind.LOCATION,
        OUTSIDE,
    )
    assert north_alert.months == ["2026-11"]
    assert (north_alert.responsible, alerts["South"].responsible) == (manager_a, admin_a)
    # the snapshot keeps November's 40 of 200 against its limits
    november = north_alert.chart["rows"][-1]
    assert (november["month"], november["n"], november["value"]) == ("2026-11", 200, 20.0)
    assert november["triggered"] is True
    assert november["plotted"] > november["upper"]
    # and each manager was emailed once, with the link and no figures
    assert len(smtp_server.messages) == 2
    (email,) = smtp_server.to(manager_a.email)
    body = email.get_content()
    assert email["Subject"] == "Early warning: No-show rate"
    link = f"/analytics/early-warning/{north_alert.public_id}/"
    assert link in body
    assert "location North" in body
    # no figure of the chart: the only digits are the month's year
    assert re.findall(r"\d+", body.replace(link, "")) == ["2026"]
    assert AuditEvent.objects.filter(action="analytics.alert_raised").count() == 2


def test_no_new_alert_while_the_same_charts_alert_is_open(
    org_a: Organization, users_a: dict[str, User], manager_a: User
) -> None:
    # given North's November alert, still open, and December as bad
    north = _location(org_a, "North")
    _no_shows(org_a, north, 40)
    assert scan_early_warning() == 1
    monthly_rollups(org_a, NO_SHOWS, [(200.0, 45.0)], location=north, first=24)
    # when December is scanned, before and after November's alert is acknowledged
    with time_machine.travel("2027-01-10 15:00Z", tick=False):
        while_open = scan_early_warning()
        november = EarlyWarningAlert.objects.get()
        check_acknowledge_alert(november, note="Looking into it.", acting_user=manager_a)
        once_acknowledged = scan_early_warning()
    # then December's alert waits for November's to be acknowledged
    assert (while_open, once_acknowledged) == (0, 1)
    december = EarlyWarningAlert.objects.exclude(pk=november.pk).get()
    assert (december.month.isoformat(), december.months) == ("2026-12-01", ["2026-11", "2026-12"])


def test_a_first_no_show_after_a_year_without_any_is_not_outside_limits(
    org_a: Organization, users_a: dict[str, User]
) -> None:
    # given a location with no no-show at all for 23 months, then 1 of 200 in November
    north = _location(org_a, "North")
    monthly_rollups(org_a, NO_SHOWS, [(200.0, 0.0)] * 23 + [(200.0, 1.0)], location=north)
    # when the scan runs
    scan_early_warning()
    # then there were no limits to be outside of (a p-bar of 0 has no spread)
    assert not EarlyWarningAlert.objects.filter(rule=OUTSIDE).exists()


def test_a_providers_slow_fall_is_caught_by_ewma_and_cusum_but_not_shewhart(
    org_a: Organization, users_a: dict[str, User], manager_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a provider at North whose mean satisfaction (40 answers a month) held at about 85
    # for a year, then slid a point every few months (methods.md §4.4's slow erosion)
    north = _location(org_a, "North")
    staff_at(org_a, north, "Maria", user=manager_a)
    provider = staff_at(org_a, north, "Ines")
    kpi = _test_kpi("tests.satisfaction_mean", KpiKind.MEAN, dimensions=("provider",))
    monkeypatch.setattr(warning_selectors, "MONITORED_KPIS", (kpi.key,))
    baseline = [85, 87, 84, 86, 83, 85, 87, 85, 84, 86, 85, 84]
    fall = [85, 84, 84, 83, 83, 83, 82, 82, 82, 82, 81, 81]
    months = [(40.0, 40.0 * value) for value in baseline + fall]
    monthly_rollups(org_a, kpi.key, months, dimension="provider", value=str(provider.public_id))
    # when the scan runs
    with registered(kpi):
        scan_early_warning()
    # then the run rules, the EWMA and the CUSUM signal in November; no month left 3 sigma
    alerts = {a.rule: a for a in EarlyWarningAlert.objects.filter(organization=org_a)}
    assert set(alerts) == {SHIFT, EWMA_LOW, CUSUM_DOWN}
    ewma = alerts[EWMA_LOW]
    assert ewma.months == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert alerts[CUSUM_DOWN].months == ["2026-07", "2026-11"]
    assert (ewma.unit_kind, ewma.unit_label, ewma.responsible) == (
        UnitKind.PROVIDER,
        "Ines Okafor",
        manager_a,
    )
    assert ewma.chart["statistic"] == "EWMA"
    assert ewma.chart["phase"].startswith("Centre line and limits from the first 12 months")


def test_a_departments_pulse_is_never_charted_from_fewer_than_five_answers(
    org_a: Organization, users_a: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a department's anonymous pulse scores from four answers a month, collapsing
    department = Department.objects.create(organization=org_a, name="Front desk")
    kpi = _test_kpi(
        "tests.pulse", KpiKind.MEAN, dimensions=("department",), anonymous=True, min_n=3
    )
    monkeypatch.setattr(warning_selectors, "MONITORED_KPIS", (kpi.key,))
    months = [(4.0, 4.0 * value) for value in [6.0] * 23 + [1.0]]
    value = str(department.public_id)
    monthly_rollups(org_a, kpi.key, months, dimension="department", value=value)
    # when the scan runs
    with registered(kpi):
        raised = scan_early_warning()
    # then no month counts (fewer than 5 answers), so nothing is charted or raised
    assert raised == 0


def test_a_departments_collapsing_pulse_alerts_without_telling_how_few_answered_a_thin_month(
    org_a: Organization, users_a: dict[str, User], admin_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a department's psychological safety from 8 answers a month, steady near 6, with
    # three months of only 3 answers, and November collapsing to 3.5
    department = Department.objects.create(organization=org_a, name="Front desk")
    kpi = _test_kpi("tests.safety", KpiKind.MEAN, dimensions=("department",), anonymous=True)
    monkeypatch.setattr(warning_selectors, "MONITORED_KPIS", (kpi.key,))
    values = [5.8, 6.2, 6.0, 5.9, 6.1, 6.0, 5.8, 6.2, 6.1, 5.9, 6.0, 6.1] * 2
    sizes = [8.0] * 24
    for thin in (3, 9, 15):
        sizes[thin] = 3.0
    values[23] = 3.5
    months = [(n, n * value) for n, value in zip(sizes, values, strict=True)]
    value = str(department.public_id)
    monthly_rollups(org_a, kpi.key, months, dimension="department", value=value)
    # when the scan runs
    with registered(kpi):
        scan_early_warning()
    # then November is below the individuals chart's limit; the department has no location,
    # so the administrator answers for it; the thin months show neither value nor count
    alert = EarlyWarningAlert.objects.get(rule=OUTSIDE)
    assert (alert.unit_kind, alert.unit_label, alert.responsible) == (
        UnitKind.DEPARTMENT,
        "Front desk",
        admin_a,
    )
    thin_months = [row for row in alert.chart["rows"] if row["value"] is None]
    assert [row["month"] for row in thin_months] == ["2025-03", "2025-09", "2026-03"]
    assert {row["n"] for row in thin_months} == {None}
    assert alert.chart["min_n"] == 5


def test_an_alert_is_acknowledged_once_with_a_note(
    org_a: Organization, users_a: dict[str, User], manager_a: User, analyst_a: User
) -> None:
    # given an open alert
    alert = make_alert(org_a, _location(org_a, "North"), responsible=manager_a)
    # when the analyst tries, then the manager acknowledges without a note, then with one
    with pytest.raises(NotFound):
        check_acknowledge_alert(alert, note="Seen.", acting_user=analyst_a)
    with pytest.raises(InvalidInput) as blank:
        check_acknowledge_alert(alert, note="  ", acting_user=manager_a)
    check_acknowledge_alert(alert, note="Two doctors were off sick.", acting_user=manager_a)
    # then the note and who acknowledged it are kept, audited, and it cannot be done twice
    alert.refresh_from_db()
    assert blank.value.field == "note"
    assert (alert.acknowledged_by, alert.note) == (manager_a, "Two doctors were off sick.")
    assert alert.acknowledged_at is not None
    assert AuditEvent.objects.filter(
        action="analytics.alert_acknowledged", target_id=str(alert.public_id)
    ).exists()
    with pytest.raises(RuleViolation):
        check_acknowledge_alert(alert, note="Again.", acting_user=manager_a)


def test_another_organisations_alert_is_not_found(
    org_a: Organization, users_a: dict[str, User], manager_a: User, outsider_b: User,
    client_for: Callable[[User], Client],
) -> None:  # fmt: skip
    # given organisation A's alert
    alert = make_alert(org_a, _location(org_a, "North"), responsible=manager_a)
    # when B's administrator opens it, lists alerts, or acknowledges it
    client = client_for(outsider_b)
    page = client.get(f"/analytics/early-warning/{alert.public_id}/")
    listing = client.get("/analytics/early-warning/")
    posted = client.post(f"/analytics/early-warning/{alert.public_id}/acknowledge", {"note": "x"})
    # then it does not exist for them, and nothing is written
    assert (page.status_code, posted.status_code) == (404, 404)
    assert str(alert.public_id) not in listing.content.decode()
    with pytest.raises(NotFound):
        check_acknowledge_alert(alert, note="Seen.", acting_user=outsider_b)
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_the_analyst_reads_the_alert_page_but_has_no_acknowledge_form(
    org_a: Organization, users_a: dict[str, User], manager_a: User, analyst_a: User,
    client_for: Callable[[User], Client],
) -> None:  # fmt: skip
    # given an open alert
    alert = make_alert(org_a, _location(org_a, "North"), responsible=manager_a)
    # when the analyst opens the list and the alert
    client = client_for(analyst_a)
    listing = client.get("/analytics/early-warning/").content.decode()
    page = client.get(f"/analytics/early-warning/{alert.public_id}/").content.decode()
    posted = client.post(f"/analytics/early-warning/{alert.public_id}/acknowledge", {"note": "x"})
    # then both show it, with the chart as an image and its table, and no way to acknowledge
    assert "No-show rate" in listing
    assert 'src="data:image/svg+xml;base64,' in page
    assert 'alt="Control chart of No-show rate (value) for North' in page
    assert "too few" in page  # October's 12 visits
    assert "Acknowledge</button>" not in page
    assert posted.status_code == 403


def test_a_bad_status_filter_is_a_message_not_a_500(
    org_a: Organization, users_a: dict[str, User], manager_a: User,
    client_for: Callable[[User], Client],
) -> None:  # fmt: skip
    # when the list is asked for alerts of a status that does not exist
    response = client_for(manager_a).get("/analytics/early-warning/?status=closed")
    # then it says which statuses there are
    assert response.status_code == 422
    assert "Show open or acknowledged alerts" in response.content.decode()


def test_the_managers_home_panel_lists_open_alerts_and_is_absent_without_them(
    org_a: Organization, users_a: dict[str, User], manager_a: User, admin_a: User,
    client_for: Callable[[User], Client],
) -> None:  # fmt: skip
    # given no alert, the panel is not shown
    assert early_warning_panel(manager_a) is None
    # given one alert for the manager and one for the administrator
    north, south = _location(org_a, "North"), _location(org_a, "South")
    make_alert(org_a, south, responsible=admin_a)
    mine = make_alert(org_a, north, responsible=manager_a)
    # when the manager's panel is drawn
    panel = early_warning_panel(manager_a)
    # then both are listed, the manager's own first
    assert panel is not None
    assert panel["total"] == 2
    assert panel["rows"][0] == mine
    home = client_for(manager_a).get("/").content.decode()
    assert 'data-testid="early-warning-panel"' in home
    assert f"/analytics/early-warning/{mine.public_id}/" in home


def test_a_control_chart_is_an_svg_with_no_script() -> None:
    # given four months, one missing and one that fired a rule
    from carebond.analytics.charts import control_chart_svg

    points = [("Aug 26", 5.2), ("Sep 26", 4.7), ("Oct 26", None), ("Nov 26", 20.0)]
    # when drawn
    svg = control_chart_svg(points, 5.2, [0.5, 0.3, None, 0.4], [9.9, 10.1, None, 10.0], [3], "T")
    # then it is a standalone SVG, with its legend as text, and nothing that runs
    assert svg.startswith("<?xml")
    assert "<svg" in svg
    assert "Control limits" in svg
    assert "Signal" in svg
    assert "<script" not in svg.lower()
