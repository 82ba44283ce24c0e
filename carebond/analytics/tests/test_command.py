"""carebond kpis: every KPI's figure from the rollups, as JSON or a table, for a period and a
location; a bad option is a message and exit status 2, never a traceback."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest

from carebond.accounts.actions import do_create_location
from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.tests.conftest import NOVEMBER, OCTOBER, HandMadeFacts, visits
from carebond.cli import main
from carebond.core.kpis import Kpi
from carebond.core.models import Location


@pytest.fixture
def rolled(kept_visits: tuple[Kpi, HandMadeFacts], location_a: Location) -> Location:
    """Alder Main: October 60 of 100 kept, November 85 of 100. Alder North: November 3 of 4
    (too few to show). Rolled up."""
    org = location_a.organization
    north = do_create_location(org, name="Alder North", acting_user=None)
    facts = kept_visits[1]
    facts.add(
        org.pk, visits(OCTOBER + timedelta(days=3), kept=60, missed=40, location_id=location_a.pk)
    )
    facts.add(
        org.pk, visits(NOVEMBER + timedelta(days=3), kept=85, missed=15, location_id=location_a.pk)
    )
    facts.add(org.pk, visits(NOVEMBER + timedelta(days=4), kept=3, missed=1, location_id=north.pk))
    do_roll_up_days(organization=org, first=OCTOBER, last=NOVEMBER + timedelta(days=29))
    return location_a


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `carebond kpis ...` as the shell would; (exit status, stdout, stderr). A command run
    from the shell closes the database connections when it ends; here that connection holds the
    test's transaction (on PostgreSQL closing it would end the test), so it stays open."""
    try:
        with patch("django.core.management.base.connections.close_all"):
            main(["kpis", *args])
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_json_gives_every_figure_of_the_last_complete_month(
    rolled: Location, capsys: pytest.CaptureFixture[str]
) -> None:
    # given Alder Main at 85 of 100 in November against 60 of 100, and Alder North's 3 of 4
    # when the KPIs are printed as JSON (3 December: November is the last complete month)
    status, out, err = run(capsys, "--json")
    # then the figure is the organisation's November: 88 of 104, with the change and its test
    assert (status, err) == (0, "")
    result = json.loads(out)
    assert {key: result[key] for key in ("organization", "period", "span", "location")} == {
        "organization": "org-a",
        "period": "2026-11",
        "span": 1,
        "location": None,
    }
    [kept] = [k for k in result["kpis"] if k["key"] == "test.kept"]
    assert kept["title"] == "Visits kept"
    assert kept["unit"] == "%"
    assert round(kept["value"], 1) == 84.6
    assert (round(kept["low"], 1), round(kept["high"], 1)) == (76.5, 90.3)
    assert kept["n"] == 104
    assert (kept["shown"], kept["reason"]) == (True, None)
    assert round(kept["change"], 1) == 24.6
    assert kept["p_value"] < 0.001
    assert kept["signal"] is True
    assert kept["definition"] == "Of the visits due, the share kept."


def test_a_location_and_a_period_narrow_the_figures(
    rolled: Location, capsys: pytest.CaptureFixture[str]
) -> None:
    # when Alder North's November is asked for by name, and Alder Main's quarter by public id
    _, north_out, _ = run(capsys, "--json", "--location", "alder north", "--period", "2026-11")
    _, main_out, _ = run(
        capsys, "--json", "--location", str(rolled.public_id), "--period", "2026-11", "--span", "3"
    )
    # then Alder North's 4 visits are too few to show, and say so
    [north] = [k for k in json.loads(north_out)["kpis"] if k["key"] == "test.kept"]
    assert json.loads(north_out)["location"] == "Alder North"
    assert (north["value"], north["low"], north["high"], north["n"]) == (None, None, None, 4)
    assert north["shown"] is False
    assert north["reason"].startswith("fewer than 5")
    assert north["change"] is None
    # and Alder Main's quarter (September to November) counts its 200 visits, 145 kept
    main_result = json.loads(main_out)
    [quarter] = [k for k in main_result["kpis"] if k["key"] == "test.kept"]
    assert (main_result["label"], quarter["n"], round(quarter["value"], 1)) == (
        "Sep 2026 to Nov 2026",
        200,
        72.5,
    )


def test_without_json_the_figures_are_a_table(
    rolled: Location, capsys: pytest.CaptureFixture[str]
) -> None:
    # when the KPIs of Alder Main are printed for people
    status, out, _ = run(capsys, "--location", "Alder Main")
    # then a table names the place and month, and gives the figure, interval, n and reading
    assert status == 0
    assert "Alder Family Practice, Alder Main: November 2026" in out
    [row] = [line for line in out.splitlines() if "Visits kept" in line]
    for cell in ("85.0%", "76.7% to 90.7%", "100", "+25.0", "0.000", "signal"):
        assert cell in row


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13"], "'2026-13' is not a month: write it as YYYY-MM"),
        (["--period", "2027-01"], "2027-01 is outside the months with figures"),
        (["--span", "6"], "argument --span: invalid choice: 6 (choose from 1, 3, 12)"),
        (["--location", "Elm Street"], "No location 'Elm Street' in this organisation (its"),
        (["--organization", "nobody"], "No organisation with the slug 'nobody'."),
    ],
)
def test_a_bad_option_is_a_message_and_status_2(
    rolled: Location, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    # when the command is given an option it cannot use
    status, out, err = run(capsys, "--json", *args)
    # then it says what is wrong, prints no figures, and exits with status 2
    assert status == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""


def test_two_organisations_need_to_be_told_which(
    rolled: Location, org_b: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a second organisation
    # when the command is run without --organization
    status, _, err = run(capsys, "--json")
    # then it asks which, and exits with status 2
    assert status == 2
    assert "Name the organisation with --organization SLUG" in err
    # and with it, it prints that organisation's figures
    status, out, _ = run(capsys, "--json", "--organization", "org-b")
    assert (status, json.loads(out)["organization"]) == (0, "org-b")
